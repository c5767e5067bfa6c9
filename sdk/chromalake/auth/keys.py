"""API keys: how they are made, hashed and stored.

A key is ``clk_`` followed by 43 URL-safe characters (32 random bytes from :mod:`secrets`).
It is shown once, when it is created; the store keeps only its hash (SHA-256, or HMAC-SHA256
with a server-side pepper), so a copy of the table or the SQLite file holds no usable key.
Lookups go by hash: a presented key is hashed and the hash is the lookup key, so how long a
check takes never depends on how much of a stored key a guess got right.

A key of a tenant is bound to the tenant's id (the catalog's, made when the tenant was
created), not only to its name: after a reset, a tenant created again under the same name
has another id, and the keys of the old one no longer work (:func:`is_current`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Literal, Protocol, get_args

Role = Literal["admin", "read-write", "read-only"]
ROLES: tuple[str, ...] = get_args(Role)
KEY_PREFIX = "clk_"
ALL = "*"  # a tenant or database list meaning "every one" (Chroma's identity uses it too)
_KEY_RE = re.compile(r"^clk_[A-Za-z0-9_-]{43}$")


def generate_key() -> str:
    """A new API key: the prefix and 32 random bytes, URL-safe base64.

    Example:
        >>> key = generate_key()
        >>> key.startswith("clk_"), len(key), is_well_formed(key)
        (True, 47, True)
    """
    return KEY_PREFIX + secrets.token_urlsafe(32)


def generate_key_id() -> str:
    """A public id for a key (16 hex characters): what lists, revokes and logs name."""
    return secrets.token_hex(8)


def is_well_formed(token: str) -> bool:
    """Whether ``token`` could be a key at all (a cheap check before any store lookup)."""
    return _KEY_RE.match(token) is not None


def hash_key(key: str, pepper: str | None = None) -> str:
    """The stored form of ``key``: hex SHA-256, or HMAC-SHA256 keyed with ``pepper``.

    Example:
        >>> hash_key("clk_x") == hashlib.sha256(b"clk_x").hexdigest()
        True
        >>> hash_key("clk_x", "pepper") != hash_key("clk_x")
        True
    """
    data = key.encode("utf-8", "surrogatepass")
    if pepper:
        return hmac.new(pepper.encode(), data, hashlib.sha256).hexdigest()
    return hashlib.sha256(data).hexdigest()


def now() -> str:
    """The current UTC time as stored on keys (ISO 8601, seconds)."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class ApiKey:
    """One stored key: everything but the key itself.

    ``databases`` None means every database of the tenant; ``tenant`` ``"*"`` is a root key
    (always an admin) that may act on every tenant. ``tenant_id`` is the id the tenant had
    when the key was made ("" for a key, or a tenant, stored before tenants had ids).
    """

    id: str
    key_hash: str
    tenant: str
    databases: tuple[str, ...] | None
    role: Role
    name: str
    created_at: str
    last_used_at: str | None = None
    revoked: bool = False
    tenant_id: str = ""

    def public(self) -> dict[str, object]:
        """The key as admin routes and the CLI show it (no hash).

        Example:
            >>> k = ApiKey("k1", "h", "acme", None, "read-only", "ci", "2026-01-01T00:00:00+00:00")
            >>> k.public()["databases"], "key_hash" in k.public()
            (None, False)
        """
        return {
            "id": self.id,
            "tenant": self.tenant,
            "databases": list(self.databases) if self.databases is not None else None,
            "role": self.role,
            "name": self.name,
            "created_at": self.created_at,
            "last_used_at": self.last_used_at,
            "revoked": self.revoked,
        }


class Tenants(Protocol):
    """Where tenants' ids are read: the engine's catalog (``Catalog.tenant_id``)."""

    def tenant_id(self, name: str) -> str | None:
        """The tenant's id (None: no such tenant; "" for one stored before tenants had ids)."""


def is_current(key: ApiKey, tenants: Tenants) -> bool:
    """Whether ``key``'s tenant is still the one it was made for (a root key has no tenant).

    Example:
        >>> from chromalake.engine.catalog import MemoryCatalog
        >>> tenants = MemoryCatalog()
        >>> tenants.create_tenant("acme")
        >>> key = ApiKey("k1", "h", "acme", None, "admin", "ci", now(), tenant_id="")
        >>> is_current(key, tenants)
        False
        >>> is_current(replace(key, tenant_id=tenants.tenant_id("acme") or ""), tenants)
        True
    """
    return key.tenant == ALL or tenants.tenant_id(key.tenant) == key.tenant_id


class KeyStore(Protocol):
    """Where keys live: SQLite for ``chromalake run --auth``, DynamoDB in AWS."""

    def add_key(self, key: ApiKey) -> None:
        """Store a new key (its id and hash are fresh, so they never collide)."""

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        """The key with this hash, revoked or not."""

    def get_key(self, key_id: str) -> ApiKey | None: ...

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        """The keys of ``tenant`` (every key when None), by id."""

    def revoke_key(self, key_id: str) -> ApiKey | None:
        """Mark a key revoked; the key as it now is, or None if there is no such key."""

    def touch_key(self, key_id: str, when: str) -> None:
        """Record that a key was used at ``when``."""


class MemoryKeyStore:
    """A key store in a dict (tests, and an embedded server with nothing to persist)."""

    def __init__(self) -> None:
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    def add_key(self, key: ApiKey) -> None:
        with self._lock:
            self._keys[key.id] = key

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        with self._lock:
            return next((k for k in self._keys.values() if k.key_hash == key_hash), None)

    def get_key(self, key_id: str) -> ApiKey | None:
        with self._lock:
            return self._keys.get(key_id)

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        with self._lock:
            found = [k for k in self._keys.values() if tenant is None or k.tenant == tenant]
        return sorted(found, key=lambda k: k.id)

    def revoke_key(self, key_id: str) -> ApiKey | None:
        return self._update(key_id, revoked=True)

    def touch_key(self, key_id: str, when: str) -> None:
        self._update(key_id, last_used_at=when)

    def _update(self, key_id: str, **changes: object) -> ApiKey | None:
        with self._lock:
            key = self._keys.get(key_id)
            if key is None:
                return None
            self._keys[key_id] = replace(key, **changes)  # type: ignore[arg-type]
            return self._keys[key_id]
