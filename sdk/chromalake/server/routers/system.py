"""System routes: heartbeat, version, healthcheck, pre-flight checks, reset, identity."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.http.payloads import Heartbeat, Identity, PreflightChecks
from chromalake.server.authz import scope_of
from chromalake.server.http import documented, json_response, new_router
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT

# The Rust server hard-codes this version string (reference §6.7).
SERVER_VERSION = "1.0.0"


def router(engine: Engine, settings: Settings) -> APIGatewayHttpRouter:
    """The system routes."""
    r = new_router()
    max_batch_size = settings.chromalake_max_batch_size or engine.max_batch_size()

    def heartbeat() -> Response[Any]:
        return json_response({"nanosecond heartbeat": engine.heartbeat()})

    r.get("/api/v2", summary="Heartbeat", tags=["system"], responses=documented(Heartbeat))(
        heartbeat
    )
    r.get(
        "/api/v2/heartbeat", summary="Heartbeat", tags=["system"], responses=documented(Heartbeat)
    )(heartbeat)

    @r.get("/api/v2/version", summary="Server version", tags=["system"], responses=documented(str))
    def version() -> Response[Any]:
        return json_response(SERVER_VERSION)

    @r.get(
        "/api/v2/healthcheck",
        summary="Health check",
        tags=["system"],
        responses=documented(dict[str, bool]),
    )
    def healthcheck() -> Response[Any]:
        return json_response({"is_executor_ready": True, "is_log_client_ready": True})

    @r.get(
        "/api/v2/pre-flight-checks",
        summary="Pre-flight checks",
        tags=["system"],
        responses=documented(PreflightChecks),
    )
    def pre_flight_checks() -> Response[Any]:
        return json_response({"max_batch_size": max_batch_size, "supports_base64_encoding": True})

    @r.post(
        "/api/v2/reset", summary="Reset the server", tags=["system"], responses=documented(bool)
    )
    def reset() -> Response[Any]:
        return json_response(engine.reset())  # the engine refuses it unless allow_reset

    @r.get(
        "/api/v2/auth/identity",
        summary="Caller identity",
        tags=["system"],
        responses=documented(Identity),
    )
    def identity() -> Response[Any]:
        scope = scope_of(r.current_event.raw_event)
        if scope is not None:  # the key's tenant and databases, as Chroma Cloud answers
            return json_response(scope.identity())
        return json_response(
            {"user_id": "", "tenant": DEFAULT_TENANT, "databases": [DEFAULT_DATABASE]}
        )

    return r
