"""Record routes: add (201), update, upsert, delete, count, get, query."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.http.payloads import (
    AddCollectionRecordsPayload,
    DeleteCollectionRecordsPayload,
    DeleteResponse,
    GetRequestPayload,
    GetResponse,
    QueryRequestPayload,
    QueryResponse,
    ReadLevelValue,
    UpdateCollectionRecordsPayload,
    UpsertCollectionRecordsPayload,
    decode_embeddings,
    decode_required_embeddings,
)
from chromalake.server.http import documented, json_response, new_router, record_scope
from chromalake.server.serialize import get_json, query_json

COLLECTION = "/api/v2/tenants/<tenant>/databases/<database>/collections/<collection_id>"
DEFAULT_N_RESULTS = 10


def router(engine: Engine, settings: Settings) -> APIGatewayHttpRouter:
    """The record routes."""
    del settings
    r = new_router()

    scope = record_scope

    def write(
        apply: Any, payload: Any, embeddings: Any, tenant: str, database: str, collection_id: str
    ) -> None:
        """One add/update/upsert: the payload's columns to the engine's write method."""
        target = scope(tenant, database, collection_id)
        apply(
            ids=payload.ids,
            embeddings=embeddings,
            metadatas=payload.metadatas,
            documents=payload.documents,
            uris=payload.uris,
            **target,
        )

    @r.post(
        COLLECTION + "/add",
        summary="Add records",
        tags=["records"],
        responses=documented(dict[str, Any], 201),
    )
    def add(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[AddCollectionRecordsPayload, Body()],
    ) -> Response[Any]:
        write(
            engine.add,
            payload,
            decode_required_embeddings(payload.embeddings),
            tenant,
            database,
            collection_id,
        )
        return json_response({}, 201)

    @r.post(
        COLLECTION + "/update",
        summary="Update records",
        tags=["records"],
        responses=documented(dict[str, Any]),
    )
    def update(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[UpdateCollectionRecordsPayload, Body()],
    ) -> Response[Any]:
        write(
            engine.update,
            payload,
            decode_embeddings(payload.embeddings),
            tenant,
            database,
            collection_id,
        )
        return json_response({})

    @r.post(
        COLLECTION + "/upsert",
        summary="Upsert records",
        tags=["records"],
        responses=documented(dict[str, Any]),
    )
    def upsert(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[UpsertCollectionRecordsPayload, Body()],
    ) -> Response[Any]:
        write(
            engine.upsert,
            payload,
            decode_required_embeddings(payload.embeddings),
            tenant,
            database,
            collection_id,
        )
        return json_response({})

    @r.post(
        COLLECTION + "/delete",
        summary="Delete records",
        tags=["records"],
        responses=documented(DeleteResponse),
    )
    def delete(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[DeleteCollectionRecordsPayload, Body()],
    ) -> Response[Any]:
        deleted = engine.delete(
            ids=payload.ids,
            where=payload.where,
            where_document=payload.where_document,
            limit=payload.limit,
            **scope(tenant, database, collection_id),
        )
        return json_response({"deleted": deleted})

    @r.get(
        COLLECTION + "/count", summary="Count records", tags=["records"], responses=documented(int)
    )
    def count(
        tenant: str,
        database: str,
        collection_id: str,
        read_level: Annotated[ReadLevelValue, Query()] = "index_and_wal",
    ) -> Response[Any]:
        del read_level  # every level sees every committed write here
        return json_response(engine.count(**scope(tenant, database, collection_id)))

    @r.post(
        COLLECTION + "/get",
        summary="Get records",
        tags=["records"],
        responses=documented(GetResponse),
    )
    def get(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[GetRequestPayload, Body()],
    ) -> Response[Any]:
        return get_records(engine, payload, scope(tenant, database, collection_id))

    @r.post(
        COLLECTION + "/query",
        summary="Query nearest records",
        tags=["records"],
        responses=documented(QueryResponse),
    )
    def query(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[QueryRequestPayload, Body()],
    ) -> Response[Any]:
        return query_records(engine, payload, scope(tenant, database, collection_id))

    return r


def get_records(
    engine: Engine, payload: GetRequestPayload, target: dict[str, Any], version: int | None = None
) -> Response[Any]:
    """A get payload run on the collection ``target`` names (at ``version``: chromalake's)."""
    found = engine.get(
        ids=payload.ids,
        where=payload.where,
        where_document=payload.where_document,
        limit=payload.limit,
        offset=payload.offset,
        include=payload.include,
        version=version,
        **target,
    )
    return json_response(get_json(found, payload.include))


def query_records(
    engine: Engine, payload: QueryRequestPayload, target: dict[str, Any], version: int | None = None
) -> Response[Any]:
    """A query payload run on the collection ``target`` names (at ``version``: chromalake's)."""
    found = engine.query(
        query_embeddings=[np.asarray(q, dtype=np.float32) for q in payload.query_embeddings],
        n_results=DEFAULT_N_RESULTS if payload.n_results is None else payload.n_results,
        ids=payload.ids,
        where=payload.where,
        where_document=payload.where_document,
        include=payload.include,
        max_distance=payload.max_distance,
        version=version,
        **target,
    )
    return json_response(query_json(found, payload.include))
