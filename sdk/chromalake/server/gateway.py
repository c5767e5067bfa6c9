"""A local stand-in for API Gateway: a real HTTP server in front of the REST app.

``chromalake run`` serves the same resolver that runs in Lambda, by the same path: every HTTP
request becomes an API Gateway HTTP API event (payload format 2.0, route ``$default``), the
resolver's ``resolve(event, context)`` answers it, and its result dict becomes the HTTP response.
So what works locally works behind API Gateway, and the other way round.

Only the standard library is used (``http.server``), so the service needs no ASGI server.
"""

from __future__ import annotations

import base64
import json
import logging
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, unquote, urlsplit

from chromalake.config import Settings
from chromalake.errors import ChromaError, to_wire

logger = logging.getLogger(__name__)

# Chroma's answer to a body over its limit (axum's rejection, in Chroma's error JSON).
TOO_LARGE = "Failed to buffer the request body: length limit exceeded"
# How long a connection refused before its body was read keeps reading (and dropping) what
# the client still sends: closing with unread data resets the connection, and the client
# may lose the answer with it (RFC 9112, section 9.6).
LINGER_SECONDS = 2.0
TEXT_TYPES = ("text/", "json", "xml", "javascript", "x-www-form-urlencoded")
# Hop-by-hop or length headers the server computes itself rather than copying from the app.
OWN_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
INTERNAL_HEADERS = [("Content-Type", "application/json"), ("chroma-trace-id", "0" * 32)]


def _internal_error(error: Exception) -> bytes:
    message = f"{type(error).__name__}: {error}"
    return json.dumps({"error": "InternalError", "message": message}).encode()


def _chroma_error(status: int, message: str) -> HttpResponse:
    """Chroma's error JSON (generic ``ChromaError``) with ``status``."""
    body = json.dumps(to_wire(ChromaError(message)), separators=(",", ":")).encode()
    return HttpResponse(status, INTERNAL_HEADERS, body)


class Resolver(Protocol):
    """What the gateway needs of an app: powertools' ``resolve`` (as ``APIGatewayHttpResolver``)."""

    def resolve(self, event: dict[str, Any], context: Any) -> dict[str, Any]: ...


@runtime_checkable
class Screening(Protocol):
    """A resolver that checks a request's key from its headers, before its body is read
    (``chromalake run --auth``; in AWS, API Gateway calls the authorizer first too)."""

    def screen(self, event: dict[str, Any]) -> bool:
        """Put the key's outcome in ``event`` (a bodiless event, which the gateway gives
        its body afterwards); whether the body may be read: False when the key is not
        accepted, and the app's answer then never depends on the body."""
        ...


@dataclass
class LambdaContext:
    """The few attributes of Lambda's context object that powertools and loggers read.

    Example:
        >>> LambdaContext(aws_request_id="r1").get_remaining_time_in_millis() > 0
        True
    """

    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_name: str = "chromalake-local"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:chromalake-local"
    memory_limit_in_mb: int = 1024
    log_group_name: str = "/aws/lambda/chromalake-local"
    log_stream_name: str = "local"
    timeout_ms: int = 30_000
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left of the (nominal) timeout, as Lambda's context reports them."""
        return max(0, self.timeout_ms - int((time.monotonic() - self.started) * 1000))


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP request as the socket delivered it (headers in arrival order)."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    source_ip: str = "127.0.0.1"
    protocol: str = "HTTP/1.1"


def _is_text(content_type: str | None) -> bool:
    # API Gateway passes textual bodies as they are and base64-encodes everything else.
    if not content_type:
        return True
    lowered = content_type.lower()
    return any(kind in lowered for kind in TEXT_TYPES)


def _encode_body(body: bytes, content_type: str | None) -> tuple[str | None, bool]:
    if not body:
        return None, False
    if _is_text(content_type):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(body).decode("ascii"), True


def _joined_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    # API Gateway lower-cases names and joins repeated headers with commas.
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def _query_parameters(raw_query: str) -> dict[str, str]:
    # Repeated keys are joined with commas, as API Gateway does.
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


def _cookies(cookie_header: str | None) -> list[str]:
    if not cookie_header:
        return []
    return [part.strip() for part in cookie_header.split(";") if part.strip()]


def build_event(
    request: HttpRequest, request_id: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The API Gateway HTTP API (payload 2.0) event that ``request`` would give in AWS.

    Example:
        >>> event = build_event(HttpRequest("GET", "/api/v2/heartbeat?a=1", [("Host", "x")]))
        >>> event["rawPath"], event["queryStringParameters"], event["headers"]
        ('/api/v2/heartbeat', {'a': '1'}, {'host': 'x'})
    """
    split = urlsplit(request.target)
    headers = _joined_headers(request.headers)
    cookies = _cookies(headers.pop("cookie", None))
    moment = now or datetime.now(UTC)
    request_id = request_id or str(uuid.uuid4())
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": split.path,
        "rawQueryString": split.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "localhost"),
            "domainPrefix": "local",
            "http": {
                "method": request.method,
                # API Gateway decodes the path in requestContext and keeps rawPath as sent.
                "path": unquote(split.path),
                "protocol": request.protocol,
                "sourceIp": request.source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(moment.timestamp() * 1000),
        },
    }
    with_body(event, request.body)
    if cookies:
        event["cookies"] = cookies
    if split.query:
        event["queryStringParameters"] = _query_parameters(split.query)
    return event


def with_body(event: dict[str, Any], body: bytes) -> dict[str, Any]:
    """``event`` given ``body``, as API Gateway passes it (text as is, other types base64).

    Example:
        >>> with_body({"headers": {}}, b"hi")
        {'headers': {}, 'isBase64Encoded': False, 'body': 'hi'}
    """
    text, is_base64 = _encode_body(body, event["headers"].get("content-type"))
    event["isBase64Encoded"] = is_base64
    if text is not None:
        event["body"] = text
    return event


@dataclass(frozen=True)
class HttpResponse:
    """What to write back: status, header lines (repeats allowed) and the body bytes."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def _header_lines(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        if name.lower() not in OWN_HEADERS:
            lines.append((name, str(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        if name.lower() not in OWN_HEADERS:
            lines.extend((name, str(v)) for v in values)
    lines.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
    return lines


def response_of(result: Mapping[str, Any]) -> HttpResponse:
    """The HTTP response a resolver's result dict describes (as API Gateway would send it).

    Example:
        >>> r = response_of({"statusCode": 201, "headers": {"a": "1"}, "body": "{}"})
        >>> r.status, r.headers, r.body
        (201, [('a', '1')], b'{}')
    """
    body = result.get("body") or ""
    if result.get("isBase64Encoded"):
        data = base64.b64decode(body)
    else:
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return HttpResponse(int(result.get("statusCode", 200)), _header_lines(result), data)


class PayloadTooLargeError(Exception):
    """The request body is over ``chromalake_max_body_bytes``."""


class GatewayHandler(BaseHTTPRequestHandler):
    """Turns one HTTP request into an event for the server's resolver, and back."""

    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections as with Chroma
    # Headers and body go out in two writes; with Nagle's algorithm on, the body waits for the
    # client's delayed ACK of the headers (~40 ms per request on Linux).
    disable_nagle_algorithm = True
    server: GatewayServer
    _continue = False  # the client waits for "100 Continue" before it sends the body

    def do_request(self) -> None:
        """Handle any method the same way: the app decides what is allowed.

        The key (when the server checks keys) and the announced size are checked before
        the body is read: a request refused for either never has its body held in memory.
        """
        expects_continue, self._continue = self._continue, False
        head = HttpRequest(
            method=self.command,
            target=self.path,
            headers=list(self.headers.items()),
            source_ip=self.client_address[0],
            protocol=self.request_version,
        )
        event = build_event(head)
        if not self.server.admits(event):
            self._refuse(self.server.resolve(event))
            return
        try:
            if expects_continue:
                self.send_response_only(100)
                self.end_headers()
            body = self._read_body()
        except PayloadTooLargeError:
            self._refuse(_chroma_error(413, TOO_LARGE))
            return
        except ValueError:  # a Content-Length or chunk size that is not a number
            self._refuse(HttpResponse(400, [], b"Invalid request body framing"))
            return
        self._write(self.server.resolve(with_body(event, body)))

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_request

    def handle_expect_100(self) -> bool:
        """Answer "100 Continue" only once the request may send its body (do_request)."""
        self._continue = True
        return True

    def _announces_body(self) -> bool:
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "").lower()
        return chunked or self.headers.get("Content-Length", "0").strip() not in ("", "0")

    def _refuse(self, response: HttpResponse) -> None:
        """Answer without reading the rest of the body; then the connection closes."""
        unread = self._announces_body()
        self.close_connection = True
        self._write(response)
        if unread:
            self._linger()

    def _linger(self) -> None:
        """Drop what the client still sends, for up to LINGER_SECONDS, before closing."""
        deadline = time.monotonic() + LINGER_SECONDS
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            while (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                if not self.connection.recv(65536):
                    return  # the client is done
        except OSError:  # timed out, or the client reset the connection: either way, done
            return

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > self.server.max_body_bytes:
            raise PayloadTooLargeError
        return self.rfile.read(length) if length > 0 else b""

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > self.server.max_body_bytes:
                raise PayloadTooLargeError
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # the CRLF after each chunk

    def _write(self, response: HttpResponse) -> None:
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def version_string(self) -> str:
        """The ``Server`` header."""
        return "chromalake"

    def log_message(self, format: str, *args: Any) -> None:
        """Access log lines go to stderr only when the server is verbose."""
        if self.server.verbose:
            super().log_message(format, *args)


class GatewayServer(ThreadingHTTPServer):
    """A threading HTTP server that answers every request with ``resolver``.

    Each connection has its thread; up to ``settings.chromalake_server_workers`` requests
    are resolved at once, by one resolver and one engine shared by those threads (as an
    embedded client's threads share them), so one tenant's big read never holds another's
    small one. The listen backlog is ``settings.chromalake_server_backlog``; a body over
    ``settings.chromalake_max_body_bytes`` is refused with Chroma's 413, and a
    :class:`Screening` resolver checks the key before any body is read.

    Example:
        >>> class Echo:
        ...     def resolve(self, event, context):
        ...         return {"statusCode": 200, "body": event["rawPath"]}
        >>> server = GatewayServer(("127.0.0.1", 0), Echo())
        >>> server.answer(HttpRequest("GET", "/x", [])).body
        b'/x'
        >>> server.server_close()
    """

    daemon_threads = True  # a hung client must not keep the process alive after Ctrl-C
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        resolver: Resolver,
        *,
        settings: Settings | None = None,
        verbose: bool = False,
    ) -> None:
        settings = settings or Settings()
        # Read by server_activate (inside super().__init__) as listen()'s backlog.
        self.request_queue_size = settings.chromalake_server_backlog
        super().__init__(address, GatewayHandler)
        self.resolver = resolver
        self.verbose = verbose
        self.max_body_bytes = settings.chromalake_max_body_bytes
        self._workers = threading.BoundedSemaphore(settings.chromalake_server_workers)

    def answer(self, request: HttpRequest) -> HttpResponse:
        """Resolve ``request`` through the app exactly as Lambda would."""
        event = build_event(request)
        if not self.admits(event):
            event.pop("body", None)  # a refused key's request is answered without its body
        return self.resolve(event)

    def admits(self, event: dict[str, Any]) -> bool:
        """Whether a request's body may be read (see :class:`Screening`)."""
        if not isinstance(self.resolver, Screening):
            return True
        with self._workers:  # the check may ask the key store
            return self.resolver.screen(event)

    def resolve(self, event: dict[str, Any]) -> HttpResponse:
        """The app's answer to ``event``."""
        context = LambdaContext(aws_request_id=event["requestContext"]["requestId"])
        try:
            with self._workers:
                result = self.resolver.resolve(event, context)
        except Exception as error:
            # The app turns its own errors into responses; this is the last resort, so that a
            # client sees Chroma's error shape rather than a dropped connection.
            logger.exception("the app raised instead of answering")
            return HttpResponse(500, INTERNAL_HEADERS, _internal_error(error))
        return response_of(result)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-request is routine; anything else is logged."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)

    @property
    def url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


def serve(server: GatewayServer) -> int:
    """Serve until Ctrl-C or SIGTERM, then close cleanly; returns the exit code (0).

    Example (not run here: it blocks):
        serve(GatewayServer(("127.0.0.1", 8000), build_app(engine, settings)))
    """

    def stop(signum: int, frame: FrameType | None) -> None:
        del signum, frame
        # shutdown() waits for serve_forever() to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    print(f"chromalake listening on {server.url} (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("chromalake stopped", file=sys.stderr, flush=True)
    return 0


__all__ = [
    "GatewayServer",
    "HttpRequest",
    "HttpResponse",
    "LambdaContext",
    "Screening",
    "build_event",
    "response_of",
    "serve",
    "with_body",
]
