"""Exact search: Chroma's distance definitions, ordering, and ties."""

from __future__ import annotations

import numpy as np
import pytest

from chromalake.engine.nearest import exact_distances, nearest


def _brute(space: str, q: np.ndarray, m: np.ndarray) -> np.ndarray:
    q64, m64 = q.astype(np.float64), m.astype(np.float64)
    if space == "l2":
        return ((m64 - q64) ** 2).sum(axis=1)
    if space == "ip":
        return 1.0 - m64 @ q64
    cos = (m64 @ q64) / (np.linalg.norm(m64, axis=1) * np.linalg.norm(q64))
    return 1.0 - cos


@pytest.mark.parametrize("exact_cells", [0, 10**9], ids=["preselected", "all-exact"])
@pytest.mark.parametrize("space", ["l2", "cosine", "ip"])
def test_nearest_matches_brute_force(space: str, exact_cells: int) -> None:
    rng = np.random.default_rng(7)
    matrix = rng.standard_normal((500, 16)).astype(np.float32)
    queries = rng.standard_normal((4, 16)).astype(np.float32)
    found = nearest(space, queries, matrix, np.arange(500), 10, exact_cells=exact_cells)
    for q, (rows, dists) in zip(queries, found, strict=True):
        expected = _brute(space, q, matrix)
        assert rows.tolist() == np.argsort(expected, kind="stable")[:10].tolist()
        np.testing.assert_allclose(dists, np.sort(expected)[:10], rtol=1e-9, atol=1e-9)


def test_l2_is_squared_and_ip_can_be_negative() -> None:
    assert exact_distances("l2", np.array([0.0, 0.0]), np.array([[3.0, 4.0]]))[0] == 25.0
    assert exact_distances("ip", np.array([2.0, 2.0]), np.array([[3.0, 4.0]]))[0] == -13.0


def test_ties_follow_insertion_order() -> None:
    matrix = np.array([[1, 0], [0, 1], [1, 0], [0, 1]], dtype=np.float32)
    seqs = np.array([40, 30, 20, 10])
    rows, dists = nearest("l2", np.array([[1, 0]], dtype=np.float32), matrix, seqs, 4)[0]
    assert rows.tolist() == [2, 0, 3, 1]
    assert dists.tolist() == [0.0, 0.0, 2.0, 2.0]


def test_more_results_than_rows_and_empty_matrix() -> None:
    matrix = np.eye(3, dtype=np.float32)
    rows, _ = nearest("l2", matrix[:1], matrix, np.arange(3), 10)[0]
    assert sorted(rows.tolist()) == [0, 1, 2]
    empty = np.empty((0, 3), dtype=np.float32)
    rows, dists = nearest("l2", matrix[:1], empty, np.arange(0), 10)[0]
    assert rows.size == 0 and dists.size == 0


def test_small_collections_are_exact_even_far_from_the_origin() -> None:
    # Nearly equal distances between vectors far from the origin: the expanded float32 form
    # cannot order them, so small collections are searched from the definition.
    rng = np.random.default_rng(3)
    base = rng.standard_normal(64).astype(np.float32) * 1000
    matrix = np.tile(base, (200, 1)) + rng.standard_normal((200, 64)).astype(np.float32) * 1e-3
    q = base[None, :]
    rows, _dists = nearest("l2", q, matrix, np.arange(200), 5)[0]
    expected = _brute("l2", q[0], matrix)
    assert rows.tolist() == np.argsort(expected, kind="stable")[:5].tolist()
