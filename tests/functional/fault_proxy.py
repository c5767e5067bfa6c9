"""A fault-injecting HTTP proxy on 127.0.0.1, in front of the moto server.

Lance (S3, from Rust) and boto3 (DynamoDB) are pointed at the proxy instead of moto; the
proxy forwards every request unchanged, except those matching a :class:`Fault`, which it
fails in one of the ways a real network or AWS fails:

| action | what the client sees | did the request run? |
| --- | --- | --- |
| ``500``, ``503`` | an error reply in the service's own format | no |
| ``drop`` | the connection closed before any reply | no |
| ``lost`` | the connection closed after moto answered | yes |
| ``delay`` | the reply only after ``delay`` s (past the client's timeout) | yes, late |

A fault matches a request by a regular expression searched in ``"<METHOD> <path> <target>"``
(``target`` is DynamoDB's ``X-Amz-Target`` operation, e.g. ``TransactWriteItems``), lets
``skip`` matching requests through, then fails the next ``times`` ones.

The proxy also counts what it forwards by kind (:func:`kind`: ``S3 GET``, ``S3 LIST``,
``DynamoDB GetItem``, ...) and can add a latency per service, about what S3 and DynamoDB
cost inside AWS (``benchmarks/bench_requests.py``; the warm-read tests count requests).
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class Fault:
    """Fail ``times`` requests matching ``pattern``, after letting ``skip`` of them through."""

    pattern: str
    action: str  # "500", "503", "drop", "lost" or "delay"
    times: int = 1
    skip: int = 0
    delay: float = 0.0
    injected: int = 0
    _regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.pattern)

    def take(self, request: str) -> bool:
        """Whether this request is one to fail (and count it if so)."""
        if not self._regex.search(request):
            return False
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.injected >= self.times:
            return False
        self.injected += 1
        return True


def kind(request: str) -> str:
    """What a logged request was: ``DynamoDB <operation>`` or ``S3 <GET|LIST|HEAD|PUT|...>``.

    Example:
        >>> kind("GET /lake?list-type=2&prefix=t/d/x.lance/_versions/ ")
        'S3 LIST'
        >>> kind("POST / GetItem"), kind("GET /lake/t/d/x.lance/data/a.lance ")
        ('DynamoDB GetItem', 'S3 GET')
    """
    method, path, target = [*request.split(" ", 2), "", ""][:3]
    if target:
        return f"DynamoDB {target}"
    query = urlparse(path).query
    if method == "GET" and ("list-type" in query or "prefix=" in query or path.endswith("/")):
        return "S3 LIST"
    return f"S3 {method}"


class FaultProxy:
    """The proxy: ``endpoint`` for clients, ``faults`` to arm, ``requests`` seen so far.

    ``latency``: seconds added to each forwarded request, by service (``"S3"``,
    ``"DynamoDB"``)."""

    def __init__(self, upstream: str, latency: dict[str, float] | None = None) -> None:
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.latency = latency or {}
        self.faults: list[Fault] = []
        self.requests: list[str] = []
        # Seconds the upstream (moto) took to answer, summed since the last reset: moto's
        # own processing, which a benchmark reports apart from the injected latency.
        self.upstream_seconds = 0.0
        self._lock = threading.Lock()
        self._in_flight = 0
        self._idle = threading.Condition(self._lock)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def arm(self, *faults: Fault) -> None:
        with self._lock:
            self.faults = list(faults)
            self.requests = []

    def disarm(self, settle: float = 10.0) -> int:
        """Remove every fault, wait for requests under way (a delayed one lands late);
        returns how many requests the faults failed."""
        with self._lock:
            injected = sum(f.injected for f in self.faults)
            self.faults = []
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=settle)
            return injected

    def counted(self) -> dict[str, int]:
        """How many requests of each kind were seen since the last :meth:`reset`."""
        with self._lock:
            return dict(Counter(kind(r) for r in self.requests))

    def reset(self) -> None:
        with self._lock:
            self.requests = []
            self.upstream_seconds = 0.0

    def _begin(self) -> None:
        with self._lock:
            self._in_flight += 1

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1
            self._idle.notify_all()

    def _choose(self, request: str) -> Fault | None:
        with self._lock:
            self.requests.append(request)
            return next((f for f in self.faults if f.take(request)), None)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # A reply's headers and body go out in two writes: with Nagle's algorithm the
            # second waits for the client's delayed ACK (40 ms on Linux) on every request.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: object) -> None:
                pass  # one line per request would drown a failing test's output

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        chunk = self.rfile.read(size)
                        self.rfile.readline()
                        if size == 0:
                            return b"".join(chunks)
                        chunks.append(chunk)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                proxy._begin()
                try:
                    self._proxy()
                finally:
                    proxy._end()

            def _proxy(self) -> None:
                body = self._body()
                target = self.headers.get("X-Amz-Target", "").rsplit(".", 1)[-1]
                fault = proxy._choose(f"{self.command} {self.path} {target}")
                action = fault.action if fault is not None else None
                if action in ("500", "503"):
                    return self._error(int(action), bool(target))
                if action == "drop":
                    return self._drop()
                if action == "delay" and fault is not None:
                    time.sleep(fault.delay)
                time.sleep(proxy.latency.get("DynamoDB" if target else "S3", 0.0))
                start = time.perf_counter()
                status, headers, reply = self._forward(body)
                with proxy._lock:
                    proxy.upstream_seconds += time.perf_counter() - start
                if action == "lost":
                    return self._drop()
                self._reply(status, headers, reply)

            def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP
                    }
                    headers["Content-Length"] = str(len(body))
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    return response.status, response.getheaders(), response.read()
                finally:
                    upstream.close()

            def _reply(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for key, value in headers:
                    if key.lower() in _HOP_BY_HOP:
                        continue
                    # A HEAD reply tells the object's size without carrying it.
                    if key.lower() == "content-length" and self.command != "HEAD":
                        continue
                    self.send_header(key, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(self, status: int, dynamodb: bool) -> None:
                if dynamodb:
                    kind = "InternalServerError" if status == 500 else "ServiceUnavailable"
                    body = f'{{"__type":"com.amazonaws.dynamodb.v20120810#{kind}",'
                    body += '"message":"injected fault"}'
                    kind_type = "application/x-amz-json-1.0"
                else:
                    code = "InternalError" if status == 500 else "SlowDown"
                    body = f"<Error><Code>{code}</Code><Message>injected fault</Message></Error>"
                    kind_type = "application/xml"
                self._reply(status, [("Content-Type", kind_type)], body.encode())

            def _drop(self) -> None:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _handle

        return Handler
