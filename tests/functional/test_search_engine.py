"""The engine's Search API on real Lance stores (memory and disk): every step and its edges.

Expected results are computed here from the data (distances by definition, RRF by formula),
never read back from the engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chromalake.config import Settings
from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.maintenance import maintain
from chromalake.errors import InvalidArgumentError
from chromalake.records import SearchHits

VECTORS = {
    "a": [1.0, 0.0],
    "b": [0.8, 0.2],
    "c": [0.0, 1.0],
    "d": [0.2, 0.8],
    "e": [-1.0, 0.0],
    "f": [1.0, 0.0],  # the same vector as "a": ties break by insertion order
}
META: dict[str, dict[str, Any] | None] = {
    "a": {"g": "x", "n": 1},
    "b": {"g": "x", "n": 5},
    "c": {"g": "y", "n": 2},
    "d": {"g": "y", "n": 4, "tag": "t"},
    "e": None,
    "f": {"g": "x", "n": 3, "chroma:uri": "s3://f"},
}
DOCS = {
    "a": "The quick brown fox jumps over the lazy dog",
    "b": "A lazy afternoon in the sun",
    "c": "Quantum computing with qubits",
    "d": "Serverless functions price per request",
    "e": None,
    "f": "Identifier ZX81-QUUX appears only here",
}
ORDER = list(VECTORS)


@pytest.fixture(params=["memory", "disk"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    if request.param == "memory":
        return build_engine(Settings(allow_reset=True))
    return build_engine(Settings(is_persistent=True, persist_directory=str(tmp_path)))


@pytest.fixture
def coll(engine: Engine) -> CollectionRecord:
    record = engine.create_collection("searched")
    engine.add(
        record.id,
        ORDER,
        [np.asarray(VECTORS[i], np.float32) for i in ORDER],
        metadatas=[META[i] for i in ORDER],
        documents=[DOCS[i] for i in ORDER],
    )
    return engine.get_collection_by_id(record.id)


def run(engine: Engine, coll: CollectionRecord, **payload: Any) -> SearchHits:
    (hits,) = engine.search(coll.id, [payload])
    return hits


def l2(query: list[float]) -> dict[str, float]:
    q = np.asarray(query)
    return {i: float(np.sum((np.asarray(v) - q) ** 2)) for i, v in VECTORS.items()}


def nearest(query: list[float], among: list[str] | None = None) -> list[str]:
    d = l2(query)
    return sorted(among or ORDER, key=lambda i: (d[i], ORDER.index(i)))


def knn(query: Any, **extra: Any) -> dict[str, Any]:
    return {"$knn": {"query": query, **extra}}


# -- no rank -----------------------------------------------------------------------------------


def test_without_rank_records_come_in_insertion_order(engine: Engine, coll: Any) -> None:
    hits = run(engine, coll, select={"keys": ["#score", "#document"]})
    assert hits.ids == ORDER
    assert hits.scores == [None] * len(ORDER)
    assert hits.documents == [DOCS[i] for i in ORDER]
    assert (hits.embeddings, hits.metadatas) == (None, None)


def test_offset_and_limit(engine: Engine, coll: Any) -> None:
    assert run(engine, coll, limit={"offset": 2, "limit": 2}).ids == ["c", "d"]
    assert run(engine, coll, limit={"offset": 5}).ids == ["f"]
    assert run(engine, coll, limit={"offset": 50, "limit": 3}).ids == []
    ranked = run(engine, coll, rank=knn([1, 0], limit=6), limit={"offset": 4, "limit": 10})
    assert ranked.ids == nearest([1, 0])[4:]


# -- dense knn -----------------------------------------------------------------------------------


def test_knn_scores_are_distances_and_ties_keep_insertion_order(engine: Engine, coll: Any) -> None:
    hits = run(engine, coll, rank=knn([1, 0], limit=3), select={"keys": ["#score"]})
    assert hits.ids == ["a", "f", "b"]  # a and f tie at 0: insertion order
    assert hits.scores == pytest.approx([0.0, 0.0, l2([1, 0])["b"]])


def test_knn_limit_caps_the_candidates(engine: Engine, coll: Any) -> None:
    assert run(engine, coll, rank=knn([0, 1], limit=2)).ids == nearest([0, 1])[:2]
    assert run(engine, coll, rank=knn([0, 1])).ids == nearest([0, 1])  # default limit 16
    assert run(engine, coll, rank=knn([0, 1], limit=0)).ids == []


def test_return_rank_scores_positions(engine: Engine, coll: Any) -> None:
    hits = run(engine, coll, rank=knn([0, 1], return_rank=True), select={"keys": ["#score"]})
    assert hits.ids == nearest([0, 1])
    assert hits.scores == [float(n) for n in range(len(ORDER))]


def test_default_and_missing_records(engine: Engine, coll: Any) -> None:
    near_a = knn([1, 0], limit=2)  # a, f
    near_c = knn([0, 1], limit=2)  # c, d
    assert run(engine, coll, rank={"$sum": [near_a, near_c]}).ids == []
    with_default = {"$sum": [near_a, knn([0, 1], limit=2, default=100.0)]}
    hits = run(engine, coll, rank=with_default, select={"keys": ["#score"]})
    assert hits.ids == ["a", "f"]
    assert hits.scores == pytest.approx([100.0, 100.0])
    both = {"$sum": [knn([1, 0], limit=2, default=50.0), knn([0, 1], limit=2, default=100.0)]}
    hits = run(engine, coll, rank=both, select={"keys": ["#score"]})
    assert hits.ids == ["c", "d", "a", "f"]
    d_c = l2([0, 1])
    assert hits.scores == pytest.approx([50 + d_c["c"], 50 + d_c["d"], 100.0, 100.0])


def test_arithmetic_on_scores(engine: Engine, coll: Any) -> None:
    rank = {
        "$sub": {
            "left": {"$mul": [{"$val": 2.0}, knn([0, 1], limit=6)]},
            "right": {"$val": 1.0},
        }
    }
    hits = run(engine, coll, rank=rank, select={"keys": ["#score"]})
    expected = {i: 2 * v - 1 for i, v in l2([0, 1]).items()}
    assert hits.ids == sorted(ORDER, key=lambda i: (expected[i], ORDER.index(i)))
    assert hits.scores == pytest.approx([expected[i] for i in hits.ids], rel=1e-6)


def test_rrf_of_two_knns(engine: Engine, coll: Any) -> None:
    first, second = nearest([1, 0]), nearest([0, 1])

    def term(q: list[float]) -> dict[str, Any]:
        inner = knn(q, limit=6, return_rank=True)
        return {"$div": {"left": {"$val": 1.0}, "right": {"$sum": [{"$val": 60}, inner]}}}

    rank = {"$mul": [{"$val": -1}, {"$sum": [term([1, 0]), term([0, 1])]}]}
    hits = run(engine, coll, rank=rank, select={"keys": ["#score"]})
    fused = {i: -(1 / (60 + first.index(i)) + 1 / (60 + second.index(i))) for i in ORDER}
    assert hits.ids == sorted(ORDER, key=lambda i: (fused[i], ORDER.index(i)))
    assert hits.scores == pytest.approx([fused[i] for i in hits.ids], rel=1e-6)


def test_wrong_dimension_is_refused(engine: Engine, coll: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="dimension of 2, got 3"):
        run(engine, coll, rank=knn([1, 0, 0]))


def test_bad_payload_is_invalid_argument(engine: Engine, coll: Any) -> None:
    with pytest.raises(InvalidArgumentError, match=r"searches\[0\]\.rank: unknown variant"):
        run(engine, coll, rank={"$bogus": 1})


def test_sparse_knn_needs_a_sparse_index_on_its_key(engine: Engine, coll: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="metadata key 'sp' with type 'SparseVector'"):
        run(engine, coll, rank=knn({"indices": [1], "values": [1.0]}, key="sp"))


def test_search_on_a_collection_without_records(engine: Engine) -> None:
    empty = engine.create_collection("empty")
    assert engine.search(empty.id, [{"rank": knn([1, 0])}, {}])[0].ids == []
    assert engine.search(empty.id, [{"rank": knn("x", key="#document")}])[0].ids == []


# -- filters -----------------------------------------------------------------------------------


def test_filter_is_a_prefilter_of_every_knn(engine: Engine, coll: Any) -> None:
    hits = run(engine, coll, filter={"g": "y"}, rank=knn([1, 0], limit=2))
    assert hits.ids == nearest([1, 0], ["c", "d"])


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({"#id": {"$in": ["b", "e", "zz"]}}, ["b", "e"]),
        ({"#id": {"$nin": ["a", "b"]}}, ["c", "d", "e", "f"]),
        ({"#id": "c"}, ["c"]),
        ({"#id": {"$ne": "c"}}, ["a", "b", "d", "e", "f"]),
        ({"#document": {"$contains": "lazy"}}, ["a", "b"]),
        ({"#document": {"$not_contains": "lazy"}}, ["c", "d", "e", "f"]),
        ({"#document": {"$regex": "^[A-Z][a-z]+ [a-z]+ing"}}, ["c"]),
        ({"$and": [{"n": {"$gte": 2}}, {"#document": {"$contains": "e"}}]}, ["b", "d", "f"]),
        ({"$or": [{"tag": "t"}, {"#id": {"$in": ["a"]}}]}, ["a", "d"]),
    ],
)
def test_filter_grammar(engine: Engine, coll: Any, where: Any, expected: list[str]) -> None:
    assert run(engine, coll, filter=where).ids == expected


def test_bad_id_filter(engine: Engine, coll: Any) -> None:
    with pytest.raises(InvalidArgumentError, match="Invalid where clause"):
        run(engine, coll, filter={"#id": {"$gt": 1}})


# -- select ------------------------------------------------------------------------------------


def test_select_fields(engine: Engine, coll: Any) -> None:
    hits = run(
        engine,
        coll,
        rank=knn([1, 0], limit=6),
        select={"keys": ["n", "#embedding", "tag"]},
    )
    assert hits.select == ["#embedding", "n", "tag"]
    assert hits.embeddings == [pytest.approx(VECTORS[i]) for i in hits.ids]
    by_id = dict(zip(hits.ids, hits.metadatas or [], strict=True))
    assert by_id["d"] == {"n": 4, "tag": "t"}
    assert by_id["a"] == {"n": 1}
    assert by_id["e"] is None
    assert (hits.documents, hits.scores) == (None, None)


def test_select_metadata_hides_internal_keys(engine: Engine, coll: Any) -> None:
    hits = run(engine, coll, filter={"#id": "f"}, select={"keys": ["#metadata"]})
    assert hits.metadatas == [{"g": "x", "n": 3}]


# -- group_by ----------------------------------------------------------------------------------


def test_group_by_min_k_on_score(engine: Engine, coll: Any) -> None:
    group = {"keys": ["g"], "aggregate": {"$min_k": {"keys": ["#score"], "k": 1}}}
    hits = run(engine, coll, rank=knn([0, 1], limit=6), group_by=group, select={"keys": ["g"]})
    order = nearest([0, 1])
    groups: dict[Any, str] = {}
    for i in order:
        groups.setdefault((META[i] or {}).get("g"), i)
    assert hits.ids == [i for i in order if i in groups.values()]


def test_group_by_max_k_on_metadata_then_limit(engine: Engine, coll: Any) -> None:
    group = {"keys": ["g"], "aggregate": {"$max_k": {"keys": ["n"], "k": 2}}}
    hits = run(engine, coll, rank=knn([1, 0], limit=6), group_by=group)
    # x: b (5), f (3) beat a (1); y: d (4), c (2); e has no g and no n: its own group.
    assert set(hits.ids) == {"b", "f", "d", "c", "e"}
    assert hits.ids == [i for i in nearest([1, 0]) if i in set(hits.ids)]
    limited = run(engine, coll, rank=knn([1, 0], limit=6), group_by=group, limit={"limit": 2})
    assert limited.ids == hits.ids[:2]


@pytest.mark.parametrize("aggregate", ["$min_k", "$max_k"])
def test_group_by_puts_records_without_the_key_last(
    engine: Engine, coll: Any, aggregate: str
) -> None:
    group = {"keys": ["g"], "aggregate": {aggregate: {"keys": ["tag"], "k": 1}}}
    # y: only d has a tag, so d is kept; x: nobody has one, so the first in order (a) is.
    assert run(engine, coll, group_by=group).ids == ["a", "d", "e"]


def test_group_by_without_rank(engine: Engine, coll: Any) -> None:
    group = {"keys": ["g"], "aggregate": {"$min_k": {"keys": ["n"], "k": 1}}}
    assert run(engine, coll, group_by=group).ids == ["a", "c", "e"]


# -- full text (chromalake's extension) ---------------------------------------------------------


def test_text_knn_ranks_by_bm25(engine: Engine, coll: Any) -> None:
    hits = run(engine, coll, rank=knn("lazy fox", key="#document"), select={"keys": ["#score"]})
    assert hits.ids == ["a", "b"]  # "a" has both words
    assert hits.scores is not None
    assert hits.scores[0] < hits.scores[1] < 0  # negated relevance: lower is better


def test_text_knn_honours_filter_and_limit(engine: Engine, coll: Any) -> None:
    text = knn("lazy", key="#document", limit=1)
    assert len(run(engine, coll, rank=text).ids) == 1
    assert run(engine, coll, rank=knn("lazy", key="#document"), filter={"#id": "b"}).ids == ["b"]
    assert run(engine, coll, rank=knn("nothing-matches-this", key="#document")).ids == []


def test_text_search_sees_writes_after_its_index(engine: Engine, coll: Any) -> None:
    assert run(engine, coll, rank=knn("zeppelin", key="#document")).ids == []  # builds index
    engine.add(coll.id, ["g"], [np.asarray([0.5, 0.5], np.float32)], documents=["A zeppelin"])
    assert run(engine, coll, rank=knn("zeppelin", key="#document")).ids == ["g"]
    engine.update(coll.id, ["a"], documents=["zeppelin over the dog"])
    assert run(engine, coll, rank=knn("zeppelin", key="#document")).ids[0:2] in (
        ["a", "g"],
        ["g", "a"],
    )
    assert run(engine, coll, rank=knn("fox", key="#document")).ids == []  # old text gone
    engine.delete(coll.id, ["g"])
    assert run(engine, coll, rank=knn("zeppelin", key="#document")).ids == ["a"]
    assert engine.store.state(coll).text_unindexed_rows > 0  # type: ignore[union-attr]
    report = maintain(engine, coll.id)
    assert report is not None and report.optimized
    assert engine.store.state(coll).text_unindexed_rows == 0  # type: ignore[union-attr]
    assert run(engine, coll, rank=knn("zeppelin", key="#document")).ids == ["a"]


def test_hybrid_rrf_surfaces_an_exact_identifier(engine: Engine, coll: Any) -> None:
    def term(rank: dict[str, Any]) -> dict[str, Any]:
        return {"$div": {"left": {"$val": 1.0}, "right": {"$sum": [{"$val": 60}, rank]}}}

    dense = knn([-1, 0], limit=6, return_rank=True)  # "f" is the farthest record
    text = knn("ZX81-QUUX", key="#document", limit=6, return_rank=True, default=1000.0)
    assert run(engine, coll, rank=dense).ids[-1] == "f"  # dense search alone ranks it last
    hybrid = {"$mul": [{"$val": -1}, {"$sum": [term(dense), term(text)]}]}
    assert run(engine, coll, rank=hybrid, limit={"limit": 1}).ids == ["f"]


def test_several_searches_in_one_request(engine: Engine, coll: Any) -> None:
    found = engine.search(
        coll.id,
        [{"rank": knn([1, 0], limit=1)}, {"filter": {"g": "y"}}, {"limit": {"offset": 9}}],
    )
    assert [h.ids for h in found] == [["a"], ["c", "d"], []]


def test_indexed_collection_searches_through_the_ann_index(tmp_path: Path) -> None:
    settings = Settings(
        is_persistent=True, persist_directory=str(tmp_path), chromalake_index_threshold=300
    )
    engine = build_engine(settings)
    record = engine.create_collection("big")
    rng = np.random.default_rng(7)
    data = rng.standard_normal((600, 8)).astype(np.float32)
    engine.add(record.id, [f"r{i}" for i in range(600)], list(data))
    report = maintain(engine, record.id)
    assert report is not None and report.indexed == "built"
    coll = engine.get_collection_by_id(record.id)
    query = data[42] + 0.01
    hits = run(engine, coll, rank=knn(query.tolist(), limit=5), select={"keys": ["#score"]})
    distances = np.sum((data - query) ** 2, axis=1)
    assert hits.ids[0] == "r42"
    assert hits.scores == pytest.approx(sorted(distances)[: len(hits.ids)], rel=1e-4)
