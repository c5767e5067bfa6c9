"""Rank expressions evaluated as Chroma's search executor evaluates them (lower is better).

Each ``$knn`` leaf contributes its top-``limit`` records (``support``) with their distance, or
their 0-based position when ``return_rank`` is set, and its ``default`` for every other record
(none: records outside its top ``limit`` are dropped). Combining two operands keeps a record
when each side either scores it or has a default for it, so with no defaults only records in
every ``$knn`` survive. Constants (``$val``) are a default with no support. Arithmetic is in
float32, as in Chroma (``f32``), and the result is ordered by score, then insertion order.

Example:
    >>> from chromalake.search.payload import Knn, Nary, Val
    >>> rank = Nary("$sum", (Knn(query=(0.0,), default=10.0), Val(1.0)))
    >>> scores = evaluate(rank, [[("a", 0.5), ("b", 2.0)]])
    >>> {k: float(v) for k, v in sorted(scores.items())}
    {'a': 1.5, 'b': 3.0}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from chromalake.search.payload import Binary, Knn, Nary, Rank, Unary, Val

F32 = np.float32
# The fold seeds of Chroma's $max / $min: f32::MIN and f32::MAX.
_F32_LOWEST = F32(np.finfo(np.float32).min)
_F32_HIGHEST = F32(np.finfo(np.float32).max)

Hits = Sequence[tuple[str, float]]  # one $knn's records, best first, with their measure


@dataclass
class Domain:
    """Scores of some records (``support``), and of every other one (``default``; None: the
    others are not candidates)."""

    support: dict[str, np.float32]
    default: np.float32 | None

    def map(self, op: Callable[[np.float32], np.float32]) -> Domain:
        return Domain(
            {k: op(v) for k, v in self.support.items()},
            None if self.default is None else op(self.default),
        )


def _merge(
    left: Domain, right: Domain, op: Callable[[np.float32, np.float32], np.float32]
) -> Domain:
    """Two operands combined record by record (Chroma's RankDomain::merge)."""
    if left.default is not None and right.default is not None:
        ids = left.support.keys() | right.support.keys()
        return Domain(
            {
                i: op(left.support.get(i, left.default), right.support.get(i, right.default))
                for i in ids
            },
            op(left.default, right.default),
        )
    if left.default is not None:
        return Domain(
            {i: op(left.support.get(i, left.default), v) for i, v in right.support.items()}, None
        )
    if right.default is not None:
        return Domain(
            {i: op(v, right.support.get(i, right.default)) for i, v in left.support.items()}, None
        )
    both = left.support.keys() & right.support.keys()
    return Domain({i: op(left.support[i], right.support[i]) for i in both}, None)


_NARY: dict[str, tuple[np.float32, Callable[[np.float32, np.float32], np.float32]]] = {
    "$sum": (F32(0.0), lambda a, b: F32(a + b)),
    "$mul": (F32(1.0), lambda a, b: F32(a * b)),
    # Rust's f32::max / f32::min ignore a NaN operand, as numpy's fmax / fmin do.
    "$max": (_F32_LOWEST, lambda a, b: F32(np.fmax(a, b))),
    "$min": (_F32_HIGHEST, lambda a, b: F32(np.fmin(a, b))),
}
_UNARY: dict[str, Callable[[np.float32], np.float32]] = {
    "$abs": lambda x: F32(np.abs(x)),
    "$exp": lambda x: F32(np.exp(x)),
    "$log": lambda x: F32(np.log(x)),
}
_BINARY: dict[str, Callable[[np.float32, np.float32], np.float32]] = {
    "$sub": lambda a, b: F32(a - b),
    "$div": lambda a, b: F32(np.divide(a, b)),
}


def _eval(rank: Rank, leaves: Iterator[Hits]) -> Domain:
    if isinstance(rank, Val):
        return Domain({}, F32(rank.value))
    if isinstance(rank, Knn):
        hits = next(leaves, [])
        support = {
            record_id: F32(position if rank.return_rank else measure)
            for position, (record_id, measure) in enumerate(hits)
        }
        return Domain(support, None if rank.default is None else F32(rank.default))
    if isinstance(rank, Nary):
        seed, op = _NARY[rank.op]
        domain = Domain({}, seed)
        for item in rank.items:
            domain = _merge(domain, _eval(item, leaves), op)
        return domain
    if isinstance(rank, Binary):
        left = _eval(rank.left, leaves)
        return _merge(left, _eval(rank.right, leaves), _BINARY[rank.op])
    assert isinstance(rank, Unary)
    return _eval(rank.item, leaves).map(_UNARY[rank.op])


def evaluate(rank: Rank, knn_hits: Sequence[Hits]) -> dict[str, np.float32]:
    """Each candidate record's score; ``knn_hits`` holds the ``$knn`` leaves' results in
    depth-first order (:func:`chromalake.search.payload.knn_leaves`)."""
    with np.errstate(all="ignore"):  # log(0), x/0: -inf, inf or NaN, as f32 gives them
        return _eval(rank, iter(knn_hits)).support


def _score_key(score: float) -> tuple[int, float]:
    """Rust's f32::total_cmp order: NaN after +inf."""
    return (1, 0.0) if math.isnan(score) else (0, score)


def ranked(scores: Mapping[str, np.float32], seqs: Mapping[str, int]) -> list[str]:
    """Record ids by score ascending, ties by insertion order (Chroma's offset id)."""
    return sorted(scores, key=lambda i: (_score_key(float(scores[i])), seqs.get(i, 0)))


__all__ = ["Domain", "evaluate", "ranked"]
