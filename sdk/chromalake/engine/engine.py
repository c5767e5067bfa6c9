"""The engine: Chroma's semantics over a catalog and a Lance store.

Both the embedded clients and the REST server call it. It validates what a Chroma server
validates (the clients validate more before they get here), and raises the error classes the
Chroma server raises, so every front end reports the same thing.

``Engine`` is ``CatalogEngine`` (catalog_engine.py: tenants, databases, collections) plus
their records: writes here (the merge of update and upsert in writes.py), reads and queries
here, the Search API in searching.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from chromalake import validation
from chromalake.collection_config import space_of
from chromalake.engine import forks, memory
from chromalake.engine.ann import ann_query, exact_query
from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.catalog_engine import MAX_BATCH_SIZE, VERSION, CatalogEngine
from chromalake.engine.columns import ALL_COLUMNS, ID, SEQ, ids_predicate
from chromalake.engine.filters import (
    Node,
    Predicate,
    metadata_key_types,
    parse_filter,
    regex_patterns,
    uses_document,
)
from chromalake.engine.foreground import a_read
from chromalake.engine.held_filter import matching_positions
from chromalake.engine.nearest import nearest
from chromalake.engine.rows import (
    FIELDS,
    RESERVED_PREFIX,
    Change,
    Row,
    from_table,
    returned_metadata,
    rows_at,
    to_table,
)
from chromalake.engine.searching import parse_searches, run_search
from chromalake.engine.snapshot import Snapshot, from_stored
from chromalake.engine.store import pinned_version
from chromalake.engine.stored_files import IndexFiles
from chromalake.engine.stored_index import Stored, loaded, newest, stored_versions
from chromalake.engine.writes import merge_write, new_revision
from chromalake.errors import InternalError, InvalidArgumentError
from chromalake.records import MetadataKey, Records, SearchHits
from chromalake.schema_rules import filterable, fts_enabled, metadata_value_type
from chromalake.types import IndexingStatus

Embeddings = Sequence[npt.NDArray[np.float32]]
OptionalEmbeddings = Sequence[npt.NDArray[np.float32] | None]

log = logging.getLogger("chromalake.engine")


def _and(*predicates: str | None) -> str | None:
    present = [p for p in predicates if p is not None]
    if not present:
        return None
    return " AND ".join(f"({p})" for p in present)


class Engine(CatalogEngine):
    """Tenants, databases, collections and their records.

    Example:
        >>> from chromalake.engine.catalog import MemoryCatalog
        >>> from chromalake.engine.store import LanceStore
        >>> engine = Engine(MemoryCatalog(), LanceStore("memory://"))
        >>> engine.create_collection("docs").name
        'docs'
    """

    def _written(self, coll: CollectionRecord) -> None:
        if self.on_write is not None:
            self.on_write(coll.id)

    # -- record filters -------------------------------------------------------------------------

    def _filter(
        self,
        coll: CollectionRecord,
        where: dict[str, Any] | None,
        where_document: dict[str, Any] | None,
    ) -> str | None:
        """The Lance predicate for a filter, refusing keys whose index the schema disables."""
        return self.predicate(coll, parse_filter(where, where_document))

    def predicate(self, coll: CollectionRecord, node: Node | None) -> str | None:
        """The Lance predicate of a parsed filter (``query``/``get``'s and ``search``'s)."""
        for key, value_type in metadata_key_types(node):
            if not filterable(coll.schema, key, value_type):
                raise InvalidArgumentError(
                    f"Cannot filter using metadata key '{key}' with type '{value_type}' "
                    "because indexing is disabled"
                )
        if uses_document(node) and not fts_enabled(coll.schema):
            raise InvalidArgumentError(
                "Cannot filter using full-text search because FTS indexing is disabled"
            )
        if node is None:
            return None
        predicate = Predicate(node)
        if regex_patterns(node):
            self.store.validate(predicate)  # reported even before the collection has data
        return predicate

    # -- record writes ------------------------------------------------------------------------

    def _validated(
        self,
        coll: CollectionRecord,
        ids: Sequence[str],
        embeddings: OptionalEmbeddings | None,
        metadatas: Sequence[dict[str, Any] | None] | None,
        documents: Sequence[str | None] | None,
        uris: Sequence[str | None] | None,
        update: bool,
    ) -> CollectionRecord:
        """Check a write batch; the collection after its first write fixed the dimension."""
        dimension = validation.validate_record_batch(
            ids,
            embeddings,
            metadatas,
            documents,
            uris,
            update=update,
            expected_dimension=coll.dimension,
        )
        if dimension is None or coll.dimension is not None:
            return coll
        fixed = self.catalog.set_dimension(coll.id, dimension)
        validation.validate_dimension(fixed, dimension)  # another writer may have won the race
        return coll.with_changes(dimension=fixed)

    def add(
        self,
        collection_id: str,
        ids: Sequence[str],
        embeddings: Embeddings,
        metadatas: Sequence[dict[str, Any] | None] | None = None,
        documents: Sequence[str | None] | None = None,
        uris: Sequence[str | None] | None = None,
        tenant: str | None = None,
        database: str | None = None,
    ) -> None:
        """Insert records; an id that already exists is ignored (first write wins)."""
        coll = self._records_of(collection_id, tenant, database)
        coll = self._validated(coll, ids, embeddings, metadatas, documents, uris, update=False)
        if not ids or coll.dimension is None:
            return
        first: dict[str, int] = {}
        for n, record_id in enumerate(ids):
            first.setdefault(record_id, n)  # within one batch, too, the first occurrence wins
        seq = self.catalog.allocate_seq(coll.id, len(first))
        rows = [
            Row(
                id=record_id,
                seq=seq + k,
                embedding=np.asarray(embeddings[n], dtype=np.float32),
                document=documents[n] if documents is not None else None,
                uri=uri,
                metadata=metadata,
                rev=new_revision(),
            )
            for k, (record_id, n) in enumerate(first.items())
            for uri, metadata in [_uri_and_metadata(_nth(uris, n), _nth_metadata(metadatas, n))]
        ]
        if _metadata_keys(metadatas, first.values()) - coll.metadata_keys:
            # Recorded before the commit (a process dying after it cannot leave them out);
            # only the records this add inserts count: a stored id is ignored.
            stored = self.store.select(coll, ids_predicate(list(first)), [ID])
            present = set(stored[ID].to_pylist()) if stored is not None else set()
            fresh = [n for record_id, n in first.items() if record_id not in present]
            self._remember_metadata_keys(coll, metadatas, fresh)
        if self.store.insert_new(coll, to_table(rows, coll.dimension)):
            self._written(coll)

    def update(
        self,
        collection_id: str,
        ids: Sequence[str],
        embeddings: OptionalEmbeddings | None = None,
        metadatas: Sequence[dict[str, Any] | None] | None = None,
        documents: Sequence[str | None] | None = None,
        uris: Sequence[str | None] | None = None,
        tenant: str | None = None,
        database: str | None = None,
    ) -> None:
        """Change existing records (metadata merged key by key); missing ids are ignored."""
        self._change(
            collection_id,
            ids,
            embeddings,
            metadatas,
            documents,
            uris,
            tenant,
            database,
            insert_missing=False,
        )

    def upsert(
        self,
        collection_id: str,
        ids: Sequence[str],
        embeddings: Embeddings,
        metadatas: Sequence[dict[str, Any] | None] | None = None,
        documents: Sequence[str | None] | None = None,
        uris: Sequence[str | None] | None = None,
        tenant: str | None = None,
        database: str | None = None,
    ) -> None:
        """Update existing records as ``update`` does and insert the missing ones."""
        self._change(
            collection_id,
            ids,
            embeddings,
            metadatas,
            documents,
            uris,
            tenant,
            database,
            insert_missing=True,
        )

    def _change(
        self,
        collection_id: str,
        ids: Sequence[str],
        embeddings: OptionalEmbeddings | None,
        metadatas: Sequence[dict[str, Any] | None] | None,
        documents: Sequence[str | None] | None,
        uris: Sequence[str | None] | None,
        tenant: str | None,
        database: str | None,
        insert_missing: bool,
    ) -> None:
        coll = self._records_of(collection_id, tenant, database)
        # Only update may carry "keep the old embedding" (None) entries.
        coll = self._validated(
            coll, ids, embeddings, metadatas, documents, uris, update=not insert_missing
        )
        if not ids or coll.dimension is None:
            return  # nothing stored and nothing to store
        changes = [
            Change(
                id=record_id,
                embedding=_nth_embedding(embeddings, n),
                document=_nth(documents, n),
                uri=uri,
                metadata=metadata,
            )
            for n, record_id in enumerate(ids)
            for uri, metadata in [_uri_and_metadata(_nth(uris, n), _nth_metadata(metadatas, n))]
        ]
        wrote = merge_write(
            self.store,
            self.catalog,
            coll,
            changes,
            insert_missing,
            before_commit=lambda written: self._remember_metadata_keys(coll, metadatas, written),
        )
        if wrote:
            self._written(coll)

    def _remember_metadata_keys(
        self,
        coll: CollectionRecord,
        metadatas: Sequence[dict[str, Any] | None] | None,
        written: Iterable[int],
    ) -> None:
        """Record the metadata keys (and value types) of written records, as Chroma lists
        them in the collection's schema; only keys new to the collection cost a catalog write."""
        new = _metadata_keys(metadatas, written) - coll.metadata_keys
        if new:
            self.catalog.add_metadata_keys(coll.id, new)

    def delete(
        self,
        collection_id: str,
        ids: Sequence[str] | None = None,
        where: dict[str, Any] | None = None,
        where_document: dict[str, Any] | None = None,
        limit: int | None = None,
        tenant: str | None = None,
        database: str | None = None,
    ) -> int:
        """Delete records; returns Chroma's count (the ids sent, or the records matched)."""
        coll = self._records_of(collection_id, tenant, database)
        validation.validate_delete_request(ids, where, where_document, limit)
        if where is None and where_document is None:
            doomed = list(ids or [])
            self.store.delete(coll, doomed)
            deleted = len(doomed)
        else:
            # The filter is part of the delete itself, so it holds at the commit: a record
            # another writer changed meanwhile is deleted as it is then, or not at all.
            chosen = (
                ids
                if limit is None
                else self.get(
                    collection_id, ids, where, where_document, limit, None, [], tenant, database
                ).ids
            )
            predicate = _and(
                ids_predicate(list(chosen)) if chosen is not None else None,
                self._filter(coll, where, where_document),
            )
            deleted = self.store.delete_where(coll, predicate or "true")
        if deleted:
            self._written(coll)
        return deleted

    # -- record reads ---------------------------------------------------------------------------

    @a_read
    def count(
        self,
        collection_id: str,
        tenant: str | None = None,
        database: str | None = None,
        version: int | None = None,
    ) -> int:
        coll = self._records_of(collection_id, tenant, database)
        return self.store.count(forks.at_version(coll, version))

    @a_read
    def get(
        self,
        collection_id: str,
        ids: Sequence[str] | None = None,
        where: dict[str, Any] | None = None,
        where_document: dict[str, Any] | None = None,
        limit: int | None = None,
        offset: int | None = None,
        include: Sequence[str] = ("documents", "metadatas"),
        tenant: str | None = None,
        database: str | None = None,
        version: int | None = None,
    ) -> Records:
        """Matching records in insertion order, then offset and limit (``version``: as the
        collection was then, a chromalake extension)."""
        coll = forks.at_version(self._records_of(collection_id, tenant, database), version)
        filtered = self._filter(coll, where, where_document)
        wants_fields = bool(set(include) & FIELDS)
        # By ids or by a filter, from memory when this process holds the rows.
        held = None
        if ids is not None or filtered is not None:
            held = self._held(coll, wants_fields or filtered is not None)
        found = None if held is None else self._held_rows(coll, held, ids, filtered)
        if held is not None and found is not None:  # from memory
            chosen = found[_page(np.argsort(held.seqs[found], kind="stable"), offset, limit)]
            page = [str(i) for i in held.ids[chosen]]
            rows = rows_at(held, chosen, "embeddings" in include) if wants_fields else {}
            return _records(page, include, rows)
        predicate = _and(ids_predicate(list(ids)) if ids is not None else None, filtered)
        # Asked by ids, the matches are few: one read brings their fields too (each Lance read
        # costs milliseconds however small).
        at_once = ids is not None and wants_fields
        matches = self.store.select(coll, predicate, ALL_COLUMNS if at_once else [ID, SEQ])
        if matches is None:
            return _records([], include, {})
        chosen = _page(np.argsort(matches[SEQ].to_numpy(), kind="stable"), offset, limit)
        page = [str(x) for x in np.asarray(matches[ID].to_pylist(), dtype=object)[chosen]]
        if at_once:
            return _records(page, include, {r.id: r for r in from_table(matches)})
        return _records(page, include, self.fields(coll, page, include))

    def _held_rows(
        self,
        coll: CollectionRecord,
        held: Snapshot,
        ids: Sequence[str] | None,
        predicate: str | None,
    ) -> npt.NDArray[np.int64] | None:
        """The positions of the held rows with these ids (all when None) that the filter
        matches, found in memory; None when only Lance can answer (no ids and no filter, a
        filter held_filter.py leaves to Lance, or fields not read yet)."""
        listed = None if ids is None else held.positions_of(dict.fromkeys(ids))
        if predicate is None:
            return listed
        self._fill_fields_later(coll, held)  # filters are answered in memory once read
        matched = None
        if isinstance(predicate, Predicate):
            matched = matching_positions(held, predicate.node, coll.id)
        if matched is None or listed is None:
            return matched
        return listed[np.isin(listed, matched)]

    def _held(self, coll: CollectionRecord, wants_fields: bool) -> Snapshot | None:
        """The collection's rows as this process holds them in memory at its current version
        (with their fields when ``wants_fields``), or None: then Lance is read."""
        snap = self.store.held_snapshot(coll)
        if snap is not None and wants_fields:
            self._fill_fields_later(coll, snap)
        return None if snap is None or (wants_fields and snap.fields is None) else snap

    def fields(
        self, coll: CollectionRecord, ids: list[str], include: Sequence[str]
    ) -> dict[str, Row]:
        """The stored rows of ``ids`` when ``include`` asks for more than ids: from memory
        when this process holds them, else one Lance read."""
        if not ids or not set(include) & FIELDS:
            return {}
        held = self._held(coll, True)
        if held is not None:
            return rows_at(held, held.positions_of(ids), "embeddings" in include)
        table = self.store.select(coll, ids_predicate(ids), ALL_COLUMNS)
        return {r.id: r for r in from_table(table)} if table is not None else {}

    @a_read
    def query(
        self,
        collection_id: str,
        query_embeddings: Embeddings,
        n_results: int = 10,
        ids: Sequence[str] | None = None,
        where: dict[str, Any] | None = None,
        where_document: dict[str, Any] | None = None,
        include: Sequence[str] = ("documents", "metadatas", "distances"),
        tenant: str | None = None,
        database: str | None = None,
        version: int | None = None,
        max_distance: float | None = None,
    ) -> list[Records]:
        """The ``n_results`` nearest records of each query embedding, nearest first.

        chromalake extensions: ``version`` reads the collection as it was then;
        ``max_distance`` drops results farther than that from their query.
        """
        coll = forks.at_version(self._records_of(collection_id, tenant, database), version)
        validation.validate_max_distance(max_distance)
        predicate = self._filter(coll, where, where_document)
        dimension = validation.validate_batch_dimension(query_embeddings)
        if coll.dimension is None or dimension is None:
            return [_records([], include, {}, distances=[]) for _ in query_embeddings]
        validation.validate_dimension(coll.dimension, dimension)
        found = self.nearest(coll, query_embeddings, n_results, ids, predicate)
        if max_distance is not None:
            found = [_within(page, distances, max_distance) for page, distances in found]
        # One read of the stored fields for every query's results together.
        pages = [page for page, _ in found]
        fields = self.fields(coll, list(dict.fromkeys(i for page in pages for i in page)), include)
        return [_records(page, include, fields, distances=distances) for page, distances in found]

    def nearest(
        self,
        coll: CollectionRecord,
        query_embeddings: Embeddings,
        n_results: int,
        ids: Sequence[str] | None,
        predicate: str | None,
    ) -> list[tuple[list[str], list[float]]]:
        """Each query's ``n_results`` nearest ids among those matching ``predicate``, with
        their distances: exact search while the collection is small, the ANN index (with
        exact re-ranking) once maintenance built one. ``query`` and ``search`` share it."""
        if not query_embeddings:
            return []
        queries = np.asarray(np.stack(query_embeddings), dtype=np.float32)
        warm = self._warm_nearest(coll, queries, n_results, ids, predicate)
        if warm is not None:
            return warm
        index = self.store.vector_index(coll)
        if index is not None:
            hits = (
                exact_query(self.store, coll, queries, n_results, list(ids), predicate)
                if ids is not None
                else ann_query(self.store, coll, index, queries, n_results, predicate)
            )
            return [(h.ids, h.distances) for h in hits]
        snap = self.store.snapshot(coll)
        if snap is None:
            return [([], []) for _ in queries]
        positions = self._candidates(coll, snap, ids, predicate)
        matrix, seqs, norms = (
            (snap.matrix(), snap.seqs, snap.norms)
            if positions is None
            else (snap.vectors(positions), snap.seqs[positions], snap.norms[positions])
        )
        found = nearest(space_of(coll.configuration), queries, matrix, seqs, n_results, norms)
        return [
            (
                [str(snap.ids[p]) for p in (rows if positions is None else positions[rows])],
                distances.tolist(),
            )
            for rows, distances in found
        ]

    def _warm_nearest(
        self,
        coll: CollectionRecord,
        queries: npt.NDArray[np.float32],
        n_results: int,
        ids: Sequence[str] | None,
        predicate: str | None,
    ) -> list[tuple[list[str], list[float]]] | None:
        """Through this process's in-process index of the collection (warm_index.py), when it
        has one for the current rows; None to take the other paths (a query by ids, a
        version view, a collection too small or whose index is still being built)."""
        if ids is not None or pinned_version(coll) is not None or coll.dimension is None:
            return None
        space = space_of(coll.configuration)
        if not self.warm.holds(coll.id) and not self._warm_started(coll, space):
            return None  # once it holds one, a query costs no count
        snap = self.store.snapshot(coll)
        if snap is None:
            return None
        warm = self.warm.ready(coll.id, snap, space, lambda: self.stored_index(coll))
        if warm is None:
            return None
        allowed = None if predicate is None else self._held_rows(coll, snap, None, predicate)
        if predicate is not None and allowed is None:
            if self.store.vector_index(coll) is not None:
                # Without the rows' fields in memory, Lance's index with the filter as a
                # prefilter is faster than listing the matching rows with a Lance scan (100k x
                # 384, 1-50% of rows: ~21 ms against ~55 ms, the scan reads every row's metadata).
                return None
            allowed = self._candidates(coll, snap, None, predicate)
        ef_search = int((coll.configuration.get("hnsw") or {}).get("ef_search", 100))
        found = warm.search(snap, queries, n_results, allowed, ef_search)
        return [([str(i) for i in snap.ids[rows]], d.tolist()) for rows, d in found]

    def _warm_started(self, coll: CollectionRecord, space: str) -> bool:
        """For a collection without a warm index yet: whether this query goes on to it (the
        stored index was adopted, or loads now, or a build starts), or takes the other paths
        (too small, or the index loads or builds in the background meanwhile)."""
        rows = self.store.count(coll)
        if not self.warm.wanted(rows):
            return False
        if self._adopt_stored(coll, space):
            return True
        lance = self.store.vector_index(coll) is not None
        if lance and not self.warm.fits(rows, coll.dimension or 0):
            return False  # past the budget, Lance's index answers without the matrix
        # A stored index on local disk loads in well under a second: here, before this
        # query. Else in the background, Lance's index or exact search answering meanwhile.
        now = self._stored_nearby(coll)
        if lance or now:
            load = lambda: self.store.settled_snapshot(coll)  # noqa: E731
            self.warm.prepare(coll.id, load, space, lambda: self.stored_index(coll), now)
            return now
        return True  # exact search answers while warm.ready builds one in the background

    def _adopt_stored(self, coll: CollectionRecord, space: str) -> bool:
        """Serve the collection from the index maintenance stored beside it, if there is one,
        from this query on: its snapshot is made from the stored keys, its vectors left in the
        index's file (on S3: fetched by ranges, the codes first), so neither the matrix nor,
        when nothing was written since, any Lance read is waited for. False (the other paths
        then) without a stored index that fits the current rows.

        Looked for at most every few seconds while this process serves the collection
        without an index, each stored index tried once (``stored_index.StoredLooks``).
        """
        found = self.index_location(coll)
        pair = None if found is None else self._stored_looks.newly_stored(coll.id, *found)
        stored = None if found is None or pair is None else loaded(*found, *pair)
        if stored is None or not self.warm.wanted(stored.index.rows):
            return False
        base = from_stored(stored)
        if base is None or base.version > (coll.version or base.version):
            return False
        self.store.seed_snapshot(coll, base)
        snap = self.store.snapshot(coll)
        if snap is None or not self.warm.adopt(coll.id, stored, snap, space):
            self.store.forget_snapshot(coll)  # the other paths read the rows as before
            return False
        self._fill_fields_later(coll, snap)
        # Its ids sorted for gets by id, in the background (Arrow's sort lets go of the GIL).
        threading.Thread(target=snap.map_ids, name="chromalake-ids", daemon=True).start()
        return True

    def _fill_fields_later(self, coll: CollectionRecord, snap: Snapshot) -> None:
        """When ``snap`` (the held one) has not read its rows' fields yet, read them in the
        background (store.fill_fields), one read at a time per collection."""
        if snap.fields is not None or not snap.fields_unread:
            return
        with self._lock:
            if coll.id in self._filling:
                return
            self._filling.add(coll.id)

        def fill() -> None:
            try:
                self.store.fill_fields(coll)
            except Exception:
                log.warning("fields of collection %s not read", coll.id, exc_info=True)
            finally:
                with self._lock:
                    self._filling.discard(coll.id)

        threading.Thread(target=fill, name="chromalake-fields", daemon=True).start()

    def index_location(self, coll: CollectionRecord) -> tuple[IndexFiles, str] | None:
        """Where the collection's stored warm index lives (engine/stored_index.py): the
        files and the dataset they sit beside; None in memory or before its first write."""
        dataset = None if self.index_files is None else self.store.dataset_uri(coll)
        return None if self.index_files is None or dataset is None else (self.index_files, dataset)

    def _stored_nearby(self, coll: CollectionRecord) -> bool:
        """Whether maintenance stored an index of the collection on local disk."""
        local = self.index_files is not None and self.index_files.local
        found = self.index_location(coll) if local else None
        return found is not None and bool(stored_versions(*found))

    def stored_index(self, coll: CollectionRecord) -> Stored | None:
        """The warm index maintenance stored beside the collection's dataset, if any."""
        found = self.index_location(coll)
        return None if found is None else newest(*found)

    @a_read
    def search(
        self,
        collection_id: str,
        searches: Sequence[dict[str, Any]],
        read_level: str = "index_and_wal",
        tenant: str | None = None,
        database: str | None = None,
    ) -> list[SearchHits]:
        """Chroma's Search API: each payload's ranked, grouped, paged and selected records.

        ``read_level`` is accepted for compatibility: every read sees every committed write.
        """
        del read_level
        coll = self._records_of(collection_id, tenant, database)
        specs = parse_searches(searches)
        return [run_search(self, coll, spec) for spec in specs]

    def indexing_status(
        self, collection_id: str, tenant: str | None = None, database: str | None = None
    ) -> IndexingStatus:
        """How much of the collection its ANN index covers, as Chroma's distributed server says.

        Records count as indexed when the index covers them, or when the collection is below
        the index threshold (exact search needs no index, so nothing is pending). Above it,
        records written since the last maintenance run are pending. ``memory`` (a chromalake
        extension; Chroma's clients read the other fields) is what this process holds for the
        collection (engine/memory.py).
        """
        coll = self._records_of(collection_id, tenant, database)
        state = self.store.state(coll)
        total = 0 if state is None else state.rows
        if state is None or state.index is None:
            indexed = total if total < self.policy.index_threshold else 0
        else:
            indexed = min(total, state.index.indexed_rows)
        return IndexingStatus(
            num_indexed_ops=indexed,
            num_unindexed_ops=total - indexed,
            total_ops=total,
            op_indexing_progress=1.0 if total == 0 else indexed / total,
            memory=memory.report(self.store.held_snapshot(coll), self.warm.index_of(coll.id)),
        )

    def _candidates(
        self,
        coll: CollectionRecord,
        snap: Snapshot,
        ids: Sequence[str] | None,
        predicate: str | None,
    ) -> npt.NDArray[np.int64] | None:
        """Row positions a query may return, or None for all of them."""
        if ids is None and predicate is None:
            return None
        positions = snap.positions
        if ids is not None and any(i not in positions for i in ids):
            raise InternalError("Error executing plan: Internal error: Error finding id")
        if predicate is None:
            return np.array([positions[i] for i in dict.fromkeys(ids or [])], dtype=np.int64)
        held = self._held_rows(coll, snap, ids, predicate)  # in memory when the fields are held
        if held is not None:
            return held
        full = _and(ids_predicate(list(ids)) if ids is not None else None, predicate)
        matches = self.store.select(coll, full, [SEQ])
        if matches is None:
            return np.empty(0, np.int64)
        return snap.rows_with_seqs(matches[SEQ].to_numpy())


def _within(
    ids: list[str], distances: list[float], max_distance: float
) -> tuple[list[str], list[float]]:
    """A query's results no farther than ``max_distance`` (they come nearest first)."""
    kept = sum(1 for d in distances if d <= max_distance)
    return ids[:kept], distances[:kept]


def _metadata_keys(
    metadatas: Sequence[dict[str, Any] | None] | None, indices: Iterable[int]
) -> set[MetadataKey]:
    """Each (key, schema value type) in the metadata of these records; internal keys aside."""
    found: set[MetadataKey] = set()
    if metadatas is None:
        return found
    for n in indices:
        for key, value in (metadatas[n] or {}).items():
            value_type = metadata_value_type(value)
            if value_type is not None and not key.startswith(RESERVED_PREFIX):
                found.add((key, value_type))
    return found


def _nth(values: Sequence[str | None] | None, n: int) -> str | None:
    return values[n] if values is not None else None


def _nth_embedding(embeddings: OptionalEmbeddings | None, n: int) -> npt.NDArray[np.float32] | None:
    vector = embeddings[n] if embeddings is not None else None
    return None if vector is None else np.asarray(vector, dtype=np.float32)


def _nth_metadata(
    metadatas: Sequence[dict[str, Any] | None] | None, n: int
) -> dict[str, Any] | None:
    """The n-th metadata of a batch as Chroma's server stores it; an empty one is none.

    Chroma's server drops empty arrays, and keeps an array of ints and floats as floats (its
    f64[] variant). The Python clients refuse both shapes before they get here.
    """
    metadata = metadatas[n] if metadatas is not None else None
    if not metadata:
        return None
    stored = {k: _stored_array(v) if isinstance(v, list) else v for k, v in metadata.items()}
    return {k: v for k, v in stored.items() if not (isinstance(v, list) and not v)} or None


def _stored_array(values: list[Any]) -> list[Any]:
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if numbers and any(isinstance(v, float) for v in values):
        return [float(v) for v in values]
    return values


URI_KEY = "chroma:uri"


def _uri_and_metadata(
    uri: str | None, metadata: dict[str, Any] | None
) -> tuple[str | None, dict[str, Any] | None]:
    """A ``chroma:uri`` metadata key is Chroma's uri slot: it sets the uri unless one is given."""
    if metadata is None or URI_KEY not in metadata:
        return uri, metadata
    rest = {k: v for k, v in metadata.items() if k != URI_KEY}
    value = metadata[URI_KEY]
    return (uri if uri is not None or value is None else str(value)), (rest or None)


def _page(order: npt.NDArray[np.int64], offset: int | None, limit: int | None) -> Any:
    """The part of ``order`` that ``offset`` and ``limit`` choose."""
    start = offset or 0
    return order[start:] if limit is None else order[start : start + limit]


def _records(
    ids: list[str],
    include: Sequence[str],
    rows: dict[str, Row],
    distances: list[float] | None = None,
) -> Records:
    def column(name: str, value: Any) -> list[Any] | None:
        return [value(rows[i]) for i in ids] if name in include else None

    return Records(
        ids=ids,
        embeddings=column("embeddings", lambda r: r.embedding),
        documents=column("documents", lambda r: r.document),
        uris=column("uris", lambda r: r.uri),
        metadatas=column("metadatas", returned_metadata),
        distances=distances if "distances" in include else None,
    )


__all__ = ["MAX_BATCH_SIZE", "VERSION", "Engine", "Records"]
