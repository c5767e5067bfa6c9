"""The Search API's builder: keys, filters, rank expressions, paging, selection, grouping.

The objects write the wire form Chroma's ``Search.to_dict()`` writes (reference §3.9), so
``Collection.search`` sends the same payloads whichever builder made them (this one,
chromadb's, or a plain dict).

Example:
    >>> from chromalake import K, Knn, Rrf, Search
    >>> search = (
    ...     Search()
    ...     .where((K("topic") == "cats") & (K("year") >= 2020))
    ...     .rank(Knn(query=[0.1, 0.2], limit=50))
    ...     .limit(5)
    ...     .select(K.DOCUMENT, K.SCORE)
    ... )
    >>> search.to_dict()["filter"]
    {'$and': [{'topic': {'$eq': 'cats'}}, {'year': {'$gte': 2020}}]}
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

# -- filters ---------------------------------------------------------------------------------


class Where(ABC):
    """A filter; ``&`` and ``|`` combine filters (flattening nested ``$and`` / ``$or``)."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The filter's wire form (a Chroma where dict)."""

    def __and__(self, other: Where) -> And:
        return And(_flat(self, And) + _flat(other, And))

    def __or__(self, other: Where) -> Or:
        return Or(_flat(self, Or) + _flat(other, Or))


def _flat(where: Where, kind: type[And] | type[Or]) -> list[Where]:
    return list(where.conditions) if isinstance(where, kind) else [where]


@dataclass
class And(Where):
    conditions: list[Where]

    def to_dict(self) -> dict[str, Any]:
        return {"$and": [c.to_dict() for c in self.conditions]}


@dataclass
class Or(Where):
    conditions: list[Where]

    def to_dict(self) -> dict[str, Any]:
        return {"$or": [c.to_dict() for c in self.conditions]}


@dataclass
class _Comparison(Where):
    """``{key: {operator: value}}``."""

    key: str
    value: Any
    operator: ClassVar[str] = ""

    def to_dict(self) -> dict[str, Any]:
        return {self.key: {self.operator: self.value}}


@dataclass
class Eq(_Comparison):
    """``key == value``"""

    operator: ClassVar[str] = "$eq"


@dataclass
class Ne(_Comparison):
    """``key != value`` (a record without the key matches)"""

    operator: ClassVar[str] = "$ne"


@dataclass
class Gt(_Comparison):
    """``key > value``"""

    operator: ClassVar[str] = "$gt"


@dataclass
class Gte(_Comparison):
    """``key >= value``"""

    operator: ClassVar[str] = "$gte"


@dataclass
class Lt(_Comparison):
    """``key < value``"""

    operator: ClassVar[str] = "$lt"


@dataclass
class Lte(_Comparison):
    """``key <= value``"""

    operator: ClassVar[str] = "$lte"


@dataclass
class In(_Comparison):
    """``key`` is one of the values"""

    operator: ClassVar[str] = "$in"


@dataclass
class Nin(_Comparison):
    """``key`` is none of the values (or missing)"""

    operator: ClassVar[str] = "$nin"


@dataclass
class Contains(_Comparison):
    """A document substring, or a metadata array member."""

    operator: ClassVar[str] = "$contains"


@dataclass
class NotContains(_Comparison):
    """The negation of Contains."""

    operator: ClassVar[str] = "$not_contains"


@dataclass
class Regex(_Comparison):
    """The document matches a regular expression."""

    operator: ClassVar[str] = "$regex"


@dataclass
class NotRegex(_Comparison):
    """The document does not match it."""

    operator: ClassVar[str] = "$not_regex"


@dataclass
class _RawWhere(Where):
    """A filter given as a where dict."""

    clause: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return self.clause


class Key:
    """A field: ``#id``, ``#document``, ``#embedding``, ``#metadata``, ``#score`` or a metadata
    key. Comparisons build filters; keys name what ``select``, ``group_by`` and ``Knn`` use.

    Example:
        >>> (Key("n") > 3).to_dict(), Key.ID.is_in(["a"]).to_dict()
        ({'n': {'$gt': 3}}, {'#id': {'$in': ['a']}})
    """

    ID: Key
    DOCUMENT: Key
    EMBEDDING: Key
    METADATA: Key
    SCORE: Key

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Key({self.name!r})"

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, value: Any) -> Eq:  # type: ignore[override]
        return Eq(self.name, value)

    def __ne__(self, value: Any) -> Ne:  # type: ignore[override]
        return Ne(self.name, value)

    def __gt__(self, value: Any) -> Gt:
        return Gt(self.name, value)

    def __ge__(self, value: Any) -> Gte:
        return Gte(self.name, value)

    def __lt__(self, value: Any) -> Lt:
        return Lt(self.name, value)

    def __le__(self, value: Any) -> Lte:
        return Lte(self.name, value)

    def is_in(self, values: Iterable[Any]) -> In:
        return In(self.name, list(values))

    def not_in(self, values: Iterable[Any]) -> Nin:
        return Nin(self.name, list(values))

    def contains(self, value: Any) -> Contains:
        if self.name == "#document" and not isinstance(value, str):
            raise TypeError("$contains on #document requires a string pattern")
        return Contains(self.name, value)

    def not_contains(self, value: Any) -> NotContains:
        if self.name == "#document" and not isinstance(value, str):
            raise TypeError("$not_contains on #document requires a string pattern")
        return NotContains(self.name, value)

    def regex(self, pattern: str) -> Regex:
        return Regex(self.name, pattern)

    def not_regex(self, pattern: str) -> NotRegex:
        return NotRegex(self.name, pattern)


Key.ID = Key("#id")
Key.DOCUMENT = Key("#document")
Key.EMBEDDING = Key("#embedding")
Key.METADATA = Key("#metadata")
Key.SCORE = Key("#score")
K = Key


def _key_name(key: Key | str) -> str:
    return key.name if isinstance(key, Key) else str(key)


def _key_names(keys: Key | str | Iterable[Key | str]) -> list[str]:
    if isinstance(keys, Key | str):
        return [_key_name(keys)]
    return [_key_name(k) for k in keys]


# -- rank expressions ------------------------------------------------------------------------

Number = int | float


class Rank(ABC):
    """A score per record (lower is better); arithmetic builds expressions.

    Example:
        >>> (Knn(query=[1.0]) * 0.5 + 1).to_dict()["$sum"][1]
        {'$val': 1}
    """

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """The expression's wire form (``{"$knn": ...}``, ``{"$sum": [...]}``, ...)."""

    def __add__(self, other: Rank | Number) -> Sum:
        return Sum(_flat_rank(self, Sum) + _flat_rank(_rank(other), Sum))

    def __radd__(self, other: Number) -> Sum:
        return Val(other) + self

    def __sub__(self, other: Rank | Number) -> Sub:
        return Sub(self, _rank(other))

    def __rsub__(self, other: Number) -> Sub:
        return Sub(Val(other), self)

    def __mul__(self, other: Rank | Number) -> Mul:
        return Mul(_flat_rank(self, Mul) + _flat_rank(_rank(other), Mul))

    def __rmul__(self, other: Number) -> Mul:
        return Val(other) * self

    def __truediv__(self, other: Rank | Number) -> Div:
        return Div(self, _rank(other))

    def __rtruediv__(self, other: Number) -> Div:
        return Div(Val(other), self)

    def __neg__(self) -> Mul:
        return Mul([Val(-1), self])

    def __abs__(self) -> Abs:
        return Abs(self)

    def abs(self) -> Abs:
        return Abs(self)

    def exp(self) -> Exp:
        return Exp(self)

    def log(self) -> Log:
        return Log(self)

    def max(self, other: Rank | Number) -> Max:
        return Max(_flat_rank(self, Max) + _flat_rank(_rank(other), Max))

    def min(self, other: Rank | Number) -> Min:
        return Min(_flat_rank(self, Min) + _flat_rank(_rank(other), Min))


def _rank(value: Rank | Number) -> Rank:
    return Val(value) if isinstance(value, int | float) else value


def _flat_rank(rank: Rank, kind: type[Sum] | type[Mul] | type[Max] | type[Min]) -> list[Rank]:
    return list(rank.ranks) if isinstance(rank, kind) else [rank]


@dataclass
class Val(Rank):
    """A constant score."""

    value: Number

    def to_dict(self) -> dict[str, Any]:
        return {"$val": self.value}


@dataclass
class Sum(Rank):
    ranks: list[Rank]

    def to_dict(self) -> dict[str, Any]:
        return {"$sum": [r.to_dict() for r in self.ranks]}


@dataclass
class Mul(Rank):
    ranks: list[Rank]

    def to_dict(self) -> dict[str, Any]:
        return {"$mul": [r.to_dict() for r in self.ranks]}


@dataclass
class Max(Rank):
    ranks: list[Rank]

    def to_dict(self) -> dict[str, Any]:
        return {"$max": [r.to_dict() for r in self.ranks]}


@dataclass
class Min(Rank):
    ranks: list[Rank]

    def to_dict(self) -> dict[str, Any]:
        return {"$min": [r.to_dict() for r in self.ranks]}


@dataclass
class Sub(Rank):
    left: Rank
    right: Rank

    def to_dict(self) -> dict[str, Any]:
        return {"$sub": {"left": self.left.to_dict(), "right": self.right.to_dict()}}


@dataclass
class Div(Rank):
    left: Rank
    right: Rank

    def to_dict(self) -> dict[str, Any]:
        return {"$div": {"left": self.left.to_dict(), "right": self.right.to_dict()}}


@dataclass
class Abs(Rank):
    rank: Rank

    def to_dict(self) -> dict[str, Any]:
        return {"$abs": self.rank.to_dict()}


@dataclass
class Exp(Rank):
    rank: Rank

    def to_dict(self) -> dict[str, Any]:
        return {"$exp": self.rank.to_dict()}


@dataclass
class Log(Rank):
    rank: Rank

    def to_dict(self) -> dict[str, Any]:
        return {"$log": self.rank.to_dict()}


def _query_value(query: Any) -> Any:
    if hasattr(query, "tolist"):
        return query.tolist()  # a numpy array
    if hasattr(query, "to_dict"):
        return query.to_dict()  # a sparse vector
    return list(query) if isinstance(query, tuple) else query


@dataclass
class Knn(Rank):
    """The nearest records to ``query`` on ``key`` (distance; lower is better).

    ``query``: a vector, or a text. On ``#embedding`` (the default) a text is embedded by the
    collection's embedding function before it is sent. On ``#document`` a text ranks the
    documents by BM25 full-text relevance (a chromalake extension; the score is the negated
    relevance). ``limit``: how many records this leaf considers; ``default``: the score of a
    record outside them (None: such a record is dropped); ``return_rank``: score by position
    (0, 1, ...) instead of distance, as ``Rrf`` needs.

    Example:
        >>> Knn(query="lambda pricing", key=K.DOCUMENT, return_rank=True).to_dict()
        {'$knn': {'query': 'lambda pricing', 'key': '#document', 'limit': 16, 'return_rank': True}}
    """

    query: Any
    key: Key | str = "#embedding"
    limit: int = 16
    default: float | None = None
    return_rank: bool = False

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "query": _query_value(self.query),
            "key": _key_name(self.key),
            "limit": self.limit,
        }
        if self.default is not None:
            body["default"] = self.default
        if self.return_rank:
            body["return_rank"] = True
        return {"$knn": body}


@dataclass
class Rrf(Rank):
    """Reciprocal rank fusion: ``-sum(weight_i / (k + rank_i))``, sent as that expression.

    Its ranks should be ``Knn(..., return_rank=True)``; ``normalize`` scales the weights to
    sum to 1.

    Example:
        >>> Rrf([Knn(query=[1.0], return_rank=True)]).to_dict()["$mul"][0]
        {'$val': -1}
    """

    ranks: list[Rank]
    k: int = 60
    weights: list[float] | None = None
    normalize: bool = False

    def to_dict(self) -> dict[str, Any]:
        if not self.ranks:
            raise ValueError("RRF requires at least one rank")
        if self.k <= 0:
            raise ValueError(f"k must be positive, got {self.k}")
        weights = list(self.weights) if self.weights else [1.0] * len(self.ranks)
        if len(weights) != len(self.ranks):
            raise ValueError(
                f"Number of weights ({len(weights)}) must match number of ranks ({len(self.ranks)})"
            )
        if any(w < 0.0 for w in weights):
            raise ValueError("All weights must be non-negative")
        if self.normalize:
            total = sum(weights)
            if total == 0:
                raise ValueError("Sum of weights must be positive when normalize=True")
            weights = [w / total for w in weights]
        terms: list[Rank] = [w / (self.k + r) for w, r in zip(weights, self.ranks, strict=True)]
        fused = terms[0]
        for term in terms[1:]:
            fused = fused + term
        return (-fused).to_dict()


# -- paging, selection, grouping -------------------------------------------------------------


@dataclass
class Limit:
    """Skip ``offset`` records, return at most ``limit`` (None: all)."""

    offset: int = 0
    limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"offset": self.offset}
        if self.limit is not None:
            out["limit"] = self.limit
        return out


@dataclass
class Select:
    """Which fields come back besides ids: ``#document #embedding #metadata #score`` or
    metadata keys."""

    keys: Iterable[Key | str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"keys": list(dict.fromkeys(_key_name(k) for k in self.keys))}


@dataclass
class MinK:
    """Per group, keep the ``k`` records with the smallest ``keys`` (e.g. best scores)."""

    keys: Key | str | Sequence[Key | str]
    k: int

    def to_dict(self) -> dict[str, Any]:
        return {"$min_k": {"keys": _key_names(self.keys), "k": self.k}}


@dataclass
class MaxK:
    """Per group, keep the ``k`` records with the largest ``keys``."""

    keys: Key | str | Sequence[Key | str]
    k: int

    def to_dict(self) -> dict[str, Any]:
        return {"$max_k": {"keys": _key_names(self.keys), "k": self.k}}


Aggregate = MinK | MaxK


@dataclass
class GroupBy:
    """Group records by metadata ``keys`` and keep what ``aggregate`` picks in each group."""

    keys: Key | str | Sequence[Key | str] = field(default_factory=list)
    aggregate: MinK | MaxK | None = None

    def to_dict(self) -> dict[str, Any]:
        names = _key_names(self.keys)
        if not names or self.aggregate is None:
            return {}
        return {"keys": names, "aggregate": self.aggregate.to_dict()}


# -- the search ------------------------------------------------------------------------------


class _RawRank(Rank):
    def __init__(self, expression: dict[str, Any]) -> None:
        self.expression = expression

    def to_dict(self) -> dict[str, Any]:
        return self.expression


class _RawPart:
    """A group_by, limit or select given as its wire dict."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body

    def to_dict(self) -> dict[str, Any]:
        return self.body


class Search:
    """One search: ``where`` filters, ``rank`` scores, ``group_by`` groups, ``limit`` pages
    and ``select`` picks fields. Builder methods return a new Search.

    Example:
        >>> Search(where={"n": 1}, limit=3, select=["#score"]).to_dict()
        {'filter': {'n': 1}, 'rank': None, 'group_by': {}, 'limit': {'offset': 0, 'limit': 3}, 'select': {'keys': ['#score']}}
    """  # noqa: E501

    def __init__(
        self,
        where: Where | dict[str, Any] | None = None,
        rank: Rank | dict[str, Any] | None = None,
        group_by: GroupBy | dict[str, Any] | None = None,
        limit: Limit | dict[str, Any] | int | None = None,
        select: Select | dict[str, Any] | Iterable[Key | str] | None = None,
    ) -> None:
        self._where = _RawWhere(where) if isinstance(where, dict) else where
        if rank is not None and not isinstance(rank, Rank | dict):
            raise TypeError(f"rank must be a Rank object, dict, or None, got {type(rank).__name__}")
        self._rank = _RawRank(rank) if isinstance(rank, dict) else rank
        self._group_by = _RawPart(group_by) if isinstance(group_by, dict) else group_by or GroupBy()
        if isinstance(limit, bool):
            raise TypeError("limit must be a Limit object, dict, int, or None, got bool")
        self._limit = (
            Limit(limit=limit)
            if isinstance(limit, int)
            else _RawPart(limit)
            if isinstance(limit, dict)
            else limit or Limit()
        )
        self._select = (
            select
            if isinstance(select, Select)
            else _RawPart(select)
            if isinstance(select, dict)
            else Select(keys=list(select or []))
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "filter": None if self._where is None else self._where.to_dict(),
            "rank": None if self._rank is None else self._rank.to_dict(),
            "group_by": self._group_by.to_dict(),
            "limit": self._limit.to_dict(),
            "select": self._select.to_dict(),
        }

    def _with(self, **changes: Any) -> Search:
        parts: dict[str, Any] = {
            "where": self._where,
            "rank": self._rank,
            "group_by": self._group_by,
            "limit": self._limit,
            "select": self._select,
        }
        parts.update(changes)
        copy = Search.__new__(Search)
        copy._where = parts["where"]
        copy._rank = parts["rank"]
        copy._group_by = parts["group_by"]
        copy._limit = parts["limit"]
        copy._select = parts["select"]
        return copy

    def where(self, where: Where | dict[str, Any] | None) -> Search:
        return self._with(where=_RawWhere(where) if isinstance(where, dict) else where)

    def rank(self, rank: Rank | dict[str, Any] | None) -> Search:
        return self._with(rank=_RawRank(rank) if isinstance(rank, dict) else rank)

    def group_by(self, group_by: GroupBy | dict[str, Any] | None) -> Search:
        part = _RawPart(group_by) if isinstance(group_by, dict) else group_by or GroupBy()
        return self._with(group_by=part)

    def limit(self, limit: int, offset: int = 0) -> Search:
        return self._with(limit=Limit(offset=offset, limit=limit))

    def select(self, *keys: Key | str) -> Search:
        return self._with(select=Select(keys=list(keys)))

    def select_all(self) -> Search:
        return self.select(Key.DOCUMENT, Key.EMBEDDING, Key.METADATA, Key.SCORE)


# -- the result ------------------------------------------------------------------------------


class SearchResult(dict[str, Any]):
    """Column-major results, one list per search: ``ids``, ``documents``, ``embeddings``,
    ``metadatas``, ``scores`` (None where a field was not selected) and ``select``.

    Example:
        >>> SearchResult({"ids": [["a"]], "scores": [[0.5]]}).rows()
        [[{'id': 'a', 'score': 0.5}]]
    """

    def rows(self) -> list[list[dict[str, Any]]]:
        """One list of ``{"id", "document", "embedding", "metadata", "score"}`` rows per
        search; a field appears when it has a value."""
        ids: list[list[str]] = self.get("ids") or []
        columns = {
            name: self.get(plural) or [None] * len(ids)
            for name, plural in (
                ("document", "documents"),
                ("embedding", "embeddings"),
                ("metadata", "metadatas"),
                ("score", "scores"),
            )
        }
        return [list(_rows(n, page, columns)) for n, page in enumerate(ids)]


def _rows(n: int, page: list[str], columns: dict[str, list[Any]]) -> Iterator[dict[str, Any]]:
    for m, record_id in enumerate(page):
        row: dict[str, Any] = {"id": record_id}
        for name, values in columns.items():
            value = values[n][m] if values[n] is not None else None
            if value is not None:
                row[name] = value
        yield row


__all__ = [
    "Abs",
    "Aggregate",
    "And",
    "Contains",
    "Div",
    "Eq",
    "Exp",
    "GroupBy",
    "Gt",
    "Gte",
    "In",
    "K",
    "Key",
    "Knn",
    "Limit",
    "Log",
    "Lt",
    "Lte",
    "Max",
    "MaxK",
    "Min",
    "MinK",
    "Mul",
    "Ne",
    "Nin",
    "NotContains",
    "NotRegex",
    "Or",
    "Rank",
    "Regex",
    "Rrf",
    "Search",
    "SearchResult",
    "Select",
    "Sub",
    "Sum",
    "Val",
    "Where",
]
