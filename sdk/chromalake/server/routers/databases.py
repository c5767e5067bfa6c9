"""Database routes: list, create, get, delete."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake import validation
from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.http.payloads import CreateDatabasePayload, Database
from chromalake.server.authz import require_database, scope_of
from chromalake.server.http import database_name, documented, json_response, new_router
from chromalake.server.serialize import database_json

BASE = "/api/v2/tenants/<tenant>/databases"
U32Query = Annotated[int | None, Query(ge=0, le=2**32 - 1)]


def router(engine: Engine, settings: Settings) -> APIGatewayHttpRouter:
    """The database routes."""
    del settings
    r = new_router()

    @r.get(BASE, summary="List databases", tags=["databases"], responses=documented(list[Database]))
    def list_databases(
        tenant: str, limit: U32Query = None, offset: U32Query = None
    ) -> Response[Any]:
        scope = scope_of(r.current_event.raw_event)
        if scope is None or scope.databases is None:
            found = engine.list_databases(limit, offset, tenant=tenant)
        else:  # a key limited to some databases lists only those
            every = engine.list_databases(None, None, tenant=tenant)
            visible = [d for d in every if scope.sees_database(d.name)]
            start = offset or 0
            found = visible[start : None if limit is None else start + limit]
        return json_response([database_json(d) for d in found])

    @r.post(
        BASE, summary="Create a database", tags=["databases"], responses=documented(dict[str, Any])
    )
    def create_database(
        tenant: str, payload: Annotated[CreateDatabasePayload, Body()]
    ) -> Response[Any]:
        require_database(r.current_event.raw_event, payload.name)  # the same 403, taken or not
        validation.validate_database_name(payload.name, strict=True)  # the server's create rule
        engine.create_database(payload.name, tenant=tenant)
        return json_response({})

    @r.get(
        BASE + "/<database>",
        summary="Get a database",
        tags=["databases"],
        responses=documented(Database),
    )
    def get_database(tenant: str, database: str) -> Response[Any]:
        return json_response(database_json(engine.get_database(database_name(database), tenant)))

    @r.delete(
        BASE + "/<database>",
        summary="Delete a database",
        tags=["databases"],
        responses=documented(dict[str, Any]),
    )
    def delete_database(tenant: str, database: str) -> Response[Any]:
        engine.delete_database(database, tenant)  # Chroma does not check the length here
        return json_response({})

    return r
