"""Engine results as Chroma's response JSON (reference §3)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chromalake.records import CollectionRecord, DatabaseRecord, Records


def collection_json(record: CollectionRecord) -> dict[str, Any]:
    """A collection as create/get/list return it; ``configuration_json`` is never null."""
    return {
        "id": record.id,
        "name": record.name,
        "configuration_json": record.configuration or {},
        "schema": record.schema,
        "metadata": record.metadata,
        "dimension": record.dimension,
        "tenant": record.tenant,
        "database": record.database,
        "log_position": 0,
        "version": 0,
    }


def database_json(record: DatabaseRecord) -> dict[str, str]:
    return {"id": record.id, "name": record.name, "tenant": record.tenant}


def _embeddings(records: Records) -> list[list[float]] | None:
    if records.embeddings is None:
        return None
    return [[float(x) for x in vector.tolist()] for vector in records.embeddings]


def get_json(records: Records, include: Sequence[str]) -> dict[str, Any]:
    """A GetResponse: a field is a list exactly when it was included."""
    return {
        "ids": records.ids,
        "embeddings": _embeddings(records),
        "documents": records.documents,
        "uris": records.uris,
        "metadatas": records.metadatas,
        "include": list(include),
    }


def query_json(results: Sequence[Records], include: Sequence[str]) -> dict[str, Any]:
    """A QueryResponse: per-query lists of per-result lists."""

    def column(name: str) -> list[Any] | None:
        if name not in include:
            return None
        if name == "embeddings":
            return [_embeddings(r) or [] for r in results]
        return [getattr(r, name) or [] for r in results]

    return {
        "ids": [r.ids for r in results],
        "embeddings": column("embeddings"),
        "documents": column("documents"),
        "uris": column("uris"),
        "metadatas": column("metadatas"),
        "distances": column("distances"),
        "include": list(include),
    }
