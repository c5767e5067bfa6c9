"""The records every layer passes around: collections, databases and columnar results.

They live below the engine so that the remote clients (slim install: no Lance, no pyarrow)
build the same objects from JSON that the embedded clients get from the engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

# A metadata key seen in a written record, with the schema value type it was written as
# ("string", "int", "float" or "bool"); Chroma lists these among the collection schema's keys.
MetadataKey = tuple[str, str]


@dataclass(frozen=True)
class DatabaseRecord:
    id: str
    name: str
    tenant: str


@dataclass(frozen=True)
class CollectionRecord:
    id: str
    name: str
    tenant: str
    database: str
    configuration: dict[str, Any]
    metadata: dict[str, Any] | None = None
    schema: dict[str, Any] | None = None
    dimension: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Kept apart from ``schema`` so that recording them is a set union, which concurrent
    # writers can do atomically without re-writing (and racing on) the whole schema.
    metadata_keys: frozenset[MetadataKey] = frozenset()
    # The newest Lance version of the collection's table that a commit recorded (None: no
    # commit recorded yet). Readers serve from what they hold while it is at least this, so
    # a warm process needs no object-store request to know it is fresh.
    version: int | None = None

    def with_changes(self, **changes: Any) -> CollectionRecord:
        return replace(self, **changes)


@dataclass(frozen=True)
class Records:
    """Columnar records a read returns; a field is None unless it was asked for."""

    ids: list[str]
    embeddings: list[npt.NDArray[np.float32]] | None = None
    documents: list[str | None] | None = None
    uris: list[str | None] | None = None
    metadatas: list[dict[str, Any] | None] | None = None
    distances: list[float] | None = None


@dataclass(frozen=True)
class SearchHits:
    """One search's page: ids and, for the selected keys, their columns (None: not selected)."""

    ids: list[str]
    documents: list[str | None] | None
    embeddings: list[list[float] | None] | None
    metadatas: list[dict[str, Any] | None] | None
    scores: list[float | None] | None
    select: list[str]


def search_columns(pages: Sequence[SearchHits]) -> dict[str, list[Any]]:
    """Pages in Chroma's column-major SearchResponse shape: per field, one entry a page."""
    return {
        "ids": [p.ids for p in pages],
        "documents": [p.documents for p in pages],
        "embeddings": [p.embeddings for p in pages],
        "metadatas": [p.metadatas for p in pages],
        "scores": [p.scores for p in pages],
        "select": [p.select for p in pages],
    }
