"""Sparse vectors a collection's schema asks the client to compute, as chromadb's client does.

A sparse vector index with a ``source_key`` and an embedding function (e.g. Chroma's BM25,
``ChromaBm25EmbeddingFunction``) fills its key on every write: from the document when the
source is ``#document``, else from that metadata key's string value; a record that already has
the key, or has no string to embed, is left as it is. A text ``Knn`` query on that key is
embedded with the same function's ``embed_query``.

Example:
    >>> targets = {"sv": ("#document", lambda texts: [{"indices": [0], "values": [1.0]}
    ...                                                 for _ in texts])}
    >>> with_sparse_vectors(None, ["doc"], targets)
    [{'sv': {'indices': [0], 'values': [1.0]}}]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from chromalake.embeddings import sparse_embedding_function_from_config
from chromalake.types import SparseVector
from chromalake.validation.metadata import is_sparse_vector

DOCUMENT_KEY = "#document"
SparseFn = Callable[[list[str]], Sequence[Any]]
Targets = dict[str, tuple[str, SparseFn]]


def _as_wire(vector: Any) -> Any:
    to_dict = getattr(vector, "to_dict", None)
    return to_dict() if callable(to_dict) else vector


def _index_config(schema: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    entry = (((schema or {}).get("keys") or {}).get(key) or {}).get("sparse_vector") or {}
    index = entry.get("sparse_vector_index") or {}
    return dict(index.get("config") or {}) if index.get("enabled") else None


def sparse_targets(schema: dict[str, Any] | None) -> Targets:
    """Each key whose sparse index names a source key and a function this process can build."""
    targets: Targets = {}
    for key in (schema or {}).get("keys") or {}:
        config = _index_config(schema, key)
        if config is None or config.get("source_key") is None:
            continue
        ef = sparse_embedding_function_from_config(config.get("embedding_function"))
        if ef is not None:
            targets[key] = (str(config["source_key"]), ef)
    return targets


def with_sparse_vectors(
    metadatas: list[dict[str, Any] | None] | None,
    documents: Sequence[str | None] | None,
    targets: Targets,
) -> list[dict[str, Any] | None] | None:
    """``metadatas`` with each target key filled where chromadb's client fills it."""
    if not targets:
        return metadatas
    if metadatas is None:
        if documents is None:
            return None
        metadatas = [None] * len(documents)
    filled: list[dict[str, Any]] = [dict(m) if m else {} for m in metadatas]
    for key, (source, ef) in targets.items():
        inputs: list[str] = []
        positions: list[int] = []
        for n, metadata in enumerate(filled):
            if key in metadata:
                continue
            if source == DOCUMENT_KEY:
                text = documents[n] if documents is not None and n < len(documents) else None
            else:
                text = metadata.get(source)
            if isinstance(text, str):
                inputs.append(text)
                positions.append(n)
        if not inputs:
            continue
        vectors = ef(inputs)
        if len(vectors) != len(positions):
            raise ValueError("Sparse embedding function returned unexpected number of embeddings.")
        for n, vector in zip(positions, vectors, strict=True):
            filled[n][key] = _as_wire(vector)
    return [m or None for m in filled]


def embed_sparse_query(schema: dict[str, Any] | None, key: str, text: str) -> Any | None:
    """A text query on ``key`` embedded by its sparse index's function (None: it has none)."""
    config = _index_config(schema, key)
    if config is None:
        return None
    ef = sparse_embedding_function_from_config(config.get("embedding_function"))
    if ef is None:
        return None
    embed = getattr(ef, "embed_query", None) or ef
    vectors = embed([text])
    if not vectors or len(vectors) != 1:
        raise ValueError("Sparse embedding function returned unexpected number of embeddings")
    return _as_wire(vectors[0])


def returned_metadata(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """A metadata as chromadb's client returns it: stored sparse vectors as ``SparseVector``.

    Example:
        >>> returned_metadata({"s": {"#type": "sparse_vector", "indices": [1], "values": [2.0]}})
        {'s': SparseVector(indices=[1], values=[2.0], labels=None)}
    """
    if not metadata or not any(is_sparse_vector(v) for v in metadata.values()):
        return metadata
    return {k: SparseVector.from_dict(v) if is_sparse_vector(v) else v for k, v in metadata.items()}


__all__ = ["embed_sparse_query", "returned_metadata", "sparse_targets", "with_sparse_vectors"]
