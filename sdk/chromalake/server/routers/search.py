"""The Search route: Chroma Cloud's hybrid search (reference §3.9), on every deployment.

A payload that does not deserialize as Chroma's ``SearchPayload`` is answered as Chroma's
server answers it: 422 with serde's path, words and position in the raw body.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.engine.filters import parse_where, with_id_keys
from chromalake.errors import InvalidArgumentError, UnprocessableEntityError
from chromalake.http.payloads import SearchRequestPayload, SearchResponse
from chromalake.records import search_columns
from chromalake.search.payload import SearchShapeError, parse_search
from chromalake.server.http import (
    collection_uuid,
    database_name,
    documented,
    json_response,
    new_router,
)
from chromalake.server.parsing import WRONG_SHAPE
from chromalake.server.serde_errors import at_path

COLLECTION = "/api/v2/tenants/<tenant>/databases/<database>/collections/<collection_id>"


def _check_shape(searched: Any, path: list[str | int], body: str | None) -> None:
    """Refuse a payload serde would not deserialize (its filter included), as Chroma does."""
    try:
        spec = parse_search(searched, path)
        if spec.filter is not None:
            try:
                with_id_keys(parse_where(spec.filter))
            except InvalidArgumentError as e:
                raise SearchShapeError([*path, "filter"], e.message()) from None
    except SearchShapeError as e:
        where = at_path(body, e.path)
        raise UnprocessableEntityError(f"{WRONG_SHAPE}: {e}{where}") from None


def router(engine: Engine, settings: Settings) -> APIGatewayHttpRouter:
    """The search route."""
    del settings
    r = new_router()

    @r.post(
        COLLECTION + "/search",
        summary="Search records (filter, rank, group, page, select)",
        tags=["records"],
        responses=documented(SearchResponse),
    )
    def search(
        tenant: str,
        database: str,
        collection_id: str,
        payload: Annotated[SearchRequestPayload, Body()],
    ) -> Response[Any]:
        uid, db = collection_uuid(collection_id), database_name(database)
        body = r.current_event.decoded_body
        for n, searched in enumerate(payload.searches):
            _check_shape(searched, ["searches", n], body)
        found = engine.search(uid, payload.searches, payload.read_level, tenant=tenant, database=db)
        return json_response(search_columns(found))

    return r
