"""What a process holds of a collection at one Lance version: its rows in memory.

A :class:`Snapshot` holds every row's id, insertion sequence, revision and embedding (the
matrix exact search and the warm index read), and, when they fit a budget, the rows' other
fields (documents, uris, metadata) so that a ``get`` by ids and the fields of a query's
results are a lookup in memory instead of a Lance read (milliseconds of fixed cost each).

A write makes a new version; :func:`extended` brings a snapshot forward to it by reading only
the rows whose (id, revision) it does not hold, matched with :func:`row_keys` and
:func:`positions_in`.

Example:
    >>> data = pa.table({ID: ["a", "b"], SEQ: [0, 1], REV: [7, 3]})
    >>> snap = snapshot_of(1, data, np.eye(2, dtype=np.float32), revisions(data))
    >>> snap.positions["b"], snap.fields is None
    (1, True)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chromalake.engine.columns import (
    EMBEDDING,
    FIELD_COLUMNS,
    ID,
    REV,
    SEQ,
    embedding_matrix,
    ids_predicate,
)
from chromalake.engine.nearest import row_norms
from chromalake.engine.stored_index import Stored
from chromalake.engine.vector_index import VectorIndex
from chromalake.engine.vector_rows import Gathered

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]

# The fields of a snapshot's rows are kept while they take at most this much memory (100k
# records with a sentence of text and a few metadata keys take ~15 MB); a collection whose
# fields are bigger is served its fields from Lance, a read per call.
FIELDS_BYTES = 128 * 1024**2
# A snapshot is brought forward from the last one when at most this share of the rows
# changed; past it, reading every embedding again costs about the same.
_EXTEND_SHARE = 0.1


@dataclasses.dataclass
class Snapshot:
    """A collection's ids, insertion sequence and embeddings at one Lance version."""

    version: int
    ids: npt.NDArray[np.object_]
    seqs: npt.NDArray[np.int64]
    # In memory, or (a snapshot made from a stored index, stored_index.py) read a few rows
    # at a time from the index's file: :meth:`vectors` and :meth:`matrix` read either.
    embeddings: F32 | Gathered
    norms: npt.NDArray[np.float32]
    seq_order: npt.NDArray[np.int64]  # row positions sorted by insertion sequence
    # Each row's revision (changed by every write of it); None for a table from before
    # revisions, until its first write gives them.
    revs: npt.NDArray[np.int64] | None = None
    # The rows' FIELD_COLUMNS in row order; None when they were not read or did not fit.
    fields: pa.Table | None = None
    # Whether ``fields`` is None because they were not read yet (a snapshot made from a
    # stored index, and those brought forward from it), not because they did not fit.
    fields_unread: bool = False
    # The ids as Arrow (a snapshot from a stored index keeps them), sorted without the GIL.
    id_column: pa.ChunkedArray | pa.Array | None = None
    _positions: dict[str, int] | None = dataclasses.field(default=None, init=False, repr=False)
    # Row positions sorted by id, and the ids in that order (map_ids).
    _by_id: tuple[I64, npt.NDArray[np.object_]] | None = dataclasses.field(
        default=None, init=False, repr=False
    )

    @property
    def positions(self) -> dict[str, int]:
        """Each id's row position (made on first use: 100k ids take ~0.05 s, which a process
        serving a stored index's first query need not wait for)."""
        if self._positions is None:
            self._positions = {str(i): n for n, i in enumerate(self.ids)}
        return self._positions

    def map_ids(self) -> None:
        """Sort the ids once, so that :meth:`positions_of` finds them by binary search and no
        id -> position dict is made: 1M ids held the GIL ~0.6 s to make one, which a serving
        process's first ``get`` by ids waited for (or, made in the background, its queries).
        Arrow's sort lets go of the GIL (~0.3 s for 1M ids); a background thread runs this
        once a process serves a stored index.

        Example:
            >>> snap = snapshot_of(1, pa.table({"id": ["b", "a"], "seq": [1, 2]}),
            ...                    np.eye(2, dtype=np.float32), None)
            >>> snap.map_ids()
            >>> snap.positions_of(["a", "zz", "b"]).tolist()
            [1, 0]
        """
        if self._by_id is not None:
            return
        column = self.id_column if self.id_column is not None else pa.array(self.ids, pa.utf8())
        order = np.asarray(pc.sort_indices(column).to_numpy(), dtype=np.int64)
        self._by_id = (order, self.ids[order])

    def vectors(self, positions: I64) -> F32:
        """The embeddings of the rows at ``positions``."""
        return np.asarray(self.embeddings[positions], dtype=np.float32)

    def matrix(self) -> F32:
        """Every row's embedding as one matrix (read whole where it is not in memory)."""
        return np.asarray(self.embeddings, dtype=np.float32)

    def rows_with_seqs(self, seqs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Row positions of the records with these sequence numbers (unknown ones skipped).

        A filter's matches come back from Lance as sequence numbers, a zero-copy integer
        column, rather than ids that would each need a dictionary lookup.
        """
        sorted_seqs = self.seqs[self.seq_order]
        at = np.minimum(np.searchsorted(sorted_seqs, seqs), max(len(sorted_seqs) - 1, 0))
        if len(sorted_seqs) == 0:
            return np.empty(0, np.int64)
        return np.asarray(self.seq_order[at[sorted_seqs[at] == seqs]], dtype=np.int64)

    def positions_of(self, ids: Iterable[str]) -> npt.NDArray[np.int64]:
        """Row positions of these ids, in their order (ids not held skipped). A snapshot that
        keeps its Arrow ids and has no dict sorts them here if the background has not yet
        (:meth:`map_ids`): a query's fields asked before then would otherwise make the dict."""
        if self._positions is None and self.id_column is not None:
            self.map_ids()
        if self._positions is None and self._by_id is not None:
            order, sorted_ids = self._by_id
            wanted = np.array(list(ids), dtype=object)
            if len(wanted) == 0 or len(order) == 0:
                return np.empty(0, np.int64)
            # UTF-8 bytes (Arrow's order) sort as code points do (Python's).
            at = np.minimum(np.searchsorted(sorted_ids, wanted), len(order) - 1)
            return np.asarray(order[at[sorted_ids[at] == wanted]], dtype=np.int64)
        held = (self.positions.get(i) for i in ids)
        return np.fromiter((p for p in held if p is not None), np.int64)


def revisions(data: pa.Table) -> npt.NDArray[np.int64] | None:
    """The rows' revisions, when every row has one."""
    if REV not in data.column_names or data[REV].null_count:
        return None
    return np.asarray(data[REV].to_numpy(), dtype=np.int64)


def snapshot_of(
    version: int,
    data: pa.Table,
    embeddings: F32 | Gathered,
    revs: npt.NDArray[np.int64] | None,
    norms: npt.NDArray[np.float32] | None = None,
    fields: pa.Table | None = None,
) -> Snapshot:
    """A snapshot of rows ``data`` (ids and sequences) with their embeddings."""
    ids = np.array(data[ID].to_pylist(), dtype=object)
    seqs = data[SEQ].to_numpy()
    return Snapshot(
        version=version,
        ids=ids,
        seqs=seqs,
        embeddings=embeddings,
        norms=row_norms(np.asarray(embeddings)) if norms is None else norms,
        seq_order=np.argsort(seqs, kind="stable").astype(np.int64),
        revs=revs,
        # One chunk a column: a lookup of 10 rows (pyarrow's take) over the ~100 batches a
        # scan yields costs ~2 ms, over one chunk ~0.02 ms.
        fields=None if fields is None else fields.combine_chunks(),
    )


def read_snapshot(table: Any, version: int) -> Snapshot:
    """Every row of ``table`` (a Lance table at ``version``) read in one scan; the fields too
    while they fit :data:`FIELDS_BYTES` (batch by batch, so a collection of large documents
    is never held whole)."""
    columns = [ID, SEQ, EMBEDDING] + ([REV] if REV in table.schema.names else [])
    data, held = _scan(table, columns)
    return snapshot_of(version, data, embedding_matrix(data), revisions(data), fields=held)


def _scan(table: Any, columns: list[str]) -> tuple[pa.Table, pa.Table | None]:
    """``columns`` of every row, and their fields while they fit :data:`FIELDS_BYTES`."""
    batches: list[pa.RecordBatch] = []
    fields: list[pa.RecordBatch] | None = []
    size = 0
    for batch in table.search().select(columns + FIELD_COLUMNS).to_batches():
        batches.append(batch.select(columns))
        if fields is not None:
            kept = batch.select(FIELD_COLUMNS)
            size += kept.nbytes
            if size > FIELDS_BYTES:
                fields = None  # served from Lance instead
            else:
                fields.append(kept)
    data = _table(batches, table.schema, columns)
    held = None if fields is None else _table(fields, table.schema, FIELD_COLUMNS)
    return data, held


def with_fields(table: Any, snap: Snapshot) -> Snapshot | None:
    """``snap`` with its rows' fields, read from ``table`` (at ``snap``'s version): for a
    snapshot made without them (from a stored index). None when they do not fit or the
    table's rows are not the snapshot's."""
    data, held = _scan(table, [ID])
    if held is None or len(data) != len(snap.ids):
        return None
    ids = data[ID].to_pylist()
    if not np.array_equal(np.asarray(ids, dtype=object), snap.ids):
        at = snap.positions_of(ids)  # the table's row order differs: place each row
        if len(at) != len(ids):
            return None
        order = np.empty_like(at)
        order[at] = np.arange(len(at))
        held = held.take(pa.array(order))
    return dataclasses.replace(snap, fields=held.combine_chunks(), fields_unread=False)


def from_stored(stored: Stored) -> Snapshot | None:
    """The snapshot of the rows a stored index was built from (at its version), its vectors
    left in the index's file; None for a file from before sequences and norms were stored.

    Example (a stored index of 3 rows; see tests/functional/test_stored_index.py):
        snap = from_stored(newest(files, dataset))
    """
    if stored.seqs is None or stored.norms is None:
        return None
    index = stored.index
    none = np.empty((0, index.dimension), np.float32)
    rows = Gathered(_IndexRows(index), np.arange(index.rows, dtype=np.int64), none)
    keys = pa.table({ID: pa.array(stored.ids, pa.utf8()), SEQ: pa.array(stored.seqs)})
    revs = np.asarray(stored.revs, dtype=np.int64)
    snap = snapshot_of(stored.version, keys, rows, revs, stored.norms, stored.fields)
    snap.fields_unread = stored.fields is None
    snap.id_column = keys[ID]
    return snap


class _IndexRows:
    """A vector index's own rows, as a :class:`Gathered` source."""

    def __init__(self, index: VectorIndex) -> None:
        self._index = index
        self.shape = (index.rows, index.dimension)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, positions: I64) -> F32:
        return self._index.vectors_at(positions)

    def mapped(self) -> F32:
        return self._index.vectors_at(np.arange(self.shape[0], dtype=np.int64))


def _table(batches: list[pa.RecordBatch], schema: pa.Schema, columns: list[str]) -> pa.Table:
    if batches:
        return pa.Table.from_batches(batches)
    return pa.schema([schema.field(c) for c in columns]).empty_table()


def row_keys(ids: list[Any], revs: list[Any]) -> dict[tuple[str, int], int]:
    """Each row's (id, revision), the identity of its content, to its position.

    Example:
        >>> row_keys(["a", "b"], [7, 3])
        {('a', 7): 0, ('b', 3): 1}
    """
    return {(str(i), int(r)): n for n, (i, r) in enumerate(zip(ids, revs, strict=True))}


def positions_in(
    held: dict[tuple[str, int], int], ids: list[Any], revs: list[Any]
) -> npt.NDArray[np.int64]:
    """For each row (id, revision), its position in ``held`` (:func:`row_keys`), -1 if absent.

    Example:
        >>> positions_in(row_keys(["a", "b"], [7, 3]), ["b", "a", "c"], [3, 8, 1]).tolist()
        [1, -1, -1]
    """
    pairs = zip((str(i) for i in ids), (int(r) for r in revs), strict=True)
    return np.fromiter((held.get(k, -1) for k in pairs), np.int64, len(ids))


def extended(table: Any, cached: Snapshot, version: int) -> Snapshot | None:
    """The snapshot of ``version`` from ``cached`` and the rows written since: ids, sequences
    and revisions of every row, and the embeddings (and fields, when ``cached`` holds them) of
    the rows whose (id, revision) the cached one does not hold. None when that is not possible
    or not worth it (a full read then).

    A write of a few rows to a 100k x 384 collection then reads ~2 MB, not its 150 MB matrix.
    """
    if cached.revs is None or REV not in table.schema.names:
        return None
    keys = table.search().select([ID, SEQ, REV]).to_arrow()
    revs = revisions(keys)
    if revs is None:
        return None
    ids = keys[ID].to_pylist()
    at = positions_in(row_keys(cached.ids.tolist(), cached.revs.tolist()), ids, revs.tolist())
    new = np.flatnonzero(at < 0)
    if len(new) > _EXTEND_SHARE * max(len(ids), 1):
        return None
    kept = at >= 0
    norms = np.empty(len(ids), dtype=np.float32)
    norms[kept] = cached.norms[at[kept]]
    matrix = np.empty((0, cached.embeddings.shape[1]), np.float32)
    fields = cached.fields
    if len(new):
        wanted = [ids[p] for p in new]
        columns = [ID, REV, EMBEDDING] + (FIELD_COLUMNS if fields is not None else [])
        rows = table.search().where(ids_predicate(wanted)).select(columns).to_arrow()
        found = row_keys(rows[ID].to_pylist(), rows[REV].to_pylist())
        place = np.array([found.get((ids[p], int(revs[p])), -1) for p in new], np.int64)
        if place.min() < 0:  # the handle moved on meanwhile: read everything at once instead
            return None
        matrix = embedding_matrix(rows)[place]
        norms[new] = row_norms(matrix)
        fields = _fields_after(cached.fields, rows, at, new, place)
    elif fields is not None and not np.array_equal(at, np.arange(len(cached.ids))):
        fields = fields.take(pa.array(at))  # rows deleted since
    embeddings = _carried(cached.embeddings, at, new, matrix)
    if fields is not None and fields.nbytes > FIELDS_BYTES:
        fields = None
    snap = snapshot_of(version, keys, embeddings, revs, norms, fields)
    snap.fields_unread = cached.fields_unread
    return snap


def _carried(held: F32 | Gathered, at: I64, new: I64, rows: F32) -> F32 | Gathered:
    """The embeddings of a later snapshot: row ``p`` is ``held``'s row ``at[p]``, or (the
    positions ``new``) the matching row of ``rows``; still not in memory where ``held``
    was not."""
    if isinstance(held, Gathered):
        return held.regathered(at, new, rows)
    out = np.empty((len(at), held.shape[1]), dtype=np.float32)
    kept = at >= 0
    out[kept] = held[at[kept]]
    out[new] = rows
    return out


def _fields_after(
    held: pa.Table | None,
    rows: pa.Table,
    at: npt.NDArray[np.int64],
    new: npt.NDArray[np.int64],
    place: npt.NDArray[np.int64],
) -> pa.Table | None:
    """The fields in the new row order: held rows from ``held`` (``at``), the others from
    ``rows`` (row ``place[i]`` is the snapshot's row ``new[i]``)."""
    if held is None:
        return None
    more = rows.select(FIELD_COLUMNS)
    if not more.schema.equals(held.schema):  # a column's type moved on: read them anew
        return None
    order = at.copy()
    order[new] = len(held) + place
    return pa.concat_tables([held, more]).take(pa.array(order))
