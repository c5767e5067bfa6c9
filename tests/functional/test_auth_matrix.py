"""Every route with every key: two tenants, keys of each role, the allowed/refused matrix.

The app runs behind the same authorizer as ``chromalake run --auth``, on a fresh in-memory
world per test. Tenant B also has a database and a collection that no request ever names:
no answer to a key of tenant A may contain their names or ids.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

import pytest
from server_events import http_event

from chromalake.auth.admin import ROOT, KeyAdmin
from chromalake.auth.authenticator import Authenticator
from chromalake.auth.keys import MemoryKeyStore
from chromalake.auth.scope import Level, Scope
from chromalake.config import Settings
from chromalake.engine.factory import build_engine
from chromalake.errors import AlreadyExistsError
from chromalake.server import build_app
from chromalake.server.local_auth import AuthorizingResolver

V2 = "/api/v2"
T = V2 + "/tenants/{t}"
D = T + "/databases/{d}"
C = D + "/collections/{cid}"

# (method, path, body, level needed, status when allowed)
ROUTES: list[tuple[str, str, Any, Level, int]] = [
    ("GET", V2 + "/heartbeat", None, Level.PUBLIC, 200),
    ("GET", V2 + "/version", None, Level.PUBLIC, 200),
    ("GET", V2 + "/healthcheck", None, Level.PUBLIC, 200),
    ("GET", V2 + "/pre-flight-checks", None, Level.PUBLIC, 200),
    ("GET", V2 + "/auth/identity", None, Level.IDENTITY, 200),
    ("POST", V2 + "/reset", None, Level.ROOT, 200),
    ("POST", V2 + "/tenants", {"name": "tenant_new"}, Level.ROOT, 200),
    ("GET", T, None, Level.READ, 200),
    ("PATCH", T, {"resource_name": "x"}, Level.ADMIN, 200),
    ("GET", T + "/databases", None, Level.READ, 200),
    ("POST", T + "/databases", {"name": "db_new"}, Level.ADMIN, 200),
    ("GET", D, None, Level.READ, 200),
    ("DELETE", D, None, Level.ADMIN, 200),
    ("GET", D + "/collections", None, Level.READ, 200),
    ("POST", D + "/collections", {"name": "col_new"}, Level.WRITE, 200),
    ("GET", D + "/collections_count", None, Level.READ, 200),
    ("GET", D + "/collections/{name}", None, Level.READ, 200),
    ("DELETE", D + "/collections/{name}", None, Level.WRITE, 200),
    ("GET", D + "/collections/by-id/{cid}", None, Level.READ, 200),
    ("PUT", C, {"new_metadata": {"k": 1}}, Level.WRITE, 200),
    ("POST", C + "/add", {"ids": ["n1"], "embeddings": [[1.0, 2.0]]}, Level.WRITE, 201),
    ("POST", C + "/update", {"ids": ["r1"], "documents": ["u"]}, Level.WRITE, 200),
    ("POST", C + "/upsert", {"ids": ["r2"], "embeddings": [[1.0, 2.0]]}, Level.WRITE, 200),
    ("POST", C + "/delete", {"ids": ["r1"]}, Level.WRITE, 200),
    ("GET", C + "/count", None, Level.READ, 200),
    ("POST", C + "/get", {}, Level.READ, 200),
    ("POST", C + "/query", {"query_embeddings": [[1.0, 2.0]], "n_results": 1}, Level.READ, 200),
    ("POST", C + "/fork", {"new_name": "forked"}, Level.WRITE, 200),
    ("GET", C + "/fork_count", None, Level.READ, 200),
    ("GET", C + "/versions", None, Level.READ, 200),
    ("GET", C + "/versions/1/count", None, Level.READ, 200),
    ("POST", C + "/versions/1/get", {}, Level.READ, 200),
    ("POST", C + "/versions/1/query", {"query_embeddings": [[1.0, 2.0]]}, Level.READ, 200),
    ("POST", C + "/versions/1/restore", None, Level.WRITE, 200),
    ("GET", C + "/indexing_status", None, Level.READ, 200),
]

# key name -> (tenant, databases, role)
KEYS = {
    "root": ("*", None, "admin"),
    "a_admin": ("tenant_a", None, "admin"),
    "a_rw": ("tenant_a", None, "read-write"),
    "a_ro": ("tenant_a", None, "read-only"),
    "a_ro_one": ("tenant_a", ["db_one"], "read-only"),
    "a_rw_two": ("tenant_a", ["db_two"], "read-write"),
    "a_admin_one": ("tenant_a", ["db_one"], "admin"),
    "b_admin": ("tenant_b", None, "admin"),
}
SECRET_B = ("b_private_db", "b_hidden")  # names no request ever uses
# Admin routes beyond any one database (the tenant; a database the body names, db_new): a key
# limited to some databases gets 403 there.
BEYOND_DATABASES = {("PATCH", T), ("POST", T + "/databases")}


@dataclass(frozen=True)
class Target:
    tenant: str
    database: str
    name: str


TARGETS = {
    "a_one": Target("tenant_a", "db_one", "col_a"),
    "a_two": Target("tenant_a", "db_two", "col_a2"),
    "b_one": Target("tenant_b", "db_one", "col_b"),
}


class World:
    """Two tenants with databases, collections and records, and a key of each kind."""

    def __init__(self) -> None:
        settings = Settings(chromalake_auth=True, allow_reset=True)
        self.engine = build_engine(settings)
        store = MemoryKeyStore()
        authenticator = Authenticator(store, self.engine.catalog)
        self.admin = KeyAdmin(store, self.engine.catalog, None, authenticator)
        app = build_app(self.engine, settings, self.admin)
        self.app = AuthorizingResolver(app, authenticator)
        self.ids: dict[tuple[str, str, str], str] = {}
        for tenant in ("tenant_a", "tenant_b"):
            self.engine.create_tenant(tenant)
        for target in TARGETS.values():
            self._collection(target.tenant, target.database, target.name)
        self._collection("tenant_b", "b_private_db", "b_hidden")
        self.keys = {name: self._key(name, *spec) for name, spec in KEYS.items()}
        self.key_ids: dict[str, str] = {}

    def _collection(self, tenant: str, database: str, name: str) -> None:
        with contextlib.suppress(AlreadyExistsError):  # a second collection of a database
            self.engine.create_database(database, tenant)
        created = self.engine.create_collection(name, tenant=tenant, database=database)
        self.engine.add(
            ids=["r1"], embeddings=[[1.0, 2.0]], collection_id=created.id, tenant=tenant,
            database=database, metadatas=None, documents=None, uris=None,
        )  # fmt: skip
        self.ids[(tenant, database, name)] = created.id

    def _key(self, name: str, tenant: str, databases: list[str] | None, role: str) -> str:
        return self.admin.create_key(ROOT, tenant, databases, role, name)[1]

    def secrets_of_b(self) -> list[str]:
        return [*SECRET_B, self.ids[("tenant_b", "b_private_db", "b_hidden")]]

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = None, query: str = ""
    ) -> tuple[int, str]:
        headers = {"content-type": "application/json"}
        if key is not None:
            headers["x-chroma-token"] = key
        event = http_event(method, path, body, headers=headers, query=query)
        result = self.app.resolve(event, None)
        return result["statusCode"], result.get("body") or ""


def _path(template: str, world: World, target: Target) -> str:
    cid = world.ids[(target.tenant, target.database, target.name)]
    return template.format(t=target.tenant, d=target.database, name=target.name, cid=cid)


def expected(
    key_name: str | None, level: Level, target: Target, path: str, route: tuple[str, str]
) -> str:
    """ "ok", "forbidden" (403), "hidden" (404) or "unauthenticated" (403 AuthError)."""
    if level == Level.PUBLIC:
        return "ok"
    if key_name is None:
        return "unauthenticated"
    tenant, databases, role = KEYS[key_name]
    scope = Scope(key_name, tenant, tuple(databases) if databases else None, role)
    if "/tenants/" in path and not scope.sees_tenant(target.tenant):
        return "hidden"
    if "/databases/" in path and not scope.sees_database(target.database):
        return "hidden"
    if scope.level < level or (scope.databases is not None and route in BEYOND_DATABASES):
        return "forbidden"
    return "ok"


@pytest.mark.parametrize("key_name", [None, *KEYS])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r[0]} {r[1]}")
def test_every_route_with_every_key(
    route: tuple[str, str, Any, Level, int], key_name: str | None
) -> None:
    method, template, body, level, success = route
    for target_name, target in TARGETS.items():
        world = World()  # fresh: the allowed calls change the data
        path = _path(template, world, target)
        key = world.keys[key_name] if key_name is not None else None
        status, text = world.call(method, path, body, key)
        want = expected(key_name, level, target, path, (method, template))
        where = f"{key_name} {method} {path} ({target_name}): {status} {text}"
        if want == "ok":
            assert status == success, where
        elif want == "unauthenticated":
            assert (status, json.loads(text)) == (
                403,
                {"error": "AuthError", "message": "Forbidden"},
            ), where
        elif want == "hidden":
            assert status == 404 and json.loads(text)["error"] == "NotFoundError", where
            assert "not found" in json.loads(text)["message"], where
        else:
            assert status == 403 and json.loads(text)["error"] == "ChromaError", where
        if key_name is not None and KEYS[key_name][0] == "tenant_a":
            for secret in world.secrets_of_b():
                assert secret not in text, where
            if "tenant_b" not in path:
                assert "tenant_b" not in text, where


def test_every_route_has_a_policy() -> None:
    """A route missing from the policy would need ROOT: every route must be classified."""
    from chromalake.server.authz import POLICY

    app = build_app(build_engine(Settings()), Settings())
    routes = {(r.method, r.path) for r in app._static_routes + app._dynamic_routes}
    assert routes - set(POLICY) == set()
    assert set(POLICY) - routes == set()  # no entry for a route that does not exist


def test_hidden_answers_do_not_depend_on_existence() -> None:
    """A foreign tenant that exists and one that does not get the same answer."""
    world = World()
    key = world.keys["a_admin"]
    for method, suffix in [("GET", ""), ("GET", "/databases"), ("GET", "/databases/db_one")]:
        real = world.call(method, f"{V2}/tenants/tenant_b{suffix}", key=key)
        absent = world.call(method, f"{V2}/tenants/tenant_z{suffix}", key=key)
        assert real[0] == absent[0] == 404
        assert real[1].replace("tenant_b", "X") == absent[1].replace("tenant_z", "X")


def test_identity_is_the_keys_scope_in_chromas_shape() -> None:
    world = World()
    for name, (tenant, databases, _) in KEYS.items():
        status, text = world.call("GET", V2 + "/auth/identity", key=world.keys[name])
        body = json.loads(text)
        assert status == 200 and set(body) == {"user_id", "tenant", "databases"}
        assert (body["tenant"], body["databases"]) == (tenant, databases or ["*"])


def test_bearer_header_and_bad_keys() -> None:
    world = World()
    key = world.keys["a_ro"]
    headers = {"authorization": f"Bearer {key}"}
    result = world.app.resolve(http_event("GET", V2 + "/auth/identity", headers=headers), None)
    assert json.loads(result["body"])["tenant"] == "tenant_a"
    refused = {"error": "AuthError", "message": "Forbidden"}
    for bad in ["", "nonsense", key[:-1] + ("A" if key[-1] != "A" else "B"), key + "x"]:
        status, text = world.call("GET", V2 + "/auth/identity", key=bad)
        assert (status, json.loads(text)) == (403, refused)


def test_a_restricted_key_lists_only_its_databases() -> None:
    world = World()
    status, text = world.call("GET", V2 + "/tenants/tenant_a/databases", key=world.keys["a_ro_one"])
    assert status == 200 and [d["name"] for d in json.loads(text)] == ["db_one"]
    status, text = world.call("GET", V2 + "/tenants/tenant_a/databases", key=world.keys["a_ro"])
    assert sorted(d["name"] for d in json.loads(text)) == ["db_one", "db_two"]


def test_a_revoked_key_is_refused() -> None:
    world = World()
    key = world.keys["a_rw"]
    path = V2 + "/tenants/tenant_a/databases/db_one/collections"
    assert world.call("GET", path, key=key)[0] == 200
    listed = json.loads(world.call("GET", V2 + "/chromalake/keys", key=world.keys["a_admin"])[1])
    key_id = next(k["id"] for k in listed if k["name"] == "a_rw")
    revoked = world.call("DELETE", f"{V2}/chromalake/keys/{key_id}", key=world.keys["a_admin"])
    assert revoked[0] == 200 and json.loads(revoked[1])["revoked"] is True
    assert world.call("GET", path, key=key) == (403, '{"error":"AuthError","message":"Forbidden"}')


def test_key_admin_routes_stay_in_the_admins_tenant() -> None:
    world = World()
    a_admin, b_admin, root = (world.keys[n] for n in ("a_admin", "b_admin", "root"))
    keys = V2 + "/chromalake/keys"
    listed = json.loads(world.call("GET", keys, key=a_admin)[1])
    assert {k["tenant"] for k in listed} == {"tenant_a"} and all("key" not in k for k in listed)
    assert world.call("GET", keys, key=a_admin, query="tenant=tenant_b")[0] == 404
    assert len(json.loads(world.call("GET", keys, key=root)[1])) == len(KEYS)
    b_key_id = json.loads(world.call("GET", keys, key=b_admin)[1])[0]["id"]
    assert world.call("DELETE", f"{keys}/{b_key_id}", key=a_admin)[0] == 404
    new = {"tenant": "tenant_b", "role": "read-only", "name": "x"}
    assert world.call("POST", keys, new, key=a_admin)[0] == 404
    assert world.call("POST", keys, {**new, "tenant": "*", "role": "admin"}, key=a_admin)[0] == 404
    assert world.call("POST", keys, {**new, "tenant": "tenant_a"}, key=world.keys["a_rw"])[0] == 403
    # a database-limited admin cannot mint a key reaching further than itself
    limited = world.admin.create_key(ROOT, "tenant_a", ["db_one"], "admin", "lim")[1]
    wider = {"tenant": "tenant_a", "role": "read-only", "name": "w"}
    assert world.call("POST", keys, wider, key=limited)[0] == 403
    status, text = world.call("POST", keys, {**wider, "databases": ["db_one"]}, key=limited)
    created = json.loads(text)
    assert (
        status == 200 and created["key"].startswith("clk_") and created["databases"] == ["db_one"]
    )
    assert world.call("GET", V2 + "/auth/identity", key=created["key"])[0] == 200
    assert world.call("POST", keys, {**new, "tenant": "tenant_zz"}, key=root)[0] == 404


def test_a_database_admin_manages_only_the_keys_of_its_databases() -> None:
    world = World()
    keys, admin_one = V2 + "/chromalake/keys", world.keys["a_admin_one"]
    listed = json.loads(world.call("GET", keys, key=admin_one)[1])
    assert sorted(k["name"] for k in listed) == ["a_admin_one", "a_ro_one"]
    every = json.loads(world.call("GET", keys, key=world.keys["root"])[1])
    ids = {k["name"]: k["id"] for k in every}
    for beyond in ("a_rw_two", "a_admin", "a_rw", "root"):
        assert world.call("DELETE", f"{keys}/{ids[beyond]}", key=admin_one)[0] == 404
    assert world.call("DELETE", f"{keys}/{ids['a_ro_one']}", key=admin_one)[0] == 200
