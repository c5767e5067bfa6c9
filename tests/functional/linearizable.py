"""Is a record's final state what some linearizable order of its writes would leave?

The concurrency tests write records with operations whose effects can be told apart: every
add, update and upsert sets a metadata key of its own (``op-<n>``), so a record's final keys
say which of them are in effect. For each record the history holds every operation that
touched it, with the interval in which it ran (``time.monotonic()``, one clock for all the
processes of a machine). An acknowledged operation took effect at one instant inside its
interval; a failed one may have taken effect at one instant after it started, or never.

:func:`explains` searches for such an order (Wing and Gong's search, memoised on the set of
operations placed and the state they leave), so the check is exact, and the histories are kept
short per record by the tests (a few tens of operations).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

# Operation kinds and their effect on one record: (present, keys) -> (present, keys).
ADD, UPDATE, UPSERT, DELETE = "add", "update", "upsert", "delete"

State = tuple[bool, frozenset[str]]
ABSENT: State = (False, frozenset())


@dataclass(frozen=True)
class Op:
    """One operation on one record: its kind, the key it sets, and when it ran."""

    kind: str
    key: str | None  # the metadata key an add/update/upsert sets; None for a delete
    start: float
    end: float  # math.inf when it failed: it may take effect later, or never
    acknowledged: bool = True


def apply(state: State, op: Op) -> State:
    """The record after ``op``, as Chroma defines each write.

    Example:
        >>> apply(ABSENT, Op(UPDATE, "a", 0, 1))  # an update of a missing id does nothing
        (False, frozenset())
        >>> apply((True, frozenset({"a"})), Op(UPSERT, "b", 0, 1))[1] == {"a", "b"}
        True
    """
    present, keys = state
    if op.kind == DELETE:
        return ABSENT
    assert op.key is not None
    if op.kind == ADD:
        return state if present else (True, frozenset({op.key}))
    if op.kind == UPDATE:
        return (True, keys | {op.key}) if present else state
    if op.kind == UPSERT:
        return (True, (keys if present else frozenset()) | {op.key})
    raise ValueError(op.kind)


def explains(history: list[Op], final: State) -> bool:
    """Whether some order of ``history`` that respects real time leaves the record ``final``.

    Each acknowledged operation is placed once; a failed one is placed once or dropped. An
    operation may be placed next only if no unplaced acknowledged operation ended before it
    started.

    Example:
        >>> add = Op(ADD, "a", 0, 1)
        >>> late = Op(UPDATE, "b", 2, 3)  # started after the add was acknowledged
        >>> explains([add, late], (True, frozenset({"a", "b"})))
        True
        >>> explains([add, late], (True, frozenset({"a"})))  # the update was lost
        False
    """
    ops = tuple(history)
    everything = (1 << len(ops)) - 1

    @cache
    def search(placed: int, state: State) -> bool:
        if placed == everything:
            return state == final
        pending = [n for n in range(len(ops)) if not placed >> n & 1]
        deadline = min((ops[n].end for n in pending if ops[n].acknowledged), default=math.inf)
        for n in pending:
            op = ops[n]
            if op.start > deadline:
                continue  # an acknowledged operation ended before this one began
            if search(placed | 1 << n, apply(state, op)):
                return True
            if not op.acknowledged and search(placed | 1 << n, state):
                return True  # the failed operation never took effect
        return False

    return search(0, ABSENT)
