"""The in-process vector index: recall against exact search, filters, storage, adds, spaces."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chromalake.engine.ivf import MIN_SCANNED_ROWS, nprobe_for, partitions_for
from chromalake.engine.nearest import exact_distances, nearest
from chromalake.engine.vector_index import VectorIndex

SPACES = ["l2", "cosine", "ip"]
ROWS, DIM, K = 6_000, 32, 10


def _clustered(rows: int, seed: int, dim: int = DIM) -> np.ndarray:
    """Gaussian clusters (like the benchmarks' data), scaled off the unit sphere so that
    cosine and ip differ from l2."""
    centres = np.random.default_rng(0).standard_normal((60, dim))
    rng = np.random.default_rng(seed)
    points = centres[rng.integers(0, 60, rows)] + 0.4 * rng.standard_normal((rows, dim))
    return (points * rng.uniform(0.5, 2.0, (rows, 1))).astype(np.float32)


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    return _clustered(ROWS, seed=1)


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return _clustered(40, seed=2)


@pytest.fixture(scope="module", params=SPACES)
def built(request: pytest.FixtureRequest, data: np.ndarray) -> VectorIndex:
    return VectorIndex.build(data, request.param)


def _exact(
    space: str, data: np.ndarray, queries: np.ndarray, k: int, rows: np.ndarray | None = None
):
    rows = np.arange(len(data)) if rows is None else rows
    found = nearest(space, queries, data[rows], rows, k)
    return [(rows[p], d) for p, d in found]


def _recall(found, truth) -> float:
    hits = [
        len(set(f[0].tolist()) & set(t[0].tolist())) / max(1, len(t[0]))
        for f, t in zip(found, truth, strict=True)
    ]
    return float(np.mean(hits))


def _assert_exact_distances(
    index: VectorIndex, data: np.ndarray, queries: np.ndarray, found
) -> None:
    """Every returned distance is Chroma's, from the definition in float64, and sorted."""
    for q, (positions, distances) in zip(queries, found, strict=True):
        expected = exact_distances(
            index.space, q.astype(np.float64), data[positions].astype(np.float64)
        )
        np.testing.assert_allclose(distances, expected, rtol=0, atol=1e-12)
        assert np.all(np.diff(distances) >= 0)


def test_recall_against_exact_search_in_every_space(built: VectorIndex, data, queries) -> None:
    found = built.search(queries, K)
    truth = _exact(built.space, data, queries, K)
    assert _recall(found, truth) >= 0.95
    assert all(len(p) == K for p, _ in found)
    _assert_exact_distances(built, data, queries, found)


def test_more_probes_find_every_neighbour(built: VectorIndex, data, queries) -> None:
    found = built.search(queries, K, nprobe=built.partitions, candidates=100)
    truth = _exact(built.space, data, queries, K)
    for (p, d), (tp, td) in zip(found, truth, strict=True):
        assert p.tolist() == tp.tolist()
        np.testing.assert_allclose(d, td, rtol=0, atol=1e-12)


@pytest.mark.parametrize("percent", [1, 10, 50])
@pytest.mark.parametrize("form", ["mask", "positions"])
@pytest.mark.parametrize("path", ["exact", "lists"])
def test_filters(built: VectorIndex, data, queries, percent: int, form: str, path: str) -> None:
    positions = np.flatnonzero(np.arange(ROWS) % 100 < percent)
    allowed = positions if form == "positions" else np.isin(np.arange(ROWS), positions)
    # "lists": faiss scans its lists with a bitmap selector; "exact": the few-rows path.
    cells = 0 if path == "lists" else 10**12
    found = built.search(queries, K, allowed=allowed, exact_cells=cells)
    truth = _exact(built.space, data, queries, K, positions)
    for p, _ in found:
        assert len(p) == K
        assert set(p.tolist()) <= set(positions.tolist())
    assert _recall(found, truth) >= (1.0 if path == "exact" else 0.9)
    _assert_exact_distances(built, data, queries, found)


def test_k_larger_than_the_allowed_rows_returns_them_all(built: VectorIndex, data, queries) -> None:
    allowed = np.array([3, 50, 700, 5999])
    for cells in (0, 10**12):
        found = built.search(queries[:3], 25, allowed=allowed, exact_cells=cells)
        truth = _exact(built.space, data, queries[:3], 25, allowed)
        for (p, d), (tp, td) in zip(found, truth, strict=True):
            assert p.tolist() == tp.tolist()
            np.testing.assert_allclose(d, td, rtol=0, atol=1e-12)


def test_k_larger_than_the_index_returns_every_row() -> None:
    data = _clustered(300, seed=3)
    index = VectorIndex.build(data, "l2")
    ((positions, _),) = index.search(data[0], 1000)
    assert sorted(positions.tolist()) == list(range(300))


def test_an_empty_filter_and_k_zero_give_empty_results(built: VectorIndex, queries) -> None:
    for found in (
        built.search(queries[:2], K, allowed=np.zeros(ROWS, bool)),
        built.search(queries[:2], K, allowed=np.array([], np.int64)),
        built.search(queries[:2], 0),
    ):
        assert [(p.tolist(), d.tolist()) for p, d in found] == [([], []), ([], [])]


def test_ties_follow_the_tiebreak_keys() -> None:
    rng = np.random.default_rng(4)
    data = rng.standard_normal((2_000, 8)).astype(np.float32)
    twin = data[100].copy()
    for row in (5, 900, 1500):
        data[row] = twin
    duplicates = [5, 100, 900, 1500]
    by_position = VectorIndex.build(data, "l2")
    ((positions, distances),) = by_position.search(twin, 4, nprobe=by_position.partitions)
    assert positions.tolist() == duplicates and distances.tolist() == [0.0] * 4
    # Insertion order (seq) differs from row order: the keys decide, as in Chroma.
    seqs = np.arange(2_000)[::-1].copy()
    by_seq = VectorIndex.build(data, "l2", tiebreak=seqs)
    ((positions, _),) = by_seq.search(twin, 4, nprobe=by_seq.partitions)
    assert positions.tolist() == duplicates[::-1]
    ((positions, _),) = by_seq.search(twin, 4, allowed=np.array(duplicates))
    assert positions.tolist() == duplicates[::-1]


def test_incremental_add_is_searched(data, queries) -> None:
    first, later = data[:5_000], data[5_000:]
    index = VectorIndex.build(first, "cosine")
    added = index.add(later)
    assert added.tolist() == list(range(5_000, ROWS)) and index.rows == ROWS
    ((positions, distances),) = index.search(later[7], 1)
    assert positions.tolist() == [5_007] and distances[0] == pytest.approx(0.0, abs=1e-6)
    found = index.search(queries, K)
    assert _recall(found, _exact("cosine", data, queries, K)) >= 0.95
    _assert_exact_distances(index, data, queries, found)
    # A filter over old and new rows, both paths.
    allowed = np.arange(4_000, ROWS)
    for cells in (0, 10**12):
        found = index.search(queries, K, allowed=allowed, exact_cells=cells)
        assert _recall(found, _exact("cosine", data, queries, K, allowed)) >= 0.9
        assert all(p.min() >= 4_000 for p, _ in found)


def test_add_checks_its_input(data) -> None:
    index = VectorIndex.build(data[:500], "l2")
    with pytest.raises(ValueError, match="dimension"):
        index.add(np.zeros((2, DIM + 1), np.float32))
    with pytest.raises(ValueError, match="tiebreak"):
        index.add(data[:2], tiebreak=[1, 2])
    keyed = VectorIndex.build(data[:500], "l2", tiebreak=np.arange(500))
    with pytest.raises(ValueError, match="tiebreak"):
        keyed.add(data[:2])
    assert keyed.add(data[:2], tiebreak=[900, 901]).tolist() == [500, 501]
    assert index.rows == 500  # nothing half-added


def test_search_checks_its_input(built: VectorIndex, queries) -> None:
    with pytest.raises(ValueError, match="dimension"):
        built.search(np.zeros(DIM + 2, np.float32), K)
    with pytest.raises(ValueError, match="mask"):
        built.search(queries, K, allowed=np.ones(ROWS - 1, bool))
    for bad in ([5, 3], [1, 1], [-1, 2], [ROWS]):
        with pytest.raises(ValueError, match="sorted"):
            built.search(queries, K, allowed=np.array(bad))
    with pytest.raises(ValueError, match="k must be"):
        built.search(queries, -1)
    with pytest.raises(ValueError, match="space"):
        VectorIndex.build(queries, "hamming")


def test_an_empty_index_takes_rows_later(tmp_path: Path) -> None:
    index = VectorIndex.build(np.zeros((0, 4), np.float32), "ip", dimension=4)
    assert (index.rows, index.partitions) == (0, 0)
    assert index.search(np.ones(4, np.float32), 3)[0][0].tolist() == []
    index.save(tmp_path / "empty")
    assert VectorIndex.load(tmp_path / "empty").search(np.ones(4), 3)[0][0].tolist() == []
    index.add(np.array([[1, 0, 0, 0], [2, 0, 0, 0]], np.float32))
    ((positions, distances),) = index.search(np.array([1, 0, 0, 0], np.float32), 3)
    assert positions.tolist() == [1, 0] and distances.tolist() == [-1.0, 0.0]
    reloaded = VectorIndex.from_bytes(index.to_bytes())
    assert reloaded.search(np.array([1, 0, 0, 0]), 3)[0][0].tolist() == [1, 0]


def _same(a, b) -> None:
    assert len(a) == len(b)
    for (pa, da), (pb, db) in zip(a, b, strict=True):
        assert pa.tolist() == pb.tolist()
        np.testing.assert_array_equal(da, db)


@pytest.mark.parametrize("how", ["bytes", "file", "mmap"])
def test_storage_round_trip(built: VectorIndex, data, queries, tmp_path: Path, how: str) -> None:
    path = tmp_path / "index.clk"
    if how == "bytes":
        loaded = VectorIndex.from_bytes(built.to_bytes())
    else:
        size = built.save(path)
        assert size == path.stat().st_size
        loaded = VectorIndex.load(path, mmap=how == "mmap")
    assert (loaded.space, loaded.dimension, loaded.rows, loaded.partitions) == (
        built.space, built.dimension, built.rows, built.partitions
    )  # fmt: skip
    allowed, few = np.arange(0, ROWS, 7), np.arange(0, ROWS, 50)
    for kwargs in ({}, {"allowed": allowed, "exact_cells": 0}, {"allowed": few}):
        _same(loaded.search(queries, K, **kwargs), built.search(queries, K, **kwargs))
    # Broader filters: exact in memory, through the lists for vectors left in the file.
    found = loaded.search(queries, K, allowed=allowed)
    assert _recall(found, _exact(built.space, data, queries, K, allowed)) >= 0.9
    _assert_exact_distances(loaded, data, queries, found)
    memory = loaded.memory()
    codes = ROWS * (DIM + 8)  # one byte a dimension and a 64-bit id a row
    if how == "mmap":  # codes and vectors in the mapped file; centroids in memory
        assert memory.mapped >= codes + data.nbytes and memory.vectors == 0
        assert 0 < memory.codes < codes
    else:
        assert memory.mapped == 0 and memory.vectors == data.nbytes
        assert memory.codes >= codes
    # Rows added to a loaded (even read-only mapped) index, then stored again.
    extra = _clustered(50, seed=9)
    loaded.add(extra)
    again = tmp_path / "again.clk"
    loaded.save(again)
    for reread in (VectorIndex.load(again), VectorIndex.from_bytes(again.read_bytes())):
        assert reread.rows == ROWS + 50
        _same(reread.search(queries, K), loaded.search(queries, K))
        everywhere = {"nprobe": reread.partitions, "candidates": 200}
        _same(reread.search(extra[:5], K, **everywhere), reread.exact(extra[:5], K))
        assert ROWS + 3 in reread.exact(extra[3], 100)[0][0]


def test_saving_replaces_a_file_a_process_maps(data, queries, tmp_path: Path) -> None:
    path = tmp_path / "index.clk"
    first = VectorIndex.build(data[:3_000], "l2")
    first.save(path)
    mapped = VectorIndex.load(path)
    before = mapped.search(queries, K)
    VectorIndex.build(data, "l2").save(path)  # a new build under the same name
    _same(mapped.search(queries, K), before)  # the mapping still reads the old file
    assert VectorIndex.load(path).rows == ROWS


def test_storage_rejects_other_bytes(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="magic"):
        VectorIndex.from_bytes(b"not an index at all")
    (tmp_path / "x").write_bytes(b"\0" * 100)
    with pytest.raises(ValueError, match="magic"):
        VectorIndex.load(tmp_path / "x")


def test_a_build_is_deterministic(data, queries) -> None:
    a, b = VectorIndex.build(data, "l2"), VectorIndex.build(data, "l2")
    assert a.to_bytes() == b.to_bytes()


def test_parameters_follow_size_and_ef_search() -> None:
    assert [partitions_for(n) for n in (0, 10, 1_000, 10_000, 100_000, 1_000_000)] == [
        1, 1, 16, 128, 512, 1024
    ]  # fmt: skip
    assert partitions_for(300_000) == 1024 and partitions_for(4_000_000) == 2048
    assert nprobe_for(2048) == 64 and nprobe_for(2048, 32) == 21 and nprobe_for(1) == 1


def test_a_query_probes_its_nearest_lists_until_they_hold_the_floor() -> None:
    """k-means lists are uneven: a query probes its nearest lists until they hold
    MIN_SCANNED_ROWS rows (at least nprobe_for of them), counted over its own lists (the
    rows added since the build too), so a query in a long list scans fewer lists than one
    among short lists (issue 21)."""
    import faiss

    rng = np.random.default_rng(4)
    centres = 100 * rng.standard_normal((8, DIM))

    def around(centre: np.ndarray, n: int) -> np.ndarray:
        return (centre + rng.standard_normal((n, DIM))).astype(np.float32)

    index = VectorIndex.build(np.vstack([around(c, 500) for c in centres]), "l2", partitions=8)
    index.add(around(centres[0], 7_000))  # the lists near the first centre grow long
    queries = np.vstack([around(c, 1) for c in centres])
    least = nprobe_for(8, 16)

    def scanned(query: np.ndarray, lists: int) -> int:
        faiss.cvar.indexIVF_stats.reset()
        index.search(query, K, nprobe=lists)
        return int(faiss.cvar.indexIVF_stats.ndis)

    probes = index.probes(queries, ef_search=16).tolist()
    assert probes[0] == least < max(probes)  # the long list: fewest
    for query, lists in zip(queries, probes, strict=True):
        assert scanned(query, lists) >= MIN_SCANNED_ROWS or lists == index.partitions
        assert lists == least or scanned(query, lists - 1) < MIN_SCANNED_ROWS
    assert index.probes(queries, nprobe=3).tolist() == [3] * len(queries)


@pytest.mark.parametrize("space", SPACES)
def test_no_list_holds_far_more_than_the_mean(space: str) -> None:
    """k-means leaves some centroids between clusters (here 200 tight clusters, 128 lists
    asked for: lists of up to ~6x the mean); such a list is near every query, so each query
    would scan it. The build splits every list past twice the mean of its training rows.

    An ``ip`` index assigns a row to the centroid of largest inner product, so its list sizes
    follow the centroids' norms as much as the clusters (faiss's k-means for it leaves lists
    empty); for it only the recall is checked."""
    centres = np.random.default_rng(0).standard_normal((200, DIM)) * 10
    rng = np.random.default_rng(1)
    rows = (centres[rng.integers(0, 200, 20_000)] + rng.standard_normal((20_000, DIM))).astype(
        np.float32
    )
    index = VectorIndex.build(rows, space, partitions=128)
    sizes = index._list_sizes()
    assert index.partitions > 128
    if space != "ip":
        assert sizes.max() <= 2.5 * sizes.mean()
    queries = rows[:20] + 0.1
    found = index.search(queries, K, ef_search=16)
    assert _recall(found, _exact(space, rows, queries, K)) >= 0.95
