"""Tenant routes: create, get, update (a no-op on a single node, as in Chroma)."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.http.payloads import CreateTenantPayload, Tenant, UpdateTenantPayload
from chromalake.server.http import documented, json_response, new_router


def router(engine: Engine, settings: Settings) -> APIGatewayHttpRouter:
    """The tenant routes."""
    del settings
    r = new_router()

    @r.post(
        "/api/v2/tenants",
        summary="Create a tenant",
        tags=["tenants"],
        responses=documented(dict[str, Any]),
    )
    def create_tenant(payload: Annotated[CreateTenantPayload, Body()]) -> Response[Any]:
        engine.create_tenant(payload.name)
        return json_response({})

    @r.get(
        "/api/v2/tenants/<tenant>",
        summary="Get a tenant",
        tags=["tenants"],
        responses=documented(Tenant),
    )
    def get_tenant(tenant: str) -> Response[Any]:
        found = engine.get_tenant(tenant)
        return json_response({"name": found["name"], "resource_name": None})

    @r.patch(
        "/api/v2/tenants/<tenant>",
        summary="Update a tenant",
        tags=["tenants"],
        responses=documented(dict[str, Any]),
    )
    def update_tenant(
        tenant: str, payload: Annotated[UpdateTenantPayload, Body()]
    ) -> Response[Any]:
        # Chroma's single node accepts and ignores it, even for an unknown tenant; the engine
        # has no tenant update to call.
        del tenant, payload
        return json_response({})

    return r
