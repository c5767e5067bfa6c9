"""``Collection.search`` on every chromalake client (ephemeral, persistent, HTTP, async HTTP,
cloud). chromadb 1.5.9 has no oracle for it (its single node answers 501, its embedded client
raises NotImplementedError), so the expected results are computed from the data here; the
official client's search against ``chromalake run`` is in tests/functional.
"""

from __future__ import annotations

import importlib
from typing import Any

import chromadb
import numpy as np
import pytest

from .harness import Side

VECTORS = {
    "a": [1.0, 0.0],
    "b": [0.7, 0.3],
    "c": [0.0, 1.0],
    "d": [0.3, 0.7],
    "e": [-1.0, 0.0],
}
ORDER = list(VECTORS)
DOCS = {
    "a": "cats sleep all day",
    "b": "dogs chase cats",
    "c": "the stock market fell",
    "d": "bond yields rose",
    "e": "invoice INV-4471 is overdue",
}
META = {
    "a": {"topic": "pets", "n": 1},
    "b": {"topic": "pets", "n": 2},
    "c": {"topic": "money", "n": 3},
    "d": {"topic": "money", "n": 4},
    "e": {"topic": "money", "n": 5},
}
QUERY_VECTOR = [0.0, 1.0]  # what the toy function's embed_query returns


def _toy(side: Side) -> Any:
    """An embedding function whose query embedding differs from its document embedding."""
    module = importlib.import_module(f"{side.module.__name__}.utils.embedding_functions")

    class SearchToy(module.EmbeddingFunction):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            pass

        def __call__(self, input: Any) -> Any:
            return [np.array([float(len(t)), 1.0], np.float32) for t in input]

        def embed_query(self, input: Any) -> Any:
            return [np.array(QUERY_VECTOR, np.float32) for _ in input]

        @staticmethod
        def name() -> str:
            return "search-toy"

        def get_config(self) -> dict[str, Any]:
            return {}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            return SearchToy()

    module.register_embedding_function(SearchToy)
    return SearchToy()


@pytest.fixture
def col(subject: Side) -> Any:
    collection = subject.client.create_collection("searched", embedding_function=_toy(subject))
    collection.add(
        ids=ORDER,
        embeddings=[VECTORS[i] for i in ORDER],
        documents=[DOCS[i] for i in ORDER],
        metadatas=[META[i] for i in ORDER],
    )
    return collection


def _nearest(query: list[float]) -> list[str]:
    q = np.asarray(query)
    d = {i: float(np.sum((np.asarray(v) - q) ** 2)) for i, v in VECTORS.items()}
    return sorted(ORDER, key=lambda i: (d[i], ORDER.index(i)))


def test_dense_knn_with_the_builder(subject: Side, col: Any) -> None:
    m = subject.module
    found = col.search(m.Search().rank(m.Knn(query=[1.0, 0.0], limit=3)).select(m.K.SCORE))
    assert isinstance(found, m.SearchResult)
    assert found["ids"] == [_nearest([1.0, 0.0])[:3]]
    assert found["scores"][0] == pytest.approx([0.0, 0.18, 0.98], rel=1e-5)  # a, b, d
    assert found["select"] == [["#score"]]


def test_text_query_on_embedding_uses_embed_query(subject: Side, col: Any) -> None:
    m = subject.module
    found = col.search(m.Search().rank(m.Knn(query="anything at all", limit=2)))
    assert found["ids"] == [_nearest(QUERY_VECTOR)[:2]]


def test_where_operators_and_select(subject: Side, col: Any) -> None:
    m = subject.module
    where = (m.K("topic") == "money") & (m.K("n") < 5) | m.K.ID.is_in(["a"])
    found = col.search(m.Search().where(where).select(m.K.DOCUMENT, "n"))
    assert found["ids"] == [["a", "c", "d"]]
    assert found["documents"] == [[DOCS["a"], DOCS["c"], DOCS["d"]]]
    assert found["metadatas"] == [[{"n": 1}, {"n": 3}, {"n": 4}]]
    assert found["scores"] == [None] and found["embeddings"] == [None]


def test_full_text_and_hybrid_rrf(subject: Side, col: Any) -> None:
    m = subject.module
    text = m.Knn(query="INV-4471", key=m.K.DOCUMENT, return_rank=True, default=1000.0)
    dense = m.Knn(query=[1.0, 0.0], return_rank=True, limit=5)
    assert _nearest([1.0, 0.0])[-1] == "e"  # the invoice is the farthest vector
    found = col.search(
        [
            m.Search().rank(m.Knn(query="cats", key="#document")).select(m.K.SCORE),
            m.Search().rank(m.Rrf([dense, text])).limit(1),
        ]
    )
    assert found["ids"][0][0] in ("a", "b") and set(found["ids"][0]) == {"a", "b"}
    assert all(s < 0 for s in found["scores"][0])
    assert found["ids"][1] == ["e"]


def test_group_by_limit_offset_and_rows(subject: Side, col: Any) -> None:
    m = subject.module
    search = (
        m.Search()
        .rank(m.Knn(query=[0.0, 1.0], limit=5))
        .group_by(m.GroupBy(keys=m.K("topic"), aggregate=m.MaxK(keys=m.K("n"), k=1)))
        .limit(5, offset=1)
        .select(m.K.SCORE, m.K.METADATA)
    )
    rows = col.search(search).rows()
    # pets: b (n=2); money: e (n=5); by score e comes after b, so offset 1 leaves e.
    assert [r["id"] for r in rows[0]] == ["e"]
    assert rows[0][0]["metadata"] == META["e"]
    assert rows[0][0]["score"] == pytest.approx(2.0)


def test_accepts_chromadb_searches_and_dicts(subject: Side, col: Any) -> None:
    theirs = chromadb.Search().rank(chromadb.Knn(query=[1.0, 0.0], limit=2))
    plain = {"rank": {"$knn": {"query": [0.0, 1.0], "limit": 1}}, "select": {"keys": []}}
    found = col.search([theirs, plain], read_level=subject.module.ReadLevel.INDEX_ONLY)
    assert found["ids"] == [_nearest([1.0, 0.0])[:2], _nearest([0.0, 1.0])[:1]]
    assert col.search([])["ids"] == []


def test_a_bad_payload_is_refused(subject: Side, col: Any) -> None:
    with pytest.raises(Exception, match=r"searches\[0\]\.rank: unknown variant `\$nope`"):
        col.search({"rank": {"$nope": 1}})


def test_text_query_on_a_metadata_key_is_refused_client_side(subject: Side, col: Any) -> None:
    m = subject.module
    with pytest.raises(ValueError, match="Cannot embed string query for key 'sparse'"):
        col.search(m.Search().rank(m.Knn(query="cats", key="sparse")))
