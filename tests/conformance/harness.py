"""Run one scenario against Chroma (the oracle) and chromalake (the subject) and compare.

A *scenario* is a callable that takes a :class:`Side` and drives that side's client through the
public Python API. The same scenario runs on both sides; its return value (or the exception it
raised) is normalised into plain, comparable data and the two are diffed:

* ids, documents, metadatas, uris, included lists and every scalar compare exactly, with their
  Python types (``1``, ``1.0`` and ``True`` are three different values); floats may differ by
  a few ulps, because Chroma itself does not round-trip every float64;
* embeddings compare with ``np.allclose`` at float32 precision, and the container kind
  (ndarray or list) and shape must agree;
* distances compare with Chroma's own tolerance, ``atol = 1e-6 * 10**floor(log10(dim))``;
* query candidates that tie on distance may come back in either order, so tied groups compare
  as sets;
* exceptions compare by class name, message and whether they are ``ValueError``/``TypeError``.

Multi-step scenarios wrap each step in :func:`attempt`, so one failing step does not hide the
steps after it, and return a dict of step name to outcome.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

DEFAULT_TENANT = "default_tenant"
DEFAULT_DATABASE = "default_database"

#: Every include value a query accepts, for "give me everything".
ALL_QUERY_INCLUDE = ["documents", "metadatas", "embeddings", "uris", "distances"]
#: Every include value a get accepts.
ALL_GET_INCLUDE = ["documents", "metadatas", "embeddings", "uris"]

_BUILTIN_KINDS = (ValueError, TypeError, KeyError, IndexError, AttributeError)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
# Chroma builds these messages by joining a Python set, so their order changes with the hash
# seed: compare the members sorted (or, for the sampled duplicate list, not at all).
_SET_LISTS = [
    re.compile(r"(?P<head>(?:Exactly|At least) one of )(?P<items>.*?)(?P<tail> must be provided)"),
    re.compile(r"(?P<head>found duplicates of: )(?P<items>.*?)(?P<tail> in \w+\.|$)"),
]
_SAMPLED_DUPLICATES = re.compile(r"(found \d+ duplicated IDs: ).*?( in \w+\.|$)")


def canonical_message(message: str) -> str:
    """Mask random UUIDs and sort the set-ordered lists in Chroma's messages."""
    message = _UUID.sub("<uuid>", message)
    for pattern in _SET_LISTS:
        message = pattern.sub(
            lambda m: m["head"] + ", ".join(sorted(m["items"].split(", "))) + m["tail"], message
        )
    return _SAMPLED_DUPLICATES.sub(r"\1<sample>\2", message)


# --------------------------------------------------------------------------------------------
# The two sides


@dataclass
class Side:
    """One implementation under test: its package, a fresh client and ways to make more."""

    label: str
    module: ModuleType
    connect: Callable[[], Any]
    new_client: Callable[..., Any]
    admin: Callable[[], Any]
    # Set on an oracle whose outcomes several subjects share (the remote kinds all compare
    # with chromadb's HttpClient): each outcome is computed once per test, then reused.
    memo_key: str | None = None
    _client: Any = field(default=None, init=False, repr=False)
    _conforms: int = field(default=0, init=False, repr=False)

    @property
    def client(self) -> Any:
        """The client scenarios use, built (and its store reset) on first use."""
        if self._client is None:
            self._client = self.connect()
        return self._client

    @property
    def errors(self) -> ModuleType:
        """The package's ``errors`` module (``chromadb.errors`` or ``chromalake.errors``)."""
        return self.module.errors  # type: ignore[no-any-return]

    def collection(self, name: str = "records", **kwargs: Any) -> Any:
        """Create a collection without an embedding function (all tests pass embeddings)."""
        return self.client.create_collection(name, embedding_function=None, **kwargs)

    def settings(self, **kwargs: Any) -> Any:
        """Build this package's ``Settings``."""
        return self.module.Settings(**kwargs)


Scenario = Callable[[Side], Any]


# --------------------------------------------------------------------------------------------
# Outcomes


@dataclass(frozen=True)
class Raised:
    """What a step raised: class name, message and builtin exception kinds it belongs to."""

    kind: str
    message: str
    builtins: tuple[str, ...]

    @classmethod
    def of(cls, exc: BaseException) -> Raised:
        """Describe ``exc``, its message made deterministic by :func:`canonical_message`."""
        kinds = tuple(k.__name__ for k in _BUILTIN_KINDS if isinstance(exc, k))
        return cls(type(exc).__name__, canonical_message(str(exc)), kinds)

    def __str__(self) -> str:
        return f"raised {self.kind}({self.message!r})"


def attempt(step: Callable[[], Any]) -> Any:
    """Run one step; return its value, or a :class:`Raised` describing the exception."""
    try:
        return step()
    except Exception as exc:
        return Raised.of(exc)


# --------------------------------------------------------------------------------------------
# Normalisation into comparable data


@dataclass(frozen=True)
class Vectors:
    """Embeddings as returned: container kind, shape and float64 values."""

    container: str
    shape: tuple[int, ...]
    values: np.ndarray = field(compare=False)

    def __str__(self) -> str:
        return f"{self.container}{self.shape} {np.array2string(self.values, precision=6)}"


@dataclass(frozen=True)
class GetView:
    """A normalised GetResult."""

    fields: dict[str, Any]


@dataclass(frozen=True)
class QueryView:
    """A normalised QueryResult: shared keys plus one :class:`QueryRow` per query embedding."""

    included: Any
    data: Any
    rows: list[QueryRow] | Any
    present: dict[str, bool]


@dataclass(frozen=True)
class QueryRow:
    """One query's results; each field is a list aligned with ``ids`` or None."""

    ids: list[str]
    distances: list[float] | None
    documents: list[Any] | None
    metadatas: list[Any] | None
    uris: list[Any] | None
    embeddings: list[Vectors] | None

    def record(self, i: int) -> dict[str, Any]:
        """Position ``i`` as a dict of the present fields (without distance)."""
        out: dict[str, Any] = {"id": self.ids[i]}
        for name in ("documents", "metadatas", "uris", "embeddings"):
            column = getattr(self, name)
            if column is not None:
                out[name] = column[i]
        return out


@dataclass(frozen=True)
class CollectionView:
    """What a Collection object exposes, minus its random UUID."""

    fields: dict[str, Any]


def _vectors(value: Any) -> Any:
    if value is None:
        return None
    container = "ndarray" if isinstance(value, np.ndarray) else type(value).__name__
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return ("unconvertible", container, repr(value))
    return Vectors(container, tuple(array.shape), array)


def _is_result(value: Any) -> bool:
    return isinstance(value, Mapping) and "ids" in value and "included" in value


def _is_collection(value: Any) -> bool:
    return all(hasattr(value, a) for a in ("name", "id", "metadata", "configuration_json")) and (
        hasattr(value, "add")
    )


def normalize(value: Any) -> Any:
    """Turn a client return value into plain data that compares strictly by type and value."""
    if isinstance(value, Raised | Vectors | GetView | QueryView | CollectionView):
        return value
    if _is_result(value):
        return _normalize_query(value) if "distances" in value else _normalize_get(value)
    if _is_collection(value):
        return _normalize_collection(value)
    if isinstance(value, np.ndarray):
        return _vectors(value)
    if isinstance(value, Mapping):
        return ("dict", {str(k): normalize(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return (type(value).__name__, [normalize(v) for v in value])
    if isinstance(value, uuid.UUID):
        return ("UUID", str(value))
    if value is None or isinstance(value, bool | int | float | str):
        return (type(value).__name__, value)
    if isinstance(value, np.generic):
        return (f"numpy.{type(value).__name__}", value.item())
    return (type(value).__name__, repr(value))


def _normalize_get(result: Mapping[str, Any]) -> GetView:
    fields: dict[str, Any] = {"keys": ("set", sorted(str(k) for k in result))}
    for key, value in result.items():
        fields[key] = _vectors(value) if key == "embeddings" else normalize(value)
    return GetView(fields)


def _per_row(value: Any, count: int) -> list[Any] | None:
    if value is None:
        return None
    return [value[i] if i < len(value) else None for i in range(count)]


def _normalize_query(result: Mapping[str, Any]) -> QueryView:
    ids = result.get("ids")
    present = {k: result.get(k) is not None for k in result}
    present["keys"] = True
    if not isinstance(ids, list) or not all(isinstance(r, list) for r in ids):
        return QueryView(normalize(result.get("included")), None, normalize(ids), present)
    rows: list[QueryRow] = []
    cols = {k: _per_row(result.get(k), len(ids)) for k in ALL_QUERY_INCLUDE}
    for i, row_ids in enumerate(ids):
        embeddings = cols["embeddings"][i] if cols["embeddings"] is not None else None
        distances = cols["distances"][i] if cols["distances"] is not None else None

        def column(name: str, i: int = i) -> list[Any] | None:
            col = cols[name]
            return None if col is None else [normalize(v) for v in col[i]]

        rows.append(
            QueryRow(
                ids=list(row_ids),
                distances=None if distances is None else [_distance(d) for d in distances],
                documents=column("documents"),
                metadatas=column("metadatas"),
                uris=column("uris"),
                embeddings=None if embeddings is None else [_vectors(e) for e in embeddings],
            )
        )
    return QueryView(
        normalize(result.get("included")), normalize(result.get("data")), rows, present
    )


def _distance(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _collection_type(col: Any) -> str:
    """Collection, or AsyncCollection seen through a blocking view: both are "Collection"."""
    return type(getattr(col, "_target", col)).__name__.removeprefix("Async")


def _normalize_collection(col: Any) -> CollectionView:
    return CollectionView(
        {
            "type": ("type", _collection_type(col)),
            "name": normalize(col.name),
            "metadata": normalize(col.metadata),
            "configuration_json": normalize(col.configuration_json),
            "tenant": normalize(col.tenant),
            "database": normalize(col.database),
            "id_type": ("type", type(col.id).__name__),
        }
    )


# --------------------------------------------------------------------------------------------
# Comparison


@dataclass(frozen=True)
class Tolerance:
    """Comparison tolerances for a scenario whose embeddings have ``dim`` dimensions."""

    dim: int = 1

    @property
    def distance_atol(self) -> float:
        return 1e-6 * 10.0 ** math.floor(math.log10(max(self.dim, 1)))

    def close(self, a: float, b: float) -> bool:
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return bool(np.isclose(a, b, atol=self.distance_atol))


def floats_equal(a: float, b: float) -> bool:
    """Float scalars (metadata values) agree up to a few ulps.

    Chroma does not round-trip every float64 exactly: 36.408512115478516 reads back as
    36.40851211547851. A relative 1e-15 (about 4 ulps) accepts that and nothing more.
    """
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b or math.isclose(a, b, rel_tol=1e-15, abs_tol=0.0)


def vectors_equal(a: Any, b: Any) -> bool:
    """Embeddings agree: same container kind and shape, values close at float32 precision."""
    if not (isinstance(a, Vectors) and isinstance(b, Vectors)):
        return bool(a == b)
    if a.container != b.container or a.shape != b.shape:
        return False
    return bool(np.allclose(a.values, b.values, rtol=1e-6, atol=1e-6, equal_nan=True))


def diff(expected: Any, got: Any, path: str = "result", tol: Tolerance | None = None) -> list[str]:
    """List the differences between two normalised values (empty when they conform)."""
    tol = tol or Tolerance()
    if isinstance(expected, Vectors) or isinstance(got, Vectors):
        if vectors_equal(expected, got):
            return []
        return [f"{path}: expected {expected}, got {got}"]
    if type(expected) is not type(got):
        return [f"{path}: expected {_show(expected)}, got {_show(got)}"]
    if isinstance(expected, GetView):
        return _diff_mapping(expected.fields, got.fields, path, tol)
    if isinstance(expected, CollectionView):
        return _diff_mapping(expected.fields, got.fields, path, tol)
    if isinstance(expected, QueryView):
        return diff_query(expected, got, path, tol)
    if isinstance(expected, tuple) and len(expected) == 2 and isinstance(expected[0], str):
        return _diff_tagged(expected, got, path, tol)
    if expected == got:
        return []
    return [f"{path}: expected {_show(expected)}, got {_show(got)}"]


def _diff_tagged(expected: Any, got: Any, path: str, tol: Tolerance) -> list[str]:
    tag, value = expected
    if got[0] != tag:
        return [f"{path}: expected {_show(expected)}, got {_show(got)}"]
    if tag == "dict":
        return _diff_mapping(value, got[1], path, tol)
    if tag in ("list", "tuple"):
        if len(value) != len(got[1]):
            return [f"{path}: expected {_show(expected)}, got {_show(got)}"]
        problems: list[str] = []
        for i, (e, g) in enumerate(zip(value, got[1], strict=True)):
            problems += diff(e, g, f"{path}[{i}]", tol)
        return problems
    if tag == "float" and isinstance(value, float) and isinstance(got[1], float):
        return (
            [] if floats_equal(value, got[1]) else [f"{path}: expected {value!r}, got {got[1]!r}"]
        )
    return [] if expected == got else [f"{path}: expected {_show(expected)}, got {_show(got)}"]


def _diff_mapping(
    expected: Mapping[str, Any], got: Mapping[str, Any], path: str, tol: Tolerance
) -> list[str]:
    problems: list[str] = []
    for key in sorted(set(expected) | set(got)):
        if key not in got:
            problems.append(f"{path}.{key}: missing (expected {_show(expected[key])})")
        elif key not in expected:
            problems.append(f"{path}.{key}: unexpected {_show(got[key])}")
        else:
            problems += diff(expected[key], got[key], f"{path}.{key}", tol)
    return problems


def diff_query(
    expected: QueryView, got: QueryView, path: str, tol: Tolerance, pool: QueryView | None = None
) -> list[str]:
    """Compare query results; tied candidates compare as sets.

    ``pool`` is the oracle's answer to the same query with every candidate returned
    (``n_results`` = collection size, everything included). With it, a tie group cut by
    ``n_results`` may hold different members on each side, as long as the subject's members
    really are candidates at that distance.
    """
    problems = diff(expected.included, got.included, f"{path}.included", tol)
    problems += diff(expected.data, got.data, f"{path}.data", tol)
    if expected.present != got.present:
        problems.append(f"{path}: fields present {expected.present} vs {got.present}")
    if not (isinstance(expected.rows, list) and isinstance(got.rows, list)):
        return [*problems, *diff(expected.rows, got.rows, f"{path}.rows", tol)]
    if len(expected.rows) != len(got.rows):
        return [*problems, f"{path}: {len(expected.rows)} result rows, got {len(got.rows)}"]
    for q, (e_row, g_row) in enumerate(zip(expected.rows, got.rows, strict=True)):
        pool_row = pool.rows[q] if pool is not None and isinstance(pool.rows, list) else None
        problems += _diff_row(e_row, g_row, f"{path}[query {q}]", tol, pool_row)
    return problems


def _row_keys(row: QueryRow, pool_row: QueryRow | None) -> list[float] | None:
    """The distance of each position, from the row itself or from the pool."""
    if row.distances is not None:
        return row.distances
    if pool_row is None or pool_row.distances is None:
        return None
    by_id = dict(zip(pool_row.ids, pool_row.distances, strict=True))
    return [by_id.get(i, float("nan")) for i in row.ids]


def _tie_groups(keys: Sequence[float], tol: Tolerance) -> list[range]:
    groups: list[range] = []
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or not tol.close(keys[i - 1], keys[i]):
            groups.append(range(start, i))
            start = i
    return groups


def _diff_row(
    expected: QueryRow, got: QueryRow, path: str, tol: Tolerance, pool_row: QueryRow | None
) -> list[str]:
    if len(expected.ids) != len(got.ids):
        return [f"{path}.ids: expected {expected.ids}, got {got.ids}"]
    if len(set(got.ids)) != len(got.ids):
        return [f"{path}.ids: duplicate ids in {got.ids}"]
    problems: list[str] = []
    if expected.distances is not None and got.distances is not None:
        for i, (e, g) in enumerate(zip(expected.distances, got.distances, strict=True)):
            if not tol.close(e, g):
                problems.append(
                    f"{path}.distances: expected {expected.distances}, got {got.distances}"
                    f" (first difference at {i}, atol {tol.distance_atol:g})"
                )
                return problems
    keys = _row_keys(expected, pool_row)
    if keys is None:
        groups = [range(i, i + 1) for i in range(len(expected.ids))]
    else:
        groups = _tie_groups(keys, tol)
    for n, group in enumerate(groups):
        last = n == len(groups) - 1
        e_ids = {expected.ids[i]: i for i in group}
        g_ids = {got.ids[i]: i for i in group}
        if set(e_ids) != set(g_ids):
            if not (last and pool_row is not None and keys is not None):
                problems.append(
                    f"{path}.ids[{group.start}:{group.stop}]: expected {sorted(e_ids)}"
                    f" (in any order), got {[got.ids[i] for i in group]}; full rows"
                    f" {expected.ids} vs {got.ids}"
                )
                continue
            problems += _check_truncated_group(got, g_ids, keys[group.start], path, tol, pool_row)
            continue
        for rid, e_pos in e_ids.items():
            problems += diff(
                _row_record(expected, e_pos), _row_record(got, g_ids[rid]), f"{path}[{rid}]", tol
            )
    return problems


def _row_record(row: QueryRow, i: int) -> Any:
    rec = row.record(i)
    return ("dict", {k: (v if k != "id" else ("str", v)) for k, v in rec.items()})


def _check_truncated_group(
    got: QueryRow,
    g_ids: Mapping[str, int],
    key: float,
    path: str,
    tol: Tolerance,
    pool_row: QueryRow,
) -> list[str]:
    """A tie group cut by n_results: every member must be a candidate at that distance."""
    problems: list[str] = []
    pool_pos = {rid: i for i, rid in enumerate(pool_row.ids)}
    for rid, g_pos in g_ids.items():
        if rid not in pool_pos:
            problems.append(f"{path}: {rid!r} is not a candidate (pool {pool_row.ids})")
            continue
        p = pool_pos[rid]
        assert pool_row.distances is not None
        if not tol.close(pool_row.distances[p], key):
            problems.append(
                f"{path}: {rid!r} is at distance {pool_row.distances[p]} not in the tie at {key}"
            )
        got_rec = got.record(g_pos)
        pool_rec = {k: v for k, v in pool_row.record(p).items() if k in got_rec}
        problems += diff(
            ("dict", {k: v if k != "id" else ("str", v) for k, v in pool_rec.items()}),
            ("dict", {k: v if k != "id" else ("str", v) for k, v in got_rec.items()}),
            f"{path}[{rid}]",
            tol,
        )
    return problems


def _show(value: Any) -> str:
    text = str(value) if isinstance(value, Raised | Vectors) else repr(value)
    return text if len(text) < 600 else text[:600] + "..."


# --------------------------------------------------------------------------------------------
# Running a scenario on both sides


def outcome(side: Side, scenario: Scenario) -> Any:
    """Run ``scenario`` on ``side`` (its store reset first) and normalise what it returned
    or raised."""
    assert side.client is not None  # connecting resets the side's store
    return normalize(attempt(lambda: scenario(side)))


_ORACLE_OUTCOMES: dict[tuple[str, int], Any] = {}


def _oracle_outcome(oracle: Side, scenario: Scenario) -> Any:
    if oracle.memo_key is None:
        return outcome(oracle, scenario)
    key = (oracle.memo_key, oracle._conforms)
    oracle._conforms += 1
    if key not in _ORACLE_OUTCOMES:
        _ORACLE_OUTCOMES[key] = outcome(oracle, scenario)
    return _ORACLE_OUTCOMES[key]


def conform(oracle: Side, subject: Side, scenario: Scenario, *, dim: int = 1) -> Any:
    """Assert that ``scenario`` gives the same outcome on both sides; return the oracle's."""
    expected = _oracle_outcome(oracle, scenario)
    got = outcome(subject, scenario)
    problems = diff(expected, got, "result", Tolerance(dim))
    assert not problems, f"{subject.label} differs from chromadb:\n  " + "\n  ".join(problems)
    return expected


def conform_raises(oracle: Side, subject: Side, scenario: Scenario, kind: str) -> Raised:
    """Like :func:`conform`, and also pin that Chroma raises ``kind`` for this scenario."""
    expected = conform(oracle, subject, scenario)
    assert isinstance(expected, Raised) and expected.kind == kind, (
        f"the oracle no longer raises {kind}: {expected!r}"
    )
    return expected


def steps(**named: Callable[[], Any]) -> dict[str, Any]:
    """Run named steps in order, capturing each outcome (keyword order is execution order)."""
    return {name: attempt(step) for name, step in named.items()}
