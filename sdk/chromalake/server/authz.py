"""Every route's key check, in one place (the resolver runs it before any route).

The authorizer (``functions/authorizer``, or ``chromalake run --auth``) puts its outcome in
``requestContext.authorizer.lambda`` (:mod:`chromalake.auth.scope`). Here each route has the
level it needs (:data:`POLICY`; a route missing from it needs ROOT, so a new route is closed
until it is classified), and a request is refused:

1. without an accepted key: 403 ``AuthError`` "Forbidden", as Chroma's server answers a missing
   or invalid token (429 when the authorizer was throttling unknown keys);
2. when its path names a tenant, or a database, outside the key's scope: 404, with Chroma's
   not-found message. This depends only on the key and the path, never on what exists, so
   another tenant's names cannot be probed;
3. when the key's role is below the route's level: 403;
4. when the route acts on the tenant as a whole (:data:`TENANT_WIDE`) and the key is limited
   to some databases: 403.

A route that names a database in its body rather than its path (creating a database) checks
it with :func:`require_database`: 403 for a database outside the key's scope, before anything
is read, so the answer never says whether that database exists.

Enforcement is on when the settings ask for it (``chromalake_auth``) or whenever an
authorizer context is present, so an API function behind the authorizer never runs open.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromalake.auth.scope import Level, Scope
from chromalake.errors import ChromaAuthError, ForbiddenError, NotFoundError, RateLimitError

V2 = "/api/v2"
T = V2 + "/tenants/<tenant>"
D = T + "/databases/<database>"
C = D + "/collections/<collection_id>"
KEYS = V2 + "/chromalake/keys"

POLICY: dict[tuple[str, str], Level] = {
    # system
    ("GET", V2): Level.PUBLIC,
    ("GET", V2 + "/heartbeat"): Level.PUBLIC,
    ("GET", V2 + "/version"): Level.PUBLIC,
    ("GET", V2 + "/healthcheck"): Level.PUBLIC,
    ("GET", V2 + "/pre-flight-checks"): Level.PUBLIC,
    ("GET", "/openapi.json"): Level.PUBLIC,
    ("GET", "/docs"): Level.PUBLIC,
    ("GET", V2 + "/auth/identity"): Level.IDENTITY,
    ("POST", V2 + "/reset"): Level.ROOT,
    # tenants and databases
    ("POST", V2 + "/tenants"): Level.ROOT,
    ("GET", T): Level.READ,
    ("PATCH", T): Level.ADMIN,
    ("GET", T + "/databases"): Level.READ,
    ("POST", T + "/databases"): Level.ADMIN,
    ("GET", D): Level.READ,
    ("DELETE", D): Level.ADMIN,
    # collections
    ("GET", D + "/collections"): Level.READ,
    ("POST", D + "/collections"): Level.WRITE,
    ("GET", D + "/collections_count"): Level.READ,
    ("GET", D + "/collections/<name>"): Level.READ,
    ("DELETE", D + "/collections/<name>"): Level.WRITE,
    ("GET", D + "/collections/by-id/<collection_id>"): Level.READ,
    ("PUT", C): Level.WRITE,
    # records
    ("POST", C + "/add"): Level.WRITE,
    ("POST", C + "/update"): Level.WRITE,
    ("POST", C + "/upsert"): Level.WRITE,
    ("POST", C + "/delete"): Level.WRITE,
    ("GET", C + "/count"): Level.READ,
    ("POST", C + "/get"): Level.READ,
    ("POST", C + "/query"): Level.READ,
    ("POST", C + "/search"): Level.READ,
    # forks (Chroma Cloud's routes) and chromalake's version routes
    ("POST", C + "/fork"): Level.WRITE,
    ("GET", C + "/fork_count"): Level.READ,
    ("GET", C + "/versions"): Level.READ,
    ("POST", C + "/versions/<version>/restore"): Level.WRITE,
    ("GET", C + "/versions/<version>/count"): Level.READ,
    ("POST", C + "/versions/<version>/get"): Level.READ,
    ("POST", C + "/versions/<version>/query"): Level.READ,
    # Chroma's routes a single node does not serve (indexing_status is ours; the others
    # answer Chroma's single-node errors after the check)
    ("GET", C + "/indexing_status"): Level.READ,
    ("POST", C + "/functions/attach"): Level.WRITE,
    ("GET", C + "/functions/<function_name>"): Level.READ,
    ("POST", C + "/attached_functions/<function_name>/detach"): Level.WRITE,
    # chromalake's key administration (the admin key's tenant is checked by the route)
    ("POST", KEYS): Level.ADMIN,
    ("GET", KEYS): Level.ADMIN,
    ("DELETE", KEYS + "/<key_id>"): Level.ADMIN,
}

# ADMIN routes that act on the tenant as a whole, beyond any one database: an admin key
# limited to some databases may not call them.
TENANT_WIDE: frozenset[tuple[str, str]] = frozenset({("PATCH", T)})


def authorizer_context(event: Mapping[str, Any]) -> dict[str, Any] | None:
    """The authorizer's context in an API Gateway HTTP API event, if there is one."""
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    context = authorizer.get("lambda")
    return context if isinstance(context, dict) and "status" in context else None


def scope_of(event: Mapping[str, Any]) -> Scope | None:
    """The accepted key's scope of a request (None when there is none)."""
    context = authorizer_context(event)
    if context is None or context.get("status") != "ok":
        return None
    return Scope.from_context(context)


def check(
    method: str, path: str, arguments: Mapping[str, str], event: Mapping[str, Any], required: bool
) -> None:
    """Raise the error a request gets, or return when it may run (the module doc's rules)."""
    context = authorizer_context(event)
    if not required and context is None:
        return
    level = POLICY.get((method, path), Level.ROOT)
    if level == Level.PUBLIC:
        return
    if context is not None and context.get("status") == "throttled":
        raise RateLimitError("Too many requests with unknown API keys, retry later")
    scope = scope_of(event)
    if scope is None:
        raise ChromaAuthError()
    _hide_foreign(scope, arguments)
    if scope.level < level:
        raise ForbiddenError(f"This API key's role ({scope.role}) does not allow this request")
    if (method, path) in TENANT_WIDE and scope.databases is not None:
        raise ForbiddenError("This API key is limited to some databases of the tenant")


def require_database(event: Mapping[str, Any], database: str) -> None:
    """Refuse (403) a request whose body names a database outside its key's scope.

    Example:
        >>> event = {"requestContext": {"authorizer": {"lambda": Scope(
        ...     "k1", "acme", ("sales",), "admin").context()}}}
        >>> require_database(event, "sales")
        >>> require_database(event, "hr")
        Traceback (most recent call last):
        ...
        chromalake.errors.ForbiddenError: This API key cannot reach database [hr]
    """
    scope = scope_of(event)
    if scope is not None and not scope.sees_database(database):
        raise ForbiddenError(f"This API key cannot reach database [{database}]")


def _hide_foreign(scope: Scope, arguments: Mapping[str, str]) -> None:
    tenant, database = arguments.get("tenant"), arguments.get("database")
    if tenant is not None and not scope.sees_tenant(tenant):
        raise NotFoundError(f"Tenant [{tenant}] not found")
    if database is not None and not scope.sees_database(database):
        raise NotFoundError(f"Database [{database}] not found. Are you sure it exists?")
