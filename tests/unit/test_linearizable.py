"""The linearizability checker of the concurrency tests finds what it must find."""

from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functional"))

from linearizable import ABSENT, ADD, DELETE, UPDATE, UPSERT, Op, explains


def keys(*names: str) -> tuple[bool, frozenset[str]]:
    return True, frozenset(names)


def test_sequential_writes_have_one_outcome() -> None:
    history = [Op(ADD, "a", 0, 1), Op(UPDATE, "b", 2, 3), Op(UPSERT, "c", 4, 5)]
    assert explains(history, keys("a", "b", "c"))
    assert not explains(history, keys("a", "c"))  # the update lost
    assert not explains(history, keys("a", "b"))  # the upsert lost
    assert not explains(history, ABSENT)


def test_a_stale_merge_over_a_concurrent_update_is_caught() -> None:
    # Two updates overlap; both were acknowledged, so both keys must be there.
    history = [Op(ADD, "a", 0, 1), Op(UPDATE, "b", 2, 5), Op(UPDATE, "c", 3, 4)]
    assert explains(history, keys("a", "b", "c"))
    assert not explains(history, keys("a", "b"))
    assert not explains(history, keys("a", "c"))


def test_concurrent_delete_may_come_before_or_after() -> None:
    history = [Op(ADD, "a", 0, 1), Op(UPDATE, "b", 2, 5), Op(DELETE, None, 3, 4)]
    assert explains(history, ABSENT)  # update, then delete
    assert not explains(history, keys("a", "b"))  # the delete lost
    # delete, then the update finds nothing: absent as well
    upsert_history = [Op(ADD, "a", 0, 1), Op(UPSERT, "b", 2, 5), Op(DELETE, None, 3, 4)]
    assert explains(upsert_history, keys("b"))  # delete, then upsert inserts afresh
    assert not explains(upsert_history, keys("a", "b"))  # an upsert keeping deleted keys


def test_an_add_of_a_stored_id_changes_nothing() -> None:
    history = [Op(ADD, "a", 0, 1), Op(ADD, "b", 2, 3)]
    assert explains(history, keys("a"))
    assert not explains(history, keys("b"))


def test_failed_operations_may_or_may_not_have_happened() -> None:
    history = [Op(ADD, "a", 0, 1), Op(UPDATE, "b", 2, math.inf, acknowledged=False)]
    assert explains(history, keys("a"))
    assert explains(history, keys("a", "b"))
    assert not explains(history, keys("b"))
