"""The search route fed random, mostly well-formed Search payloads: never a 500.

Random rank trees (every operator, constants that overflow float32 in arithmetic, log of
negatives, division by zero, dense and text ``$knn`` with random limits and defaults), random
filters, group_by, limits and selects, over a collection with records. Every answer must be
200 with one page per search (ids ordered, no duplicates, columns the length of ids) or
Chroma's error body below 500.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_events import http_event, reply_of_event

from chromalake.config import Settings
from chromalake.engine.factory import build_engine
from chromalake.server import build_app

ROOT = "/api/v2/tenants/default_tenant/databases/default_database/collections"
NUMBERS = st.floats(allow_nan=False, allow_infinity=False, width=32) | st.integers(-5, 5)
KEYS = st.sampled_from(["g", "n", "tag", "#score", "#document", "#id", "#embedding", "zz"])


def _knn() -> st.SearchStrategy[dict[str, Any]]:
    options = {"limit": st.integers(0, 8), "default": NUMBERS, "return_rank": st.booleans()}
    dense = st.fixed_dictionaries({"query": st.lists(NUMBERS, max_size=3)}, optional=options)
    texts = st.sampled_from(["fox", "lazy dog", "", "zzz", "the"])
    text = st.fixed_dictionaries({"query": texts, "key": st.just("#document")}, optional=options)
    return (dense | text).map(lambda b: {"$knn": b})


def _combined(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Every operator over ``inner`` expressions."""
    nary = [
        st.lists(inner, max_size=3).map(lambda xs, op=op: {op: xs})
        for op in ("$sum", "$mul", "$max", "$min")
    ]
    binary = [
        st.tuples(inner, inner).map(lambda lr, op=op: {op: {"left": lr[0], "right": lr[1]}})
        for op in ("$sub", "$div")
    ]
    unary = [inner.map(lambda x, op=op: {op: x}) for op in ("$abs", "$exp", "$log")]
    return st.one_of(*nary, *binary, *unary)


RANKS = st.recursive(_knn() | NUMBERS.map(lambda v: {"$val": v}), _combined, max_leaves=6)
IDS = st.lists(st.sampled_from("abcdefz"), min_size=1, max_size=3)
FILTERS = st.one_of(
    st.none(),
    st.just({}),
    st.builds(
        lambda k, v: {k: v},
        st.sampled_from(["g", "n", "tag"]),
        st.sampled_from(["x", 1, 2.5, True]),
    ),
    IDS.map(lambda ids: {"#id": {"$in": ids}}),
    st.just({"#document": {"$contains": "lazy"}}),
    st.just({"#id": {"$gt": 1}}),
    st.just({"n": {"$bogus": 1}}),
)
GROUPS = st.one_of(
    st.just({}),
    st.builds(
        lambda keys, op, by, k: {"keys": keys, "aggregate": {op: {"keys": by, "k": k}}},
        st.lists(KEYS, min_size=1, max_size=2),
        st.sampled_from(["$min_k", "$max_k"]),
        st.lists(KEYS, min_size=1, max_size=2),
        st.integers(0, 3),
    ),
)
SEARCHES = st.fixed_dictionaries(
    {},
    optional={
        "filter": FILTERS,
        "rank": st.none() | RANKS,
        "group_by": GROUPS,
        "limit": st.fixed_dictionaries(
            {}, optional={"offset": st.integers(0, 8), "limit": st.integers(0, 8)}
        ),
        "select": st.fixed_dictionaries({"keys": st.lists(KEYS, max_size=4)}),
    },
)


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    app = build_app(build_engine(Settings()), Settings())

    def send(method: str, path: str, body: Any) -> Any:
        return reply_of_event(app.resolve(http_event(method, path, body), None))

    created = send("POST", ROOT, {"name": "fuzzed"}).body
    path = f"{ROOT}/{created['id']}"
    rng = np.random.default_rng(3)
    send(
        "POST",
        path + "/add",
        {
            "ids": list("abcdef"),
            "embeddings": rng.standard_normal((6, 2)).round(3).tolist(),
            "documents": ["the quick fox", "lazy dog", None, "a lazy fox", "zzz", "dog"],
            "metadatas": [
                {"g": "x", "n": 1},
                {"g": "y", "n": 2.5},
                None,
                {"tag": "t"},
                {"g": "x", "n": True},
                {"g": "y"},
            ],
        },
    )
    return {"send": send, "path": path + "/search"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(searches=st.lists(SEARCHES, min_size=1, max_size=3))
def test_search_never_fails_with_a_500(world: dict[str, Any], searches: list[Any]) -> None:
    reply = world["send"]("POST", world["path"], {"searches": searches})
    assert reply.status < 500, (json.dumps(searches), reply.body)
    if reply.status != 200:
        assert set(reply.body) == {"error", "message"}
        return
    body = reply.body
    assert len(body["ids"]) == len(searches)
    for n, ids in enumerate(body["ids"]):
        assert len(set(ids)) == len(ids)
        for column in ("documents", "embeddings", "metadatas", "scores"):
            values = body[column][n]
            assert values is None or len(values) == len(ids)
        scores = body["scores"][n]
        if scores is not None and searches[n].get("rank") and not searches[n].get("group_by"):
            finite = [s for s in scores if s is not None]
            assert finite == sorted(finite)
