"""Update and upsert: read the stored records, merge the change into them, write them back.

Metadata merges key by key (Chroma's update semantics), so a write depends on what it read.
Another process may write the same records in between: two ``PersistentClient``s on one path,
two Lambda instances of one deployment. The write therefore lands only on records that still
have the revision it read (``columns.REV``); a record changed or deleted meanwhile is read again
and the change merged into what is there now. Each record then ends as some order of the
acknowledged writes would leave it (tests/functional/test_linearizable_writes.py).

The new rows go in two commits when a batch both updates and inserts: an insert must never
bring back a record that another writer deleted after this one read it, and an update must
never write a merged copy where the record is gone.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pyarrow as pa

from chromalake.engine.catalog import Catalog, CollectionRecord
from chromalake.engine.rows import Change, Row, apply_change, from_table, to_table
from chromalake.engine.store import LanceStore
from chromalake.errors import UnavailableError

# Rounds of read-merge-write before a write that keeps losing to other writers is refused
# as retryable (a 503 every client resends); each round gives up only the records that lost.
WRITE_ROUNDS = 8


def new_revision() -> int:
    """A fresh record's revision: random, so a record deleted and inserted again never has
    the revision a writer read before the delete."""
    return random.getrandbits(62)


@dataclass(frozen=True)
class _Plan:
    """One round's rows: updates of stored records, and inserts of missing ones."""

    updates: list[Row]
    inserts: list[Row]
    positions: list[int]  # batch positions of the changes these rows carry

    @property
    def rows(self) -> list[Row]:
        return self.updates + self.inserts


def _plan(
    pending: Sequence[tuple[int, Change]],
    stored: dict[str, Row],
    insert_missing: bool,
    allocate: Callable[[int], int],
) -> _Plan:
    """The rows ``pending`` changes make of the ``stored`` records, in batch order."""
    fresh = (
        []
        if not insert_missing
        else [i for i in dict.fromkeys(c.id for _, c in pending) if i not in stored]
    )
    first = allocate(len(fresh)) if fresh else 0
    seqs = {record_id: first + k for k, record_id in enumerate(fresh)}
    merged: dict[str, Row] = {}
    positions: list[int] = []
    for n, change in pending:
        base = merged.get(change.id) or stored.get(change.id)
        if base is None and not insert_missing:
            continue  # update of a missing id: ignored, as in Chroma
        row = apply_change(base, change, seqs.get(change.id, 0))
        if row is not None:
            merged[change.id] = row
            positions.append(n)
    updates = [replace(r, rev=stored[i].rev + 1) for i, r in merged.items() if i in stored]
    inserts = [replace(r, rev=new_revision()) for i, r in merged.items() if i not in stored]
    return _Plan(updates, inserts, positions)


def _same(stored: Row, intended: Row) -> bool:
    """Whether the stored record is the row a write meant to leave."""
    return (
        stored.rev == intended.rev
        and stored.document == intended.document
        and stored.uri == intended.uri
        and stored.metadata == intended.metadata
        and np.array_equal(stored.embedding, intended.embedding)
    )


def _written(
    write: Callable[[CollectionRecord, pa.Table], int], coll: CollectionRecord, rows: list[Row]
) -> int:
    assert coll.dimension is not None
    return write(coll, to_table(rows, coll.dimension)) if rows else 0


def merge_write(
    store: LanceStore,
    catalog: Catalog,
    coll: CollectionRecord,
    changes: Sequence[Change],
    insert_missing: bool,
    before_commit: Callable[[list[int]], None],
) -> bool:
    """Apply ``changes`` (update; with ``insert_missing``, upsert) to the stored records.

    ``before_commit`` is told the batch positions of the changes about to be written, before
    each commit (the metadata keys they bring are recorded first, so a process dying after
    the commit cannot leave keys unlisted). Returns whether anything was written.
    """
    assert coll.dimension is not None
    pending = list(enumerate(changes))
    intended: dict[str, Row] = {}
    wrote = False
    for round_number in range(WRITE_ROUNDS):
        ids = list(dict.fromkeys(c.id for _, c in pending))
        stored = {r.id: r for r in from_table(store.rows_to_change(coll, ids))}
        # What the last round wrote and still stands is done; the rest is merged again.
        landed = {i for i, row in intended.items() if i in stored and _same(stored[i], row)}
        pending = [(n, c) for n, c in pending if c.id not in landed]
        plan = _plan(pending, stored, insert_missing, lambda k: catalog.allocate_seq(coll.id, k))
        if not plan.rows:
            return wrote
        before_commit(plan.positions)
        updated = _written(store.update_unchanged, coll, plan.updates)
        inserted = _written(store.insert_new, coll, plan.inserts)
        wrote = wrote or bool(updated or inserted)
        if updated == len(plan.updates) and inserted == len(plan.inserts):
            return True
        intended = {r.id: r for r in plan.rows}
        time.sleep(random.uniform(0.002, 0.01) * 2 ** min(round_number, 5))
    raise UnavailableError(
        f"Write conflict: other writers changed these records {WRITE_ROUNDS} times while "
        "this write merged into them; the records it had not written yet are as they were, "
        "send it again"
    )
