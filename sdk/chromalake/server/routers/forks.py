"""Fork routes (Chroma Cloud's fork and fork_count) and chromalake's version routes.

``fork`` and ``fork_count`` are Chroma's routes with Chroma Cloud's answers (a single node
answers 501). The version routes are chromalake extensions, under ``.../versions`` where
Chroma has no route: list versions, restore one, and count, get or query as of one.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.errors import InvalidArgumentError
from chromalake.http.payloads import (
    CollectionModel,
    ForkCollectionPayload,
    GetRequestPayload,
    GetResponse,
    QueryRequestPayload,
    QueryResponse,
)
from chromalake.server.http import documented, json_response, new_router, record_scope
from chromalake.server.routers.records import get_records, query_records
from chromalake.server.serialize import collection_json

COLLECTION = "/api/v2/tenants/<tenant>/databases/<database>/collections/<collection_id>"
VERSIONS = COLLECTION + "/versions"
VERSION = VERSIONS + "/<version>"


def version_number(text: str) -> int:
    """A version path segment: a positive integer, else a 400."""
    if not text.isdigit() or int(text) < 1:
        raise InvalidArgumentError(f"Expected a version number >= 1, got '{text}'")
    return int(text)


def router(engine: Engine, settings: Settings) -> APIGatewayHttpRouter:
    """The fork and version routes."""
    del settings
    r = new_router()

    scope = record_scope

    @r.post(
        COLLECTION + "/fork",
        summary="Fork a collection (copy-on-write)",
        tags=["collections"],
        responses=documented(CollectionModel),
    )
    def fork(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[ForkCollectionPayload, Body()],
    ) -> Response[Any]:
        forked = engine.fork(new_name=payload.new_name, **scope(tenant, database, collection_id))
        return json_response(collection_json(forked))

    @r.get(
        COLLECTION + "/fork_count",
        summary="Count the forks of a collection's lineage",
        tags=["collections"],
        responses=documented(dict[str, int]),
    )
    def fork_count(tenant: str, database: str, collection_id: str) -> Response[Any]:
        return json_response({"count": engine.fork_count(**scope(tenant, database, collection_id))})

    @r.get(
        VERSIONS,
        summary="List a collection's versions (chromalake)",
        tags=["chromalake"],
        responses=documented(list[dict[str, Any]]),
    )
    def list_versions(tenant: str, database: str, collection_id: str) -> Response[Any]:
        return json_response(engine.list_versions(**scope(tenant, database, collection_id)))

    @r.post(
        VERSION + "/restore",
        summary="Restore a collection to a version (chromalake)",
        tags=["chromalake"],
        responses=documented(dict[str, int]),
    )
    def restore_version(
        tenant: str, database: str, collection_id: str, version: str
    ) -> Response[Any]:
        target = scope(tenant, database, collection_id)
        restored = engine.restore_version(version=version_number(version), **target)
        return json_response({"version": restored})

    @r.get(
        VERSION + "/count",
        summary="Count records at a version (chromalake)",
        tags=["chromalake"],
        responses=documented(int),
    )
    def count_at(tenant: str, database: str, collection_id: str, version: str) -> Response[Any]:
        target = scope(tenant, database, collection_id)
        return json_response(engine.count(version=version_number(version), **target))

    @r.post(
        VERSION + "/get",
        summary="Get records at a version (chromalake)",
        tags=["chromalake"],
        responses=documented(GetResponse),
    )
    def get_at(
        tenant: str,
        database: str,
        collection_id: str,
        version: str,
        payload: Annotated[GetRequestPayload, Body()],
    ) -> Response[Any]:
        target = scope(tenant, database, collection_id)
        return get_records(engine, payload, target, version_number(version))

    @r.post(
        VERSION + "/query",
        summary="Query records at a version (chromalake)",
        tags=["chromalake"],
        responses=documented(QueryResponse),
    )
    def query_at(
        tenant: str,
        database: str,
        collection_id: str,
        version: str,
        payload: Annotated[QueryRequestPayload, Body()],
    ) -> Response[Any]:
        target = scope(tenant, database, collection_id)
        return query_records(engine, payload, target, version_number(version))

    return r
