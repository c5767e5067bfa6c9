"""Sparse vector search: ``$knn`` with a sparse query on a metadata key, as Chroma Cloud serves it.

A record's sparse vector is a metadata value (``{"#type": "sparse_vector", "indices": [...],
"values": [...]}``) on the key a collection's schema gives a sparse vector index. A sparse
``$knn`` measures each record holding such a vector on that key by ``1 - query . vector``
(Chroma's measure: lower is better), in float32 as Chroma computes it, and keeps the ``limit``
best, ties in insertion order.

As Chroma Cloud's index (a posting list per dimension), only records that share at least one
dimension with the query are candidates. The scoring is exact: every stored vector that the
filter keeps is read and scored (correctness first; an inverted index can come later).

Example:
    >>> score_rows({"indices": [1, 4], "values": [1.0, 0.5]},
    ...            [("a", 0, {"indices": [4], "values": [2.0]}), ("b", 1, {"indices": [2],
    ...             "values": [1.0]})], limit=5)
    [('a', 0.0)]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from chromalake import validation
from chromalake.engine.columns import ID, SEQ
from chromalake.engine.metadata_columns import METADATA, decode_metadatas
from chromalake.errors import InvalidArgumentError
from chromalake.records import CollectionRecord
from chromalake.schema_rules import filterable

if TYPE_CHECKING:
    from chromalake.engine.store import LanceStore

Hit = tuple[str, float]


def _checked_query(query: Mapping[str, Any]) -> dict[int, np.float32]:
    """The query as {dimension: weight}, checked as Chroma checks a SparseVector."""
    indices, values = query.get("indices"), query.get("values")
    try:
        validation.validate_sparse_vector(indices, values, query.get("tokens"))
    except ValueError as error:
        raise InvalidArgumentError(str(error)) from None
    assert isinstance(indices, list) and isinstance(values, list)
    return {int(i): np.float32(v) for i, v in zip(indices, values, strict=True)}


def _dot(query: dict[int, np.float32], vector: Mapping[str, Any]) -> np.float32 | None:
    """``query . vector`` in float32; None when they share no dimension."""
    total: np.float32 | None = None
    for index, value in zip(vector.get("indices") or [], vector.get("values") or [], strict=False):
        weight = query.get(int(index))
        if weight is not None:
            term = np.float32(weight * np.float32(value))
            total = term if total is None else np.float32(total + term)
    return total


def score_rows(
    query: Mapping[str, Any], rows: Iterable[tuple[str, int, Any]], limit: int
) -> list[Hit]:
    """The ``limit`` best of (id, insertion sequence, stored vector) rows, best first."""
    weights = _checked_query(query)
    scored: list[tuple[np.float32, int, str]] = []
    for record_id, seq, vector in rows:
        if not isinstance(vector, Mapping):
            continue  # the key holds no sparse vector in this record
        dot = _dot(weights, vector)
        if dot is not None:
            scored.append((np.float32(np.float32(1.0) - dot), seq, record_id))
    scored.sort(key=lambda s: (float(s[0]), s[1]))
    return [(record_id, float(measure)) for measure, _, record_id in scored[:limit]]


def sparse_hits(
    store: LanceStore,
    coll: CollectionRecord,
    key: str,
    query: Mapping[str, Any],
    limit: int,
    predicate: str | None,
) -> list[Hit]:
    """One sparse ``$knn`` leaf over ``coll``: the records ``predicate`` keeps, best first.

    The key must carry an enabled sparse vector index in the collection's schema, as in
    Chroma (its words when it does not).
    """
    if not filterable(coll.schema, key, "SparseVector"):
        raise InvalidArgumentError(
            f"Cannot filter using metadata key '{key}' with type 'SparseVector' because "
            "indexing is disabled"
        )
    table = store.select(coll, predicate, [ID, SEQ, METADATA])
    if table is None:
        return []
    metadatas = decode_metadatas(table[METADATA])
    rows = (
        (str(i), int(s), (m or {}).get(key))
        for i, s, m in zip(table[ID].to_pylist(), table[SEQ].to_pylist(), metadatas, strict=True)
    )
    return score_rows(query, rows, limit)


__all__ = ["score_rows", "sparse_hits"]
