"""The engine's catalog side: tenants, databases and collections, everything but records.

``CatalogEngine`` holds what an engine is made of (the catalog, the Lance store, the
maintenance policy, the in-process warm indexes) and answers every call about tenants,
databases and collections: create, get, list, modify, delete, and chromalake's fork, versions
and restore (``forks.py`` carries those out). ``engine.Engine`` extends it with the records
(add, get, query, search...): front ends use ``Engine``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from contextlib import suppress
from typing import Any

from chromalake import validation
from chromalake.collection_config import internal_configuration, update_configuration
from chromalake.engine import forks
from chromalake.engine.catalog import (
    Catalog,
    CollectionRecord,
    Conflict,
    DatabaseRecord,
    Stale,
)
from chromalake.engine.policy import MaintenancePolicy, WriteListener
from chromalake.engine.store import LanceStore
from chromalake.engine.stored_files import IndexFiles
from chromalake.engine.stored_index import StoredLooks
from chromalake.engine.warm_index import WarmIndexes
from chromalake.engine.writes import WRITE_ROUNDS
from chromalake.errors import (
    AlreadyExistsError,
    ForbiddenError,
    InternalError,
    InvalidArgumentError,
    NotFoundError,
    UnavailableError,
)
from chromalake.schema_rules import reconcile, schema_with_metadata_keys, schema_with_update
from chromalake.types import DEFAULT_DATABASE, DEFAULT_DATABASE_ID, DEFAULT_TENANT

VERSION = "1.5.9"
# Chroma's single node: floor(SQLITE_MAX_VARIABLE_NUMBER / 6), reference §6.6.
MAX_BATCH_SIZE = 5461

log = logging.getLogger("chromalake.engine")


class CatalogEngine:
    """Tenants, databases and collections over a catalog and a Lance store; ``Engine``
    (engine.py) adds their records."""

    def __init__(
        self,
        catalog: Catalog,
        store: LanceStore,
        allow_reset: bool = False,
        policy: MaintenancePolicy | None = None,
        on_write: WriteListener | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.allow_reset = allow_reset
        self.policy = policy or MaintenancePolicy()
        # Told each collection id after a committed write (maintenance trigger; policy.py).
        self.on_write = on_write
        # Every commit's version goes to the catalog before the write returns: readers in
        # any process compare it with what they hold instead of listing the table's versions.
        store.on_commit = catalog.record_version
        # In-process ANN indexes of the collections this process serves (warm_index.py).
        self.warm = WarmIndexes()
        # Where maintenance stores the warm indexes it builds, and serving processes load
        # them (engine/stored_index.py); None keeps them in memory only (memory://).
        self.index_files: IndexFiles | None = None
        # When this process last looked for each collection's stored index, and the one it
        # tried (engine.py: _adopt_stored), and the collections whose snapshot's fields are
        # being read in the background.
        self._stored_looks = StoredLooks()
        self._filling: set[str] = set()
        self._lock = threading.Lock()
        self._ensure_defaults()

    # -- system -------------------------------------------------------------------------

    def _ensure_defaults(self) -> None:
        # Another process sharing the catalog may create them first: that is fine.
        if not self.catalog.has_tenant(DEFAULT_TENANT):
            with suppress(Conflict):
                self.catalog.create_tenant(DEFAULT_TENANT)
        if self.catalog.get_database(DEFAULT_TENANT, DEFAULT_DATABASE) is None:
            with suppress(Conflict):
                self.catalog.create_database(
                    DatabaseRecord(DEFAULT_DATABASE_ID, DEFAULT_DATABASE, DEFAULT_TENANT)
                )

    @staticmethod
    def heartbeat() -> int:
        return time.time_ns()

    @staticmethod
    def version() -> str:
        return VERSION

    @staticmethod
    def max_batch_size() -> int:
        return MAX_BATCH_SIZE

    def reset(self) -> bool:
        if not self.allow_reset:
            raise ForbiddenError("Reset is disabled by config")
        for coll in self.catalog.all_collections():
            self.store.drop(coll)
        self.catalog.reset()
        self.store.forget()
        self.warm.clear()
        self._ensure_defaults()
        return True

    # -- tenants and databases ------------------------------------------------------------

    def create_tenant(self, name: str) -> None:
        validation.validate_tenant_name(name)
        try:
            self.catalog.create_tenant(name)
        except Conflict:
            raise AlreadyExistsError(f"Tenant [{name}] already exists") from None

    def get_tenant(self, name: str) -> dict[str, str]:
        if not self.catalog.has_tenant(name):
            raise NotFoundError(f"Tenant [{name}] not found")
        return {"name": name}

    def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        validation.validate_database_name(name)
        try:
            self.catalog.create_database(DatabaseRecord(str(uuid.uuid4()), name, tenant))
        except Conflict:
            raise AlreadyExistsError(f"Database [{name}] already exists") from None

    def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> DatabaseRecord:
        found = self.catalog.get_database(tenant, name)
        if found is None:
            raise NotFoundError(f"Database [{name}] not found. Are you sure it exists?")
        return found

    def list_databases(
        self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT
    ) -> list[DatabaseRecord]:
        return self.catalog.list_databases(tenant, limit, offset)

    def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        doomed = self.catalog.delete_database(tenant, name)
        if doomed is None:
            raise NotFoundError(f"Database [{name}] not found")
        for coll in doomed:
            self.drop_data(coll)

    # -- collections ------------------------------------------------------------------------

    def _database_must_exist(self, tenant: str, database: str) -> None:
        if self.catalog.get_database(tenant, database) is None:
            raise InvalidArgumentError(f"Database [{database}] does not exist")

    def create_collection(
        self,
        name: str,
        configuration: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        schema: dict[str, Any] | None = None,
        get_or_create: bool = False,
        tenant: str = DEFAULT_TENANT,
        database: str = DEFAULT_DATABASE,
    ) -> CollectionRecord:
        # Chroma's order: the configuration is parsed, the request validated, then the schema
        # reconciled with the configuration (chromalake.schema_rules).
        internal = internal_configuration(configuration, metadata)
        validation.validate_create_collection(name, metadata)
        reconciled, config = reconcile(internal, metadata, schema)
        self._database_must_exist(tenant, database)
        if get_or_create:
            existing = self.catalog.get_collection(tenant, database, name)
            if existing is not None:
                return _described(existing)
        record = CollectionRecord(
            id=str(uuid.uuid4()),
            name=name,
            tenant=tenant,
            database=database,
            configuration=config,
            metadata=dict(metadata) if metadata is not None else None,
            schema=reconciled,
        )
        for _ in range(3):
            try:
                self.catalog.create_collection(record)
            except Conflict:
                existing = self.catalog.get_collection(tenant, database, name)
                # Our own write, whose reply was lost and whose resend then found it (a boto3
                # retry after a dropped connection): it succeeded.
                if existing is not None and existing.id == record.id:
                    return _described(existing)
                if not get_or_create:
                    raise AlreadyExistsError(f"Collection [{name}] already exists") from None
                if existing is not None:  # lost a race with another creator: theirs wins
                    return _described(existing)
                continue  # theirs was deleted before it could be read: create ours after all
            return record
        return self.get_collection(name, tenant, database)

    def get_collection(
        self, name: str, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
    ) -> CollectionRecord:
        found = self.catalog.get_collection(tenant, database, name)
        if found is None:
            raise NotFoundError(f"Collection [{name}] does not exist")
        return _described(found)

    def get_collection_by_id(
        self,
        collection_id: str,
        tenant: str | None = None,
        database: str | None = None,
    ) -> CollectionRecord:
        """A collection by id; with tenant and database given, only from that database."""
        return _described(self._stored(collection_id, tenant, database))

    def _stored(
        self, collection_id: str, tenant: str | None, database: str | None, suffix: str = ""
    ) -> CollectionRecord:
        """The catalog's record of a live collection (the metadata keys not yet in its
        schema); NotFoundError, its message ending with ``suffix``, when there is none."""
        found = self.catalog.get_collection_by_id(str(collection_id))
        outside = found is not None and (
            (tenant is not None and found.tenant != tenant)
            or (database is not None and found.database != database)
        )
        if found is None or outside or forks.is_retired(found):
            raise NotFoundError(f"Collection [{collection_id}] does not exist{suffix}")
        return found

    def _records_of(
        self, collection_id: str, tenant: str | None, database: str | None
    ) -> CollectionRecord:
        """The collection a record operation works on (Chroma's record routes end with '.')."""
        return _described(self._stored(collection_id, tenant, database, suffix="."))

    records_of = _records_of  # for engine/forks.py (its Engine protocol)

    def list_collections(
        self,
        limit: int | None = None,
        offset: int | None = None,
        tenant: str = DEFAULT_TENANT,
        database: str = DEFAULT_DATABASE,
    ) -> list[CollectionRecord]:
        return [
            _described(c) for c in self.catalog.list_collections(tenant, database, limit, offset)
        ]

    def count_collections(
        self, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
    ) -> int:
        return self.catalog.count_collections(tenant, database)

    def update_collection(
        self,
        collection_id: str,
        new_name: str | None = None,
        new_metadata: dict[str, Any] | None = None,
        new_configuration: dict[str, Any] | None = None,
        tenant: str | None = None,
        database: str | None = None,
    ) -> CollectionRecord:
        validation.validate_update_collection(new_name, new_metadata)
        for _ in range(WRITE_ROUNDS):
            # Computed from the stored record and written only if it is still that one: a
            # concurrent modify (another process, another Lambda) is merged, never undone.
            current = self._stored(collection_id, tenant, database, suffix=".")
            configuration, schema = current.configuration, current.schema
            if new_configuration is not None:
                configuration = update_configuration(current.configuration, new_configuration)
                schema = schema_with_update(schema, new_configuration)
            updated = current.with_changes(
                name=new_name if new_name is not None else current.name,
                metadata=dict(new_metadata) if new_metadata is not None else current.metadata,
                configuration=configuration,
                schema=schema,
            )
            try:
                self.catalog.update_collection(updated, current)
            except Stale:
                continue
            except Conflict:
                raise InternalError(
                    "Database error: error returned from database: (code: 2067) UNIQUE "
                    "constraint failed: collections.name, collections.database_id"
                ) from None
            return _described(updated)
        raise UnavailableError(
            f"Collection [{collection_id}] kept changing while it was modified; send it again"
        )

    def delete_collection(
        self, name: str, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
    ) -> None:
        # A collection that forks still read is retired instead (engine/forks.py).
        forks.delete_collection(self, name, tenant, database)

    # -- forks and versions (engine/forks.py) ---------------------------------------------------

    def fork(
        self,
        collection_id: str,
        new_name: str,
        tenant: str | None = None,
        database: str | None = None,
    ) -> CollectionRecord:
        """A copy-on-write copy of the collection named ``new_name`` (Chroma Cloud's fork)."""
        return _described(forks.fork(self, collection_id, new_name, tenant, database))

    def fork_count(
        self, collection_id: str, tenant: str | None = None, database: str | None = None
    ) -> int:
        return forks.fork_count(self, collection_id, tenant, database)

    def list_versions(
        self, collection_id: str, tenant: str | None = None, database: str | None = None
    ) -> list[dict[str, Any]]:
        return forks.list_versions(self, collection_id, tenant, database)

    def restore_version(
        self,
        collection_id: str,
        version: int,
        tenant: str | None = None,
        database: str | None = None,
    ) -> int:
        return forks.restore_version(self, collection_id, version, tenant, database)

    def drop_data(self, coll: CollectionRecord) -> None:
        """Drop a collection's dataset once the catalog no longer has it.

        The catalog entry goes first, so a collection in the catalog always has its data; if
        the drop fails now, the delete has still happened, and maintenance's orphan sweep
        (``maintenance.sweep_orphans``) removes the dataset later.
        """
        self.warm.forget(coll.id)
        try:
            self.store.drop(coll)
        except Exception:
            log.warning("dataset of deleted collection %s left for the orphan sweep", coll.id)


def _described(record: CollectionRecord) -> CollectionRecord:
    """The collection as Chroma describes it: its schema lists the metadata keys written."""
    if not record.metadata_keys:
        return record
    return record.with_changes(
        schema=schema_with_metadata_keys(record.schema, record.metadata_keys)
    )
