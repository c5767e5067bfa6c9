"""The Search payload parser and the rank evaluator: Chroma's shapes, defaults and semantics."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from chromalake.engine.ranking import evaluate, ranked
from chromalake.search.payload import (
    Binary,
    GroupBy,
    Knn,
    Nary,
    SearchShapeError,
    Unary,
    Val,
    knn_leaves,
    parse_rank,
    parse_search,
)


def test_empty_payload_has_chroma_defaults() -> None:
    spec = parse_search({})
    assert (spec.filter, spec.rank, spec.group_by, spec.offset, spec.limit, spec.select) == (
        None,
        None,
        None,
        0,
        None,
        (),
    )


def test_empty_filter_and_group_by_mean_none() -> None:
    spec = parse_search({"filter": {}, "group_by": {}, "limit": {"offset": 3, "limit": 2}})
    assert (spec.filter, spec.group_by, spec.offset, spec.limit) == (None, None, 3, 2)


def test_knn_defaults() -> None:
    assert parse_rank({"$knn": {"query": [1, 2]}}, []) == Knn(query=(1.0, 2.0))
    knn = parse_rank(
        {
            "$knn": {
                "query": [1],
                "key": "#embedding",
                "limit": 3,
                "default": 9,
                "return_rank": True,
            }
        },
        [],
    )
    assert knn == Knn(query=(1.0,), limit=3, default=9.0, return_rank=True)


def test_text_query_only_on_document() -> None:
    assert parse_rank({"$knn": {"query": "x", "key": "#document"}}, []) == Knn(
        query="x", key="#document"
    )
    with pytest.raises(SearchShapeError, match="untagged enum QueryVector"):
        parse_rank({"$knn": {"query": "x"}}, ["rank"])


def test_sparse_query_is_read() -> None:
    sparse = {"indices": [1, 4], "values": [0.5, 0.2]}
    knn = parse_rank({"$knn": {"query": sparse, "key": "sparse"}}, [])
    assert isinstance(knn, Knn) and knn.query == sparse


def test_every_operator_parses() -> None:
    knn = {"$knn": {"query": [1.0]}}
    rank = {
        "$sum": [
            {"$mul": [{"$val": 2}, knn]},
            {"$sub": {"left": knn, "right": {"$val": 1}}},
            {"$div": {"left": {"$abs": knn}, "right": {"$exp": {"$log": knn}}}},
            {"$max": [knn, {"$val": 0}]},
            {"$min": [knn]},
        ]
    }
    parsed = parse_rank(rank, [])
    assert isinstance(parsed, Nary) and len(parsed.items) == 5
    assert isinstance(parsed.items[1], Binary) and parsed.items[1].op == "$sub"
    assert isinstance(parsed.items[2], Binary) and isinstance(parsed.items[2].left, Unary)
    assert len(knn_leaves(parsed)) == 6


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"rank": {"$nope": 1}}, "searches[0].rank: unknown variant `$nope`, expected one of"),
        ({"rank": {"$knn": {}}}, "searches[0].rank.$knn: missing field `query`"),
        ({"rank": {"$knn": {"query": [1], "limit": -1}}}, "invalid value: integer `-1`"),
        ({"rank": {"$knn": {"query": [1], "limit": 1.5}}}, "expected u32"),
        ({"rank": {"$val": "x"}}, 'rank.$val: invalid type: string "x", expected f32'),
        ({"rank": {"$sum": 1}}, "rank.$sum: invalid type: integer `1`, expected a sequence"),
        ({"rank": {"$sub": {"left": {"$val": 1}}}}, "rank.$sub: missing field `right`"),
        ({"rank": {"$val": 1, "$abs": {"$val": 1}}}, "map with a single key"),
        ({"rank": 5}, "rank: invalid type: integer `5`, expected enum RankExpr"),
        ({"limit": {"offset": -1}}, "limit.offset: invalid value: integer `-1`, expected u32"),
        ({"limit": {"limit": "2"}}, 'limit.limit: invalid type: string "2", expected u32'),
        ({"select": {"keys": [1]}}, "select.keys[0]: invalid type: integer `1`"),
        ({"filter": [1]}, "searches[0].filter: invalid type: sequence, expected a map"),
        (
            {"group_by": {"keys": ["a"], "aggregate": {"$top": {}}}},
            "unknown variant `$top`, expected `$min_k` or `$max_k`",
        ),
        (
            {"group_by": {"keys": ["a"], "aggregate": {"$min_k": {"keys": ["#score"]}}}},
            "missing field `k`",
        ),
        (5, "searches[0]: invalid type: integer `5`, expected struct SearchPayload"),
    ],
)
def test_shape_errors_say_where_and_what(payload: Any, message: str) -> None:
    with pytest.raises(SearchShapeError) as raised:
        parse_search(payload, ["searches", 0])
    assert message in str(raised.value)


def test_group_by_and_sorted_select() -> None:
    spec = parse_search(
        {
            "group_by": {"keys": ["g"], "aggregate": {"$max_k": {"keys": ["n", "#score"], "k": 2}}},
            "select": {"keys": ["zeta", "#score", "alpha", "#document", "#score"]},
        }
    )
    assert isinstance(spec.group_by, GroupBy)
    assert spec.group_by.aggregate.smallest is False
    assert spec.group_by.aggregate.keys == ("n", "#score") and spec.group_by.aggregate.k == 2
    assert spec.sorted_select == ["#document", "#score", "alpha", "zeta"]


# -- evaluation ---------------------------------------------------------------------------------

A = [("a", 0.1), ("b", 0.2), ("c", 0.3)]
B = [("c", 1.0), ("d", 2.0)]


def _scores(rank: Any, hits: list[list[tuple[str, float]]]) -> dict[str, float]:
    return {k: float(v) for k, v in evaluate(rank, hits).items()}


def test_knn_alone_scores_its_hits() -> None:
    assert _scores(Knn(query=(0.0,)), [A]) == pytest.approx({"a": 0.1, "b": 0.2, "c": 0.3})


def test_return_rank_gives_positions() -> None:
    assert _scores(Knn(query=(0.0,), return_rank=True), [A]) == {"a": 0, "b": 1, "c": 2}


def test_without_default_only_records_in_every_knn_survive() -> None:
    rank = Nary("$sum", (Knn(query=(0.0,)), Knn(query=(1.0,))))
    assert _scores(rank, [A, B]) == pytest.approx({"c": 1.3})


def test_default_scores_the_records_a_knn_missed() -> None:
    rank = Nary("$sum", (Knn(query=(0.0,)), Knn(query=(1.0,), default=10.0)))
    assert _scores(rank, [A, B]) == pytest.approx({"a": 10.1, "b": 10.2, "c": 1.3})
    both = Nary("$sum", (Knn(query=(0.0,), default=5.0), Knn(query=(1.0,), default=10.0)))
    assert _scores(both, [A, B]) == pytest.approx({"a": 10.1, "b": 10.2, "c": 1.3, "d": 7.0})


def test_constants_alone_score_nothing() -> None:
    assert _scores(Nary("$sum", (Val(1.0), Val(2.0))), []) == {}


def test_arithmetic_is_float32() -> None:
    rank = Binary("$div", Val(1.0), Nary("$sum", (Val(60.0), Knn(query=(0.0,), return_rank=True))))
    scores = evaluate(rank, [A])
    assert scores["b"] == np.float32(1.0) / np.float32(61.0)
    assert isinstance(scores["b"], np.float32)


def test_max_min_abs_exp_log() -> None:
    knn = Knn(query=(0.0,))
    assert _scores(Nary("$max", (knn, Val(0.15))), [A]) == pytest.approx(
        {"a": 0.15, "b": 0.2, "c": 0.3}
    )
    assert _scores(Nary("$min", (knn, Val(0.15))), [A]) == pytest.approx(
        {"a": 0.1, "b": 0.15, "c": 0.15}
    )
    assert _scores(Unary("$abs", Binary("$sub", Val(0.0), knn)), [A]) == pytest.approx(
        {"a": 0.1, "b": 0.2, "c": 0.3}
    )
    assert _scores(Unary("$log", Unary("$exp", knn)), [A]) == pytest.approx(
        {"a": 0.1, "b": 0.2, "c": 0.3}, rel=1e-5
    )


def test_log_of_zero_and_division_by_zero_do_not_raise() -> None:
    scores = _scores(Unary("$log", Knn(query=(0.0,))), [[("a", 0.0), ("b", -1.0)]])
    assert scores["a"] == -math.inf and math.isnan(scores["b"])
    assert _scores(Binary("$div", Val(1.0), Knn(query=(0.0,))), [[("a", 0.0)]]) == {"a": math.inf}


def test_ranked_orders_by_score_then_insertion_with_nan_last() -> None:
    scores = {"x": np.float32(1.0), "y": np.float32(0.5), "z": np.float32(1.0)}
    scores["n"] = np.float32("nan")
    assert ranked(scores, {"x": 5, "y": 9, "z": 2, "n": 0}) == ["y", "z", "x", "n"]
