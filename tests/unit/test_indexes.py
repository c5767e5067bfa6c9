"""Index parameters derived from a collection's HNSW configuration and size."""

from __future__ import annotations

import pytest

from chromalake.engine.indexes import (
    IndexPlan,
    outgrown,
    partitions_for,
    plan_index,
    search_params,
    trained_partitions,
)


@pytest.mark.parametrize(("space", "lance"), [("l2", "l2"), ("cosine", "cosine"), ("ip", "dot")])
def test_distance_type_follows_the_space(space: str, lance: str) -> None:
    assert plan_index({"space": space}, 8, 10_000).distance_type == lance


@pytest.mark.parametrize(
    ("dimension", "max_neighbors", "sub_vectors"),
    [(384, 16, 48), (384, 32, 96), (100, 16, 10), (7, 16, 1), (1536, 16, 192), (3, 64, 1)],
)
def test_pq_sub_vectors_divide_the_dimension(
    dimension: int, max_neighbors: int, sub_vectors: int
) -> None:
    plan = plan_index({"max_neighbors": max_neighbors}, dimension, 50_000, "IVF_PQ")
    assert plan.num_sub_vectors == sub_vectors
    assert dimension % plan.num_sub_vectors == 0


def test_partitions_grow_with_size() -> None:
    assert [partitions_for(n) for n in (0, 4095, 4096, 100_000, 1_000_000)] == [1, 1, 1, 24, 244]


def test_unknown_index_type_is_refused() -> None:
    with pytest.raises(ValueError, match="IVF_SQ"):
        plan_index({}, 8, 10, "HNSW")


def test_refine_factor_follows_ef_search() -> None:
    assert search_params({"ef_search": 100}, 24, 10, "IVF_PQ").refine_factor == 10
    assert search_params({"ef_search": 200}, 24, 10, "IVF_PQ").refine_factor == 20
    assert search_params({"ef_search": 200}, 24, 10, "IVF_SQ").refine_factor == 5
    assert search_params({"ef_search": 10}, 24, 100).refine_factor == 1


def test_probes_follow_ef_search_and_filters_may_probe_all() -> None:
    small = search_params({}, 3, 10)
    assert (small.min_nprobes, small.max_nprobes) == (3, 3)
    assert search_params({"ef_search": 100}, 500, 10).min_nprobes == 100
    assert search_params({"ef_search": 1000}, 500, 10).min_nprobes == 500
    assert search_params({"ef_search": 1}, 500, 10).min_nprobes == 4


def test_index_type_round_trips_through_the_name() -> None:
    from chromalake.engine.indexes import index_type_of

    assert index_type_of(IndexPlan("IVF_PQ", "l2", 3, 8).name) == "IVF_PQ"
    assert index_type_of(IndexPlan("IVF_SQ", "l2", 3, 8).name) == "IVF_SQ"


def test_index_name_round_trips_its_partitions() -> None:
    plan = IndexPlan("IVF_PQ", "l2", 37, 8)
    assert trained_partitions(plan.name) == 37
    assert trained_partitions("embedding_idx") is None
    assert not outgrown("embedding_idx", 10**9, 2.0)
