"""Every route of the REST app, fed random and malformed requests: never a 500.

Hypothesis builds requests for each route the app serves: path parameters that are real,
random or hostile (unicode, very long, separators), query strings, and bodies that are random
JSON (deep nesting, huge and tiny numbers, wrong types) or not JSON at all. Every answer must
be below 500 (or Chroma's 501 for what a single node does not do), an error must carry
Chroma's ``{"error", "message"}`` body (or none, for the 404/405 of an unknown path), and a
refused write must leave the collection as it was.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_events import http_event, reply_of_event

from chromalake.config import Settings
from chromalake.engine.factory import build_engine
from chromalake.server import build_app

WRITES = ("/add", "/update", "/upsert", "/delete")
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=30,
)
FIELD_NAMES = st.sampled_from(
    ["ids", "embeddings", "metadatas", "documents", "uris", "where", "where_document",
     "include", "limit", "offset", "n_results", "query_embeddings", "name", "metadata",
     "configuration", "new_name", "new_metadata", "new_configuration", "get_or_create",
     "schema", "new_name", "searches", "tenant", "role", "databases"]
)  # fmt: skip
BODIES = (
    st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=6).map(json.dumps)
    | JSON_VALUES.map(json.dumps)
    | st.text(max_size=40)  # not JSON at all
    | st.sampled_from(["", "{", "NaN", '{"ids": [NaN]}', "[" * 500 + "]" * 500, "\x00"])
)
HOSTILE = st.text(min_size=1, max_size=30) | st.sampled_from(
    ["", "..", "%2F", "a/b", "x" * 2000, "00000000-0000-0000-0000-000000000000", "é🦜"]
)


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    """The app over an in-memory engine, a collection with records, and the routes."""
    settings = Settings(allow_reset=False)
    app = build_app(build_engine(settings), settings)
    root = "/api/v2/tenants/default_tenant/databases/default_database/collections"

    def send(method: str, path: str, raw: str | None = None, query: str = "") -> Any:
        event = http_event(method, path, raw=raw, query=query)
        return reply_of_event(app.resolve(event, None))  # type: ignore[arg-type]

    created = send("POST", root, raw=json.dumps({"name": "fuzzed"}))
    collection_id = created.body["id"]
    add = {"ids": ["a", "b"], "embeddings": [[1.0, 2.0], [3.0, 4.0]], "metadatas": [{"k": 1}, None]}
    assert send("POST", f"{root}/{collection_id}/add", raw=json.dumps(add)).status == 201
    routes = sorted(
        {(r.method, r.path) for r in app._static_routes + app._dynamic_routes}
        - {("POST", "/api/v2/reset")}
    )
    return {"send": send, "collection_id": collection_id, "root": root, "routes": routes}


def _path(template: str, real: dict[str, str], hostile: str, use_real: bool) -> str:
    return re.sub(
        r"<(\w+)>", lambda m: real.get(m.group(1), hostile) if use_real else hostile, template
    )


def _state(world: dict[str, Any]) -> Any:
    reply = world["send"]("POST", f"{world['root']}/{world['collection_id']}/get", raw="{}")
    return reply.body


@settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.data(),
    body=BODIES,
    hostile=HOSTILE,
    use_real=st.booleans(),
    query=st.sampled_from(["", "limit=-1", "limit=abc&offset=1", "tenant=%00", "x=" + "y" * 500]),
)
def test_no_request_gets_a_500(
    world: dict[str, Any], data: st.DataObject, body: str, hostile: str, use_real: bool, query: str
) -> None:
    method, template = data.draw(st.sampled_from(world["routes"]))
    real = {
        "tenant": "default_tenant",
        "database": "default_database",
        "collection_id": world["collection_id"],
        "name": "fuzzed",
    }
    path = _path(template, real, hostile, use_real)
    before = _state(world) if template.endswith(WRITES) else None
    reply = world["send"](method, path, raw=body if method != "GET" else None, query=query)
    # 501 is Chroma's answer for what a single node does not do (search, key admin
    # without --auth); anything else from 500 up is a failure of ours.
    assert reply.status < 500 or reply.status == 501, (method, path, body, reply.body)
    if reply.status >= 400 and reply.body not in (None, ""):
        assert isinstance(reply.body, dict) and {"error", "message"} <= set(reply.body), reply
    if before is not None and reply.status >= 400:
        assert _state(world) == before, "a refused write changed the collection"
