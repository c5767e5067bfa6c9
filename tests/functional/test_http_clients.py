"""The remote clients against scripted servers on 127.0.0.1: retries, auth, identity.

The conformance suite runs every scenario through HttpClient, AsyncHttpClient and
CloudClient against ``chromalake run``; here are the things it cannot provoke: throttling,
gateway timeouts, a server that is not there, and what a key's identity decides.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from running_server import free_port

import chromalake
from chromalake.errors import ChromaAuthError, NotFoundError

Reply = tuple[int, Any]
IDENTITY = {"user_id": "u", "tenant": "acme", "databases": ["sales"]}
TENANT = {"name": "acme"}
DATABASE = {"id": "00000000-0000-0000-0000-000000000001", "name": "sales", "tenant": "acme"}


class Scripted:
    """An HTTP server answering from a script: route -> list of replies (the last repeats)."""

    def __init__(self, script: dict[str, list[Reply]]) -> None:
        self.script = script
        self.seen: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                self.rfile.read(length)
                path = self.path.split("?")[0].removeprefix("/api/v2")
                outer.seen.append((self.command, path, dict(self.headers)))
                replies = outer.script.get(f"{self.command} {path}", [(404, {})])
                status, body = replies.pop(0) if len(replies) > 1 else replies[0]
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.seen if (m, p) == (method, path))

    def close(self) -> None:
        self.server.shutdown()


def _handshake(
    tenant: str = "default_tenant", database: str = "default_database"
) -> dict[str, list[Reply]]:
    return {
        "GET /auth/identity": [(200, {"user_id": "", "tenant": tenant, "databases": [database]})],
        f"GET /tenants/{tenant}": [(200, {"name": tenant})],
        f"GET /tenants/{tenant}/databases/{database}": [
            (200, {"id": DATABASE["id"], "name": database, "tenant": tenant})
        ],
    }


@pytest.fixture
def scripted() -> Iterator[Callable[[dict[str, list[Reply]]], Scripted]]:
    servers: list[Scripted] = []

    def start(script: dict[str, list[Reply]]) -> Scripted:
        servers.append(Scripted(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


FAST = chromalake.Settings(chromalake_http_retries=3)


def _client(server: Scripted, **settings: Any) -> Any:
    return chromalake.HttpClient(
        host="127.0.0.1", port=server.port, settings=FAST.model_copy(update=settings)
    )


def test_throttling_is_retried_until_it_passes(scripted: Any) -> None:
    server = scripted(
        {
            **_handshake(),
            "GET /heartbeat": [(503, {}), (429, {}), (200, {"nanosecond heartbeat": 7})],
        }
    )
    assert _client(server).heartbeat() == 7
    assert server.count("GET", "/heartbeat") == 3


def test_a_gateway_timeout_is_retried_only_when_safe(scripted: Any) -> None:
    collections = "/tenants/default_tenant/databases/default_database/collections"
    server = scripted(
        {
            **_handshake(),
            "GET /heartbeat": [(504, {}), (200, {"nanosecond heartbeat": 1})],
            f"POST {collections}": [(504, {"message": "Endpoint request timed out"})],
        }
    )
    client = _client(server)
    assert client.heartbeat() == 1 and server.count("GET", "/heartbeat") == 2
    with pytest.raises(Exception, match="Endpoint request timed out"):
        client.create_collection("once")  # it may have run: never sent twice
    assert server.count("POST", collections) == 1


def test_retries_give_up_with_the_servers_error(scripted: Any) -> None:
    server = scripted(
        {**_handshake(), "GET /heartbeat": [(503, {"error": "NotFoundError", "message": "x"})]}
    )
    with pytest.raises(NotFoundError):
        _client(server, chromalake_http_retries=2).heartbeat()
    assert server.count("GET", "/heartbeat") == 3


def test_no_server_is_reported_clearly() -> None:
    with pytest.raises(ValueError, match="Could not connect to a Chroma server"):
        chromalake.HttpClient(host="127.0.0.1", port=free_port(), settings=FAST)


def test_cloud_client_sends_its_key_and_takes_its_tenant_from_the_identity(
    scripted: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = scripted(
        {
            "GET /auth/identity": [(200, IDENTITY)],
            "GET /tenants/acme": [(200, TENANT)],
            "GET /tenants/acme/databases/sales": [(200, DATABASE)],
        }
    )
    monkeypatch.setenv("CHROMA_API_KEY", "ck-secret")
    monkeypatch.setenv("CHROMALAKE_URL", f"http://127.0.0.1:{server.port}")
    client = chromalake.CloudClient()
    assert (client.tenant, client.database) == ("acme", "sales")
    assert all(headers.get("X-Chroma-Token") == "ck-secret" for _, _, headers in server.seen)
    with pytest.raises(ChromaAuthError, match="Tenant other does not match acme"):
        chromalake.CloudClient(tenant="other")


def test_cloud_client_needs_a_key_and_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHROMA_API_KEY", raising=False)
    monkeypatch.delenv("CHROMALAKE_URL", raising=False)
    with pytest.raises(ValueError, match="Missing required arguments: api_key"):
        chromalake.CloudClient()
    with pytest.raises(ValueError, match="CHROMALAKE_URL"):
        chromalake.CloudClient(api_key="k")


def test_async_client_retries_and_connects_like_the_blocking_one(scripted: Any) -> None:
    server = scripted(
        {**_handshake(), "GET /heartbeat": [(503, {}), (200, {"nanosecond heartbeat": 9})]}
    )

    async def main() -> int:
        client = await chromalake.AsyncHttpClient(host="127.0.0.1", port=server.port, settings=FAST)
        try:
            return await client.heartbeat()
        finally:
            await client.close()

    assert asyncio.run(main()) == 9
    assert server.count("GET", "/auth/identity") == 1 and server.count("GET", "/heartbeat") == 2


def test_settings_naming_another_server_are_refused() -> None:
    settings = chromalake.Settings(chroma_server_host="elsewhere")
    with pytest.raises(ValueError, match=r"settings\[elsewhere\] is different"):
        chromalake.HttpClient(host="127.0.0.1", settings=settings)
