"""A collection table's indexes in Lance: which there are, how much they cover, their configs.

``LanceStore`` reports the ANN index on the embeddings (``VectorIndex``: its name, distance
and coverage; ``vector_index`` caches it per version) and the full-text index's coverage in
``TableState``, what maintenance reads to decide its work; it builds the ANN index from
``ann_config`` (which index ``indexes.py`` plans) and the scalar indexes under ``ID_INDEX`` and
``FTS_INDEX``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chromalake.engine.columns import DOCUMENT, EMBEDDING
from chromalake.engine.indexes import IndexPlan, trained_partitions

ID_INDEX = "id_btree"
FTS_INDEX = "document_fts"


@dataclass(frozen=True)
class VectorIndex:
    """The collection's ANN index on its embeddings, at one table version."""

    name: str
    distance_type: str
    indexed_rows: int
    unindexed_rows: int


@dataclass(frozen=True)
class TableState:
    """What maintenance looks at: size, layout and index of a collection's table."""

    version: int
    rows: int
    fragments: int
    index: VectorIndex | None
    # Rows the full-text index (built by the first text search) does not cover yet.
    text_unindexed_rows: int = 0


def ann_config(plan: IndexPlan) -> Any:
    """The lancedb index config that builds ``plan`` (IVF_PQ or IVF_SQ)."""
    from lancedb.index import IvfPq, IvfSq

    metric: Any = plan.distance_type  # one of lancedb's Literal names (indexes.py)
    return (
        IvfPq(
            distance_type=metric,
            num_partitions=plan.num_partitions,
            num_sub_vectors=plan.num_sub_vectors,
        )
        if plan.index_type == "IVF_PQ"
        else IvfSq(distance_type=metric, num_partitions=plan.num_partitions)
    )


def _text_unindexed_rows(table: Any, indices: list[Any]) -> int:
    """How many rows the document FTS index lacks (0 when there is no such index)."""
    for config in indices:
        if DOCUMENT in config.columns:
            stats = table.index_stats(config.name)
            return 0 if stats is None else int(stats.num_unindexed_rows)
    return 0


def _vector_index(table: Any, indices: list[Any] | None = None) -> VectorIndex | None:
    """Our ANN index on the embedding column, with its coverage; None when there is none.

    ``indices``: the table's index list when the caller has already read it."""
    for config in table.list_indices() if indices is None else indices:
        if EMBEDDING in config.columns and trained_partitions(config.name) is not None:
            stats = table.index_stats(config.name)
            if stats is None:
                return None
            return VectorIndex(
                name=config.name,
                distance_type=str(stats.distance_type or "l2"),
                indexed_rows=int(stats.num_indexed_rows),
                unindexed_rows=int(stats.num_unindexed_rows),
            )
    return None
