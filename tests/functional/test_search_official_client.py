"""The official chromadb client's ``collection.search`` against ``chromalake run``.

chromadb's HttpClient builds the payloads with its own ``Search`` builder and parses the
answer into its own ``SearchResult``; the expected values are computed here from the data.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from chromadb import K, Knn, Rrf, Search
from chromadb.execution.expression.operator import GroupBy, MinK
from running_server import RunningServer

VECTORS = {
    "a": [1.0, 0.0, 0.0],
    "b": [0.9, 0.1, 0.0],
    "c": [0.0, 1.0, 0.0],
    "d": [0.0, 0.9, 0.1],
    "e": [0.0, 0.0, 1.0],
    "f": [0.5, 0.5, 0.0],
}
TOPIC = {"a": "x", "b": "x", "c": "y", "d": "y", "e": "z", "f": "x"}
YEAR = {"a": 2020, "b": 2021, "c": 2022, "d": 2023, "e": 2024, "f": 2025}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path_factory.mktemp("search-run"))
    yield running
    running.stop(signal.SIGKILL)


@pytest.fixture
def collection(server: RunningServer) -> Any:
    client = server.official_client()
    col = client.create_collection("searched", embedding_function=None)
    ids = list(VECTORS)
    col.add(
        ids=ids,
        embeddings=[VECTORS[i] for i in ids],
        documents=[f"document {i}" for i in ids],
        metadatas=[{"topic": TOPIC[i], "year": YEAR[i]} for i in ids],
    )
    return col


def _l2(query: list[float]) -> dict[str, float]:
    q = np.asarray(query)
    return {i: float(np.sum((np.asarray(v) - q) ** 2)) for i, v in VECTORS.items()}


def _nearest(query: list[float], among: list[str] | None = None) -> list[str]:
    distances = _l2(query)
    return sorted(among or list(VECTORS), key=lambda i: (distances[i], list(VECTORS).index(i)))


def test_dense_knn_scores_are_distances(collection: Any) -> None:
    query = [1.0, 0.2, 0.0]
    found = collection.search(Search().rank(Knn(query=query, limit=4)).select(K.SCORE))
    expected = _nearest(query)[:4]
    assert found["ids"] == [expected]
    assert found["scores"][0] == pytest.approx([_l2(query)[i] for i in expected], rel=1e-5)
    assert found["select"] == [["#score"]]
    assert found["documents"] == [None]


def test_filter_is_a_prefilter(collection: Any) -> None:
    query = [1.0, 0.0, 0.0]
    search = (
        Search()
        .where((K("topic") == "y") | (K("year") >= 2025))
        .rank(Knn(query=query, limit=2))
        .select(K.DOCUMENT, "year")
    )
    found = collection.search(search)
    expected = _nearest(query, ["c", "d", "f"])[:2]
    assert found["ids"] == [expected]
    assert found["documents"] == [[f"document {i}" for i in expected]]
    assert found["metadatas"] == [[{"year": YEAR[i]} for i in expected]]


def test_rrf_of_two_dense_knns(collection: Any) -> None:
    q1, q2 = [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]
    rank = Rrf([Knn(query=q1, return_rank=True, limit=6), Knn(query=q2, return_rank=True, limit=6)])
    found = collection.search(Search().rank(rank).limit(3).select(K.SCORE))
    first, second = _nearest(q1), _nearest(q2)
    fused = {i: -(1 / (60 + first.index(i)) + 1 / (60 + second.index(i))) for i in VECTORS}
    expected = sorted(VECTORS, key=lambda i: (fused[i], list(VECTORS).index(i)))[:3]
    assert found["ids"] == [expected]
    assert found["scores"][0] == pytest.approx([fused[i] for i in expected], rel=1e-5)


def test_group_by_keeps_the_best_of_each_group(collection: Any) -> None:
    query = [0.0, 0.0, 1.0]
    search = (
        Search()
        .rank(Knn(query=query, limit=6))
        .group_by(GroupBy(keys=K("topic"), aggregate=MinK(keys=K.SCORE, k=1)))
        .select(K.SCORE, "topic")
    )
    found = collection.search(search)
    order = _nearest(query)
    best = {}
    for i in order:
        best.setdefault(TOPIC[i], i)
    assert found["ids"] == [[i for i in order if i in best.values()]]
    assert [m["topic"] for m in found["metadatas"][0]] == [TOPIC[i] for i in found["ids"][0]]


def test_several_searches_and_rows(collection: Any) -> None:
    searches = [
        Search().where(K.ID.is_in(["b", "e"])).select(K.DOCUMENT),
        Search().rank(Knn(query=[0.0, 1.0, 0.0], limit=1)).select_all(),
        Search().limit(2, offset=5),
    ]
    found = collection.search(searches)
    assert found["ids"] == [["b", "e"], ["c"], ["f"]]
    rows = found.rows()
    assert rows[0] == [{"id": "b", "document": "document b"}, {"id": "e", "document": "document e"}]
    assert rows[1][0]["embedding"] == pytest.approx(VECTORS["c"])
    assert rows[1][0]["metadata"] == {"topic": "y", "year": 2022}
    assert rows[1][0]["score"] == pytest.approx(0.0)
    assert rows[2] == [{"id": "f"}]


def test_document_filter_and_bad_payload(collection: Any) -> None:
    found = collection.search(Search().where(K.DOCUMENT.contains("document d")))
    assert found["ids"] == [["d"]]
    # A filter the server cannot read is a 422 with serde's path, as on Chroma's server.
    with pytest.raises(Exception, match=r"searches\[0\]\.filter: Invalid where clause"):
        collection.search(Search(where={"year": {"$gt": "x"}}))
