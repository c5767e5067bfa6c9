"""An outside attack on the keys (issue 15), on each backend that keeps them.

- ``local``: ``chromalake run --auth`` (keys and catalog in SQLite) over HTTP. Clients connect
  from 127.0.0.1 or 127.0.0.2 (both loopback), so the server sees two sources.
- ``lambda``: the ``authorizer`` and ``api`` Lambda units with API Gateway's events, on a
  DynamoDB table and an S3 bucket of a moto server; the event's ``sourceIp`` is the source.

The scenarios: a flood of bad keys locks no good key out; keys do not outlive a reset of their
tenant; an admin key limited to some databases reaches nothing beyond them.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from lambda_units import cold_start
from moto_server import REGION, MotoAws
from running_server import RunningServer
from server_events import http_event

from chromalake.auth.factory import build_key_admin
from chromalake.auth.keys import generate_key
from chromalake.config import Settings
from chromalake.server.gateway import LambdaContext

USER, ATTACKER = "127.0.0.1", "127.0.0.2"
CACHE_SECONDS = 1.0  # how long a warm process trusts a key before asking the store again
V2 = "/api/v2"
KEYS = V2 + "/chromalake/keys"
REFUSED = {"error": "AuthError", "message": "Forbidden"}
STATUS = {"ok": 200, "denied": 403, "throttled": 429}


class Local:
    """``chromalake run --auth`` on a data directory, with a root key made in its store."""

    name = "local"

    def __init__(self, path: Path) -> None:
        settings = Settings(is_persistent=True, persist_directory=str(path / "data"))
        self.root = build_key_admin(settings).create_root_key("root")[1]
        env = {"CHROMALAKE_AUTH_CACHE_SECONDS": str(CACHE_SECONDS)}
        self.server = RunningServer(path, extra=["--auth"], env=env)
        self._clients: dict[str, httpx.Client] = {}
        self._lock = threading.Lock()

    def _client(self, source: str) -> httpx.Client:
        with self._lock:
            if source not in self._clients:
                transport = httpx.HTTPTransport(local_address=source)
                self._clients[source] = httpx.Client(
                    base_url=self.server.url, transport=transport, timeout=60
                )
            return self._clients[source]

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = None, source: str = USER
    ) -> tuple[int, Any]:
        headers = {"x-chroma-token": key} if key is not None else {}
        reply = self._client(source).request(method, path, json=body, headers=headers)
        return reply.status_code, reply.json() if reply.content else None

    def authenticate(self, key: str, source: str = USER) -> int:
        return self.call("GET", V2 + "/auth/identity", key=key, source=source)[0]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self.server.stop()


class Lambdas:
    """The ``authorizer`` and ``api`` units as API Gateway calls them, on moto."""

    name = "lambda"

    def __init__(self, aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch
        self.env = {
            "CHROMALAKE_TABLE": aws.new_table(),
            "CHROMALAKE_REGION": REGION,
            "CHROMALAKE_DYNAMODB_ENDPOINT": aws.endpoint,
            "CHROMALAKE_BUCKET": aws.new_bucket(),
            "CHROMALAKE_S3_ENDPOINT": aws.endpoint,
            "CHROMALAKE_AUTH": "true",
            "ALLOW_RESET": "true",
            "CHROMALAKE_AUTH_CACHE_SECONDS": str(CACHE_SECONDS),
        }
        self.root = build_key_admin(Settings.from_env(self.env)).create_root_key("root")[1]
        self.api = self._start("api")
        self.authorizer = self._start("authorizer")

    def _start(self, unit: str) -> Any:
        unset = ("IS_PERSISTENT", "PERSIST_DIRECTORY", "CHROMALAKE_PREFIX")
        return cold_start(unit, self._monkeypatch, self.env, unset)

    def _authorize(self, event: dict[str, Any], authorizer: Any | None = None) -> dict[str, str]:
        answer = (authorizer or self.authorizer).handler(copy.deepcopy(event), LambdaContext())
        return answer["context"]  # type: ignore[no-any-return]

    @staticmethod
    def _event(method: str, path: str, body: Any, key: str | None, source: str) -> dict[str, Any]:
        headers = {"content-type": "application/json"}
        if key is not None:
            headers["x-chroma-token"] = key
        path, _, query = path.partition("?")
        event = http_event(method, path, body, headers=headers, query=query)
        event["requestContext"]["http"]["sourceIp"] = source
        return event

    def call(
        self, method: str, path: str, body: Any = None, key: str | None = None, source: str = USER
    ) -> tuple[int, Any]:
        event = self._event(method, path, body, key, source)
        event["requestContext"]["authorizer"] = {"lambda": self._authorize(event)}
        result = self.api.handler(event, LambdaContext())
        return result["statusCode"], json.loads(result["body"]) if result.get("body") else None

    def authenticate(self, key: str, source: str = USER, authorizer: Any | None = None) -> int:
        event = self._event("GET", V2 + "/auth/identity", None, key, source)
        return STATUS[self._authorize(event, authorizer)["status"]]

    def close(self) -> None:
        pass


Deployment = Local | Lambdas


@pytest.fixture(params=["local", "lambda"])
def deployment(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Deployment]:
    if request.param == "local":
        made: Deployment = Local(tmp_path)
    else:
        made = Lambdas(request.getfixturevalue("moto_aws"), monkeypatch)
    try:
        yield made
    finally:
        made.close()


def ok(reply: tuple[int, Any]) -> Any:
    assert reply[0] == 200, reply
    return reply[1]


def create_key(
    d: Deployment, databases: list[str] | None, role: str, name: str, by: str | None = None
) -> tuple[str, str]:
    """A key of tenant ``acme`` made over the admin route: (its id, the key)."""
    body = {"tenant": "acme", "databases": databases, "role": role, "name": name}
    created = ok(d.call("POST", KEYS, body, key=by or d.root))
    return created["id"], created["key"]


def make_acme(d: Deployment, *databases: str) -> None:
    ok(d.call("POST", V2 + "/tenants", {"name": "acme"}, key=d.root))
    for database in databases:
        ok(d.call("POST", V2 + "/tenants/acme/databases", {"name": database}, key=d.root))


@contextmanager
def flood(d: Deployment, source: str) -> Iterator[Counter[int]]:
    """Random well-formed keys from ``source`` on two threads, for the ``with`` block.

    It starts once the deployment throttles them: the lookups the flood may cost are spent.
    """
    seen: Counter[int] = Counter()
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            seen[d.authenticate(generate_key(), source)] += 1

    threads = [threading.Thread(target=run, daemon=True) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 60
        while seen[429] < 20:
            assert time.monotonic() < deadline, f"the flood was never throttled: {seen}"
            time.sleep(0.01)
        yield seen
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(seen) <= {403, 429}, seen  # no bad key ever got in


def test_a_flood_of_bad_keys_locks_no_good_key_out(deployment: Deployment) -> None:
    d = deployment
    make_acme(d)
    keys = [create_key(d, None, "read-only", f"k{i}")[1] for i in range(3)]
    in_use, new_keys = keys[0], keys[1:]
    assert d.authenticate(in_use) == 200
    with flood(d, ATTACKER):
        # the flood spends its own client's lookups, not the first use of another client's key
        assert [d.authenticate(key, USER) for key in new_keys] == [200, 200]
    time.sleep(CACHE_SECONDS * 1.5)  # the key in use is due for a check with the store
    with flood(d, ATTACKER):
        # a key in use is checked again, never throttled: not even from the flooding client
        assert d.authenticate(in_use, ATTACKER) == 200
        assert d.authenticate(in_use, USER) == 200


def test_keys_do_not_outlive_a_reset(deployment: Deployment) -> None:
    d = deployment
    make_acme(d, "sales")
    old_id, old = create_key(d, ["sales"], "read-write", "old")
    collections = V2 + "/tenants/acme/databases/sales/collections"
    assert d.call("GET", collections, key=old) == (200, [])  # accepted, and cached
    assert d.call("POST", V2 + "/reset", key=d.root) == (200, True)
    make_acme(d, "sales")  # a new tenant of the same name, with data of its own
    ok(d.call("POST", collections, {"name": "secret"}, key=d.root))
    if isinstance(d, Lambdas):
        # a cold authorizer refuses the old key at once; a warm one once its cache is due
        assert d.authenticate(old, authorizer=d._start("authorizer")) == 403
        time.sleep(CACHE_SECONDS * 1.5)
    assert d.call("GET", collections, key=old) == (403, REFUSED)
    assert d.call("GET", V2 + "/auth/identity", key=old) == (403, REFUSED)
    assert d.call("DELETE", f"{KEYS}/{old_id}", key=old)[0] == 403
    _, new = create_key(d, ["sales"], "read-only", "new")
    assert [c["name"] for c in ok(d.call("GET", collections, key=new))] == ["secret"]
    listed = ok(d.call("GET", KEYS + "?tenant=acme", key=d.root))
    assert [k["name"] for k in listed] == ["new"]  # the old tenant's keys are not the new one's
    assert d.authenticate(d.root) == 200  # a root key belongs to no tenant: it survives


def test_a_database_admin_reaches_nothing_beyond_its_databases(deployment: Deployment) -> None:
    d = deployment
    make_acme(d, "sales", "hrdb")
    _, sales_admin = create_key(d, ["sales"], "admin", "acme-admin-sales")
    reader_id, _ = create_key(d, ["sales"], "read-only", "sales-reader")
    hr_id, hr_key = create_key(d, ["hrdb"], "read-only", "hr-reader")
    wide_id, _ = create_key(d, None, "admin", "acme-admin")
    as_admin = {"key": sales_admin}

    listed = ok(d.call("GET", KEYS, **as_admin))
    assert sorted(k["name"] for k in listed) == ["acme-admin-sales", "sales-reader"]
    assert ok(d.call("GET", KEYS + "?tenant=acme", **as_admin)) == listed
    for beyond in (hr_id, wide_id):
        status, body = d.call("DELETE", f"{KEYS}/{beyond}", **as_admin)
        assert (status, body["error"]) == (404, "NotFoundError")
        assert body["message"] == f"API key [{beyond}] not found"
    assert d.authenticate(hr_key) == 200  # still a working key

    # creating a database beyond its own: the same 403 whether the name exists or not
    databases = V2 + "/tenants/acme/databases"
    taken = d.call("POST", databases, {"name": "hrdb"}, **as_admin)
    free = d.call("POST", databases, {"name": "newdb"}, **as_admin)
    assert taken[0] == free[0] == 403 and taken[1]["error"] == free[1]["error"] == "ChromaError"
    assert taken[1]["message"].replace("hrdb", "x") == free[1]["message"].replace("newdb", "x")
    names = [x["name"] for x in ok(d.call("GET", databases, key=d.root))]
    assert names == ["hrdb", "sales"]  # nothing was created
    tenant_update = d.call("PATCH", V2 + "/tenants/acme", {"resource_name": "x"}, **as_admin)
    assert tenant_update[0] == 403  # the tenant as a whole is beyond its databases

    # within its databases it is an admin
    ok(d.call("DELETE", f"{databases}/sales", **as_admin))
    ok(d.call("POST", databases, {"name": "sales"}, **as_admin))
    assert create_key(d, ["sales"], "read-only", "made-by-sales", by=sales_admin)[1]
    beyond = {"tenant": "acme", "databases": ["hrdb"], "role": "read-only", "name": "x"}
    assert d.call("POST", KEYS, beyond, **as_admin)[0] == 403
    assert ok(d.call("DELETE", f"{KEYS}/{reader_id}", **as_admin))["revoked"] is True
