"""An in-process catalog for EphemeralClient: dicts behind one lock."""

from __future__ import annotations

import threading
from collections.abc import Iterable

from chromalake.engine.catalog.base import (
    CollectionRecord,
    Conflict,
    DatabaseRecord,
    MetadataKey,
    Stale,
    described_alike,
    new_tenant_id,
    page,
)


class MemoryCatalog:
    resends_writes = False  # in-process: a write runs once

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._tenants: dict[str, str] = {}  # name -> id
            self._databases: dict[tuple[str, str], DatabaseRecord] = {}
            self._collections: dict[str, CollectionRecord] = {}
            self._next_seq: dict[str, int] = {}

    def create_tenant(self, name: str) -> None:
        with self._lock:
            if name in self._tenants:
                raise Conflict(name)
            self._tenants[name] = new_tenant_id()

    def has_tenant(self, name: str) -> bool:
        with self._lock:
            return name in self._tenants

    def tenant_id(self, name: str) -> str | None:
        with self._lock:
            return self._tenants.get(name)

    def create_database(self, record: DatabaseRecord) -> None:
        with self._lock:
            key = (record.tenant, record.name)
            if key in self._databases:
                raise Conflict(record.name)
            self._databases[key] = record

    def get_database(self, tenant: str, name: str) -> DatabaseRecord | None:
        with self._lock:
            return self._databases.get((tenant, name))

    def list_databases(
        self, tenant: str, limit: int | None, offset: int | None
    ) -> list[DatabaseRecord]:
        with self._lock:
            found = [d for (t, _), d in self._databases.items() if t == tenant]
        return page(sorted(found, key=lambda d: d.name), limit, offset)

    def delete_database(self, tenant: str, name: str) -> list[CollectionRecord] | None:
        with self._lock:
            if self._databases.pop((tenant, name), None) is None:
                return None
            doomed = [
                c for c in self._collections.values() if c.tenant == tenant and c.database == name
            ]
            for c in doomed:
                del self._collections[c.id]
            return doomed

    def create_collection(self, record: CollectionRecord) -> None:
        with self._lock:
            if self.get_collection(record.tenant, record.database, record.name) is not None:
                raise Conflict(record.name)
            self._collections[record.id] = record
            self._next_seq[record.id] = 0

    def get_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        with self._lock:
            for c in self._collections.values():
                if (c.tenant, c.database, c.name) == (tenant, database, name) and not _retired(c):
                    return c
            return None

    def get_collection_by_id(self, collection_id: str) -> CollectionRecord | None:
        with self._lock:
            return self._collections.get(collection_id)

    def list_collections(
        self, tenant: str, database: str, limit: int | None, offset: int | None
    ) -> list[CollectionRecord]:
        with self._lock:
            found = [
                c
                for c in self._collections.values()
                if (c.tenant, c.database) == (tenant, database) and not _retired(c)
            ]
        return page(sorted(found, key=lambda c: c.id), limit, offset)

    def count_collections(self, tenant: str, database: str) -> int:
        return len(self.list_collections(tenant, database, None, None))

    def all_collections(self) -> list[CollectionRecord]:
        with self._lock:
            return list(self._collections.values())

    def update_collection(self, record: CollectionRecord, previous: CollectionRecord) -> None:
        with self._lock:
            current = self._collections.get(record.id)
            if current is None:
                return
            if not described_alike(current, previous):
                raise Stale(record.id)
            other = self.get_collection(record.tenant, record.database, record.name)
            if other is not None and other.id != record.id:
                raise Conflict(record.name)
            self._collections[record.id] = record.with_changes(
                dimension=current.dimension,
                metadata_keys=current.metadata_keys,
                extra=current.extra,
                version=current.version,
            )

    def delete_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        with self._lock:
            found = self.get_collection(tenant, database, name)
            if found is not None:
                del self._collections[found.id]
            return found

    def set_dimension(self, collection_id: str, dimension: int) -> int:
        with self._lock:
            current = self._collections[collection_id]
            if current.dimension is None:
                self._collections[collection_id] = current.with_changes(dimension=dimension)
                return dimension
            return current.dimension

    def allocate_seq(self, collection_id: str, count: int) -> int:
        with self._lock:
            start = self._next_seq.get(collection_id, 0)
            self._next_seq[collection_id] = start + count
            return start

    def add_metadata_keys(self, collection_id: str, keys: Iterable[MetadataKey]) -> None:
        with self._lock:
            current = self._collections.get(collection_id)
            if current is not None:
                union = current.metadata_keys | frozenset(keys)
                self._collections[collection_id] = current.with_changes(metadata_keys=union)

    def record_version(self, collection_id: str, version: int) -> None:
        with self._lock:
            current = self._collections.get(collection_id)
            if current is not None and (current.version or -1) < version:
                self._collections[collection_id] = current.with_changes(version=version)

    def fork_collection(self, record: CollectionRecord, source_id: str) -> None:
        with self._lock:
            self.create_collection(record)
            self._next_seq[record.id] = self._next_seq.get(source_id, 0)

    def retire_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        with self._lock:
            found = self.get_collection(tenant, database, name)
            if found is not None:
                retired = found.with_changes(extra={**found.extra, "retired": True})
                self._collections[found.id] = retired
            return found

    def purge_collection(self, collection_id: str) -> None:
        with self._lock:
            self._collections.pop(collection_id, None)
            self._next_seq.pop(collection_id, None)

    def database_records(self, tenant: str, database: str) -> list[CollectionRecord]:
        with self._lock:
            found = [
                c
                for c in self._collections.values()
                if (c.tenant, c.database) == (tenant, database)
            ]
        return sorted(found, key=lambda c: c.id)


def _retired(record: CollectionRecord) -> bool:
    return bool(record.extra.get("retired"))
