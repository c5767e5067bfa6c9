"""The local gateway: HTTP requests to API Gateway v2 events and resolver results back to HTTP.

Unit-level checks of ``build_event`` / ``response_of``, then the real server on 127.0.0.1 with a
tiny recording resolver (so these tests do not depend on the REST app), then one request through
the real app.
"""

from __future__ import annotations

import base64
import json
import socket
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from chromalake.auth.admin import KeyAdmin
from chromalake.auth.authenticator import Authenticator
from chromalake.auth.keys import MemoryKeyStore
from chromalake.config import Settings
from chromalake.engine.factory import build_engine
from chromalake.server import build_app
from chromalake.server.gateway import (
    GatewayServer,
    HttpRequest,
    LambdaContext,
    build_event,
    response_of,
)
from chromalake.server.local_auth import AuthorizingResolver

JSON_HEADERS = [("Host", "localhost:8000"), ("Content-Type", "application/json")]


# -- build_event ----------------------------------------------------------------------------------


def test_event_has_the_http_api_v2_shape() -> None:
    now = datetime(2026, 11, 24, 9, 0, 0, tzinfo=UTC)
    request = HttpRequest(
        "POST",
        "/api/v2/tenants",
        [*JSON_HEADERS, ("User-Agent", "ua/1")],
        b'{"name": "t"}',
        source_ip="10.0.0.7",
    )
    event = build_event(request, request_id="rid", now=now)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/api/v2/tenants"
    assert event["rawQueryString"] == ""
    assert "queryStringParameters" not in event
    assert "cookies" not in event
    assert event["body"] == '{"name": "t"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["http"] == {
        "method": "POST",
        "path": "/api/v2/tenants",
        "protocol": "HTTP/1.1",
        "sourceIp": "10.0.0.7",
        "userAgent": "ua/1",
    }
    assert context["requestId"] == "rid"
    assert context["stage"] == "$default"
    assert context["timeEpoch"] == int(now.timestamp() * 1000)
    assert context["time"] == "24/Nov/2026:09:00:00 +0000"


def test_headers_are_lower_cased_and_repeats_joined() -> None:
    headers = [("X-Thing", "a"), ("x-thing", "b"), ("Accept", "*/*")]
    event = build_event(HttpRequest("GET", "/", headers))
    assert event["headers"] == {"x-thing": "a,b", "accept": "*/*"}


def test_query_string_is_kept_raw_and_parsed() -> None:
    event = build_event(HttpRequest("GET", "/api/v2/x?limit=5&offset=&a=1&a=2&q=a%20b", []))
    assert event["rawPath"] == "/api/v2/x"
    assert event["rawQueryString"] == "limit=5&offset=&a=1&a=2&q=a%20b"
    assert event["queryStringParameters"] == {"limit": "5", "offset": "", "a": "1,2", "q": "a b"}


def test_raw_path_stays_encoded_and_context_path_is_decoded() -> None:
    event = build_event(HttpRequest("GET", "/api/v2/collections/my%20name", []))
    assert event["rawPath"] == "/api/v2/collections/my%20name"
    assert event["requestContext"]["http"]["path"] == "/api/v2/collections/my name"


def test_cookies_move_out_of_the_headers() -> None:
    event = build_event(HttpRequest("GET", "/", [("Cookie", "a=1; b=2")]))
    assert event["cookies"] == ["a=1", "b=2"]
    assert "cookie" not in event["headers"]


@pytest.mark.parametrize(
    ("content_type", "body", "encoded"),
    [
        ("application/octet-stream", b"\x00\x01\xff", True),
        ("application/json", b'{"a": 1}', False),
        ("text/plain; charset=utf-8", "héllo".encode(), False),
        (None, b"plain", False),
        ("application/json", b"\xff\xfe not utf-8", True),
    ],
)
def test_binary_bodies_are_base64(content_type: str | None, body: bytes, encoded: bool) -> None:
    headers = [("Content-Type", content_type)] if content_type else []
    event = build_event(HttpRequest("POST", "/", headers, body))
    assert event["isBase64Encoded"] is encoded
    sent = base64.b64decode(event["body"]) if encoded else event["body"].encode()
    assert sent == body


def test_no_body_means_no_body_key() -> None:
    event = build_event(HttpRequest("GET", "/", []))
    assert "body" not in event
    assert event["isBase64Encoded"] is False


# -- response_of ----------------------------------------------------------------------------------


def test_response_copies_status_headers_and_body() -> None:
    result = {
        "statusCode": 404,
        "headers": {"Content-Type": "application/json", "Content-Length": "999"},
        "body": '{"error": "NotFoundError"}',
        "isBase64Encoded": False,
    }
    response = response_of(result)
    assert response.status == 404
    assert response.headers == [("Content-Type", "application/json")]  # length is recomputed
    assert response.body == b'{"error": "NotFoundError"}'


def test_response_writes_multi_value_headers_and_cookies() -> None:
    result = {
        "statusCode": 200,
        "multiValueHeaders": {"X-A": ["1", "2"]},
        "cookies": ["s=1; Path=/", "t=2"],
        "body": "",
    }
    assert response_of(result).headers == [
        ("X-A", "1"),
        ("X-A", "2"),
        ("Set-Cookie", "s=1; Path=/"),
        ("Set-Cookie", "t=2"),
    ]


def test_response_decodes_base64_bodies() -> None:
    data = bytes(range(256))
    result = {"statusCode": 200, "body": base64.b64encode(data).decode(), "isBase64Encoded": True}
    assert response_of(result).body == data


def test_lambda_context_counts_down() -> None:
    context = LambdaContext(aws_request_id="r", timeout_ms=1000)
    assert 0 < context.get_remaining_time_in_millis() <= 1000
    assert context.function_name and context.invoked_function_arn.startswith("arn:aws:lambda:")


# -- the real server with a recording resolver ----------------------------------------------------


class Recorder:
    """A resolver that remembers its events and answers with what the test asks for."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.contexts: list[Any] = []
        self.result: dict[str, Any] = {"statusCode": 200, "body": "ok"}

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        self.contexts.append(context)
        return self.result


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def _start(resolver: Any) -> tuple[GatewayServer, threading.Thread]:
    server = GatewayServer(("127.0.0.1", 0), resolver)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    return server, thread


@pytest.fixture
def server(recorder: Recorder) -> Iterator[GatewayServer]:
    running, thread = _start(recorder)
    yield running
    running.shutdown()
    running.server_close()
    thread.join()


def test_server_passes_the_request_as_an_event(server: GatewayServer, recorder: Recorder) -> None:
    recorder.result = {
        "statusCode": 201,
        "headers": {"Content-Type": "application/json"},
        "cookies": ["c=1"],
        "body": "{}",
    }
    response = httpx.post(
        f"{server.url}/api/v2/things?x=1&y=%2F",
        content=b'{"a": 1}',
        headers={"content-type": "application/json", "Cookie": "k=v"},
    )
    assert response.status_code == 201
    assert response.json() == {}
    assert response.headers["set-cookie"] == "c=1"
    (event,) = recorder.events
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["rawPath"] == "/api/v2/things"
    assert event["queryStringParameters"] == {"x": "1", "y": "/"}
    assert event["body"] == '{"a": 1}'
    assert event["cookies"] == ["k=v"]
    assert event["requestContext"]["http"]["sourceIp"] == "127.0.0.1"
    assert recorder.contexts[0].aws_request_id == event["requestContext"]["requestId"]


def test_server_sends_binary_bodies_base64(server: GatewayServer, recorder: Recorder) -> None:
    data = bytes(range(256))
    recorder.result = {
        "statusCode": 200,
        "body": base64.b64encode(data).decode(),
        "isBase64Encoded": True,
    }
    response = httpx.put(
        f"{server.url}/blob", content=data, headers={"content-type": "application/octet-stream"}
    )
    assert response.content == data
    (event,) = recorder.events
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data


def test_server_reads_chunked_bodies(server: GatewayServer, recorder: Recorder) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"a": '
        yield b"1}"

    response = httpx.post(
        f"{server.url}/c", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert recorder.events[0]["body"] == '{"a": 1}'


def test_head_has_no_body(server: GatewayServer, recorder: Recorder) -> None:
    response = httpx.head(f"{server.url}/api/v2/heartbeat")
    assert response.status_code == 200
    assert response.content == b""
    assert recorder.events[0]["requestContext"]["http"]["method"] == "HEAD"


MAX_BODY_BYTES = Settings().chromalake_max_body_bytes
TOO_LARGE = {
    "error": "ChromaError",
    "message": "Failed to buffer the request body: length limit exceeded",
}  # Chroma 1.5.9's answer (`chroma run`), with its status 413 and its trace header


def _raw_reply(server: GatewayServer, head: bytes, body: bytes = b"") -> tuple[bytes, bytes]:
    """Send ``head`` and ``body`` (only part of what ``head`` announces, maybe) and read
    what the server answers until it closes the connection: (status line, body)."""
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=20) as conn:
        conn.sendall(head + body)
        reply = b""
        while chunk := conn.recv(65536):  # a refused request's connection is closed
            reply += chunk
    status, _, rest = reply.partition(b"\r\n")
    return status, rest.partition(b"\r\n\r\n")[2]


def test_body_over_40_mib_is_chromas_413_without_reaching_the_app(
    server: GatewayServer, recorder: Recorder
) -> None:
    # Announce a too-large body but send none: the server must answer from the header alone.
    status, body = _raw_reply(
        server,
        b"POST /api/v2/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode(),
    )
    assert status == b"HTTP/1.1 413 Request Entity Too Large"
    assert json.loads(body) == TOO_LARGE
    assert recorder.events == []


def test_an_over_size_body_is_refused_and_the_client_reads_why(recorder: Recorder) -> None:
    """The body limit is a setting; a client still sending its body gets the 413 (the server
    drops the rest instead of resetting the connection under it)."""
    running = GatewayServer(
        ("127.0.0.1", 0), recorder, settings=Settings(chromalake_max_body_bytes=1000)
    )
    thread = threading.Thread(target=running.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        fits = httpx.post(f"{running.url}/x", content=b"a" * 1000)
        assert fits.status_code == 200
        refused = httpx.post(f"{running.url}/x", content=b"a" * 2_000_000)
        assert refused.status_code == 413
        assert refused.json() == TOO_LARGE
        assert refused.headers["chroma-trace-id"] == "0" * 32
        chunked = httpx.post(f"{running.url}/x", content=iter([b"a" * 600, b"b" * 600]))
        assert chunked.status_code == 413
        assert len(recorder.events) == 1
    finally:
        running.shutdown()
        running.server_close()
        thread.join()


def test_body_of_exactly_40_mib_is_accepted(server: GatewayServer, recorder: Recorder) -> None:
    body = b"a" * MAX_BODY_BYTES
    response = httpx.post(
        f"{server.url}/x", content=body, headers={"content-type": "text/plain"}, timeout=60
    )
    assert response.status_code == 200
    assert len(recorder.events[0]["body"]) == MAX_BODY_BYTES


@pytest.fixture
def keyed() -> Iterator[tuple[GatewayServer, str, Recorder]]:
    """A server that checks keys (as ``chromalake run --auth``) in front of the real app; a
    valid root key; a recorder of the events the app received."""
    settings = Settings(chromalake_auth=True, allow_reset=True)
    engine = build_engine(settings)
    store = MemoryKeyStore()
    authenticator = Authenticator(store, engine.catalog)
    admin = KeyAdmin(store, engine.catalog, None, authenticator)
    _, key = admin.create_root_key("root")
    seen = Recorder()
    app = build_app(engine, settings, admin)

    class Recording:
        def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
            seen.events.append(event)
            return app.resolve(event, context)

    running, thread = _start(AuthorizingResolver(Recording(), authenticator))
    yield running, key, seen
    running.shutdown()
    running.server_close()
    thread.join()


def test_a_body_without_a_key_is_refused_before_it_is_read(
    keyed: tuple[GatewayServer, str, Recorder],
) -> None:
    """30 MB announced, 64 KB sent, no key: the 403 comes without the rest of the body (one
    request at a time would wait for it), and the app never holds any of it."""
    running, _, seen = keyed
    target = "/api/v2/tenants/default_tenant/databases/default_database/collections"
    head = (
        f"POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {30_000_000}\r\n\r\n"
    ).encode()
    status, body = _raw_reply(running, head, b'{"name": "' + b"a" * 65536)
    assert status == b"HTTP/1.1 403 Forbidden"
    assert json.loads(body) == {"error": "AuthError", "message": "Forbidden"}
    assert [e.get("body") for e in seen.events] == [None]


def test_a_body_with_a_bad_key_is_refused_and_a_good_key_is_served(
    keyed: tuple[GatewayServer, str, Recorder],
) -> None:
    running, key, seen = keyed
    url = f"{running.url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    body = {"name": "kept", "metadata": {"pad": "x" * 1_000_000}}
    refused = httpx.post(url, json=body, headers={"x-chroma-token": "clk_" + "0" * 40})
    assert refused.status_code == 403
    assert refused.json()["error"] == "AuthError"
    created = httpx.post(url, json=body, headers={"x-chroma-token": key})
    assert created.status_code == 200, created.text
    assert created.json()["name"] == "kept"
    # A public route needs no key; its answer never needed the body either.
    assert httpx.get(f"{running.url}/api/v2/heartbeat").status_code == 200
    assert [e.get("body") is not None for e in seen.events] == [False, True, False]


def test_keep_alive_serves_several_requests_on_one_connection(
    server: GatewayServer, recorder: Recorder
) -> None:
    with httpx.Client(base_url=server.url) as client:
        for _ in range(3):
            assert client.get("/a").text == "ok"
    assert len(recorder.events) == 3


def test_an_app_that_raises_gives_chromas_500() -> None:
    class Broken:
        def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
            raise RuntimeError("boom")

    running, thread = _start(Broken())
    try:
        response = httpx.get(f"{running.url}/x")
        assert response.status_code == 500
        assert response.json() == {"error": "InternalError", "message": "RuntimeError: boom"}
        assert response.headers["chroma-trace-id"] == "0" * 32
    finally:
        running.shutdown()
        running.server_close()
        thread.join()


def test_bad_content_length_is_400(server: GatewayServer, recorder: Recorder) -> None:
    host, port = server.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=10) as conn:
        conn.sendall(b"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n")
        assert conn.recv(4096).startswith(b"HTTP/1.1 400")
    assert recorder.events == []


# -- through the real REST app --------------------------------------------------------------------


def test_the_rest_app_answers_through_the_gateway() -> None:
    settings = Settings(allow_reset=True)
    running, thread = _start(build_app(build_engine(settings), settings))
    try:
        base = f"{running.url}/api/v2"
        assert "nanosecond heartbeat" in httpx.get(f"{base}/heartbeat").json()
        missing = httpx.get(
            f"{base}/tenants/default_tenant/databases/default_database/collections/nope"
        )
        assert missing.status_code == 404
        assert json.loads(missing.text)["error"] == "NotFoundError"
        assert len(missing.headers["chroma-trace-id"]) == 32
    finally:
        running.shutdown()
        running.server_close()
        thread.join()


# -- concurrency: one tenant's big request does not hold another's ---------------------------------


class HeldGets:
    """Wraps ``engine.get``: a get of tenant ``big`` waits until released, so a test knows
    that request is being served (and stays so) while it sends others."""

    def __init__(self, engine: Any) -> None:
        self.started, self.release = threading.Event(), threading.Event()
        self._get = engine.get
        engine.get = self.get

    def get(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("tenant") == "big":
            self.started.set()
            assert self.release.wait(60), "the test never released the big get"
        return self._get(*args, **kwargs)


def _tenant_collection(base: str, tenant: str) -> str:
    """Create ``tenant`` with a collection of 3 records; the collection's records URL."""
    with httpx.Client(timeout=60) as http:  # a first write imports Lance: slow on a busy box
        assert http.post(f"{base}/tenants", json={"name": tenant}).status_code == 200
        databases = f"{base}/tenants/{tenant}/databases"
        assert http.post(databases, json={"name": "data"}).status_code == 200
        created = http.post(f"{databases}/data/collections", json={"name": "records"}).json()
        url = f"{databases}/data/collections/{created['id']}"
        records = {"ids": ["a", "b", "c"], "embeddings": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]}
        assert http.post(f"{url}/add", json=records).status_code == 201
    return url


def test_a_small_tenants_requests_are_answered_while_a_big_one_is_served() -> None:
    settings = Settings(allow_reset=True)
    engine = build_engine(settings)
    held = HeldGets(engine)
    running, thread = _start(build_app(engine, settings))
    try:
        base = f"{running.url}/api/v2"
        big, small = _tenant_collection(base, "big"), _tenant_collection(base, "small")
        big_reply: list[httpx.Response] = []
        reader = threading.Thread(
            target=lambda: big_reply.append(httpx.post(f"{big}/get", json={}, timeout=60))
        )
        reader.start()
        assert held.started.wait(30)
        # The big get is being served and cannot finish yet: the small tenant's requests
        # must still be answered (one request at a time would wait for the big one).
        query = {"query_embeddings": [[1.0, 0.0]], "n_results": 1, "include": []}
        for _ in range(3):
            answer = httpx.post(f"{small}/query", json=query, timeout=60)
            assert answer.json()["ids"] == [["a"]]
            assert httpx.get(f"{small}/count", timeout=60).json() == 3
        assert not big_reply, "the big get finished before it was released"
        held.release.set()
        reader.join(60)
        assert big_reply[0].json()["ids"] == ["a", "b", "c"]
    finally:
        held.release.set()
        running.shutdown()
        running.server_close()
        thread.join()


def test_concurrent_requests_each_get_their_own_answer() -> None:
    """Many requests at once through one app: none sees another's event, route or body."""
    settings = Settings(allow_reset=True)
    running, thread = _start(build_app(build_engine(settings), settings))
    try:
        base = f"{running.url}/api/v2"
        urls = {t: _tenant_collection(base, t) for t in ("t-one", "t-two", "t-three")}
        problems: list[str] = []

        def client(number: int) -> None:
            tenant = list(urls)[number % 3]
            with httpx.Client(timeout=60) as http:
                for k in range(15):
                    wanted = ["a", "b", "c"][(number + k) % 3]
                    got = http.post(f"{urls[tenant]}/get", json={"ids": [wanted]}).json()
                    if got.get("ids") != [wanted]:
                        problems.append(f"{tenant} asked for {wanted}, got {got}")
                    named = http.get(f"{base}/tenants/{tenant}").json()
                    if named.get("name") != tenant:
                        problems.append(f"{tenant}: {named}")

        clients = [threading.Thread(target=client, args=(n,)) for n in range(12)]
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-5)  # threads take turns often: races show up every run
        try:
            for c in clients:
                c.start()
            for c in clients:
                c.join()
        finally:
            sys.setswitchinterval(interval)
        assert problems == []
    finally:
        running.shutdown()
        running.server_close()
        thread.join()


def test_a_burst_of_connections_waits_in_the_listen_backlog(recorder: Recorder) -> None:
    """Connections the server has not accepted yet (it is busy, or they came at once) wait
    in the kernel's queue instead of being refused (Chroma's backlog: 4096)."""
    server = GatewayServer(("127.0.0.1", 0), recorder)  # not serving yet: nothing accepts
    host, port = server.server_address[:2]
    connections: list[socket.socket] = []
    try:
        for _ in range(200):
            connections.append(socket.create_connection((str(host), int(port)), timeout=5))
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
        thread.start()
        for conn in connections:
            conn.sendall(b"GET /queued HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        for conn in connections:
            assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        server.shutdown()
        thread.join()
    finally:
        for conn in connections:
            conn.close()
        server.server_close()
    assert len(recorder.events) == 200


# -- bodies that are not UTF-8 -----------------------------------------------------------------

# Bodies sent to `chroma run` (chromadb 1.5.9) and its answers, 400 InvalidArgumentError each:
# serde names the string that is not UTF-8 and where it ends (in bytes), or the first syntax
# error before it (worded here as elsewhere in chromalake: Python's words, serde's place).
NOT_UTF8 = [
    ("get", b'{"bogus": "\xff"}', "bogus: invalid unicode code point at line 1 column 13"),
    (
        "get",
        b'{"where": {"a": "\\"\xff"}}',
        "where.a: invalid unicode code point at line 1 column 21",
    ),
    (
        "get",
        b'{"where": {"k\xff": "v"}}',
        "where.?: invalid unicode code point at line 1 column 15",
    ),
    (
        "get",
        b'{"where": {"$and": [{"k": "v"}, {"k": {"$in": ["a", "\xff"]}}]}}',
        "where.$and[1].k.$in[1]: invalid unicode code point at line 1 column 55",
    ),
    (
        "add",
        b'{"ids": ["a"], "embeddings": [[1]], "metadatas": [{"k\xff": 1}]}',
        "metadatas[0].?: invalid unicode code point at line 1 column 55",
    ),
    (
        "get",
        b'{"where": {"a": "\xff"}, "limit": x}',
        "where.a: invalid unicode code point at line 1 column 19",
    ),
    (
        "get",
        b'\n\n  {"ids": ["\xc3\xa9", "\xff"]}',
        "ids[1]: invalid unicode code point at line 3 column 20",
    ),
    ("get", b'{"ids": ["\xc3\xa9\xff"]}', "ids[0]: invalid unicode code point at line 1 column 14"),
    ("get", b'{"limit": 1, "bogus\xff": 2}', "invalid unicode code point at line 1 column 21"),
    ("get", b'{"ids":["x\xff', "ids[0]: EOF while parsing a string at line 1 column 11"),
    ("get", b"\xff{}", "Expecting value at line 1 column 1"),  # Chroma: "expected value"
]


@pytest.mark.parametrize(("route", "body", "problem"), NOT_UTF8)
def test_a_body_that_is_not_utf8_is_chromas_400(route: str, body: bytes, problem: str) -> None:
    settings = Settings(allow_reset=True)
    running, thread = _start(build_app(build_engine(settings), settings))
    try:
        base = f"{running.url}/api/v2/tenants/default_tenant/databases/default_database"
        created = httpx.post(f"{base}/collections", json={"name": "records"}, timeout=60).json()
        answer = httpx.post(
            f"{base}/collections/{created['id']}/{route}",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == 400
        assert answer.json() == {
            "error": "InvalidArgumentError",
            "message": f"Failed to parse the request body as JSON: {problem}",
        }
        assert answer.headers["chroma-trace-id"] == "0" * 32
    finally:
        running.shutdown()
        running.server_close()
        thread.join()
