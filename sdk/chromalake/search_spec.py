"""The old path of :mod:`chromalake.search.payload` (the Search API's payload parser).

Kept so that imports of ``chromalake.search_spec`` (the engine's among them) keep working; new
code imports ``chromalake.search.payload``.
"""

from chromalake.search.payload import (
    DEFAULT_KNN_LIMIT,
    DOCUMENT,
    EMBEDDING,
    ID,
    METADATA,
    PREDEFINED_KEYS,
    SCORE,
    Aggregate,
    Binary,
    GroupBy,
    Knn,
    Nary,
    Rank,
    SearchShapeError,
    SearchSpec,
    Unary,
    Val,
    knn_leaves,
    parse_rank,
    parse_search,
    serde_path,
)

__all__ = [
    "DEFAULT_KNN_LIMIT",
    "DOCUMENT",
    "EMBEDDING",
    "ID",
    "METADATA",
    "PREDEFINED_KEYS",
    "SCORE",
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
    "serde_path",
]
