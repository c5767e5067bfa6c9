"""One log line per request, and the log set-up of ``chromalake run``.

The REST app calls :func:`log_request` once per resolved event (``ChromaResolver.resolve``), so
``chromalake run`` and the Lambda function log the same line: method, route template, status,
duration, tenant, database, collection and trace id, and for an error answer its cause. The
lines go to the ``chromalake.requests`` logger: ``chromalake run`` formats them as plain text
or JSON (:func:`configure`), the api Lambda hands the ``chromalake`` loggers to its powertools
Logger (JSON with the invocation's correlation id).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TextIO

logger = logging.getLogger("chromalake.requests")

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("text", "json")
#: The first characters of an error answer's message kept in its log line.
CAUSE_CHARS = 300
# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


@dataclass(frozen=True)
class RequestLine:
    """What is logged of one request.

    Example:
        >>> RequestLine("GET", "/api/v2/heartbeat", 200, 1.25).text()
        'GET /api/v2/heartbeat 200 1.2ms'
    """

    method: str
    route: str
    status: int
    duration_ms: float
    tenant: str | None = None
    database: str | None = None
    collection: str | None = None
    trace_id: str | None = None
    error: str | None = None

    def fields(self) -> dict[str, Any]:
        """The line's fields, those without a value left out."""
        return {k: v for k, v in asdict(self).items() if v is not None}

    def text(self) -> str:
        """The plain-text form: ``METHOD ROUTE STATUS DURATION key=value...``."""
        head = f"{self.method} {self.route} {self.status} {self.duration_ms:.1f}ms"
        extras = ("tenant", "database", "collection", "trace_id")
        tail = [f"{k}={getattr(self, k)}" for k in extras if getattr(self, k) is not None]
        if self.error is not None:
            tail.append(f"error={self.error!r}")
        return " ".join([head, *tail])


LINE_FIELDS = tuple(RequestLine.__dataclass_fields__)


def _cause(result: Mapping[str, Any]) -> str | None:
    """``Name: message`` of a Chroma error body (an answer of 400 or more)."""
    body = result.get("body")
    if not body or result.get("isBase64Encoded"):
        return None
    try:
        wire = json.loads(body)
    except (TypeError, ValueError):
        return str(body)[:CAUSE_CHARS]
    if not isinstance(wire, dict):
        return None
    text = f"{wire.get('error', '')}: {wire.get('message', '')}".strip(": ")
    return text[:CAUSE_CHARS] or None


def request_line(
    event: Mapping[str, Any],
    result: Mapping[str, Any],
    route: str | None,
    arguments: Mapping[str, str],
    seconds: float,
) -> RequestLine:
    """The line of one request: ``route`` is the matched template (None: no route matched).

    Example:
        >>> event = {"rawPath": "/x", "requestContext": {"http": {"method": "GET"},
        ...          "requestId": "r1"}, "headers": {}}
        >>> request_line(event, {"statusCode": 404}, None, {}, 0.002).text()
        'GET /x 404 2.0ms trace_id=r1'
    """
    context = event.get("requestContext") or {}
    headers = event.get("headers") or {}
    status = int(result.get("statusCode", 200))
    return RequestLine(
        method=str((context.get("http") or {}).get("method", "")),
        # powertools' <name> placeholders as OpenAPI's {name}
        route=re.sub(r"<(\w+)>", r"{\1}", route) if route else str(event.get("rawPath", "")),
        status=status,
        duration_ms=round(seconds * 1000, 3),
        tenant=arguments.get("tenant"),
        database=arguments.get("database"),
        # a collection's routes name it by id, but for get and delete (by name)
        collection=arguments.get("collection_id") or arguments.get("name"),
        # X-Ray's header behind API Gateway, else API Gateway's (or the local gateway's) id.
        trace_id=headers.get("x-amzn-trace-id") or context.get("requestId"),
        error=_cause(result) if status >= 400 else None,
    )


def log_request(line: RequestLine) -> None:
    """Log ``line``: INFO, WARNING for a refused request (4xx), ERROR for a failed one (5xx)."""
    level = logging.INFO
    if line.status >= 400:
        level = logging.ERROR if line.status >= 500 else logging.WARNING
    if logger.isEnabledFor(level):
        # Flat fields: powertools' Logger and JsonFormatter put each at the top of the document.
        logger.log(level, "request", extra=line.fields())


class TextFormatter(logging.Formatter):
    """``2026-01-01T12:00:00.000Z INFO GET /api/v2/heartbeat 200 0.4ms``: for a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        message = record.getMessage()
        if hasattr(record, "route"):  # a request's line, from its fields
            line = RequestLine(**{k: getattr(record, k, None) for k in LINE_FIELDS})  # type: ignore[arg-type]
            message = line.text()
        text = f"{moment.replace('+00:00', 'Z')} {record.levelname} {message}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``--log-format json``), with the request's fields at the top.

    Example:
        >>> record = logging.makeLogRecord({"msg": "hi", "levelname": "INFO", "created": 0})
        >>> json.loads(JsonFormatter().format(record))["message"]
        'hi'
    """

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        document: dict[str, Any] = {
            "timestamp": moment.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS:
                document[key] = value
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def configure(level: str = "INFO", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Send chromalake's logs (requests, warnings, errors) to ``stream`` (stderr).

    Example:
        >>> import io; out = io.StringIO(); configure("INFO", "json", out)
        >>> log_request(RequestLine("GET", "/api/v2/heartbeat", 200, 0.5))
        >>> json.loads(out.getvalue())["status"]
        200
        >>> configure("WARNING", "text", out)
    """
    if level.upper() not in LEVELS or fmt not in FORMATS:
        raise ValueError(f"log level must be one of {LEVELS}, format one of {FORMATS}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger("chromalake")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    root.propagate = False


__all__ = [
    "JsonFormatter",
    "RequestLine",
    "TextFormatter",
    "configure",
    "log_request",
    "request_line",
]
