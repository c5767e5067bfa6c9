"""Forks and versions: copy-on-write collections, their lineage, and time travel.

A fork is a new collection in the source's database whose table is a shallow clone of the
source's at its latest version (``LanceStore.clone``): it shares the source's data files
and writes its own from then on, so writes to either side never reach the other.

The lineage lives in the fork's ``CollectionRecord.extra["lineage"]``:

- ``root``: the collection the family started from (``fork_count`` counts the forks of one
  root, the same answer for every member, as Chroma's lineage file does);
- ``parent`` and ``version``: what was cloned;
- ``bases``: every collection whose data files the fork may read (its parent's bases plus
  its parent), since a fork of a fork still names the first source's files.

Two things must never break a fork:

- cleanup of the source's old versions: the clone tags the base version on the source, and
  ``LanceStore.optimize`` keeps tagged versions and their files;
- deleting the source: while a collection is in some record's ``bases``, deleting it only
  *retires* it (``Catalog.retire_collection``): its name is freed and no listing shows it,
  but its record (so a sweep of orphan datasets still knows it) and its dataset stay. When
  the last collection depending on it goes, it is purged.

Example:
    >>> import numpy as np
    >>> from chromalake.config import Settings
    >>> from chromalake.engine.factory import build_engine
    >>> engine = build_engine(Settings())
    >>> src = engine.create_collection("src")
    >>> engine.add(src.id, ["a"], [np.ones(2, np.float32)])
    >>> copy = engine.fork(src.id, "copy")
    >>> engine.count(copy.id), engine.fork_count(src.id)
    (1, 1)
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from chromalake import validation
from chromalake.engine.catalog import CollectionRecord, Conflict
from chromalake.engine.store import AT_VERSION
from chromalake.errors import AlreadyExistsError, InvalidArgumentError, NotFoundError
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT

if TYPE_CHECKING:
    from chromalake.engine.catalog import Catalog
    from chromalake.engine.policy import MaintenancePolicy, WriteListener
    from chromalake.engine.store import LanceStore


class Engine(Protocol):
    """What forks need of the engine (``engine.Engine``, which imports this module: a
    protocol rather than an import back)."""

    catalog: Catalog
    store: LanceStore
    policy: MaintenancePolicy
    on_write: WriteListener | None

    def records_of(
        self, collection_id: str, tenant: str | None, database: str | None
    ) -> CollectionRecord: ...

    def drop_data(self, coll: CollectionRecord) -> None: ...


LINEAGE = "lineage"


def lineage(record: CollectionRecord) -> dict[str, Any]:
    """The record's lineage (empty for a collection that is not a fork)."""
    return dict(record.extra.get(LINEAGE) or {})


def bases(record: CollectionRecord) -> list[str]:
    """Ids of the collections whose data files ``record``'s table may read."""
    return list(lineage(record).get("bases") or [])


def is_retired(record: CollectionRecord) -> bool:
    return bool(record.extra.get("retired"))


def fork(
    engine: Engine,
    collection_id: str,
    new_name: str,
    tenant: str | None = None,
    database: str | None = None,
) -> CollectionRecord:
    """A new collection ``new_name`` holding what the collection holds now (copy-on-write).

    It copies records, metadata, configuration, schema and dimension, and lives in the
    source's database. Raises AlreadyExistsError (409) if the name is taken.
    """
    source = engine.records_of(collection_id, tenant, database)
    validation.validate_create_collection(new_name, None)
    if engine.catalog.get_collection(source.tenant, source.database, new_name) is not None:
        raise AlreadyExistsError(f"Collection [{new_name}] already exists")
    record = CollectionRecord(
        id=str(uuid.uuid4()),
        name=new_name,
        tenant=source.tenant,
        database=source.database,
        configuration=dict(source.configuration),
        metadata=dict(source.metadata) if source.metadata is not None else None,
        schema=source.schema,
        dimension=source.dimension,
    )
    # Clone first, then record: the fork's sequence must continue past every row it holds,
    # so the catalog reads the source's counter after the clone is made.
    version = engine.store.clone(source, record)
    parent = lineage(source)
    record = record.with_changes(
        extra={
            LINEAGE: {
                "root": parent.get("root", source.id),
                "parent": source.id,
                "version": version,
                "bases": [*bases(source), source.id],
            }
        }
    )
    try:
        engine.catalog.fork_collection(record, source.id)
    except Conflict:  # another creator took the name meanwhile: undo the clone
        _discard(engine, record, source)
        raise AlreadyExistsError(f"Collection [{new_name}] already exists") from None
    if source.metadata_keys:
        engine.catalog.add_metadata_keys(record.id, source.metadata_keys)
    engine.store.record_latest(record)  # its readers then know they are fresh
    return record.with_changes(metadata_keys=source.metadata_keys)


def fork_count(
    engine: Engine, collection_id: str, tenant: str | None = None, database: str | None = None
) -> int:
    """How many forks the collection's family holds (its root's forks, forks of forks too)."""
    coll = engine.records_of(collection_id, tenant, database)
    root = lineage(coll).get("root", coll.id)
    family = engine.catalog.database_records(coll.tenant, coll.database)
    return sum(1 for r in family if lineage(r).get("root") == root)


def delete_collection(
    engine: Engine, name: str, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
) -> None:
    """Delete a collection; one that forks still read is retired, not dropped.

    The catalog entry goes first and the dataset after (``Engine.drop_data``), so a collection
    in the catalog always has its data. On a catalog that may resend a write
    (``Catalog.resends_writes``), a delete that finds nothing, though the collection existed a
    moment ago and is gone by id now, is taken as ours (its reply was lost and the resend
    found it done) and reported done; elsewhere a delete that finds nothing is a 404, as in
    Chroma (e.g. the loser of two concurrent deletes).
    """
    found = engine.catalog.get_collection(tenant, database, name)
    if found is None:
        raise NotFoundError(f"Collection [{name}] does not exist")
    family = engine.catalog.database_records(tenant, database)
    if any(found.id in bases(r) for r in family if r.id != found.id):
        retired = engine.catalog.retire_collection(tenant, database, name)
        now = engine.catalog.get_collection_by_id(found.id)
        resent = engine.catalog.resends_writes and now is not None and is_retired(now)
        if retired is None and not resent:
            raise NotFoundError(f"Collection [{name}] does not exist")
        return
    gone = engine.catalog.delete_collection(tenant, database, name)
    resendable = engine.catalog.resends_writes
    if gone is None and resendable and engine.catalog.get_collection_by_id(found.id) is None:
        gone = found
    if gone is None:
        raise NotFoundError(f"Collection [{name}] does not exist")
    engine.drop_data(gone)
    if lineage(gone):
        _release(engine, gone)


def _discard(engine: Engine, record: CollectionRecord, source: CollectionRecord) -> None:
    engine.store.drop(record)
    engine.store.release(source, record.id)


def _release(engine: Engine, gone: CollectionRecord) -> None:
    """After a fork went: untag its base on its parent, then purge retired ancestors that
    nothing depends on any more (each purge may free its own parent in turn)."""
    pending = [gone]
    while pending:
        child = pending.pop()
        parent_id = lineage(child).get("parent")
        parent = engine.catalog.get_collection_by_id(parent_id) if parent_id else None
        if parent is None:
            continue
        engine.store.release(parent, child.id)
        family = engine.catalog.database_records(parent.tenant, parent.database)
        needed = any(parent.id in bases(r) for r in family if r.id != parent.id)
        if is_retired(parent) and not needed:
            engine.catalog.purge_collection(parent.id)
            engine.drop_data(parent)
            pending.append(parent)


def release_stale_bases(engine: Engine, coll: CollectionRecord) -> list[str]:
    """Drop base tags of forks the catalog does not know (a fork whose creation failed
    after its clone); returns their ids. A tag younger than the retention is left alone:
    its fork may be being created right now (the clone comes before the catalog record)."""
    released = []
    now = datetime.now(UTC)
    for fork_id, base in engine.store.fork_bases(coll).items():
        young = now - base.timestamp.astimezone(UTC) < engine.policy.retention
        if young or engine.catalog.get_collection_by_id(fork_id) is not None:
            continue
        engine.store.release(coll, fork_id)
        released.append(fork_id)
    return released


# -- versions ---------------------------------------------------------------------------------


def at_version(record: CollectionRecord, version: int | None) -> CollectionRecord:
    """The record as a read-only view of ``version`` (unchanged when None)."""
    if version is None:
        return record
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidArgumentError(f"Expected a version number >= 1, got {version!r}")
    return record.with_changes(extra={**record.extra, AT_VERSION: version})


def list_versions(
    engine: Engine, collection_id: str, tenant: str | None = None, database: str | None = None
) -> list[dict[str, Any]]:
    """The collection's stored versions, oldest first: number, UTC timestamp, row count.

    Versions older than the maintenance retention are cleaned up, except those forks need.
    """
    coll = engine.records_of(collection_id, tenant, database)
    return [
        {
            "version": v.version,
            "timestamp": v.timestamp.astimezone(UTC).isoformat(),
            "rows": v.rows,
        }
        for v in engine.store.versions(coll)
    ]


def restore_version(
    engine: Engine,
    collection_id: str,
    version: int,
    tenant: str | None = None,
    database: str | None = None,
) -> int:
    """Make the collection hold what it held at ``version`` (a new version; returns it)."""
    coll = engine.records_of(collection_id, tenant, database)
    at_version(coll, version)  # the same argument check as a read
    restored = engine.store.restore(coll, version)
    engine.store.forget_snapshot(coll)
    if engine.on_write is not None:
        engine.on_write(coll.id)
    return restored
