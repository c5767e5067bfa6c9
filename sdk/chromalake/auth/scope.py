"""What a key may reach: its scope, and how the authorizer hands it to the API function.

API Gateway passes a Lambda authorizer's ``context`` to the integration as
``requestContext.authorizer.lambda``; its values must be strings, numbers or booleans, so the
database list travels as JSON text. ``chromalake run --auth`` builds the same context.

Levels: what a route needs and what a role grants, in increasing order. A key may call a
route when its level is at least the route's.

| level | routes | granted to |
| --- | --- | --- |
| PUBLIC | heartbeat, version, healthcheck, pre-flight-checks, OpenAPI | anyone, no key |
| IDENTITY | ``auth/identity`` | every key |
| READ | get/list/count tenants' databases and collections, record get/query/count | read-only |
| WRITE | create/modify/delete collections, add/update/upsert/delete records | read-write |
| ADMIN | create/delete databases, update the tenant, create/list/revoke keys | admin |
| ROOT | create tenants, reset | an admin key of tenant ``*`` |
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

from chromalake.auth.keys import ALL, ApiKey

Status = Literal["ok", "denied", "throttled"]


class Level(IntEnum):
    PUBLIC = 0
    IDENTITY = 1
    READ = 2
    WRITE = 3
    ADMIN = 4
    ROOT = 5


ROLE_LEVELS = {"read-only": Level.READ, "read-write": Level.WRITE, "admin": Level.ADMIN}


@dataclass(frozen=True)
class Scope:
    """An authenticated key's reach.

    Example:
        >>> s = Scope("k1", "acme", ("sales",), "read-only")
        >>> s.sees_tenant("acme"), s.sees_tenant("other"), s.sees_database("hr")
        (True, False, False)
        >>> Scope.from_context(s.context()) == s
        True
    """

    key_id: str
    tenant: str
    databases: tuple[str, ...] | None  # None: every database of the tenant
    role: str

    @classmethod
    def of(cls, key: ApiKey) -> Scope:
        return cls(key.id, key.tenant, key.databases, key.role)

    @property
    def is_root(self) -> bool:
        return self.tenant == ALL and self.role == "admin"

    @property
    def level(self) -> Level:
        return Level.ROOT if self.is_root else ROLE_LEVELS.get(self.role, Level.IDENTITY)

    def sees_tenant(self, tenant: str) -> bool:
        return self.tenant in (ALL, tenant)

    def sees_database(self, database: str) -> bool:
        return self.databases is None or database in self.databases

    def covers(self, databases: tuple[str, ...] | None) -> bool:
        """Whether every one of ``databases`` (None: all of the tenant's) is within this scope.

        Example:
            >>> s = Scope("k1", "acme", ("sales", "hr"), "admin")
            >>> s.covers(("sales",)), s.covers(("sales", "ops")), s.covers(None)
            (True, False, False)
        """
        if self.databases is None:
            return True
        return databases is not None and set(databases) <= set(self.databases)

    def reaches(self, key: ApiKey) -> bool:
        """Whether an admin of this scope may see and revoke ``key``: a key of its tenant
        whose databases are all within its own (a root key reaches every key)."""
        return self.sees_tenant(key.tenant) and self.covers(key.databases)

    def identity(self) -> dict[str, Any]:
        """Chroma's ``/auth/identity`` body for this key (exactly its three keys)."""
        databases = list(self.databases) if self.databases is not None else [ALL]
        return {"user_id": self.key_id, "tenant": self.tenant, "databases": databases}

    def context(self) -> dict[str, str]:
        """The authorizer context of an accepted key."""
        databases = json.dumps(list(self.databases)) if self.databases is not None else ALL
        return {
            "status": "ok",
            "key_id": self.key_id,
            "tenant": self.tenant,
            "databases": databases,
            "role": self.role,
        }

    @classmethod
    def from_context(cls, context: dict[str, Any]) -> Scope:
        databases = str(context["databases"])
        return cls(
            key_id=str(context["key_id"]),
            tenant=str(context["tenant"]),
            databases=None if databases == ALL else tuple(json.loads(databases)),
            role=str(context["role"]),
        )


def refused_context(status: Status) -> dict[str, str]:
    """The authorizer context of a request without a usable key (no key data in it)."""
    return {"status": status}
