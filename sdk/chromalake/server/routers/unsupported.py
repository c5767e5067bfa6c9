"""Routes a single-node Chroma refuses, answered as it answers them.

fork, fork_count (routers/forks.py) and search (routers/search.py) are served; the
attached-function routes give Chroma's single-node errors. indexing_status, a 500 on
Chroma's single node, reports the ANN index's real coverage here, in the shape Chroma's
distributed server answers with. Each first resolves the collection as Chroma does (400 for
a non-UUID id, 404 for an unknown one).
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.errors import NotFoundError, UnimplementedError
from chromalake.server.http import collection_uuid, database_name, json_response, new_router

COLLECTION = "/api/v2/tenants/<tenant>/databases/<database>/collections/<collection_id>"
TONIC = "Tonic error: code: 'Operation is not implemented or not supported', message: "
ATTACH = TONIC + '" Attached Function operations not yet implemented in SqliteSysDb"'
DETACH = TONIC + '"Not implemented"'


def router(engine: Engine, settings: Settings) -> APIGatewayHttpRouter:
    """The unsupported routes."""
    del settings
    r = new_router()

    def resolve(tenant: str, database: str, collection_id: str) -> None:
        """Chroma's record-route lookup: the collection must exist in this database."""
        db = database_name(database)
        uid = collection_uuid(collection_id)
        try:
            engine.get_collection_by_id(uid, tenant, db)
        except NotFoundError:
            raise NotFoundError(f"Collection [{uid}] does not exist.") from None

    @r.get(COLLECTION + "/indexing_status", summary="Indexing status", tags=["unsupported"])
    def indexing_status(tenant: str, database: str, collection_id: str) -> Response[Any]:
        resolve(tenant, database, collection_id)
        status = engine.indexing_status(
            collection_uuid(collection_id), tenant, database_name(database)
        )
        return json_response(dataclasses.asdict(status))

    @r.post(COLLECTION + "/functions/attach", summary="Attach a function", tags=["unsupported"])
    def attach_function(
        tenant: str, database: str, collection_id: str, payload: Annotated[dict[str, Any], Body()]
    ) -> Response[Any]:
        del payload
        resolve(tenant, database, collection_id)
        raise UnimplementedError(ATTACH)

    @r.get(
        COLLECTION + "/functions/<function_name>",
        summary="Get an attached function",
        tags=["unsupported"],
    )
    def get_function(
        tenant: str, database: str, collection_id: str, function_name: str
    ) -> Response[Any]:
        del function_name
        resolve(tenant, database, collection_id)
        raise NotFoundError("Attached function not found")

    @r.post(
        COLLECTION + "/attached_functions/<function_name>/detach",
        summary="Detach a function",
        tags=["unsupported"],
    )
    def detach_function(
        tenant: str,
        database: str,
        collection_id: str,
        function_name: str,
        payload: Annotated[dict[str, Any], Body()],
    ) -> Response[Any]:
        del function_name, payload
        resolve(tenant, database, collection_id)
        raise UnimplementedError(DETACH)

    return r
