"""Queries on an indexed collection: ANN candidates from Lance, distances re-ranked exactly.

Lance's IVF index (with refine) proposes a few more than ``k`` candidates per query, filter
applied first; their distances are then recomputed from Chroma's definitions in float64 and
ties broken by insertion order, as the exact path does, so a result differs from exact search
only by a neighbour the index missed. Whenever the index returns fewer rows than the filter
(or the collection) holds and ``k`` asks for, the query falls back to exact search over the
matching rows, so a result is never shorter than Chroma's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chromalake.collection_config import space_of
from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.columns import EMBEDDING, ID, SEQ, embedding_matrix, ids_predicate
from chromalake.engine.indexes import index_type_of, search_params, trained_partitions
from chromalake.engine.nearest import nearest
from chromalake.engine.store import LanceStore, VectorIndex
from chromalake.errors import InternalError

# Candidates asked for past k, so a float32 tie or rounding at the k-th place cannot hide the
# true k-th neighbour from the float64 re-rank.
_MARGIN = 8


@dataclass(frozen=True)
class Hits:
    """One query's result: ids nearest first and their distances."""

    ids: list[str]
    distances: list[float]


def _ranked(space: str, query: npt.NDArray[np.float32], rows: pa.Table | None, k: int) -> Hits:
    """The ``k`` nearest of ``rows`` to ``query``, distances from the definition."""
    if rows is None or rows.num_rows == 0:
        return Hits([], [])
    found = nearest(space, query[None, :], embedding_matrix(rows), rows[SEQ].to_numpy(), k)
    positions, distances = found[0]
    ids = rows[ID].to_pylist()
    return Hits([str(ids[p]) for p in positions], distances.tolist())


def ann_query(
    store: LanceStore,
    coll: CollectionRecord,
    index: VectorIndex,
    queries: npt.NDArray[np.float32],
    k: int,
    predicate: str | None,
) -> list[Hits]:
    """Each query's ``k`` nearest rows matching ``predicate``, through the ANN index.

    Example (an indexed collection; see tests/functional/test_ann.py):
        hits = ann_query(store, coll, store.vector_index(coll), queries, 10, None)
    """
    space = space_of(coll.configuration)
    hnsw = coll.configuration.get("hnsw") or {}
    params = search_params(hnsw, _partitions(index), k, index_type_of(index.name))
    results = []
    matching: int | None = None
    for query in queries:
        rows = store.ann(coll, query, k + _MARGIN, predicate, index, params)
        hits = _ranked(space, query, rows, k)
        if len(hits.ids) < k:
            matching = store.count_where(coll, predicate) if matching is None else matching
            if matching > len(hits.ids):
                hits = _ranked(space, query, store.select(coll, predicate, _EXACT_COLUMNS), k)
        results.append(hits)
    return results


def exact_query(
    store: LanceStore,
    coll: CollectionRecord,
    queries: npt.NDArray[np.float32],
    k: int,
    ids: list[str],
    predicate: str | None,
) -> list[Hits]:
    """Exact search over the records ``ids`` (those matching ``predicate``), read from Lance.

    An indexed collection answers ``query(ids=...)`` this way rather than loading its whole
    matrix. As Chroma does, an id the collection does not hold is an error.
    """
    listed = store.select(coll, ids_predicate(ids), [ID])
    if listed is None or len(set(listed[ID].to_pylist())) < len(set(ids)):
        raise InternalError("Error executing plan: Internal error: Error finding id")
    full = ids_predicate(ids) if predicate is None else f"({ids_predicate(ids)}) AND ({predicate})"
    rows = store.select(coll, full, _EXACT_COLUMNS)
    space = space_of(coll.configuration)
    return [_ranked(space, query, rows, k) for query in queries]


def _partitions(index: VectorIndex) -> int:
    return trained_partitions(index.name) or 1


_EXACT_COLUMNS = [ID, SEQ, EMBEDDING]
