"""Chroma's Search payload (``SearchPayload``, reference §3.9) as typed, checked values.

One parser for every front end: the REST route turns its errors into serde's 422, the engine
(embedded clients) into InvalidArgumentError. The shapes and defaults are those of Chroma's
Rust types: ``RankExpr`` is an externally tagged enum (``{"$knn": {...}}``), ``$knn`` defaults
to ``key="#embedding"``, ``limit=16``, no ``default`` and ``return_rank=false``; a ``filter``
that is null or ``{}`` is no filter; ``limit`` is ``{"offset": u32, "limit": u32 | null}``.

chromalake extension: a ``$knn`` whose query is a string and whose key is ``#document`` ranks
documents by BM25 full-text relevance (see the README's Search API section).

Example:
    >>> spec = parse_search({"rank": {"$knn": {"query": [1.0, 0.0], "limit": 3}}})
    >>> spec.rank
    Knn(query=(1.0, 0.0), key='#embedding', limit=3, default=None, return_rank=False)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias

from chromalake.search.words import unexpected

DOCUMENT = "#document"
EMBEDDING = "#embedding"
METADATA = "#metadata"
SCORE = "#score"
ID = "#id"
# Chroma's Key enum order (derive(Ord)): the predefined keys, then metadata fields by name.
PREDEFINED_KEYS = (DOCUMENT, EMBEDDING, METADATA, SCORE)
DEFAULT_KNN_LIMIT = 16
_U32_MAX = 2**32 - 1
_F32_MAX = 3.4028234663852886e38
_RANK_VARIANTS = (
    "$abs",
    "$div",
    "$exp",
    "$knn",
    "$log",
    "$max",
    "$min",
    "$mul",
    "$sub",
    "$sum",
    "$val",
)
_AGGREGATES = ("$min_k", "$max_k")
_SPARSE_FIELDS = ("indices", "values")


class SearchShapeError(ValueError):
    """A payload that does not deserialize: where (serde's path) and what (serde's words)."""

    def __init__(self, path: list[str | int], detail: str) -> None:
        super().__init__(f"{serde_path(path)}: {detail}" if path else detail)
        self.path = path
        self.detail = detail


def serde_path(path: list[str | int]) -> str:
    """``searches[0].rank`` from ``["searches", 0, "rank"]``."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


# -- rank expressions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Knn:
    """Nearest records to ``query`` on ``key``: a dense vector, a sparse one (a dict with
    indices and values) or, on ``#document``, a text ranked by BM25."""

    query: tuple[float, ...] | str | Mapping[str, Any]
    key: str = EMBEDDING
    limit: int = DEFAULT_KNN_LIMIT
    default: float | None = None
    return_rank: bool = False


@dataclass(frozen=True)
class Val:
    value: float


@dataclass(frozen=True)
class Nary:
    """``$sum $mul $max $min`` over any number of expressions."""

    op: str
    items: tuple[Rank, ...]


@dataclass(frozen=True)
class Binary:
    """``$sub`` / ``$div``: left op right."""

    op: str
    left: Rank
    right: Rank


@dataclass(frozen=True)
class Unary:
    """``$abs $exp $log`` of one expression."""

    op: str
    item: Rank


Rank: TypeAlias = Knn | Val | Nary | Binary | Unary


@dataclass(frozen=True)
class Aggregate:
    """``$min_k`` (``smallest``) or ``$max_k``: keep ``k`` records per group by ``keys``."""

    smallest: bool
    keys: tuple[str, ...]
    k: int


@dataclass(frozen=True)
class GroupBy:
    keys: tuple[str, ...]
    aggregate: Aggregate


@dataclass(frozen=True)
class SearchSpec:
    """One search: filter (a where dict), rank, group_by, offset/limit and selected keys."""

    filter: dict[str, Any] | None = None
    rank: Rank | None = None
    group_by: GroupBy | None = None
    offset: int = 0
    limit: int | None = None
    select: tuple[str, ...] = ()

    @property
    def sorted_select(self) -> list[str]:
        """The selected keys in Chroma's order (its response's ``select``)."""
        keys = set(self.select)
        fields = sorted(k for k in keys if k not in PREDEFINED_KEYS)
        return [k for k in PREDEFINED_KEYS if k in keys] + fields


def knn_leaves(rank: Rank | None) -> list[Knn]:
    """The ``$knn`` leaves in depth-first order (the order Chroma evaluates them in)."""
    if rank is None or isinstance(rank, Val):
        return []
    if isinstance(rank, Knn):
        return [rank]
    if isinstance(rank, Nary):
        return [leaf for item in rank.items for leaf in knn_leaves(item)]
    if isinstance(rank, Binary):
        return knn_leaves(rank.left) + knn_leaves(rank.right)
    return knn_leaves(rank.item)


# -- serde's wording ---------------------------------------------------------------------------


def _type_error(path: list[str | int], value: Any, expected: str) -> SearchShapeError:
    return SearchShapeError(path, f"invalid type: {unexpected(value)}, expected {expected}")


def _map(value: Any, path: list[str | int], expected: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _type_error(path, value, expected)
    return value


def _u32(value: Any, path: list[str | int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _type_error(path, value, "u32")
    if value < 0 or value > _U32_MAX:
        raise SearchShapeError(path, f"invalid value: {unexpected(value)}, expected u32")
    return value


def _f32(value: Any, path: list[str | int]) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _type_error(path, value, "f32")
    if not math.isfinite(value) or abs(value) > _F32_MAX:
        raise SearchShapeError(path, f"invalid value: {unexpected(value)}, expected f32")
    return float(value)


def _bool(value: Any, path: list[str | int]) -> bool:
    if not isinstance(value, bool):
        raise _type_error(path, value, "a boolean")
    return value


def _string(value: Any, path: list[str | int]) -> str:
    if not isinstance(value, str):
        raise _type_error(path, value, "a string")
    return value


def _strings(value: Any, path: list[str | int]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _type_error(path, value, "a sequence")
    return tuple(_string(v, [*path, n]) for n, v in enumerate(value))


# -- parsing -----------------------------------------------------------------------------------


def _query(
    value: Any, key: str, path: list[str | int]
) -> tuple[float, ...] | str | Mapping[str, Any]:
    if isinstance(value, str) and key == DOCUMENT:
        return value  # chromalake's full-text extension
    if isinstance(value, list) and all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    ):
        return tuple(float(v) for v in value)
    if isinstance(value, Mapping) and all(isinstance(value.get(f), list) for f in _SPARSE_FIELDS):
        return value
    raise SearchShapeError(path, "data did not match any variant of untagged enum QueryVector")


def _knn(body: Any, path: list[str | int]) -> Knn:
    fields = _map(body, path, "struct variant RankExpr::Knn")
    if "query" not in fields:
        raise SearchShapeError(path, "missing field `query`")
    key = _string(fields["key"], [*path, "key"]) if "key" in fields else EMBEDDING
    default = fields.get("default")  # Option<f32>: null is none
    return Knn(
        query=_query(fields["query"], key, [*path, "query"]),
        key=key,
        limit=_u32(fields["limit"], [*path, "limit"]) if "limit" in fields else DEFAULT_KNN_LIMIT,
        default=None if default is None else _f32(default, [*path, "default"]),
        return_rank=(
            _bool(fields["return_rank"], [*path, "return_rank"])
            if "return_rank" in fields
            else False
        ),
    )


def parse_rank(value: Any, path: list[str | int]) -> Rank:
    """One rank expression, checked as serde deserializes Chroma's RankExpr."""
    if isinstance(value, str):
        if value in _RANK_VARIANTS:
            raise SearchShapeError(path, f"invalid type: unit variant, expected {_variant(value)}")
        raise _unknown_variant(value, path)
    if not isinstance(value, Mapping):
        raise _type_error(path, value, "enum RankExpr")
    if len(value) != 1:
        raise SearchShapeError(path, "invalid type: map, expected map with a single key")
    ((op, body),) = value.items()
    inner: list[str | int] = [*path, op]
    if op == "$knn":
        return _knn(body, inner)
    if op == "$val":
        return Val(_f32(body, inner))
    if op in ("$sum", "$mul", "$max", "$min"):
        if not isinstance(body, list):
            raise _type_error(inner, body, "a sequence")
        return Nary(op, tuple(parse_rank(item, [*inner, n]) for n, item in enumerate(body)))
    if op in ("$sub", "$div"):
        fields = _map(body, inner, f"struct variant {_variant(op)}")
        for side in ("left", "right"):
            if side not in fields:
                raise SearchShapeError(inner, f"missing field `{side}`")
        return Binary(
            op,
            parse_rank(fields["left"], [*inner, "left"]),
            parse_rank(fields["right"], [*inner, "right"]),
        )
    if op in ("$abs", "$exp", "$log"):
        return Unary(op, parse_rank(body, inner))
    raise _unknown_variant(op, path)


def _variant(op: str) -> str:
    names = {
        "$abs": "Absolute",
        "$div": "Division",
        "$exp": "Exponentiation",
        "$knn": "Knn",
        "$log": "Logarithm",
        "$max": "Maximum",
        "$min": "Minimum",
        "$mul": "Multiplication",
        "$sub": "Subtraction",
        "$sum": "Summation",
        "$val": "Value",
    }
    return f"struct variant RankExpr::{names[op]}"


def _unknown_variant(op: str, path: list[str | int]) -> SearchShapeError:
    expected = ", ".join(f"`{v}`" for v in _RANK_VARIANTS)
    return SearchShapeError(path, f"unknown variant `{op}`, expected one of {expected}")


def _group_by(value: Any, path: list[str | int]) -> GroupBy | None:
    if value is None:
        return None
    fields = _map(value, path, "struct GroupBy")
    if not fields:
        return None
    keys = _strings(fields.get("keys", []), [*path, "keys"])
    raw = fields.get("aggregate")
    if raw is None:
        return None  # no aggregate: Chroma groups nothing
    inner: list[str | int] = [*path, "aggregate"]
    aggregate = _map(raw, inner, "enum Aggregate")
    if len(aggregate) != 1:
        raise SearchShapeError(inner, "invalid type: map, expected map with a single key")
    ((op, body),) = aggregate.items()
    if op not in _AGGREGATES:
        raise SearchShapeError(inner, f"unknown variant `{op}`, expected `$min_k` or `$max_k`")
    spec = _map(body, [*inner, op], "struct variant")
    for name in ("keys", "k"):
        if name not in spec:
            raise SearchShapeError([*inner, op], f"missing field `{name}`")
    by = _strings(spec["keys"], [*inner, op, "keys"])
    k = _u32(spec["k"], [*inner, op, "k"])
    if not keys:
        return None
    return GroupBy(keys, Aggregate(op == "$min_k", by, k))


def parse_search(value: Any, path: list[str | int] | None = None) -> SearchSpec:
    """One SearchPayload (``Search.to_dict()``), checked as Chroma's server reads it.

    Example:
        >>> parse_search({"limit": {"offset": 2}, "select": {"keys": ["#score", "a"]}}).offset
        2
    """
    at: list[str | int] = path or []
    payload = _map(value, at, "struct SearchPayload")
    raw_filter = payload.get("filter")
    if raw_filter is not None and not isinstance(raw_filter, Mapping):
        raise _type_error([*at, "filter"], raw_filter, "a map")
    rank = payload.get("rank")
    limit = payload.get("limit")
    page = _map(limit, [*at, "limit"], "struct Limit") if limit is not None else {}
    select = payload.get("select")
    chosen = _map(select, [*at, "select"], "struct Select") if select is not None else {}
    raw_limit = page.get("limit")
    return SearchSpec(
        filter=dict(raw_filter) if raw_filter else None,
        rank=None if rank is None else parse_rank(rank, [*at, "rank"]),
        group_by=_group_by(payload.get("group_by"), [*at, "group_by"]),
        offset=_u32(page["offset"], [*at, "limit", "offset"])
        if page.get("offset") is not None
        else 0,
        limit=None if raw_limit is None else _u32(raw_limit, [*at, "limit", "limit"]),
        select=_strings(chosen.get("keys", []), [*at, "select", "keys"]),
    )


__all__ = [
    "DEFAULT_KNN_LIMIT",
    "Aggregate",
    "Binary",
    "GroupBy",
    "Knn",
    "Nary",
    "Rank",
    "SearchShapeError",
    "SearchSpec",
    "Unary",
    "Val",
    "knn_leaves",
    "parse_rank",
    "parse_search",
]
