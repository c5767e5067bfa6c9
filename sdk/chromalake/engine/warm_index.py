"""In-process ANN indexes of warm collections, kept in step with their writes (issue 21).

A query on a warm collection should cost a fraction of a millisecond of search, not a
lancedb vector query's 6-10 ms of fixed cost. So each process keeps, per collection it
serves, a :class:`~chromalake.engine.vector_index.VectorIndex` (faiss IVF-SQ8 with exact
re-rank, Chroma's distances and ties) over the rows of the snapshot it was built from,
built in a background thread, never on a request's path: until it is ready, queries take
the path they took before (exact search, or Lance's index).

A write makes a new Lance version, and so a new snapshot. The index is not rebuilt for it:
the new snapshot's rows are matched to the index's by id and revision (``rev``, which every
write of a row changes), rows the index holds unchanged keep their place, rows it does not
hold (added or rewritten since) form a *tail* searched exactly, and rows gone are masked
out. A query merges both, so it sees every committed write. Once the tail or the masked
rows outgrow a share of the collection, a new index is built in the background.

Example:
    >>> import pyarrow as pa
    >>> from chromalake.engine.snapshot import snapshot_of
    >>> rows = np.eye(3, dtype=np.float32)
    >>> keys = pa.table({"id": ["a", "b", "c"], "seq": [0, 1, 2]})
    >>> snap = snapshot_of(1, keys, rows, np.zeros(3, np.int64))
    >>> indexes = WarmIndexes(min_rows=0, builder=lambda build: build())
    >>> indexes.ready("c", snap) is None  # none yet: the first build starts
    True
    >>> [(p.tolist(), d.tolist()) for p, d in indexes.ready("c", snap).search(snap, rows[:1], 1)]
    [([0], [0.0])]
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt

from chromalake.engine.nearest import nearest
from chromalake.engine.snapshot import Snapshot, positions_in, row_keys
from chromalake.engine.stored_index import Stored
from chromalake.engine.vector_index import VectorIndex

log = logging.getLogger("chromalake.warm_index")

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Found = list[tuple[I64, F64]]
# Where a build looks first: the index maintenance stored beside the dataset, if any.
StoredLoader = Callable[[], Stored | None] | None

# Below this many rows exact search over the snapshot is as fast as the index (a 5k x 384
# matrix product is ~1 ms) and an index would only cost memory.
MIN_ROWS = 5_000
# The index re-ranks from the snapshot's float32 matrix, held in memory: a collection whose
# matrix is bigger and that has Lance's index (built by maintenance) is searched through that
# instead, reading no matrix (512 MiB: 100k x 384 takes 150 MiB, 1M x 384 1.5 GiB). Without
# Lance's index the matrix is read for exact search anyway, and the warm index is cheaper.
MAX_MATRIX_BYTES = 512 * 1024**2
# A new index is built once the rows searched exactly, or the masked ones, pass this share.
REBUILD_SHARE = 0.2
# ... and at most this many rows searched exactly beside it (20k x 384: ~1.5 ms a query; a
# fifth of 1M rows would be 15 ms).
REBUILD_ROWS = 20_000


def behind(changed: int, rows: int) -> bool:
    """Whether an index with ``changed`` rows written or gone since its build, in a collection
    of ``rows``, is due to be replaced.

    Example:
        >>> behind(100, 1_000), behind(30_000, 1_000_000), behind(10_000, 1_000_000)
        (False, True, False)
    """
    return changed > min(REBUILD_SHARE * max(rows, 1), REBUILD_ROWS)


class _Built:
    """An index and the rows it was built from: their (id, rev) -> index row map is made
    when first matched to other rows (100k rows: ~0.1 s), not with the index."""

    def __init__(self, index: VectorIndex, space: str, ids: list[str], revs: list[int]) -> None:
        self.index, self.space = index, space
        self._ids, self._revs = ids, revs

    @cached_property
    def keys(self) -> dict[tuple[str, int], int]:
        return row_keys(self._ids, self._revs)


@dataclass
class WarmIndex:
    """An index matched to one snapshot: the index rows still current, and the tail."""

    version: int
    built: _Built
    at: I64  # index row -> the snapshot's position of that row, -1 when it is gone
    tail: I64  # snapshot positions the index does not hold, searched exactly

    @property
    def stale(self) -> bool:
        rows = max(len(self.at), 1)
        gone = int(np.count_nonzero(self.at < 0))
        return behind(len(self.tail), rows) or behind(gone, rows)

    @cached_property
    def _current(self) -> npt.NDArray[np.bool_] | None:
        """Which index rows the snapshot still holds, None when all: made once (``at`` is
        fixed), not per query (0.05 ms at 100k rows, 0.5 ms at 1M)."""
        mask = self.at >= 0
        return None if bool(mask.all()) else mask

    def search(
        self,
        snap: Snapshot,
        queries: npt.NDArray[np.float32],
        k: int,
        allowed: I64 | None = None,
        ef_search: int = 100,
    ) -> Found:
        """Each query's ``k`` nearest snapshot positions (among ``allowed`` positions when
        given) and their distances, nearest first, ties in insertion order; ``ef_search``
        (the collection's ``hnsw`` setting) sets how many lists the index probes."""
        where = self._current
        tail = self.tail
        if allowed is not None:
            permitted = np.zeros(len(snap.ids), dtype=np.bool_)
            permitted[allowed] = True
            mask = permitted[np.maximum(self.at, 0)]
            if where is not None:
                mask &= where
            tail = tail[permitted[tail]]
            where = None if bool(mask.all()) else mask
        found = self.built.index.search(queries, k, allowed=where, ef_search=ef_search)
        if len(tail) == 0:
            return [(self.at[rows], distances) for rows, distances in found]
        extra = nearest(
            self.built.space, queries, snap.vectors(tail), snap.seqs[tail], k, snap.norms[tail]
        )
        merged = []
        for (rows, distances), (more, more_distances) in zip(found, extra, strict=True):
            positions = np.concatenate([self.at[rows], tail[more]])
            all_distances = np.concatenate([distances, more_distances])
            order = np.lexsort((snap.seqs[positions], all_distances))[:k]
            merged.append((positions[order], all_distances[order]))
        return merged


class WarmIndexes:
    """The warm indexes of one process's collections, built in the background.

    ``builder`` runs a build (a thread by default; tests pass one that runs at once).
    """

    def __init__(
        self,
        min_rows: int = MIN_ROWS,
        builder: Callable[[Callable[[], None]], None] | None = None,
        max_matrix_bytes: int = MAX_MATRIX_BYTES,
    ) -> None:
        self._min_rows = min_rows
        self._max_matrix_bytes = max_matrix_bytes
        self._builder = builder or _in_thread
        self._lock = threading.Lock()
        self._built: dict[str, _Built] = {}
        self._matched: dict[str, WarmIndex] = {}
        self._building: set[str] = set()

    def wanted(self, rows: int) -> bool:
        """Whether a collection of this many rows is worth an index."""
        return rows >= self._min_rows

    def fits(self, rows: int, dimension: int) -> bool:
        """Whether a collection's matrix fits the memory budget of a warm index."""
        return rows * dimension * 4 <= self._max_matrix_bytes

    def ready(
        self, collection: str, snap: Snapshot, space: str = "l2", stored: StoredLoader = None
    ) -> WarmIndex | None:
        """The collection's index matched to ``snap``, or None while there is none (a build
        starts in the background when the collection is big enough to want one: ``stored``
        gives the index maintenance stored, if any, which then needs no build)."""
        if not self.wanted(len(snap.ids)) or snap.revs is None:
            return None
        with self._lock:
            matched = self._matched.get(collection)
            built = self._built.get(collection)
        if matched is not None and matched.version == snap.version and matched.built.space == space:
            return matched
        if built is None or built.space != space:
            self._build(collection, snap, space, stored)
            return None
        matched = _match(built, snap)
        with self._lock:
            self._matched[collection] = matched
        if matched.stale:  # a newer stored index if maintenance stored one, else a build
            self._build(collection, snap, space, stored)
        return matched

    def adopt(self, collection: str, stored: Stored, snap: Snapshot, space: str) -> bool:
        """Serve the collection from ``stored`` (an index maintenance stored), matched to
        ``snap`` here and now; False when it does not fit ``snap`` or is too far behind."""
        if not self.wanted(len(snap.ids)) or snap.revs is None:
            return False
        matched = _from_store(lambda: stored, snap, space)
        if matched is None:
            return False
        with self._lock:
            self._built[collection] = matched.built
            self._matched[collection] = matched
        return True

    def index_of(self, collection: str) -> VectorIndex | None:
        """The collection's index, if one was built or loaded (for some version maybe)."""
        with self._lock:
            built = self._built.get(collection)
        return None if built is None else built.index

    def holds(self, collection: str) -> bool:
        """Whether an index of the collection was built (for some earlier version maybe)."""
        with self._lock:
            return collection in self._built

    def prepare(
        self,
        collection: str,
        load: Callable[[], Snapshot | None],
        space: str,
        stored: StoredLoader = None,
        now: bool = False,
    ) -> None:
        """Build (or load, ``stored``) the collection's first index in the background from the
        snapshot ``load`` reads there too: for a collection another index answers meanwhile,
        so that no request waits for its matrix to be read (from S3, on a cold instance).
        ``now``: in this thread instead, before returning (a stored index close at hand)."""

        def snapshot_then_build() -> None:
            snap = load()
            if snap is not None and self.wanted(len(snap.ids)) and snap.revs is not None:
                self._index(collection, snap, space, stored)

        self._start(collection, snapshot_then_build, now)

    def forget(self, collection: str) -> None:
        with self._lock:
            self._built.pop(collection, None)
            self._matched.pop(collection, None)

    def clear(self) -> None:
        with self._lock:
            self._built.clear()
            self._matched.clear()

    def _build(
        self, collection: str, snap: Snapshot, space: str, stored: StoredLoader = None
    ) -> None:
        self._start(collection, lambda: self._index(collection, snap, space, stored))

    def _start(self, collection: str, work: Callable[[], None], now: bool = False) -> None:
        """Run ``work`` through the builder (``now``: in this thread), one at a time per
        collection."""
        with self._lock:
            if collection in self._building:
                return
            self._building.add(collection)

        def run() -> None:
            try:
                work()
            except Exception:
                log.warning("index of collection %s not built", collection, exc_info=True)
            finally:
                with self._lock:
                    self._building.discard(collection)

        if now:
            run()
        else:
            self._builder(run)

    def _index(
        self, collection: str, snap: Snapshot, space: str, stored: StoredLoader = None
    ) -> None:
        # Matched to ``snap`` here, so the next query on this version needs no matching pass.
        matched = _from_store(stored, snap, space)
        if matched is None:
            lazy = not isinstance(snap.embeddings, np.ndarray)
            if lazy and not self.fits(*snap.embeddings.shape):
                # Served from a stored index without reading its matrix, too big to read here
                # (1M x 384: 1.5 GB): the index it has goes on answering, the rows written
                # since searched exactly, until maintenance stores a newer one.
                log.info("index of collection %s left to maintenance to rebuild", collection)
                return
            index = VectorIndex.build(snap.matrix(), space, tiebreak=snap.seqs)
            assert snap.revs is not None
            built = _Built(index, space, snap.ids.tolist(), snap.revs.tolist())
            every = np.arange(len(snap.ids), dtype=np.int64)  # built from snap: row n is n
            matched = WarmIndex(snap.version, built, every, every[:0])
        with self._lock:
            self._built[collection] = matched.built
            self._matched[collection] = matched


def _from_store(stored: StoredLoader, snap: Snapshot, space: str) -> WarmIndex | None:
    """The stored index matched to ``snap``, when there is one for this space and it is not
    too far behind ``snap`` to be worth matching (a new build is then as good)."""
    found = None if stored is None else stored()
    if found is None or found.index.space != space:
        return None
    if found.index.dimension != snap.embeddings.shape[1]:
        return None
    built = _Built(found.index, space, found.ids, found.revs)
    if snap.version == found.version and np.array_equal(snap.ids, np.asarray(found.ids, object)):
        # The rows it was built from, in its order (a snapshot made from it): no matching pass.
        every = np.arange(len(snap.ids), dtype=np.int64)
        return WarmIndex(snap.version, built, every, every[:0])
    matched = _match(built, snap)
    return None if matched.stale else matched


def _match(built: _Built, snap: Snapshot) -> WarmIndex:
    """Where each indexed row sits in ``snap`` (-1: gone), and the rows it does not hold."""
    assert snap.revs is not None
    rows = positions_in(built.keys, snap.ids.tolist(), snap.revs.tolist())
    held = np.flatnonzero(rows >= 0)
    at = np.full(built.index.rows, -1, dtype=np.int64)
    at[rows[held]] = held
    return WarmIndex(snap.version, built, at, np.flatnonzero(rows < 0).astype(np.int64))


def _in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="chromalake-index-build", daemon=True).start()
