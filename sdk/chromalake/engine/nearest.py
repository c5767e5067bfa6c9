"""Exact nearest-neighbour search over a float32 matrix, with Chroma's distances.

Chroma's distances (reference §6.5): ``l2`` is the squared Euclidean distance, ``cosine`` is
``1 - cos`` and ``ip`` is ``1 - dot``. One BLAS call in float32 finds a few more candidates than
asked for; their distances are then recomputed in float64 from the definitions, so values and
order match Chroma to float32 precision rather than carrying the error of the expanded form.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# Extra candidates kept past k before the exact recomputation, so that float32 rounding in
# the fast pass cannot push a true neighbour out.
_MARGIN = 32
# Up to this many matrix cells (rows x dimension) every distance is computed from the
# definition in float64: exact for any data, and cheap at this size (e.g. 1,000 x 256). Above
# it, the float32 BLAS pass preselects k + margin candidates (its expanded l2 form loses
# precision for vectors far from the origin, hence the margin): at 10k x 384 the all-float64
# pass cost ~12x more per query than the preselection, on this project's machine.
EXACT_CELLS = 256_000


def _normalized(x: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.asarray(x / (norms + 1e-30))


def row_norms(matrix: F32) -> F32:
    """Each row's Euclidean norm; computed once per collection version and reused."""
    return np.asarray(np.sqrt(np.einsum("ij,ij->i", matrix, matrix)), dtype=np.float32)


def _approximate(space: str, queries: F32, matrix: F32, norms: F32) -> F32:
    """Distances up to float32 rounding, all queries against all rows: shape (q, n).

    One matrix product per call; the rows' norms come precomputed, so the matrix is read once.
    """
    dots = queries @ matrix.T
    if space == "l2":
        qq = np.einsum("ij,ij->i", queries, queries)
        distances = qq[:, None] + (norms * norms)[None, :] - 2.0 * dots
    elif space == "cosine":
        q_norms = np.linalg.norm(queries, axis=1)
        distances = 1.0 - dots / (q_norms[:, None] * norms[None, :] + 1e-30)
    else:
        distances = 1.0 - dots
    return np.asarray(distances, dtype=np.float32)


def exact_distances(space: str, query: F64, rows: F64) -> F64:
    """Chroma's distance from one query to each row, from the definition, in float64.

    Example:
        >>> exact_distances("l2", np.array([0.0, 0.0]), np.array([[3.0, 4.0]]))
        array([25.])
    """
    if space == "l2":
        diff = rows - query
        distances = np.einsum("ij,ij->i", diff, diff)
    elif space == "cosine":
        distances = 1.0 - _normalized(rows) @ _normalized(query)
    else:
        distances = 1.0 - rows @ query
    return np.asarray(distances, dtype=np.float64)


def nearest(
    space: str,
    queries: F32,
    matrix: F32,
    seqs: I64,
    k: int,
    norms: F32 | None = None,
    exact_cells: int = EXACT_CELLS,
) -> list[tuple[I64, F64]]:
    """For each query, the row positions of its ``k`` nearest rows and their distances.

    Ties are broken by insertion order (``seqs``), so results are deterministic. ``norms``
    (from :func:`row_norms`) saves recomputing them on every call.

    Example:
        >>> m = np.array([[0, 0], [1, 1], [5, 5]], dtype=np.float32)
        >>> [p.tolist() for p, _ in nearest("l2", m[:1], m, np.arange(3), 2)]
        [[0, 1]]
    """
    n = matrix.shape[0]
    k = min(k, n)
    if k == 0:
        return [(np.empty(0, np.int64), np.empty(0, np.float64)) for _ in queries]
    keep = n if matrix.size <= exact_cells else min(n, k + _MARGIN)
    if keep < n:
        approx = _approximate(space, queries, matrix, row_norms(matrix) if norms is None else norms)
    else:
        approx = None
    results = []
    for q in range(len(queries)):
        candidates = (
            np.argpartition(approx[q], keep - 1)[:keep] if approx is not None else np.arange(n)
        )
        exact = exact_distances(
            space, queries[q].astype(np.float64), matrix[candidates].astype(np.float64)
        )
        order = np.lexsort((seqs[candidates], exact))[:k]
        results.append((candidates[order].astype(np.int64), exact[order]))
    return results
