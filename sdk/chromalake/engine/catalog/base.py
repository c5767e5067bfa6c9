"""The catalog: tenants, databases and collections, behind one protocol.

Three backends implement it (memory, SQLite, and DynamoDB for the service). They store and
enforce uniqueness; Chroma's messages and error classes are the engine's business, so the
catalog reports conflicts with :class:`Conflict` and absences with ``None``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, Protocol

from chromalake.records import CollectionRecord, DatabaseRecord, MetadataKey


class Conflict(Exception):
    """A uniqueness constraint would be broken (a name is taken)."""


class Stale(Exception):
    """A conditional update found the record changed since it was read."""


def described_alike(stored: CollectionRecord, previous: CollectionRecord) -> bool:
    """Whether the parts of a collection that ``update_collection`` replaces are unchanged."""
    return (stored.name, stored.metadata, stored.configuration, stored.schema) == (
        previous.name,
        previous.metadata,
        previous.configuration,
        previous.schema,
    )


class Catalog(Protocol):
    """What the engine needs from a catalog backend. Every method is atomic on its own."""

    # Whether one write may reach the backend twice: boto3 resends a DynamoDB request whose
    # reply was lost, and the resend finds its own work done (a delete then finds nothing).
    resends_writes: bool

    def create_tenant(self, name: str) -> None:
        """Add a tenant, with a new random id; raises Conflict if it exists."""

    def has_tenant(self, name: str) -> bool: ...

    def tenant_id(self, name: str) -> str | None:
        """The id the tenant got when it was created (None: no such tenant; "" for a tenant
        stored before tenants had ids). A tenant created again under the same name, after a
        reset, has a new id: API keys are bound to it (chromalake.auth)."""

    def create_database(self, record: DatabaseRecord) -> None:
        """Add a database; raises Conflict if (tenant, name) exists."""

    def get_database(self, tenant: str, name: str) -> DatabaseRecord | None: ...

    def list_databases(
        self, tenant: str, limit: int | None, offset: int | None
    ) -> list[DatabaseRecord]:
        """Databases of a tenant, ordered by name."""

    def delete_database(self, tenant: str, name: str) -> list[CollectionRecord] | None:
        """Remove a database and its collections; returns the collections, None if absent."""

    def create_collection(self, record: CollectionRecord) -> None:
        """Add a collection; raises Conflict if (tenant, database, name) exists."""

    def get_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None: ...

    def get_collection_by_id(self, collection_id: str) -> CollectionRecord | None: ...

    def list_collections(
        self, tenant: str, database: str, limit: int | None, offset: int | None
    ) -> list[CollectionRecord]:
        """Collections of a database, ordered by id (as Chroma's single node does)."""

    def count_collections(self, tenant: str, database: str) -> int: ...

    def all_collections(self) -> list[CollectionRecord]:
        """Every collection of every tenant (for reset)."""

    def update_collection(self, record: CollectionRecord, previous: CollectionRecord) -> None:
        """Replace name, metadata, configuration and schema; raises Conflict on a taken name.

        Conditional: only while those four are still as in ``previous`` (the record the
        change was computed from), else Stale, so concurrent modifies never undo each other.
        The dimension and the metadata keys are left as they are: writers own those. A
        collection deleted meanwhile is left deleted.
        """

    def delete_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        """Remove a collection; returns it, or None if absent."""

    def set_dimension(self, collection_id: str, dimension: int) -> int:
        """Fix the dimension if unset; returns the dimension in force afterwards."""

    def allocate_seq(self, collection_id: str, count: int) -> int:
        """Reserve ``count`` insertion sequence numbers; returns the first."""

    def add_metadata_keys(self, collection_id: str, keys: Iterable[MetadataKey]) -> None:
        """Add to the collection's metadata keys (a set union; no-op if it is gone)."""

    def record_version(self, collection_id: str, version: int) -> None:
        """Record that the collection's table reached ``version``; never moves it backwards
        (a writer that committed earlier may record later). No-op if it is gone."""

    def reset(self) -> None:
        """Remove everything (the engine then recreates the defaults)."""

    # -- forks (chromalake: lineage lives in ``CollectionRecord.extra``, see engine/forks.py) --

    def fork_collection(self, record: CollectionRecord, source_id: str) -> None:
        """Add ``record`` (``extra`` kept as given) continuing the insertion sequence of
        ``source_id``; raises Conflict if (tenant, database, name) exists."""

    def retire_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        """Delete a collection from view but keep its record: its name is free, list, count
        and get by name skip it, get by id returns it with ``extra["retired"]`` True (forks
        still read its dataset). Returns the record as it was, None if absent."""

    def purge_collection(self, collection_id: str) -> None:
        """Remove a collection's record for good (a retired one nobody depends on)."""

    def database_records(self, tenant: str, database: str) -> list[CollectionRecord]:
        """Every collection record of a database, retired ones included, ordered by id."""


__all__ = [
    "Catalog",
    "CollectionRecord",
    "Conflict",
    "DatabaseRecord",
    "MetadataKey",
    "Stale",
    "described_alike",
    "new_tenant_id",
    "page",
]


def page(items: list[Any], limit: int | None, offset: int | None) -> list[Any]:
    """Chroma's limit/offset over an ordered list (None: no limit, offset 0)."""
    start = offset or 0
    return items[start:] if limit is None else items[start : start + limit]


def new_tenant_id() -> str:
    """A new tenant's id (random: a tenant created again under its old name gets another)."""
    return str(uuid.uuid4())
