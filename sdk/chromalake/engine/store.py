"""Lance storage: one dataset per collection at ``<root>/<tenant>/<database>/<collection_id>``.

This module only moves Arrow data in and out of Lance. What a write means (add ignores
existing ids, update merges metadata) is decided by the engine.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlparse

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.columns import (
    ALL_COLUMNS,
    DOCUMENT,
    EMBEDDING,
    ID,
    REV,
    SEQ,
    ids_predicate,
    record_schema,
)
from chromalake.engine.filters import translate_lance_error
from chromalake.engine.indexes import IndexPlan, SearchParams, trained_partitions
from chromalake.engine.mirror import Mirror
from chromalake.engine.paths import dataset_collection_id, legacy_segment, path_segment
from chromalake.engine.snapshot import Snapshot, extended, read_snapshot
from chromalake.errors import ChromaError, InternalError, InvalidArgumentError, UnavailableError
from chromalake.extras import missing_extra

if TYPE_CHECKING:
    import lancedb

_UNCHANGED_SINCE_READ = f"target.{REV} + 1 = source.{REV}"
MEMORY_ROOT = "memory://"
log = logging.getLogger("chromalake.store")
ID_INDEX = "id_btree"
FTS_INDEX = "document_fts"
# Lance's refusal of a full-text search on a table without an FTS index.
_NO_FTS_INDEX = "Cannot perform full text search unless an INVERTED index"
# ``CollectionRecord.extra`` key: read the collection as it was at this Lance version.
AT_VERSION = "at_version"
# A fork's base version is tagged on its source (``fork-<fork id>``): the tag is how the
# source's dataset itself remembers which versions forks still read (see ``optimize``).
FORK_TAG = "fork-"
# Versions this much older than a fork's base are kept too: the cleanup cut-off is computed
# from clock readings a little apart, and it must never reach the tagged version itself.
_TAG_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class VectorIndex:
    """The collection's ANN index on its embeddings, at one table version."""

    name: str
    distance_type: str
    indexed_rows: int
    unindexed_rows: int


@dataclass(frozen=True)
class VersionInfo:
    """One committed version of a collection's table."""

    version: int
    timestamp: datetime
    rows: int | None


def pinned_version(coll: CollectionRecord) -> int | None:
    """The version a read-only view of the collection reads (None: the latest)."""
    version = coll.extra.get(AT_VERSION)
    return None if version is None else int(version)


def _cache_key(coll: CollectionRecord) -> str:
    version = pinned_version(coll)
    return coll.id if version is None else f"{coll.id}@{version}"


@dataclass(frozen=True)
class TableState:
    """What maintenance looks at: size, layout and index of a collection's table."""

    version: int
    rows: int
    fragments: int
    index: VectorIndex | None
    # Rows the full-text index (built by the first text search) does not cover yet.
    text_unindexed_rows: int = 0


def _lance_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a Lance call, turning its errors into Chroma errors."""
    try:
        return fn(*args, **kwargs)
    except ChromaError:
        raise
    except Exception as e:
        raise _as_chroma(e) from e


def _as_chroma(error: Exception) -> ChromaError:
    """The Chroma error for a Lance failure: the predicate's fault, else an internal one."""
    translated = translate_lance_error(error)
    return translated if translated is not None else InternalError(f"Error executing plan: {error}")


def _open(db: Any, name: str) -> Any | None:
    try:
        return db.open_table(name)
    except ValueError:  # lancedb's "Table '...' was not found"
        return None


def _create_or_open(db: Any, name: str, schema: pa.Schema) -> Any:
    """Create the table, or open it when another writer created it first.

    ``exist_ok=True`` cannot do this: Lance stores the JSON columns as large_binary, so the
    schema it compares against never equals the one given.
    """
    try:
        return db.create_table(name, schema=schema)
    except ValueError:
        table = _open(db, name)
        if table is None:
            raise
        return table


# Lance refuses a commit that lost to one made meanwhile in several ways, all meaning
# "nothing of this write was committed": an incompatible transaction (two writers creating
# a collection's table at once both commit an "Overwrite"), a retryable conflict (a
# compaction beside a delete), a plain commit conflict, and - measured with 8 writers on
# S3 (moto) - "Too many concurrent writers" once Lance's own retries (6 attempts, 30 s)
# are spent. The write is then run again on the latest version, a bounded number of times
# with jittered backoff; past that it is refused as retryable (UnavailableError, a 503),
# never dropped.
COMMIT_ATTEMPTS = 4
LOST_COMMIT = (
    "Incompatible transaction",
    "Retryable commit conflict",
    "Commit conflict",
    "Too many concurrent writers",
)


def lost_commit(error: Exception) -> bool:
    """Whether Lance refused this write's commit because of concurrent writers."""
    return any(marker in str(error) for marker in LOST_COMMIT)


def _committed(table: Any, commit: Any, attempts: int = COMMIT_ATTEMPTS) -> Any:
    """Run a write, again on the latest version when it lost a commit race (``attempts`` in
    all); then UnavailableError, so the caller knows nothing was written and may retry."""
    for attempt in range(attempts):
        try:
            return commit()
        except Exception as e:
            if not lost_commit(e):
                raise
            if attempt == attempts - 1:
                raise UnavailableError(
                    f"Commit conflict: the write lost to concurrent writers {attempts} times "
                    "and was not applied; send it again"
                ) from e
            time.sleep(random.uniform(0.05, 0.1) * 2**attempt)
            table.checkout_latest()
    raise AssertionError("unreachable")


# Lance caches each version's manifest and file metadata it reads (1 GiB by default), and
# every write makes a version: under steady writes a server's memory grew without bound
# (measured: +400 MiB over 800 commits of 10 records). Bounded, it stays flat; the current
# versions of the collections in use fit many times over. Index pages get more room, as
# ANN queries reread them (Lance's default is 6 GiB, more than a Lambda has).
METADATA_CACHE_BYTES = 64 * 1024 * 1024
INDEX_CACHE_BYTES = 1024 * 1024 * 1024


class LanceStore:
    """Collections' records in Lance datasets under one root (a directory, memory:// or s3://)."""

    def __init__(
        self,
        root: str,
        storage_options: dict[str, str] | None = None,
        mirror: Mirror | None = None,
    ) -> None:
        self._root = root.rstrip("/") if root != MEMORY_ROOT else root
        self._storage_options = storage_options
        self._lock = threading.RLock()
        self._connections: dict[str, lancedb.DBConnection] = {}
        self._tables: dict[str, Any] = {}
        self._snapshots: dict[str, Snapshot] = {}
        self._indexes: dict[str, tuple[int, VectorIndex | None]] = {}
        self._probe: Any = None
        # Told (collection id, version) after every commit: the engine records it in the
        # catalog, which is how readers elsewhere learn that their handle is stale.
        self.on_commit: Callable[[str, int], None] | None = None
        # Collection id -> its database URI, for collections found at chromalake 0.1's place.
        self._legacy: dict[str, str] = {}
        # Local copies of S3 datasets for reads (engine/mirror.py), when given one: the
        # dataset URI and manifest naming of each collection, and its local table.
        self._mirror = mirror
        self._sources: dict[str, tuple[str, bool]] = {}
        self._copies: dict[str, Any] = {}
        self._session: Any = None  # one cache for all of this store's connections
        # Importing lancedb costs 1-2 s (lance-notes §0.9): paid when the store is made (a
        # server's or a Lambda's start, a client's creation), not by the first request.
        _lancedb()

    @property
    def in_memory(self) -> bool:
        return self._root == MEMORY_ROOT

    def _database_uri(self, coll: CollectionRecord, segment: Callable[[str], str]) -> str:
        if self.in_memory:
            return MEMORY_ROOT
        return f"{self._root}/{segment(coll.tenant)}/{segment(coll.database)}"

    def _connection(self, coll: CollectionRecord) -> lancedb.DBConnection:
        """The connection to the collection's database directory (paths.py): where it was
        found, for a collection written by chromalake 0.1 under a name it encoded otherwise."""
        with self._lock:
            uri = self._legacy.get(coll.id) or self._database_uri(coll, path_segment)
        return self._connect(uri)

    def _connect(self, uri: str) -> lancedb.DBConnection:
        lancedb = _lancedb()
        with self._lock:
            if self._session is None:
                self._session = lancedb.Session(
                    index_cache_size_bytes=INDEX_CACHE_BYTES,
                    metadata_cache_size_bytes=METADATA_CACHE_BYTES,
                )
            if uri not in self._connections:
                self._connections[uri] = lancedb.connect(
                    uri, storage_options=self._storage_options, session=self._session
                )
            return self._connections[uri]

    def _open_table(self, coll: CollectionRecord) -> Any | None:
        """Open the collection's table where it is; None if it has none yet."""
        table = _open(self._connection(coll), coll.id)
        legacy = self._database_uri(coll, legacy_segment)
        if table is not None or legacy == self._database_uri(coll, path_segment):
            return table
        if "://" not in legacy and not os.path.isdir(legacy):
            return None  # (connecting would create the directory)
        try:
            table = _open(self._connect(legacy), coll.id)
        except Exception:  # a name 0.1 could not store either: nothing is there
            return None
        if table is not None:
            with self._lock:
                self._legacy[coll.id] = legacy
        return table

    def _table(
        self, coll: CollectionRecord, create: bool = False, latest: bool = False
    ) -> Any | None:
        """The collection's table; None if nothing was ever written (:meth:`_versioned`)."""
        found = self._versioned(coll, create, latest)
        return None if found is None else found[0]

    def _versioned(
        self, coll: CollectionRecord, create: bool = False, latest: bool = False
    ) -> tuple[Any, int] | None:
        """The collection's table and the version it holds; None if nothing was ever written.

        Fresh without asking storage: a handle at least at the version the catalog recorded
        (``coll.version``, read with the collection by every request) holds every commit a
        writer acknowledged. Only an older handle, or a writer (``latest``: it must merge
        into the newest rows), checks for the latest version (a listing of ``_versions/``).
        The version is looked up once: each lookup is a hop to lancedb's event loop (~0.2
        ms), a fifth of a warm query's time.
        """
        if pinned_version(coll) is not None:
            pinned = self._pinned(coll)
            return None if pinned is None else (pinned, _version_of(pinned))
        with self._lock:
            table = self._tables.get(coll.id)
        if table is not None:
            if latest and not self.in_memory:
                _lance_call(table.checkout_latest)
            version = _version_of(table)
            if not self.in_memory and (coll.version is None or version < coll.version):
                _lance_call(table.checkout_latest)
                version = _version_of(table)
            return table, version
        table = self._open_table(coll)
        if table is None and create and coll.dimension is not None:
            table = _create_or_open(self._connection(coll), coll.id, record_schema(coll.dimension))
        if table is None:
            return None  # not created yet: no write has carried embeddings
        with self._lock:
            self._tables[coll.id] = table
        return table, _version_of(table)

    def _reader(self, coll: CollectionRecord) -> Any | None:
        """The table a read runs on (:meth:`_versioned_reader`)."""
        found = self._versioned_reader(coll)
        return None if found is None else found[0]

    def _versioned_reader(self, coll: CollectionRecord) -> tuple[Any, int] | None:
        """The table a read runs on and its version: the local copy (engine/mirror.py) once it
        holds the catalog's version, so a warm read sends no request to S3; else the S3 table."""
        if self._mirror is not None and coll.version is not None and not pinned_version(coll):
            local = self._local_copy(coll, coll.version)
            if local is not None:
                return local
        return self._versioned(coll)

    def _local_copy(self, coll: CollectionRecord, version: int) -> tuple[Any, int] | None:
        """The local copy's table at ``version`` or later and its version, None while there
        is none."""
        assert self._mirror is not None
        with self._lock:
            source = self._sources.get(coll.id)
        if source is None:
            table = self._table(coll)
            if table is None:
                return None
            source = (str(table.uri), bool(_lance_call(table.uses_v2_manifest_paths)))
            with self._lock:
                self._sources[coll.id] = source
        uri, v2_paths = source
        if not self._mirror.holds(uri, version) and not self._mirror.follow(uri, version, v2_paths):
            return None
        with self._lock:
            local = self._copies.get(coll.id)
        if local is None:
            directory = self._mirror.local(uri)
            local = _open(self._connect(str(directory.parent)), coll.id)
            if local is None:
                return None
            with self._lock:
                self._copies[coll.id] = local
        held = _version_of(local)
        if held < version:
            _lance_call(local.checkout_latest)  # the copy's own directory: no request
            held = _version_of(local)
        return local, held

    def _pinned(self, coll: CollectionRecord) -> Any | None:
        """A handle of its own checked out at the view's version (a shared one would move)."""
        key, version = _cache_key(coll), pinned_version(coll)
        with self._lock:
            table = self._tables.get(key)
        if table is not None:
            return table
        table = self._open_table(coll)
        if table is None:
            raise InvalidArgumentError(f"Collection [{coll.id}] has no version {version}")
        known = {int(v["version"]) for v in _lance_call(table.list_versions)}
        if version not in known:
            raise InvalidArgumentError(f"Collection [{coll.id}] has no version {version}")
        _lance_call(table.checkout, version)
        with self._lock:
            self._tables[key] = table
        return table

    def drop(self, coll: CollectionRecord) -> None:
        with self._lock:
            self._sources.pop(coll.id, None)
            self._copies.pop(coll.id, None)
            for cache in (self._tables, self._snapshots, self._indexes):
                for key in [k for k in cache if k == coll.id or k.startswith(coll.id + "@")]:
                    cache.pop(key, None)
        # A collection that never received embeddings has no table to drop.
        with suppress(ValueError, FileNotFoundError):
            self._open_table(coll)  # finds where it is, if it moved
            self._connection(coll).drop_table(coll.id)
        with self._lock:
            self._legacy.pop(coll.id, None)

    def forget(self) -> None:
        """Drop cached handles (after a reset wiped the root)."""
        with self._lock:
            self._tables.clear()
            self._snapshots.clear()
            self._indexes.clear()
            self._connections.clear()
            self._sources.clear()
            self._copies.clear()

    def validate(self, predicate: str) -> None:
        """Raise Chroma's error if Lance cannot plan ``predicate`` (e.g. a bad regex).

        A collection without a table yet never runs its filter, so its errors would pass
        unnoticed; planning it on an empty in-memory table of the same schema reports them.
        """
        lancedb = _lancedb()
        with self._lock:
            if self._probe is None:
                db = lancedb.connect(MEMORY_ROOT)
                self._probe = db.create_table("probe", schema=record_schema(1))
            probe = self._probe
        _lance_call(lambda: probe.search().where(predicate).select([ID]).to_arrow())

    def count(self, coll: CollectionRecord) -> int:
        table = self._reader(coll)
        return 0 if table is None else int(_lance_call(table.count_rows))

    def select(
        self, coll: CollectionRecord, predicate: str | None, columns: list[str]
    ) -> pa.Table | None:
        """Rows matching ``predicate`` (all rows when None), in storage order."""
        table = self._reader(coll)
        if table is None:
            return None
        query = table.search()
        if predicate is not None:
            query = query.where(predicate)
        return _lance_call(lambda: query.select(columns).to_arrow())

    def _writable(self, coll: CollectionRecord) -> Any:
        """The collection's table, created on its first write (which fixed the dimension)."""
        table = self._table(coll, create=True, latest=True)
        if table is None:
            raise InternalError(f"Collection [{coll.id}] has no dimension to store records with")
        return _with_revisions(table)

    def _commit(self, coll: CollectionRecord, table: Any, write: Callable[[], Any]) -> Any:
        """Run a write (again on the latest version if it lost a commit race), then tell
        ``on_commit`` the version it made."""
        result = _lance_call(_committed, table, write)
        self._recorded(coll.id, table)
        return result

    def _recorded(self, collection_id: str, table: Any) -> None:
        if self.on_commit is not None:
            self.on_commit(collection_id, _version_of(table))

    def rows_to_change(self, coll: CollectionRecord, ids: list[str]) -> pa.Table:
        """The stored rows of ``ids`` with every column and their revisions, as a writer
        merging into them reads them (an older table gets its ``REV`` column first)."""
        table = self._writable(coll)
        columns = [*ALL_COLUMNS, REV]
        return _lance_call(
            lambda: table.search().where(ids_predicate(ids)).select(columns).to_arrow()
        )

    def insert_new(self, coll: CollectionRecord, rows: pa.Table) -> int:
        """Insert rows whose id is not stored yet; rows with a stored id are ignored.

        Returns how many were inserted."""
        table = self._writable(coll)
        result = self._commit(
            coll,
            table,
            lambda: table.merge_insert(ID).when_not_matched_insert_all().execute(rows),
        )
        return int(result.num_inserted_rows)

    def update_unchanged(self, coll: CollectionRecord, rows: pa.Table) -> int:
        """Replace the stored rows with these ids where each still has the revision before
        the row's own (``REV``); returns how many were replaced. A row another writer
        changed or deleted since it was read is left as it is, for the caller to redo."""
        table = self._writable(coll)
        # Not through the BTREE on `id`: lancedb 0.40 panics evaluating a condition on rows
        # it found by index when the table has JSON columns ("Incorrect datatype for
        # StructArray field m_int, expected Utf8 got LargeBinary"). Joining by scan costs
        # little at 100k rows (19 ms against 16 ms for 10 rows) and ~300 ms at 1M.
        result = self._commit(
            coll,
            table,
            lambda: (
                table.merge_insert(ID)
                .when_matched_update_all(where=_UNCHANGED_SINCE_READ)
                .use_index(False)
                .execute(rows)
            ),
        )
        return int(result.num_updated_rows)

    def delete(self, coll: CollectionRecord, ids: list[str]) -> None:
        table = self._table(coll, latest=True)
        if table is not None and ids:
            self._commit(coll, table, lambda: table.delete(ids_predicate(ids)))

    def delete_where(self, coll: CollectionRecord, predicate: str) -> int:
        """Delete the rows matching ``predicate`` at the commit (Lance evaluates it again when
        it retries a commit that lost a race); returns how many were deleted."""
        table = self._table(coll, latest=True)
        if table is None:
            return 0
        result = self._commit(coll, table, lambda: table.delete(predicate))
        return int(result.num_deleted_rows)

    def snapshot(self, coll: CollectionRecord) -> Snapshot | None:
        """The rows held in memory (ids, sequences, embeddings, and the other fields when they
        fit), for exact search, the warm index and reads by id; cached per Lance version."""
        found = self._versioned_reader(coll)
        if found is None:
            return None
        table, version = found
        with self._lock:
            cached = self._snapshots.get(_cache_key(coll))
        if cached is not None and cached.version == version:
            return cached
        snap: Snapshot | None = None
        if cached is not None:
            snap = _lance_call(extended, table, cached, version)
        if snap is None:
            snap = cast(Snapshot, _lance_call(read_snapshot, table, version, True))
        with self._lock:
            self._snapshots[_cache_key(coll)] = snap
        return snap

    def settled_snapshot(self, coll: CollectionRecord, timeout: float = 600.0) -> Snapshot | None:
        """:meth:`snapshot`, read once this store's local copy of the collection (on S3) is
        complete: a background load then reads local files, instead of fetching every row
        from S3 a second time beside the copy (and slowing the requests served meanwhile)."""
        if self._mirror is not None and coll.version is not None and not pinned_version(coll):
            self._versioned_reader(coll)  # starts the copy if none is under way
            with self._lock:
                source = self._sources.get(coll.id)
            if source is not None:
                self._mirror.await_copy(source[0], timeout)
        return self.snapshot(coll)

    def dataset_uri(self, coll: CollectionRecord) -> str | None:
        """Where the collection's dataset lives (a directory, or an s3:// URI); None before
        its first write."""
        table = self._table(coll)
        return None if table is None else str(table.uri)

    def held_snapshot(self, coll: CollectionRecord) -> Snapshot | None:
        """The snapshot of the collection's current version if this process holds it (a
        query or the warm index read it), without reading one: None otherwise."""
        with self._lock:
            cached = self._snapshots.get(_cache_key(coll))
        if cached is None:
            return None
        found = self._versioned_reader(coll)
        return cached if found is not None and found[1] == cached.version else None

    def forget_snapshot(self, coll: CollectionRecord) -> None:
        """Drop the cached exact-search matrix (an indexed collection no longer needs it)."""
        with self._lock:
            self._snapshots.pop(coll.id, None)

    # -- ANN index and maintenance --------------------------------------------------------

    def vector_index(self, coll: CollectionRecord) -> VectorIndex | None:
        """The collection's ANN index at the latest version, cached per Lance version.

        The version check is the freshness check a warm handler pays per query (one listing
        of the table's versions); the index listing is only read again when it moved.
        """
        found = self._versioned_reader(coll)
        if found is None:
            return None
        table, version = found
        with self._lock:
            cached = self._indexes.get(_cache_key(coll))
        if cached is not None and cached[0] == version:
            return cached[1]
        index: VectorIndex | None = _lance_call(_vector_index, table)
        with self._lock:
            self._indexes[_cache_key(coll)] = (version, index)
        return index

    def state(self, coll: CollectionRecord) -> TableState | None:
        """Rows, fragments and index of the collection's latest version; None without a table."""
        table = self._table(coll)
        if table is None:
            return None
        stats = _lance_call(table.stats)
        indices = _lance_call(table.list_indices)  # listed once for both indexes
        return TableState(
            version=_version_of(table),
            rows=int(stats["num_rows"]),
            fragments=int(stats["fragment_stats"]["num_fragments"]),
            index=_lance_call(_vector_index, table, indices),
            text_unindexed_rows=_lance_call(_text_unindexed_rows, table, indices),
        )

    def count_where(self, coll: CollectionRecord, predicate: str | None) -> int:
        """How many rows match ``predicate`` (all rows when None)."""
        table = self._reader(coll)
        if table is None:
            return 0
        return int(_lance_call(table.count_rows, predicate))

    def ann(
        self,
        coll: CollectionRecord,
        query: npt.NDArray[np.float32],
        limit: int,
        predicate: str | None,
        index: VectorIndex,
        params: SearchParams,
    ) -> pa.Table:
        """Up to ``limit`` nearest rows (id, seq, embedding) by the ANN index, filter first.

        The filter is a prefilter: rows failing it are never candidates, so a selective
        filter cannot empty the result. Rows written since the index was last optimised are
        scanned exactly beside it, so a query sees every committed write.
        """
        table = self._reader(coll)
        if table is None:
            return pa.table({ID: pa.array([], pa.utf8())})
        search = (
            table.search(query, vector_column_name=EMBEDDING)
            .distance_type(index.distance_type)
            .minimum_nprobes(params.min_nprobes)
            .maximum_nprobes(params.max_nprobes)
            .refine_factor(params.refine_factor)
            .limit(limit)
        )
        if predicate is not None:
            search = search.where(predicate, prefilter=True)
        # `_distance` is selected so Lance does not warn about its auto-projection.
        return _lance_call(lambda: search.select([ID, SEQ, EMBEDDING, "_distance"]).to_arrow())

    def full_text(
        self, coll: CollectionRecord, text: str, limit: int, predicate: str | None
    ) -> pa.Table | None:
        """Up to ``limit`` records whose document matches ``text``, best BM25 first (id, seq,
        ``_score``: higher is better), filter first.

        Lance's FTS index is built on the first full-text search of a collection; rows
        written after it are searched too (Lance scans unindexed fragments beside the
        index) until maintenance's optimize folds them in.
        """
        table = self._reader(coll)
        if table is None or limit <= 0:
            return None

        def run(on: Any) -> pa.Table:
            search = on.search(text, query_type="fts").limit(limit)
            if predicate is not None:
                search = search.where(predicate, prefilter=True)
            return search.select([ID, SEQ, "_score"]).to_arrow()

        try:
            return run(table)
        except Exception as e:
            if _NO_FTS_INDEX not in str(e):
                raise _as_chroma(e) from e
        self.ensure_fts_index(coll)
        # On the latest S3 table: the version with the index just built.
        return _lance_call(run, self._table(coll, latest=True))

    def ensure_fts_index(self, coll: CollectionRecord) -> bool:
        """Give ``document`` Lance's full-text (BM25) index if it has none; True when built."""
        from lancedb.index import FTS

        return self._ensure_index(coll, DOCUMENT, FTS(), FTS_INDEX)

    def build_index(self, coll: CollectionRecord, plan: IndexPlan) -> None:
        """Train and commit the ANN index ``plan`` describes, replacing an older one of ours.

        Concurrent writers keep committing meanwhile: their rows land in fragments the new
        index does not cover yet, which queries scan exactly until the next optimise.
        """
        from lancedb.index import IvfPq, IvfSq

        table = self._writable(coll)
        metric: Any = plan.distance_type  # one of lancedb's Literal names (indexes.py)
        config = (
            IvfPq(
                distance_type=metric,
                num_partitions=plan.num_partitions,
                num_sub_vectors=plan.num_sub_vectors,
            )
            if plan.index_type == "IVF_PQ"
            else IvfSq(distance_type=metric, num_partitions=plan.num_partitions)
        )
        old = _lance_call(_vector_index, table)
        self._commit(
            coll,
            table,
            lambda: table.create_index(EMBEDDING, config=config, name=plan.name, replace=True),
        )
        if old is not None and old.name != plan.name:
            self._commit(coll, table, lambda: table.drop_index(old.name))
        self.forget_snapshot(coll)

    def ensure_id_index(self, coll: CollectionRecord) -> bool:
        """Give ``id`` a BTREE index if it has none; True when one was built.

        Lookups by id (get, update, upsert's merge, delete) then read a few pages instead of
        scanning the id column (lance-notes §4: 18 -> 6 ms for 10 ids at 100k rows); optimize
        keeps it current as rows arrive.
        """
        from lancedb.index import BTree

        return self._ensure_index(coll, ID, BTree(), ID_INDEX)

    def _ensure_index(self, coll: CollectionRecord, column: str, config: Any, name: str) -> bool:
        """Give ``column`` the index ``config`` (as ``name``) unless it has one; True if built."""
        table = self._writable(coll)
        if any(column in index.columns for index in _lance_call(table.list_indices)):
            return False
        self._commit(
            coll,
            table,
            lambda: table.create_index(column, config=config, name=name, replace=True),
        )
        return True

    def optimize(self, coll: CollectionRecord, retention: timedelta) -> None:
        """Compact small fragments, add new rows to the index, drop versions past ``retention``.

        Safe beside writers: Lance commits each step conditionally and rebases a writer's
        commit over a compaction; versions younger than ``retention`` stay readable.
        """
        table = self._table(coll, latest=True)
        if table is None:
            return
        keep = _retention_with_forks(table, retention)
        try:
            self._commit(coll, table, lambda: table.optimize(cleanup_older_than=keep))
        except UnavailableError:
            # Writers kept winning: their commits stand, and the next run compacts from the
            # latest version. Maintenance yields rather than fails.
            log.info("optimize of %s yielded to concurrent writers", coll.id)

    # -- datasets on their own, for the orphan sweep ---------------------------------------

    def datasets(self) -> list[StoredDataset]:
        """Every collection dataset under the root.

        Listed from storage, not from the catalog: the orphan sweep compares the two.
        Datasets in memory die with the process, so there is nothing to list there.
        """
        if self.in_memory:
            return []
        filesystem, base = self._filesystem()
        return [
            StoredDataset(path=dataset, collection_id=collection_id)
            for tenant in _subdirectories(filesystem, base)
            for database in _subdirectories(filesystem, tenant)
            for dataset in _subdirectories(filesystem, database)
            for collection_id in [dataset_collection_id(dataset.rsplit("/", 1)[-1])]
            if collection_id is not None
        ]

    def last_written(self, dataset: StoredDataset) -> datetime | None:
        """When any file of the dataset last changed (None if it has none left)."""
        from pyarrow import fs

        filesystem, _ = self._filesystem()
        try:
            files = filesystem.get_file_info(fs.FileSelector(dataset.path, recursive=True))
        except FileNotFoundError:
            return None
        times = [f.mtime for f in files if f.mtime is not None]
        return max(times) if times else None

    def remove_dataset(self, dataset: StoredDataset) -> None:
        """Delete a dataset's files (one the catalog no longer knows)."""
        filesystem, _ = self._filesystem()
        with suppress(FileNotFoundError):
            filesystem.delete_dir(dataset.path)

    def _filesystem(self) -> tuple[Any, str]:
        """A pyarrow filesystem for the root, and the root's path inside it."""
        from pyarrow import fs

        if not self._root.startswith("s3://"):
            return fs.LocalFileSystem(), self._root
        options = self._storage_options or {}
        kwargs: dict[str, Any] = {}
        if "aws_endpoint" in options:
            endpoint = urlparse(options["aws_endpoint"])
            kwargs.update(endpoint_override=endpoint.netloc, scheme=endpoint.scheme)
        if "aws_region" in options:
            kwargs["region"] = options["aws_region"]
        return fs.S3FileSystem(**kwargs), self._root.removeprefix("s3://")

    # -- forks and versions (chromalake extensions, engine/forks.py) ----------------------

    def clone(
        self, source: CollectionRecord, target: CollectionRecord, version: int | None = None
    ) -> int | None:
        """Make ``target``'s table a copy-on-write clone of ``source``'s at ``version`` (the
        latest when None); returns the version cloned, None when the source has no table.

        On disk and S3 the clone is shallow: a manifest naming the source's data files, which
        a tag on the source protects from cleanup (``optimize``). ``memory://`` cannot clone,
        so there the rows are copied.
        """
        table = self._table(source)
        if table is None:
            return None
        base = _version_of(table) if version is None else version
        db: Any = self._connection(target)  # a LanceDBConnection: it has clone_table
        if self.in_memory:
            pinned = self._pinned(source.with_changes(extra={AT_VERSION: base}))
            rows = _lance_call(lambda: cast(Any, pinned).search().to_arrow())
            _lance_call(db.create_table, target.id, data=rows)
            return base
        tag = FORK_TAG + target.id
        _lance_call(table.tags.create, tag, base)
        try:
            uri = _lance_call(lambda: table.uri)
            with _object_store_environment(self._storage_options):
                _lance_call(db.clone_table, target.id, uri, source_version=base)
        except Exception:
            with suppress(Exception):
                table.tags.delete(tag)
            raise
        return base

    def record_latest(self, coll: CollectionRecord) -> None:
        """Tell ``on_commit`` the collection's latest version (a table made otherwise than
        by a commit of this store, e.g. a clone)."""
        table = self._table(coll, latest=True)
        if table is not None:
            self._recorded(coll.id, table)

    def release(self, source: CollectionRecord, fork_id: str) -> None:
        """Forget that the fork ``fork_id`` reads ``source``'s files (drop its tag)."""
        if self.in_memory:
            return
        table = self._table(source)
        if table is not None and FORK_TAG + fork_id in _lance_call(table.tags.list):
            _lance_call(table.tags.delete, FORK_TAG + fork_id)

    def fork_bases(self, coll: CollectionRecord) -> dict[str, VersionInfo]:
        """Fork id -> the base version it tagged on this collection's table."""
        table = None if self.in_memory else self._table(coll)
        if table is None:
            return {}
        tags = _lance_call(table.tags.list)
        if not tags:
            return {}
        by_number = {v.version: v for v in self.versions(coll)}
        return {
            name.removeprefix(FORK_TAG): by_number[int(tag["version"])]
            for name, tag in tags.items()
            if name.startswith(FORK_TAG) and int(tag["version"]) in by_number
        }

    def versions(self, coll: CollectionRecord) -> list[VersionInfo]:
        """The collection's table versions still stored, oldest first."""
        table = self._table(coll)
        if table is None:
            return []
        return [
            VersionInfo(
                version=int(v["version"]),
                timestamp=v["timestamp"],
                rows=_int_or_none((v.get("metadata") or {}).get("total_rows")),
            )
            for v in _lance_call(table.list_versions)
        ]

    def restore(self, coll: CollectionRecord, version: int) -> int:
        """Commit a new latest version equal to ``version``; returns the new version number."""
        table = self._table(coll, latest=True)
        known = {v.version for v in self.versions(coll)}
        if table is None or version not in known:
            raise InvalidArgumentError(f"Collection [{coll.id}] has no version {version}")
        _lance_call(table.restore, version)
        self._recorded(coll.id, table)
        return _version_of(table)


def _lancedb() -> Any:
    """The lancedb module (imported once; Python caches it)."""
    try:
        import lancedb
    except ModuleNotFoundError as error:
        raise missing_extra(error) from None
    return lancedb


def _version_of(table: Any) -> int:
    return int(_lance_call(lambda: table.version))


def _with_revisions(table: Any) -> Any:
    """The table, given the ``REV`` column if it was created before revisions existed.

    Every stored record gets revision 0; two processes adding it at once is fine (the
    loser finds it there).
    """
    if REV in table.schema.names:
        return table
    try:
        _committed(table, lambda: table.add_columns({REV: "CAST(0 AS BIGINT)"}))
    except Exception:
        table.checkout_latest()
        if REV not in table.schema.names:
            raise
    return table


def _text_unindexed_rows(table: Any, indices: list[Any]) -> int:
    """How many rows the document FTS index lacks (0 when there is no such index)."""
    for config in indices:
        if DOCUMENT in config.columns:
            stats = table.index_stats(config.name)
            return 0 if stats is None else int(stats.num_unindexed_rows)
    return 0


def _vector_index(table: Any, indices: list[Any] | None = None) -> VectorIndex | None:
    """Our ANN index on the embedding column, with its coverage; None when there is none.

    ``indices``: the table's index list when the caller has already read it."""
    for config in table.list_indices() if indices is None else indices:
        if EMBEDDING in config.columns and trained_partitions(config.name) is not None:
            stats = table.index_stats(config.name)
            if stats is None:
                return None
            return VectorIndex(
                name=config.name,
                distance_type=str(stats.distance_type or "l2"),
                indexed_rows=int(stats.num_indexed_rows),
                unindexed_rows=int(stats.num_unindexed_rows),
            )
    return None


# lancedb 0.40's clone_table opens a dataset without the connection's storage_options
# (lance-notes §1): only the AWS_* environment reaches that code path. So while a clone
# runs, the environment says what the storage options say (a custom endpoint, e.g. MinIO
# or a local moto); on AWS itself nothing needs to change. Reads and writes of the clone
# afterwards use the storage options as usual.
_ENVIRONMENT_OF = {"aws_endpoint": "AWS_ENDPOINT", "allow_http": "AWS_ALLOW_HTTP"}
_environment_lock = threading.Lock()


@contextmanager
def _object_store_environment(options: dict[str, str] | None) -> Iterator[None]:
    given = options or {}
    wanted = {env: given[key] for key, env in _ENVIRONMENT_OF.items() if key in given}
    if "aws_region" in given and "AWS_REGION" not in os.environ:
        wanted["AWS_REGION"] = given["aws_region"]
    if not wanted:
        yield
        return
    with _environment_lock:
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _retention_with_forks(table: Any, retention: timedelta) -> timedelta:
    """How old a version must be for cleanup to delete it, given the forks reading this table.

    lancedb's cleanup refuses to run at all once a tagged version is old enough to go (and
    its Python API cannot tell it to skip tags). So the cut-off stays just before the
    oldest fork's base version: that version and its files are kept, and so is everything
    after it; versions before it are cleaned as usual.
    """
    tagged = {int(t["version"]) for t in table.tags.list().values()}
    if not tagged:
        return retention
    stamps = {int(v["version"]): v["timestamp"] for v in table.list_versions()}
    oldest = min((stamps[v] for v in tagged if v in stamps), default=None)
    if oldest is None:
        return retention
    age: timedelta = datetime.now(oldest.tzinfo) - oldest + _TAG_MARGIN
    return max(retention, age)


@dataclass(frozen=True)
class StoredDataset:
    """A collection's dataset as found in storage."""

    path: str  # inside the root's filesystem
    collection_id: str


def _subdirectories(filesystem: Any, path: str) -> list[str]:
    from pyarrow import fs

    try:
        infos = filesystem.get_file_info(fs.FileSelector(path))
    except FileNotFoundError:
        return []
    return [info.path for info in infos if info.type == fs.FileType.Directory]
