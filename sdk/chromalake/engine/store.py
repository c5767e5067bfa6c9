"""Lance storage: one dataset per collection at ``<root>/<tenant>/<database>/<collection_id>``.

This module only moves Arrow data in and out of Lance. What a write means (add ignores
existing ids, update merges metadata) is decided by the engine. Beside it: ``lance_calls``
(Lance's errors as Chroma's, commits retried), ``table_indexes`` (the table's indexes and
their coverage), ``table_versions`` (version listings, fork tags and clones) and
``dataset_files`` (the datasets as files, for the orphan sweep).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chromalake.engine import table_versions
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
from chromalake.engine.dataset_files import DatasetFiles, StoredDataset
from chromalake.engine.indexes import IndexPlan, SearchParams
from chromalake.engine.lance_calls import (
    _as_chroma,
    _committed,
    _create_or_open,
    _lance_call,
    _open,
    _with_revisions,
)
from chromalake.engine.mirror import Mirror
from chromalake.engine.paths import legacy_segment, path_segment
from chromalake.engine.snapshot import Snapshot, extended, read_snapshot, with_fields
from chromalake.engine.table_indexes import (
    FTS_INDEX,
    ID_INDEX,
    _text_unindexed_rows,
    _vector_index,
    ann_config,
)
from chromalake.engine.table_indexes import TableState as TableState  # for maintenance.py
from chromalake.engine.table_indexes import VectorIndex as VectorIndex  # for ann.py
from chromalake.engine.table_versions import VersionInfo
from chromalake.errors import InternalError, InvalidArgumentError, UnavailableError
from chromalake.extras import missing_extra

if TYPE_CHECKING:
    import lancedb

_UNCHANGED_SINCE_READ = f"target.{REV} + 1 = source.{REV}"
MEMORY_ROOT = "memory://"
log = logging.getLogger("chromalake.store")
# Lance's refusal of a full-text search on a table without an FTS index.
_NO_FTS_INDEX = "Cannot perform full text search unless an INVERTED index"
# ``CollectionRecord.extra`` key: read the collection as it was at this Lance version.
AT_VERSION = "at_version"


def pinned_version(coll: CollectionRecord) -> int | None:
    """The version a read-only view of the collection reads (None: the latest)."""
    version = coll.extra.get(AT_VERSION)
    return None if version is None else int(version)


def _cache_key(coll: CollectionRecord) -> str:
    version = pinned_version(coll)
    return coll.id if version is None else f"{coll.id}@{version}"


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
        # Collection id -> the version its shared handle was last seen at. A handle moves only
        # by this store's calls (lancedb re-reads nothing by itself), and each that moves it
        # drops the entry, so a read that finds its snapshot at this version and the catalog
        # no further needs no version lookup: a hop to lancedb's event loop, ~0.1 ms idle and
        # 0.3-0.5 ms on a busy machine, a third of a warm query (issue 21).
        self._seen: dict[str, int] = {}
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
        self._copies: dict[str, tuple[Any, int]] = {}
        self._session: Any = None  # one cache for all of this store's connections
        self._files = DatasetFiles(self._root, storage_options)
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
            if latest:  # a writer: the handle moves next
                self._seen.pop(coll.id, None)
        if table is not None:
            held = None if latest else _version_of(table)
            stale = held is None or coll.version is None or held < coll.version
            if stale and not self.in_memory:
                _lance_call(table.checkout_latest)  # once, and only when it may be behind
                held = None
            return table, self._saw(coll, table, held, latest)
        table = self._open_table(coll)
        if table is None and create and coll.dimension is not None:
            table = _create_or_open(self._connection(coll), coll.id, record_schema(coll.dimension))
        if table is None:
            return None  # not created yet: no write has carried embeddings
        with self._lock:
            self._tables[coll.id] = table
        return table, self._saw(coll, table, None, latest)

    def _saw(self, coll: CollectionRecord, table: Any, held: int | None, latest: bool) -> int:
        """The shared handle's version (``held`` when just read), remembered for readers."""
        version = _version_of(table) if held is None else held
        if not latest:
            with self._lock:
                if self._tables.get(coll.id) is table:
                    self._seen[coll.id] = version
        return version

    def _known(self, coll: CollectionRecord) -> int | None:
        """The version a read of ``coll`` would find, when known without asking Lance: the
        shared handle was last seen there, has not moved since, and the catalog records no
        later write (another process's); None otherwise, and for version views and reads
        from a local copy."""
        if coll.version is None or self._mirror is not None or pinned_version(coll) is not None:
            return None
        with self._lock:
            seen = self._seen.get(coll.id)
        return seen if seen is not None and coll.version <= seen else None

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
            found = self._copies.get(coll.id)
        if found is None:
            directory = self._mirror.local(uri)
            local = _open(self._connect(str(directory.parent)), coll.id)
            if local is None:
                return None
            found = (local, _version_of(local))
        local, held = found
        if held < version:
            _lance_call(local.checkout_latest)  # the copy's own directory: no request
            held = _version_of(local)
        with self._lock:
            # Only this method moves a copy's handle: its version is kept here rather than
            # asked of lancedb by every read (a hop to its event loop, 0.2-2 ms).
            self._copies[coll.id] = (local, held)
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
            self._seen.pop(coll.id, None)
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
            self._seen.clear()
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
        with self._lock:
            self._seen.pop(coll.id, None)
        result = _lance_call(_committed, table, write)
        self._recorded(coll.id, table)
        return result

    def _recorded(self, collection_id: str, table: Any) -> None:
        with self._lock:
            self._seen.pop(collection_id, None)  # the handle moved
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
        with self._lock:
            cached = self._snapshots.get(_cache_key(coll))
        if cached is not None and cached.version == self._known(coll):
            return cached
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
            snap = cast(Snapshot, _lance_call(read_snapshot, table, version))
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

    def seed_snapshot(self, coll: CollectionRecord, snap: Snapshot) -> None:
        """Hold ``snap`` (made from a stored index, its vectors left in the index's file) as
        the collection's snapshot, unless one of a later version is held: the next
        :meth:`snapshot` brings it forward by reading only the rows written since."""
        with self._lock:
            cached = self._snapshots.get(_cache_key(coll))
            if cached is None or cached.version < snap.version:
                self._snapshots[_cache_key(coll)] = snap

    def fill_fields(self, coll: CollectionRecord) -> None:
        """Read the fields (documents, metadata) of the rows of the held snapshot when it has
        none (made from a stored index): once the local copy is complete on S3, so that gets
        and query results come from memory. Nothing when the snapshot moved on meanwhile (a
        later one reads them as it is brought forward)."""
        snap = self.settled_snapshot(coll)
        if snap is None or snap.fields is not None:
            return
        found = self._versioned_reader(coll)
        if found is None or found[1] != snap.version:
            return
        filled = _lance_call(with_fields, found[0], snap)
        with self._lock:
            if self._snapshots.get(_cache_key(coll)) is not snap:
                return
            if filled is None:
                snap.fields_unread = False  # too big to hold: served from Lance, not retried
            else:
                self._snapshots[_cache_key(coll)] = filled

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
        if cached.version == self._known(coll):
            return cached
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
        with self._lock:
            cached = self._indexes.get(_cache_key(coll))
        if cached is not None and cached[0] == self._known(coll):
            return cached[1]
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
        table = self._writable(coll)
        config = ann_config(plan)
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
        keep = table_versions.retention_with_forks(table, retention)
        try:
            self._commit(coll, table, lambda: table.optimize(cleanup_older_than=keep))
        except UnavailableError:
            # Writers kept winning: their commits stand, and the next run compacts from the
            # latest version. Maintenance yields rather than fails.
            log.info("optimize of %s yielded to concurrent writers", coll.id)

    # -- datasets on their own, for the orphan sweep (dataset_files.py) ------------------

    def datasets(self) -> list[StoredDataset]:
        """Every collection dataset under the root, as storage lists it; none in memory,
        where datasets die with the process."""
        return [] if self.in_memory else self._files.datasets()

    def last_written(self, dataset: StoredDataset) -> datetime | None:
        """When any file of the dataset last changed (None if it has none left)."""
        return self._files.last_written(dataset)

    def remove_dataset(self, dataset: StoredDataset) -> None:
        """Delete a dataset's files (one the catalog no longer knows)."""
        self._files.remove_dataset(dataset)

    # -- forks and versions (chromalake extensions: engine/forks.py, table_versions.py) ---

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
        else:
            table_versions.tagged_clone(table, db, target.id, base, self._storage_options)
        return base

    def record_latest(self, coll: CollectionRecord) -> None:
        """Tell ``on_commit`` the collection's latest version (a table made otherwise than
        by a commit of this store, e.g. a clone)."""
        table = self._table(coll, latest=True)
        if table is not None:
            self._recorded(coll.id, table)

    def release(self, source: CollectionRecord, fork_id: str) -> None:
        """Forget that the fork ``fork_id`` reads ``source``'s files (drop its tag)."""
        table = None if self.in_memory else self._table(source)
        if table is not None:
            table_versions.untag(table, fork_id)

    def fork_bases(self, coll: CollectionRecord) -> dict[str, VersionInfo]:
        """Fork id -> the base version it tagged on this collection's table."""
        table = None if self.in_memory else self._table(coll)
        return {} if table is None else table_versions.fork_bases(table)

    def versions(self, coll: CollectionRecord) -> list[VersionInfo]:
        """The collection's table versions still stored, oldest first."""
        table = self._table(coll)
        return [] if table is None else table_versions.stored_versions(table)

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
