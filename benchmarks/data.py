"""Benchmark data: deterministic clustered vectors, or any registered dataset.

The hook for real data (issue 8 builds a real-text set embedded with the default model):
register a loader under a name, or pass ``--dataset npy:<vectors.npy>[,<queries.npy>]`` to
any benchmark. A loader returns ``(vectors, queries)`` as float32 matrices; metadata for the
filtered queries is derived from row numbers, so every dataset gets the same selectivities.

    from benchmarks.data import register
    register("minilm-wiki", lambda n, dim, q: (load_vectors(n), load_queries(q)))
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

Loader = Callable[[int, int, int], tuple[np.ndarray, np.ndarray]]

# How many buckets the `sel` metadata key takes (row % SELECTIVITY_BUCKETS): `sel < s` keeps
# s percent of the records.
SELECTIVITY_BUCKETS = 100


def clustered(n: int, dim: int, seed: int, clusters: int = 1000) -> np.ndarray:
    """Gaussian clusters around fixed centres: closer to real embeddings than uniform noise.

    Example:
        >>> clustered(3, 4, seed=1).shape
        (3, 4)
    """
    centres = np.random.default_rng(0).standard_normal((clusters, dim)).astype(np.float32)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, clusters, n)
    return np.asarray(
        centres[labels] + 0.3 * rng.standard_normal((n, dim)).astype(np.float32), np.float32
    )


def _clustered(n: int, dim: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    return clustered(n, dim, seed=1), clustered(queries, dim, seed=2)


def _npy(spec: str) -> Loader:
    vectors_path, _, queries_path = spec.partition(",")

    def load(n: int, dim: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
        del dim  # the file fixes it
        vectors = np.load(Path(vectors_path), mmap_mode="r")[:n]
        if queries_path:
            asked = np.load(Path(queries_path))[:queries]
        else:  # held-out rows past the first n, else perturbed copies of stored rows
            asked = np.load(Path(vectors_path), mmap_mode="r")[n : n + queries]
            if len(asked) < queries:
                asked = vectors[:queries] + 0.01
        return np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(asked, np.float32)

    return load


DATASETS: dict[str, Loader] = {"clustered": _clustered}


def register(name: str, loader: Loader) -> None:
    """Make ``--dataset name`` load vectors and queries with ``loader(n, dim, queries)``."""
    DATASETS[name] = loader


def load(name: str, n: int, dim: int, queries: int) -> tuple[np.ndarray, np.ndarray]:
    """The dataset ``name``: a registered name, ``stdlib-text`` (real text, text_data.py), or
    ``npy:<vectors>[,<queries>]``."""
    if name.startswith("npy:"):
        return _npy(name[4:])(n, dim, queries)
    if name == "stdlib-text":  # real text embedded with the default model (text_data.py)
        from text_data import load as text_load

        return text_load(n, dim, queries)
    return DATASETS[name](n, dim, queries)


def metadatas(n: int) -> list[dict[str, int]]:
    """Per-record metadata: ``sel`` in 0..99 for the selectivity filters."""
    return [{"sel": i % SELECTIVITY_BUCKETS} for i in range(n)]


def exact_top(
    data: np.ndarray, queries: np.ndarray, k: int, allowed: np.ndarray | None = None
) -> list[set[int]]:
    """The true top-k row numbers (squared l2) of each query, among ``allowed`` rows if given."""
    rows = np.arange(len(data)) if allowed is None else allowed
    subset = data[rows]
    norms = np.einsum("ij,ij->i", subset, subset)
    truth = []
    for start in range(0, len(queries), 256):
        block = queries[start : start + 256]
        distances = norms[None, :] - 2.0 * block @ subset.T
        top = np.argpartition(distances, min(k, len(rows) - 1), axis=1)[:, :k]
        truth += [set(rows[t].tolist()) for t in top]
    return truth


def exact_answers(
    data: np.ndarray, queries: np.ndarray, k: int, selectivities: tuple[int, ...]
) -> dict[str, list[list[int]]]:
    """The true top-k rows of every query (``all``), and of the first quarter of the queries
    (at least 50) among the rows a ``sel < s`` filter keeps, per selectivity (``"1%"``, ...):
    the answers the embedded and index benchmarks score recall against, JSON-ready."""
    filtered = queries[: max(50, len(queries) // 4)]
    truths = {"all": exact_top(data, queries, k)}
    for pct in selectivities:
        allowed = np.flatnonzero(np.arange(len(data)) % SELECTIVITY_BUCKETS < pct)
        truths[f"{pct}%"] = exact_top(data, filtered, k, allowed)
    return {key: [sorted(t) for t in sets] for key, sets in truths.items()}


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
