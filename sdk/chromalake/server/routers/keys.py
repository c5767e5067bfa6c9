"""chromalake's key administration routes (extensions; no Chroma route lives under them).

| method | path | body / query | answer |
| --- | --- | --- | --- |
| POST | ``/api/v2/chromalake/keys`` | tenant, databases, role, name | record + ``key`` (once) |
| GET | ``/api/v2/chromalake/keys`` | ``?tenant=`` | records (no keys, no hashes) |
| DELETE | ``/api/v2/chromalake/keys/{id}`` | (none) | the revoked record |

They need an admin key (:mod:`chromalake.server.authz`); a tenant's admin reaches only its own
tenant's keys, and an admin of some databases only the keys of those databases
(:mod:`chromalake.auth.admin`). A server without a key store (not started with
auth) answers 501.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake.auth.admin import KeyAdmin
from chromalake.auth.scope import Scope
from chromalake.errors import ChromaAuthError, UnimplementedError
from chromalake.http.payloads import ApiKeyModel, CreateApiKeyPayload, CreatedApiKey
from chromalake.server.authz import KEYS, scope_of
from chromalake.server.http import documented, json_response, new_router

NO_KEYS = "API keys are not enabled on this server (start it with --auth)"


def router(keys: KeyAdmin | None) -> APIGatewayHttpRouter:
    """The key routes over ``keys`` (None: the server has no key store)."""
    r = new_router()

    def caller() -> tuple[KeyAdmin, Scope]:
        if keys is None:
            raise UnimplementedError(NO_KEYS)
        scope = scope_of(r.current_event.raw_event)
        if scope is None:  # authz lets no request without a key reach here; belt and braces
            raise ChromaAuthError()
        return keys, scope

    @r.post(KEYS, summary="Create an API key", tags=["keys"], responses=documented(CreatedApiKey))
    def create_key(payload: Annotated[CreateApiKeyPayload, Body()]) -> Response[Any]:
        admin, scope = caller()
        record, key = admin.create_key(
            scope, payload.tenant, payload.databases, payload.role, payload.name
        )
        return json_response({**record.public(), "key": key})

    @r.get(KEYS, summary="List API keys", tags=["keys"], responses=documented(list[ApiKeyModel]))
    def list_keys(tenant: Annotated[str | None, Query()] = None) -> Response[Any]:
        admin, scope = caller()
        return json_response([k.public() for k in admin.list_keys(scope, tenant)])

    @r.delete(
        KEYS + "/<key_id>",
        summary="Revoke an API key",
        tags=["keys"],
        responses=documented(ApiKeyModel),
    )
    def revoke_key(key_id: str) -> Response[Any]:
        admin, scope = caller()
        return json_response(admin.revoke_key(scope, key_id).public())

    return r
