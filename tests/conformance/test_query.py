"""Nearest-neighbour queries: spaces, n_results, ids restriction, filters, include, distances."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from .dataset import DIM, seeded
from .harness import ALL_QUERY_INCLUDE, Side, conform, steps

QUERIES = [[0.1, 0.2, 0.9], [3.0, -1.0, 0.2], [-2.5, 0.0, -1.5]]
SPACES = ["l2", "cosine", "ip"]


def _space_kwargs(space: str, via: str) -> dict[str, Any]:
    if via == "metadata":
        return {"metadata": {"hnsw:space": space}}
    return {"configuration": {"hnsw": {"space": space}}}


@pytest.mark.parametrize("via", ["metadata", "configuration"])
@pytest.mark.parametrize("space", SPACES)
def test_query_distances_per_space(oracle: Side, subject: Side, space: str, via: str) -> None:
    """l2 is squared euclidean, cosine 1-cos, ip 1-dot (may be negative), whether the space
    comes from hnsw:space metadata or from configuration={"hnsw": {"space": ...}}."""

    def scenario(side: Side) -> Any:
        col = seeded(side, **_space_kwargs(space, via))
        return col, col.query(query_embeddings=QUERIES, n_results=5, include=ALL_QUERY_INCLUDE)

    conform(oracle, subject, scenario, dim=DIM)


@pytest.mark.parametrize("space", SPACES)
def test_query_returns_stored_embeddings(oracle: Side, subject: Side, space: str) -> None:
    """Returned embeddings are the stored originals, not normalised, in every space."""

    def scenario(side: Side) -> Any:
        col = side.collection("stored", metadata={"hnsw:space": space})
        col.add(ids=["a", "b"], embeddings=[[3.0, 4.0], [-10.0, 0.5]])
        return col.query(query_embeddings=[[1.0, 1.0]], n_results=2, include=["embeddings"])

    conform(oracle, subject, scenario, dim=2)


def test_query_default_include_and_n_results(oracle: Side, subject: Side) -> None:
    """Defaults: n_results=10, include metadatas, documents and distances."""
    conform(oracle, subject, lambda s: seeded(s).query(query_embeddings=[QUERIES[0]]), dim=DIM)


INCLUDE_SUBSETS = [
    list(combo)
    for n in range(len(ALL_QUERY_INCLUDE) + 1)
    for combo in itertools.combinations(ALL_QUERY_INCLUDE, n)
]


@pytest.mark.parametrize("include", INCLUDE_SUBSETS, ids=lambda inc: "+".join(inc) or "none")
def test_query_include_combinations(oracle: Side, subject: Side, include: list[str]) -> None:
    """Exactly the included fields are per-query lists; the others are None."""
    conform(
        oracle,
        subject,
        lambda s: seeded(s).query(query_embeddings=QUERIES[:2], n_results=4, include=include),
        dim=DIM,
    )


@pytest.mark.parametrize("n_results", [1, 3, 12, 13, 100])
def test_query_n_results(oracle: Side, subject: Side, n_results: int) -> None:
    """n_results caps the result count; more than the collection holds is not an error."""
    conform(
        oracle,
        subject,
        lambda s: seeded(s).query(query_embeddings=QUERIES, n_results=n_results),
        dim=DIM,
    )


def test_query_empty_collection(oracle: Side, subject: Side) -> None:
    """A query on an empty collection (no dimension yet) returns empty lists."""

    def scenario(side: Side) -> Any:
        col = side.collection("empty")
        return col.query(query_embeddings=[[1.0, 2.0], [3.0, 4.0]], include=ALL_QUERY_INCLUDE)

    conform(oracle, subject, scenario)


def test_query_emptied_collection(oracle: Side, subject: Side) -> None:
    """A query on a collection whose records were all deleted returns empty lists."""

    def scenario(side: Side) -> Any:
        col = side.collection("emptied")
        col.add(ids=["a"], embeddings=[[1.0, 2.0]])
        col.delete(ids=["a"])
        return steps(
            right_dim=lambda: col.query(query_embeddings=[[1.0, 2.0]]),
            wrong_dim=lambda: col.query(query_embeddings=[[1.0, 2.0, 3.0]]),
        )

    conform(oracle, subject, scenario)


def test_query_ids_restriction(oracle: Side, subject: Side) -> None:
    """ids restricts the candidates; an empty id list returns nothing."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return steps(
            some=lambda: col.query(query_embeddings=QUERIES, ids=["r03", "r07", "r10"]),
            one=lambda: col.query(query_embeddings=[QUERIES[0]], ids="r05", n_results=3),
            with_where=lambda: col.query(
                query_embeddings=[QUERIES[1]], ids=["r00", "r01", "r11"], where={"int": 2}
            ),
        )

    conform(oracle, subject, scenario, dim=DIM)


def test_query_ids_restriction_unknown_ids(oracle: Side, subject: Side) -> None:
    """ids naming unknown records, and an empty ids list, behave as in Chroma."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return steps(
            unknown=lambda: col.query(query_embeddings=[QUERIES[0]], ids=["nope"]),
            mixed=lambda: col.query(query_embeddings=[QUERIES[0]], ids=["r01", "nope"]),
            empty=lambda: col.query(query_embeddings=[QUERIES[0]], ids=[]),
        )

    conform(oracle, subject, scenario, dim=DIM)


WHERES: list[Any] = [
    {"str": "beta"},
    {"int": {"$gt": 1}},
    {"bool": True},
    {"tags": {"$contains": "red"}},
    {"$or": [{"int": {"$lt": 0}}, {"str": {"$in": ["zeta", "eta"]}}]},
    {"str": "nothing-matches"},
]


@pytest.mark.parametrize("where", WHERES, ids=repr)
def test_query_with_where(oracle: Side, subject: Side, where: Any) -> None:
    """where filters the candidates before ranking; no match gives empty lists."""
    conform(
        oracle,
        subject,
        lambda s: seeded(s).query(query_embeddings=QUERIES, n_results=4, where=where),
        dim=DIM,
    )


def test_query_with_where_document(oracle: Side, subject: Side) -> None:
    """where_document and where combine with AND."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return (
            col.query(query_embeddings=QUERIES, where_document={"$contains": "quick"}),
            col.query(
                query_embeddings=QUERIES,
                where={"bool": True},
                where_document={"$not_contains": "again"},
            ),
        )

    conform(oracle, subject, scenario, dim=DIM)


def test_query_single_embedding_forms(oracle: Side, subject: Side) -> None:
    """A single flat embedding, a numpy vector and a numpy matrix are all accepted."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return (
            col.query(query_embeddings=QUERIES[0], n_results=2),
            col.query(query_embeddings=np.array(QUERIES[0], dtype=np.float32), n_results=2),
            col.query(query_embeddings=np.array(QUERIES, dtype=np.float64), n_results=2),
            col.query(query_embeddings=[[1, 2, 3]], n_results=2),
        )

    conform(oracle, subject, scenario, dim=DIM)


def test_query_many_query_embeddings(oracle: Side, subject: Side) -> None:
    """Each query embedding gets its own result row, in order."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        queries = [[float(i), float(-i) / 2, 1.0 / (i + 1)] for i in range(25)]
        return col.query(query_embeddings=queries, n_results=3, include=["distances"])

    conform(oracle, subject, scenario, dim=DIM)


def test_query_exact_match_distance_zero(oracle: Side, subject: Side) -> None:
    """Querying with a stored vector finds it first at distance 0 (l2)."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return col.query(query_embeddings=[[2.0, 1.0, -1.0]], n_results=1)

    conform(oracle, subject, scenario, dim=DIM)


@pytest.mark.parametrize("space", SPACES)
def test_query_ties_compare_as_sets(oracle: Side, subject: Side, space: str) -> None:
    """Records at equal distance may come back in either order, but the set is fixed."""

    def scenario(side: Side) -> Any:
        col = side.collection("ties", metadata={"hnsw:space": space})
        col.add(
            ids=["n", "s", "e", "w", "far"],
            embeddings=[[0.0, 1.0], [0.0, -1.0], [1.0, 0.0], [-1.0, 0.0], [5.0, 5.0]],
        )
        return col.query(query_embeddings=[[0.0, 0.0], [0.0, 0.5]], n_results=5)

    conform(oracle, subject, scenario, dim=2)


def test_query_high_dimension(oracle: Side, subject: Side) -> None:
    """384-d vectors: distances agree within Chroma's dimension-scaled tolerance."""

    def scenario(side: Side) -> Any:
        rng = np.random.default_rng(7)
        data = rng.standard_normal((60, 384)).astype(np.float32)
        col = side.collection("wide", metadata={"hnsw:space": "cosine"})
        col.add(ids=[f"v{i}" for i in range(60)], embeddings=data)
        return col.query(query_embeddings=data[:3] + 0.01, n_results=5, include=["distances"])

    conform(oracle, subject, scenario, dim=384)


def test_query_after_updates_and_deletes(oracle: Side, subject: Side) -> None:
    """Queries see updated embeddings and never return deleted records."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        col.update(ids=["r11"], embeddings=[[0.1, 0.2, 0.9]])
        col.delete(ids=["r00"])
        col.upsert(ids=["r99"], embeddings=[[0.1, 0.2, 0.85]], documents=["new"])
        return col.query(query_embeddings=[QUERIES[0]], n_results=4, include=ALL_QUERY_INCLUDE)

    conform(oracle, subject, scenario, dim=DIM)


@pytest.mark.parametrize("space", SPACES)
def test_query_zero_vectors(oracle: Side, subject: Side, space: str) -> None:
    """A zero vector, stored or queried, is at cosine/ip distance 1 from everything (Chroma
    normalises with x / (|x| + 1e-32)); l2 is unaffected."""

    def scenario(side: Side) -> Any:
        col = side.collection("zero", metadata={"hnsw:space": space})
        col.add(ids=["z", "a", "b"], embeddings=[[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
        return (
            col.query(query_embeddings=[[0.0, 0.0], [1.0, 1.0]], n_results=3),
            col.get(include=["embeddings"]),
        )

    conform(oracle, subject, scenario, dim=2)
