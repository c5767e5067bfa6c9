"""Small HTTP helpers shared by the routers: JSON responses and path-segment checks."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.encoders import jsonable_encoder
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake import validation
from chromalake.errors import ChromaError, InvalidArgumentError, to_wire
from chromalake.http.payloads import ErrorResponse

JSON = "application/json"
TRACE_HEADER = "chroma-trace-id"
TRACE_ID = "0" * 32  # Chroma sends zeros when tracing is off


def new_router() -> APIGatewayHttpRouter:
    """A router for API Gateway HTTP API (payload format 2.0) events."""
    return APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


def documented(model: Any, status: int = 200) -> dict[int, OpenAPIResponse]:
    """OpenAPI responses of a route: ``model`` on success, Chroma's error body otherwise."""
    error: OpenAPIResponse = {
        "description": "A Chroma error",
        "content": {JSON: {"model": ErrorResponse}},
    }
    return {
        status: {"description": "Success", "content": {JSON: {"model": model}}},
        400: error,
        404: error,
        422: error,
        500: error,
    }


def json_response(body: Any, status: int = 200) -> Response[Any]:
    """A JSON response; every error status carries Chroma's trace header."""
    headers = {TRACE_HEADER: TRACE_ID} if status >= 400 else None
    # Serialized here, as a str, which powertools sends as is (it would serialize anything
    # else in one call: see dumps).
    return Response(status_code=status, content_type=JSON, body=dumps(body), headers=headers)


def dumps(value: Any) -> str:
    """Compact JSON (as powertools writes it), a slice at a time.

    ``json.dumps`` holds the GIL for as long as it runs: 7 s for a get of 20,000 x 384
    embeddings, during which no other request of the process moves. Here each call
    encodes at most :data:`SLICE` items of a list (a list of lists, one inner list at a
    time), so other threads get their turn in between.

    Example:
        >>> dumps({"ids": ["a", "b"], "embeddings": [[1.0, 2.5]], "n": None})
        '{"ids":["a","b"],"embeddings":[[1.0,2.5]],"n":null}'
    """
    return "".join(_pieces(value))


SLICE = 256  # items of a list encoded by one json.dumps call


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=jsonable_encoder)


def _pieces(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        yield "{"
        for n, (key, item) in enumerate(value.items()):
            yield f"{',' if n else ''}{_dump(str(key))}:"
            yield from _pieces(item)
        yield "}"
    elif isinstance(value, list | tuple) and len(value) > 0:
        yield "["
        if isinstance(value[0], list | tuple):
            for n, item in enumerate(value):
                yield "," if n else ""
                yield from _pieces(item)
        else:
            for start in range(0, len(value), SLICE):
                yield ("," if start else "") + _dump(list(value[start : start + SLICE]))[1:-1]
        yield "]"
    else:
        yield _dump(value)


def error_response(error: ChromaError) -> Response[Any]:
    """Chroma's error body for ``error`` with its status."""
    return json_response(to_wire(error), error.code())


def database_name(name: str) -> str:
    """A database path segment: at least 3 characters, as Chroma's ``DatabaseName``."""
    validation.validate_database_name(name)
    return name


def collection_uuid(
    collection_id: str, message: str = "Collection ID is not a valid UUIDv4"
) -> str:
    """A collection id path segment as a canonical UUID string, or Chroma's 400."""
    try:
        return str(uuid.UUID(collection_id))
    except ValueError:
        raise InvalidArgumentError(message) from None


def record_scope(tenant: str, database: str, collection_id: str) -> dict[str, Any]:
    """The engine's collection arguments from a record route's path, checked as Chroma
    checks them."""
    return {
        "collection_id": collection_uuid(collection_id),
        "tenant": tenant,
        "database": database_name(database),
    }
