"""Creating, listing and revoking keys, and who may do it.

A root key (tenant ``*``) manages every tenant's keys. A tenant's admin key manages its own
tenant's keys only; an admin key limited to some databases manages only the keys limited to
those databases (never a key of more, nor of every database). No admin can mint a key
reaching further than itself. Another tenant, or a key beyond the caller's reach, is
answered as if it did not exist (404), so an admin learns nothing about what it cannot reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import cast

from chromalake import validation
from chromalake.auth.authenticator import Authenticator
from chromalake.auth.keys import (
    ALL,
    ROLES,
    ApiKey,
    KeyStore,
    Role,
    Tenants,
    generate_key,
    generate_key_id,
    hash_key,
    is_current,
    now,
)
from chromalake.auth.scope import Scope
from chromalake.errors import ForbiddenError, InvalidArgumentError, NotFoundError

MAX_NAME = 256
ROOT = Scope(key_id="", tenant=ALL, databases=None, role="admin")  # the CLI's direct access


def tenant_not_found(tenant: str) -> NotFoundError:
    return NotFoundError(f"Tenant [{tenant}] not found")


def key_not_found(key_id: str) -> NotFoundError:
    return NotFoundError(f"API key [{key_id}] not found")


def _checked(
    tenant: str, databases: Sequence[str] | None, role: str, name: str
) -> tuple[tuple[str, ...] | None, Role]:
    if role not in ROLES:
        raise InvalidArgumentError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
    if not name or len(name) > MAX_NAME:
        raise InvalidArgumentError(f"name must have 1 to {MAX_NAME} characters")
    if tenant == ALL and (role != "admin" or databases is not None):
        raise InvalidArgumentError("a key of every tenant (*) must be an admin of every database")
    if databases is None:
        return None, cast(Role, role)
    if not databases:
        raise InvalidArgumentError("databases must name at least one database (or be null)")
    for database in databases:
        validation.validate_database_name(database)
    return tuple(dict.fromkeys(databases)), cast(Role, role)


class _ReadOnce:
    """Tenants whose ids are read once each (a listing holds many keys of one tenant)."""

    def __init__(self, tenants: Tenants) -> None:
        self._ids: dict[str, str | None] = {}
        self._tenants = tenants

    def tenant_id(self, name: str) -> str | None:
        if name not in self._ids:
            self._ids[name] = self._tenants.tenant_id(name)
        return self._ids[name]


class KeyAdmin:
    """Key management over a store, on behalf of a caller's scope.

    ``tenants`` is the catalog: a key is made only for a tenant that exists, and bound to its
    id (:func:`chromalake.auth.keys.is_current`).

    Example:
        >>> from chromalake.auth.keys import MemoryKeyStore
        >>> from chromalake.engine.catalog import MemoryCatalog
        >>> catalog = MemoryCatalog()
        >>> catalog.create_tenant("acme")
        >>> admin = KeyAdmin(MemoryKeyStore(), catalog)
        >>> record, key = admin.create_key(ROOT, "acme", ["sales"], "read-only", "dashboards")
        >>> record.tenant, record.databases, key.startswith("clk_")
        ('acme', ('sales',), True)
        >>> [k.name for k in admin.list_keys(ROOT, "acme")]
        ['dashboards']
    """

    def __init__(
        self,
        store: KeyStore,
        tenants: Tenants,
        pepper: str | None = None,
        authenticator: Authenticator | None = None,
    ) -> None:
        self.store, self.tenants = store, tenants
        self._pepper, self._authenticator = pepper, authenticator

    def create_key(
        self,
        caller: Scope,
        tenant: str,
        databases: Sequence[str] | None,
        role: str,
        name: str,
    ) -> tuple[ApiKey, str]:
        """A new key (the record, and the key itself: shown this once, never stored)."""
        if not caller.sees_tenant(tenant):
            raise tenant_not_found(tenant)
        tenant_id = "" if tenant == ALL else self.tenants.tenant_id(tenant)
        if tenant_id is None:
            raise tenant_not_found(tenant)
        wanted, checked_role = _checked(tenant, databases, role, name)
        if not caller.covers(wanted):
            raise ForbiddenError("An API key cannot create a key for databases it cannot use")
        key = generate_key()
        record = ApiKey(
            id=generate_key_id(),
            key_hash=hash_key(key, self._pepper),
            tenant=tenant,
            databases=wanted,
            role=checked_role,
            name=name,
            created_at=now(),
            tenant_id=tenant_id,
        )
        self.store.add_key(record)
        return record, key

    def create_root_key(self, name: str) -> tuple[ApiKey, str]:
        """A key of every tenant: how a deployment gets its first admin (CLI, direct)."""
        return self.create_key(ROOT, ALL, None, "admin", name)

    def list_keys(self, caller: Scope, tenant: str | None = None) -> list[ApiKey]:
        """The keys of ``tenant`` within the caller's reach (a tenant admin: its own tenant's,
        whatever it asks; an admin of some databases: the keys of those databases only).

        The keys of a tenant that was reset are not the keys of the tenant that now has its
        name: only root's list of every key shows them, as revoked (they no longer work).
        """
        if tenant is not None and not caller.sees_tenant(tenant):
            raise tenant_not_found(tenant)
        if tenant is None and not caller.is_root:
            tenant = caller.tenant
        keys, tenants = self.store.list_keys(tenant), _ReadOnce(self.tenants)
        if tenant is None:
            return [k if is_current(k, tenants) else replace(k, revoked=True) for k in keys]
        return [k for k in keys if caller.reaches(k) and is_current(k, tenants)]

    def revoke_key(self, caller: Scope, key_id: str) -> ApiKey:
        """Revoke a key of the caller's reach; the key as it now is. A key beyond it (or of
        a tenant since reset, unless the caller is root) is answered as one that does not
        exist."""
        found = self.store.get_key(key_id)
        if (
            found is None
            or not caller.reaches(found)
            or not (caller.is_root or is_current(found, self.tenants))
        ):
            raise key_not_found(key_id)
        revoked = self.store.revoke_key(key_id)
        if revoked is None:
            raise key_not_found(key_id)
        if self._authenticator is not None:
            self._authenticator.forget(key_id)
        return revoked
