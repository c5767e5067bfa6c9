"""Maintenance: compact fragments, build and optimise the ANN index, drop old versions.

One entry point, ``maintain(engine, collection_id)``, used by the ``maintenance`` Lambda
(queue messages after writes, and a schedule), by ``chromalake run``'s background thread,
and callable from any embedded client's engine. Each run looks at the table and does only
what is due, so running it twice, or beside writers, is safe:

- at or past ``index_threshold`` rows without an index, or once the collection has outgrown
  its index's training (``retrain_growth``): train a new IVF index (``indexes.plan_index``),
  and give ``id`` a BTREE index for lookups by id;
- with rows the vector index or the full-text index (built by a collection's first text
  search) does not cover yet, or more than ``compact_fragments`` fragments: ``optimize``
  (compaction, incremental index updates, and version cleanup);
- on the scheduled sweep (``maintain_all``, or ``force``), ``optimize`` whatever else is due,
  so versions older than ``retention`` are removed even from collections nobody writes to;
  the scheduled sweep also deletes orphaned datasets (``sweep_orphans``);
- for a collection serving processes index in memory (``warm_index.py``: 5,000 rows or more,
  a matrix within its budget), build that index and store it beside the dataset
  (``stored_index.py``) when there is none or it is behind, so no serving process builds it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from chromalake.collection_config import space_of
from chromalake.engine import forks
from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.engine import Engine
from chromalake.engine.indexes import outgrown, plan_index
from chromalake.engine.store import TableState
from chromalake.engine.stored_index import save, stored_versions
from chromalake.engine.vector_index import VectorIndex
from chromalake.engine.warm_index import behind
from chromalake.errors import NotFoundError

log = logging.getLogger("chromalake.maintenance")

# How long an orphaned dataset is left alone before the sweep deletes it.
ORPHAN_GRACE = timedelta(hours=1)


@dataclass(frozen=True)
class Report:
    """What one maintenance run of one collection did."""

    collection_id: str
    rows: int
    indexed: str | None  # "built", "retrained" or None
    optimized: bool
    seconds: float


def _index_due(engine: Engine, state: TableState) -> str | None:
    policy = engine.policy
    if state.index is None:
        return "built" if state.rows >= policy.index_threshold else None
    return "retrained" if outgrown(state.index.name, state.rows, policy.retrain_growth) else None


def _optimize_due(engine: Engine, state: TableState) -> bool:
    covered = state.index is None or state.index.unindexed_rows == 0
    text_covered = state.text_unindexed_rows == 0  # full-text searches scan the rest
    return not (covered and text_covered) or state.fragments > engine.policy.compact_fragments


_running: dict[str, threading.Lock] = {}
_running_guard = threading.Lock()


def maintain_record(engine: Engine, coll: CollectionRecord, force: bool = False) -> Report:
    """Maintain one collection (see the module docstring for what is due when).

    One run at a time per collection in a process: a second one (an explicit ``maintain()``
    beside the background maintainer) waits, then finds done what the first did, instead of
    building the same indexes beside it (two 100k x 384 builds at once took 13-19 s, one 6).
    """
    with _running_guard:
        running = _running.setdefault(coll.id, threading.Lock())
    with running:
        return _maintained(engine, coll, force)


def _maintained(engine: Engine, coll: CollectionRecord, force: bool) -> Report:
    start = time.perf_counter()
    state = engine.store.state(coll)
    if state is None:
        return Report(coll.id, 0, None, False, time.perf_counter() - start)
    indexed = _index_due(engine, state)
    if indexed is not None and coll.dimension is not None:
        hnsw = coll.configuration.get("hnsw") or {}
        plan = plan_index(hnsw, coll.dimension, state.rows, engine.policy.index_type)
        engine.store.build_index(coll, plan)
        engine.store.ensure_id_index(coll)
        state = engine.store.state(coll) or state
    # A new index covers every row already, and a write-triggered run skips a table with few
    # fragments: optimize rewrites files, and on S3 each run costs requests.
    optimized = force or _optimize_due(engine, state)
    if optimized:
        forks.release_stale_bases(engine, coll)  # a failed fork must not pin old versions
        engine.store.optimize(coll, engine.policy.retention)
    store_warm_index(engine, coll, state.rows, rebuilt=indexed is not None)
    return Report(coll.id, state.rows, indexed, optimized, time.perf_counter() - start)


# The most float32 matrix maintenance reads to build a stored index, as a share of the
# machine's memory (the scan's Arrow batches and the matrix are held at once, then the index
# is built beside them): a 3 GB maintenance Lambda builds up to ~1 GB (700k x 384), a larger
# machine up to 4 GiB. Serving processes load a stored index of any size without its matrix.
BUILD_MEMORY_SHARE = 1 / 3
MAX_BUILD_BYTES = 4 * 1024**3


def build_budget() -> int:
    """Bytes of float32 rows maintenance may read to build a stored index here.

    Example:
        >>> 0 < build_budget() <= MAX_BUILD_BYTES
        True
    """
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return int(min(MAX_BUILD_BYTES, memory * BUILD_MEMORY_SHARE))


def store_warm_index(engine: Engine, coll: CollectionRecord, rows: int, rebuilt: bool) -> bool:
    """Build the in-process index that serving processes use (warm_index.py) and store it
    beside the dataset (stored_index.py), when the collection is one they index and the
    stored one is missing, or behind (``warm_index.behind``: its row count moved by a fifth or
    by 20,000 rows), or Lance's index was just rebuilt (the data moved a lot). Returns whether
    it stored one."""
    location = engine.index_location(coll)
    if location is None or coll.dimension is None:
        return False
    if not engine.warm.wanted(rows) or rows * coll.dimension * 4 > build_budget():
        return False
    files, dataset = location
    stored = stored_versions(files, dataset)
    if stored and not rebuilt and not behind(abs(stored[-1][1] - rows), rows):
        return False
    snap = engine.store.snapshot(coll)
    if snap is None or snap.revs is None:
        return False  # rows from before revisions: serving processes build their own
    index = VectorIndex.build(snap.embeddings, space_of(coll.configuration), tiebreak=snap.seqs)
    ids, revs = snap.ids.tolist(), snap.revs.tolist()
    save(files, dataset, snap.version, index, ids, revs, snap.seqs, snap.norms, snap.fields)
    log.info("stored the warm index of %s at version %s", coll.id, snap.version)
    return True


def maintain(engine: Engine, collection_id: str, force: bool = False) -> Report | None:
    """Maintain one collection by id; None when it no longer exists (deleted meanwhile).

    Example:
        >>> from chromalake.engine.factory import build_engine
        >>> from chromalake.config import Settings
        >>> engine = build_engine(Settings())
        >>> import numpy as np
        >>> coll = engine.create_collection("maint")
        >>> engine.add(coll.id, ["a"], [np.ones(2, np.float32)])
        >>> maintain(engine, coll.id).indexed is None  # 1 row: below the index threshold
        True
    """
    try:
        coll = engine.get_collection_by_id(collection_id)
    except NotFoundError:
        return None
    return maintain_record(engine, coll, force)


def maintain_all(engine: Engine) -> list[Report]:
    """Maintain every collection (the scheduled sweep); one failure does not stop the rest.

    The sweep also removes orphaned datasets (``sweep_orphans``).
    """
    reports = []
    for coll in engine.catalog.all_collections():
        try:
            reports.append(maintain_record(engine, coll, force=True))
        except Exception:
            log.exception("maintenance of collection %s failed", coll.id)
    try:
        sweep_orphans(engine)
    except Exception:
        log.exception("orphan sweep failed")
    return reports


def sweep_orphans(engine: Engine, grace: timedelta = ORPHAN_GRACE) -> list[str]:
    """Delete datasets whose collection the catalog no longer has; returns their ids.

    A delete removes the catalog entry first and then the dataset; a failure in between,
    or a write racing the delete (it recreates the table of a collection just deleted),
    leaves data no collection owns. Only datasets unwritten for ``grace`` go, so a write
    still under way is never cut short. The test is "not in the catalog": a dataset that
    other collections still read keeps a catalog entry.

    Example:
        >>> from chromalake.engine.factory import build_engine
        >>> from chromalake.config import Settings
        >>> sweep_orphans(build_engine(Settings()))  # in memory: nothing outlives its process
        []
    """
    known = {coll.id for coll in engine.catalog.all_collections()}
    cutoff = datetime.now(UTC) - grace
    swept = []
    for dataset in engine.store.datasets():
        if dataset.collection_id in known:
            continue
        written = engine.store.last_written(dataset)
        if written is not None and written.astimezone(UTC) > cutoff:
            continue
        engine.store.remove_dataset(dataset)
        log.info("removed orphaned dataset %s", dataset.collection_id)
        swept.append(dataset.collection_id)
    return swept


# A collection written without pause is still maintained every this many delays.
MAX_WAIT_DELAYS = 10


class BackgroundMaintainer:
    """A daemon thread that maintains collections shortly after they are written.

    ``notify`` is the engine's ``on_write`` listener: it only records the collection id and
    the time, so writes never wait. The thread runs ``maintain`` for a collection once it
    has been quiet for ``delay`` seconds (a burst of writes shares one run), or has waited
    ``MAX_WAIT_DELAYS`` delays under steady writes, and sweeps all collections every
    ``interval`` seconds.

    Example:
        >>> from chromalake.engine.factory import build_engine
        >>> from chromalake.config import Settings
        >>> engine = build_engine(Settings())
        >>> worker = BackgroundMaintainer(engine, delay=0.0, interval=3600.0).start()
        >>> engine.on_write is not None
        True
        >>> worker.stop()
    """

    def __init__(self, engine: Engine, delay: float, interval: float) -> None:
        self._engine = engine
        self._delay = delay
        self._interval = interval
        self._pending: dict[str, float] = {}  # collection id -> its last write
        self._first: dict[str, float] = {}  # collection id -> its first unmaintained write
        self._wake = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(
            target=self._run, name="chromalake-maintenance", daemon=True
        )

    def start(self) -> BackgroundMaintainer:
        self._engine.on_write = self.notify
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._wake:
            self._stopped = True
            self._wake.notify()
        self._thread.join()

    def notify(self, collection_id: str) -> None:
        with self._wake:
            now = time.monotonic()
            self._pending[collection_id] = now
            self._first.setdefault(collection_id, now)
            self._wake.notify()

    def _wait_left(self, collection_id: str, now: float) -> float:
        """Seconds until a collection is due: quiet for ``delay``, or waiting for
        ``MAX_WAIT_DELAYS`` delays. Without the second bound, a collection written without
        pause was never maintained: its fragments and versions piled up, and each write
        got slower and the server bigger (measured with 8 clients writing for minutes)."""
        quiet = self._delay - (now - self._pending[collection_id])
        starved = self._delay * MAX_WAIT_DELAYS - (now - self._first[collection_id])
        return min(quiet, starved)

    def _due(self) -> tuple[list[str], float]:
        """Collections due now (see ``_wait_left``), and how long until the next one is."""
        now = time.monotonic()
        due = [c for c in self._pending if self._wait_left(c, now) <= 0]
        for c in due:
            del self._pending[c]
            del self._first[c]
        waits = [self._wait_left(c, now) for c in self._pending]
        return due, min(waits, default=self._interval)

    def _run(self) -> None:
        next_sweep = time.monotonic() + self._interval
        while True:
            with self._wake:
                due, wait = self._due()
                if not due and not self._stopped:
                    self._wake.wait(min(wait, max(0.0, next_sweep - time.monotonic())))
                    due, _ = self._due()
                if self._stopped:
                    return
            for collection_id in due:
                self._safely(partial(maintain, self._engine, collection_id))
            if time.monotonic() >= next_sweep:
                self._safely(lambda: maintain_all(self._engine))
                next_sweep = time.monotonic() + self._interval

    @staticmethod
    def _safely(job: Callable[[], object]) -> None:
        # A failed run is retried by the next write or sweep; the thread must outlive it.
        try:
            job()
        except Exception:
            log.exception("background maintenance failed")
