"""What ``Collection.search`` does around the engine call: payloads in, SearchResult out.

A search may come from chromalake's builder, from chromadb's (anything with ``to_dict``) or as
a plain dict. Text queries of ``$knn`` leaves on ``#embedding`` are embedded here, with the
collection's embedding function, as chromadb's client does; text queries on ``#document``
go to the server as text (chromalake's full-text ranking).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from chromalake.api.sparse_embedding import embed_sparse_query, returned_metadata
from chromalake.records import SearchHits, search_columns
from chromalake.search.builder import SearchResult

EmbedFn = Callable[[list[Any]], Sequence[Any]]

NO_EMBEDDING_FUNCTION = (
    "You must provide an embedding function to compute embeddings."
    "https://docs.trychroma.com/guides/embeddings"
)


def search_payload(search: Any) -> dict[str, Any]:
    """The wire dict of one search.

    Example:
        >>> search_payload({"rank": None})
        {'rank': None}
    """
    if isinstance(search, dict):
        return dict(_plain(search))
    to_dict = getattr(search, "to_dict", None)
    if to_dict is None:
        raise TypeError(f"Expected a Search or a dict, got {type(search).__name__}")
    return dict(_plain(to_dict()))


def _plain(value: Any) -> Any:
    """JSON's types: numpy arrays and scalars (e.g. a query vector) as lists and numbers."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    return _plain(tolist()) if tolist is not None and not isinstance(value, str) else value


def _knn_bodies(rank: Any) -> Iterator[dict[str, Any]]:
    """Every ``$knn`` body of a rank expression (a dict tree)."""
    if isinstance(rank, dict):
        for op, body in rank.items():
            if op == "$knn" and isinstance(body, dict):
                yield body
            else:
                yield from _knn_bodies(body)
    elif isinstance(rank, list):
        for item in rank:
            yield from _knn_bodies(item)


def embed_text_queries(
    payload: dict[str, Any], embed: EmbedFn | None, schema: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``payload`` with each text query on ``#embedding`` replaced by its embedding, and each
    on a key with a sparse index (and its function, in ``schema``) by its sparse vector.

    Example:
        >>> p = {"rank": {"$knn": {"query": "hi", "key": "#embedding"}}}
        >>> embed_text_queries(p, lambda texts: [[1.0, 0.0] for _ in texts])["rank"]
        {'$knn': {'query': [1.0, 0.0], 'key': '#embedding'}}
    """
    payload = copy.deepcopy(payload)  # a builder may hand out its own dicts: never edit them
    texts = []
    for body in _knn_bodies(payload.get("rank")):
        key = body.get("key", "#embedding")
        if not isinstance(body.get("query"), str) or key == "#document":
            continue  # a vector, or text for chromalake's full-text ranking
        if key != "#embedding":
            sparse = embed_sparse_query(schema, key, body["query"])
            if sparse is not None:
                body["query"] = sparse
                continue
            raise ValueError(
                f"Cannot embed string query for key '{key}': key not found in schema. "
                "Please provide an embedded vector or configure an embedding function for "
                "this key in the schema."
            )
        texts.append(body)
    if not texts:
        return payload
    if embed is None:
        raise ValueError(NO_EMBEDDING_FUNCTION)
    vectors = embed([body["query"] for body in texts])
    if len(vectors) != len(texts):
        raise ValueError("Embedding function returned unexpected number of embeddings")
    for body, vector in zip(texts, vectors, strict=True):
        body["query"] = [float(x) for x in vector]
    return payload


def search_result(found: Sequence[SearchHits]) -> SearchResult:
    """The engine's (or server's) pages as chromadb's column-major SearchResult, stored
    sparse vectors as ``SparseVector`` (as chromadb's client returns them)."""
    columns = search_columns(found)
    columns["metadatas"] = [
        None if page is None else [returned_metadata(m) for m in page]
        for page in columns["metadatas"]
    ]
    return SearchResult(columns)


__all__ = ["embed_text_queries", "search_payload", "search_result"]
