"""Admin tasks as plain JSON events: what the ``admin`` Lambda runs from the AWS console.

An event is ``{"action": NAME, ...fields}``; the answer is JSON, or Chroma's error shape
``{"error": ..., "message": ...}`` for a mistake (so the console's Test tab shows it rather
than a traceback). The actions:

- ``create_tenant``: ``name``;
- ``create_database``: ``tenant``, ``name``;
- ``create_key``: ``tenant`` (``*``: every tenant), ``role``, ``name``, ``databases``
  (optional); answers the key's record and ``key``, shown this once;
- ``list_keys``: ``tenant`` (optional); the records, never the keys;
- ``revoke_key``: ``key_id``; the revoked record;
- ``list_collections``: ``tenant``, ``database`` (default: Chroma's); id, name, metadata;
- ``maintain``: ``collection`` (a name or an id), ``tenant``, ``database``; the report;
- ``restore_version``: ``collection``, ``version``, ``tenant``, ``database``; the new
  latest version.

Everything but ``maintain`` and ``restore_version`` needs only the catalog table (the admin
function is a small zip without Lance); those two are handed, with the collection's id, to a
``forward`` callable: in AWS, an invocation of the maintenance function, which has Lance.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from chromalake.auth.admin import ROOT, KeyAdmin
from chromalake.engine.catalog import Catalog, Conflict, DatabaseRecord
from chromalake.errors import (
    ChromaError,
    InvalidArgumentError,
    NotFoundError,
    UniqueConstraintError,
    to_wire,
)
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT

#: Each action's required fields.
ACTIONS: dict[str, tuple[str, ...]] = {
    "create_tenant": ("name",),
    "create_database": ("tenant", "name"),
    "create_key": ("tenant", "role", "name"),
    "list_keys": (),
    "revoke_key": ("key_id",),
    "list_collections": (),
    "maintain": ("collection",),
    "restore_version": ("collection", "version"),
}

Forward = Callable[[dict[str, Any]], Any]


class AdminActions:
    """Runs admin events against a catalog and a key store.

    Example:
        >>> from chromalake.engine.catalog import MemoryCatalog
        >>> from chromalake.auth.admin import KeyAdmin
        >>> from chromalake.auth.keys import MemoryKeyStore
        >>> catalog = MemoryCatalog()
        >>> actions = AdminActions(catalog, KeyAdmin(MemoryKeyStore(), catalog, None))
        >>> actions.run({"action": "create_tenant", "name": "acme"})
        {'tenant': 'acme'}
        >>> actions.run({"action": "create_tenant"})["message"]
        'create_tenant needs name'
    """

    def __init__(self, catalog: Catalog, keys: KeyAdmin, forward: Forward | None = None) -> None:
        self.catalog, self.keys, self.forward = catalog, keys, forward

    def run(self, event: Mapping[str, Any]) -> Any:
        """The answer to one event (errors as Chroma's ``{"error", "message"}``)."""
        try:
            return self._run(event)
        except ChromaError as error:
            return to_wire(error)

    def _run(self, event: Mapping[str, Any]) -> Any:
        action = str(event.get("action", ""))
        if action not in ACTIONS:
            known = ", ".join(ACTIONS)
            raise InvalidArgumentError(f"unknown action {action!r}: one of {known}")
        missing = [f for f in ACTIONS[action] if event.get(f) in (None, "")]
        if missing:
            raise InvalidArgumentError(f"{action} needs {', '.join(missing)}")
        return getattr(self, action)(event)

    def create_tenant(self, event: Mapping[str, Any]) -> dict[str, Any]:
        try:
            self.catalog.create_tenant(str(event["name"]))
        except Conflict:
            raise UniqueConstraintError(f"Tenant {event['name']} already exists") from None
        return {"tenant": event["name"]}

    def create_database(self, event: Mapping[str, Any]) -> dict[str, Any]:
        tenant, name = str(event["tenant"]), str(event["name"])
        self._tenant(tenant)
        record = DatabaseRecord(id=str(uuid.uuid4()), name=name, tenant=tenant)
        try:
            self.catalog.create_database(record)
        except Conflict:
            raise UniqueConstraintError(f"Database {name} already exists") from None
        return {"tenant": tenant, "database": name}

    def create_key(self, event: Mapping[str, Any]) -> dict[str, Any]:
        tenant = str(event["tenant"])
        if tenant != "*":
            self._tenant(tenant)
        databases = event.get("databases") or None
        try:
            record, key = self.keys.create_key(
                ROOT, tenant, databases, str(event["role"]), str(event["name"])
            )
        except ValueError as error:
            raise InvalidArgumentError(str(error)) from None
        return {**record.public(), "key": key}

    def list_keys(self, event: Mapping[str, Any]) -> list[dict[str, object]]:
        return [k.public() for k in self.keys.list_keys(ROOT, event.get("tenant"))]

    def revoke_key(self, event: Mapping[str, Any]) -> dict[str, object]:
        return self.keys.revoke_key(ROOT, str(event["key_id"])).public()

    def list_collections(self, event: Mapping[str, Any]) -> list[dict[str, Any]]:
        tenant, database = self._where(event)
        return [
            {"id": c.id, "name": c.name, "metadata": c.metadata}
            for c in self.catalog.list_collections(tenant, database, None, None)
        ]

    def maintain(self, event: Mapping[str, Any]) -> Any:
        return self._forward({"collection_id": self._collection_id(event)})

    def restore_version(self, event: Mapping[str, Any]) -> Any:
        try:
            version = int(event["version"])
        except (TypeError, ValueError):
            raise InvalidArgumentError("version must be a whole number") from None
        collection_id = self._collection_id(event)
        return self._forward(
            {"action": "restore_version", "collection_id": collection_id, "version": version}
        )

    def _forward(self, payload: dict[str, Any]) -> Any:
        if self.forward is None:
            raise InvalidArgumentError("this deployment has no maintenance function to run it")
        return self.forward(payload)

    def _tenant(self, tenant: str) -> None:
        if not self.catalog.has_tenant(tenant):
            raise NotFoundError(f"Tenant {tenant} not found")

    def _where(self, event: Mapping[str, Any]) -> tuple[str, str]:
        return (
            str(event.get("tenant") or DEFAULT_TENANT),
            str(event.get("database") or DEFAULT_DATABASE),
        )

    def _collection_id(self, event: Mapping[str, Any]) -> str:
        """The id of the collection the event names (a name in its database, or an id)."""
        wanted = str(event["collection"])
        tenant, database = self._where(event)
        record = self.catalog.get_collection(tenant, database, wanted)
        record = record or self.catalog.get_collection_by_id(wanted)
        if record is None:
            raise NotFoundError(f"Collection [{wanted}] does not exist")
        return record.id


__all__ = ["ACTIONS", "AdminActions"]
