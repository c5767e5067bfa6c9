"""Collection routes: list, count, create, get by name or id, update by id, delete by name.

GET and DELETE ``collections/{x}`` take the collection **name**; PUT takes its UUID, as in
Chroma (reference §10.1).
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.http.payloads import (
    CollectionModel,
    CreateCollectionPayload,
    UpdateCollectionPayload,
)
from chromalake.server.http import (
    collection_uuid,
    database_name,
    documented,
    json_response,
    new_router,
)
from chromalake.server.serialize import collection_json

DATABASE = "/api/v2/tenants/<tenant>/databases/<database>"
COLLECTIONS = DATABASE + "/collections"
U32Query = Annotated[int | None, Query(ge=0, le=2**32 - 1)]
BY_ID_MESSAGE = "Validation error: collection_id: Invalid collection ID format, expected UUID"


def router(engine: Engine, settings: Settings) -> APIGatewayHttpRouter:
    """The collection routes."""
    del settings
    r = new_router()

    @r.get(
        COLLECTIONS,
        summary="List collections",
        tags=["collections"],
        responses=documented(list[CollectionModel]),
    )
    def list_collections(
        tenant: str, database: str, limit: U32Query = None, offset: U32Query = None
    ) -> Response[Any]:
        found = engine.list_collections(limit, offset, tenant, database_name(database))
        return json_response([collection_json(c) for c in found])

    @r.get(
        DATABASE + "/collections_count",
        summary="Count collections",
        tags=["collections"],
        responses=documented(int),
    )
    def count_collections(tenant: str, database: str) -> Response[Any]:
        return json_response(engine.count_collections(tenant, database_name(database)))

    @r.post(
        COLLECTIONS,
        summary="Create a collection",
        tags=["collections"],
        responses=documented(CollectionModel),
    )
    def create_collection(
        tenant: str, database: str, payload: Annotated[CreateCollectionPayload, Body()]
    ) -> Response[Any]:
        created = engine.create_collection(
            payload.name,
            configuration=payload.configuration_json(),
            metadata=payload.metadata,
            schema=payload.schema_,
            get_or_create=payload.get_or_create,
            tenant=tenant,
            database=database_name(database),
        )
        return json_response(collection_json(created))

    @r.get(
        COLLECTIONS + "/<name>",
        summary="Get a collection by name",
        tags=["collections"],
        responses=documented(CollectionModel),
    )
    def get_collection(tenant: str, database: str, name: str) -> Response[Any]:
        found = engine.get_collection(name, tenant, database_name(database))
        return json_response(collection_json(found))

    @r.get(
        COLLECTIONS + "/by-id/<collection_id>",
        summary="Get a collection by id",
        tags=["collections"],
        responses=documented(CollectionModel),
    )
    def get_collection_by_id(tenant: str, database: str, collection_id: str) -> Response[Any]:
        db = database_name(database)
        found = engine.get_collection_by_id(
            collection_uuid(collection_id, BY_ID_MESSAGE), tenant, db
        )
        return json_response(collection_json(found))

    @r.put(
        COLLECTIONS + "/<collection_id>",
        summary="Update a collection",
        tags=["collections"],
        responses=documented(dict[str, Any]),
    )
    def update_collection(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[UpdateCollectionPayload, Body()],
    ) -> Response[Any]:
        db = database_name(database)
        engine.update_collection(
            collection_uuid(collection_id),
            new_name=payload.new_name,
            new_metadata=payload.new_metadata,
            new_configuration=payload.new_configuration_json(),
            tenant=tenant,
            database=db,
        )
        return json_response({})

    @r.delete(
        COLLECTIONS + "/<name>",
        summary="Delete a collection by name",
        tags=["collections"],
        responses=documented(dict[str, Any]),
    )
    def delete_collection(tenant: str, database: str, name: str) -> Response[Any]:
        engine.delete_collection(name, tenant, database_name(database))
        return json_response({})

    return r
