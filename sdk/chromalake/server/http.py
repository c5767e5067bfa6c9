"""Small HTTP helpers shared by the routers: JSON responses and path-segment checks."""

from __future__ import annotations

import json
import uuid
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake import validation
from chromalake.errors import ChromaError, InvalidArgumentError, to_wire
from chromalake.wire import ErrorResponse

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
    # Powertools serializes every body but a str, which it sends as is; a JSON string value
    # (the version) must still go out quoted.
    text = json.dumps(body) if isinstance(body, str) else body
    return Response(status_code=status, content_type=JSON, body=text, headers=headers)


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
