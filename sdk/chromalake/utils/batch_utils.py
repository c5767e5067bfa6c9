"""Large writes in pieces: Chroma's ``create_batches``, and batched add/upsert with progress.

A server takes at most ``max_batch_size`` records per request, and a deployment behind API
Gateway and Lambda at most 6 MB per request body. ``create_batches`` splits by count as
chromadb's does; :func:`add_in_batches` and :func:`upsert_in_batches` also keep every request
under the payload limit, and can show a progress bar (tqdm, if installed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

from chromalake.types import Documents, Embeddings, IDs, Metadatas

__all__ = ["BaseAPI", "Documents", "Embeddings", "IDs", "Metadatas", "create_batches"]

# Lambda's request payload limit is 6 MB; stay clear of it (headers, JSON framing).
PAYLOAD_LIMIT = 5_500_000


class BaseAPI(Protocol):
    """What :func:`create_batches` needs of a client (chromadb types it as its BaseAPI)."""

    def get_max_batch_size(self) -> int: ...


def create_batches(
    api: BaseAPI,
    ids: Sequence[str],
    embeddings: Sequence[Any] | None = None,
    metadatas: Sequence[Any] | None = None,
    documents: Sequence[Any] | None = None,
) -> list[tuple[Any, Any, Any, Any]]:
    """Split a write into batches of at most ``api.get_max_batch_size()`` records.

    Example:
        >>> class Api:
        ...     def get_max_batch_size(self): return 2
        >>> [b[0] for b in create_batches(Api(), ["a", "b", "c"], [[1], [2], [3]])]
        [['a', 'b'], ['c']]
    """
    size = api.get_max_batch_size()
    batches = []
    for start in range(0, len(ids), size) if len(ids) > size else [0]:
        end = start + size if len(ids) > size else len(ids)
        batches.append(
            (
                list(ids[start:end]),
                embeddings[start:end] if embeddings is not None else None,
                metadatas[start:end] if metadatas else None,
                documents[start:end] if documents else None,
            )
        )
    return batches


def _record_bytes(embedding: Any, metadata: Any, document: Any, uri: Any) -> int:
    """About how many bytes one record takes in a request (base64 float32 embeddings)."""
    size = 64  # the id and JSON framing
    if embedding is not None:
        size += (len(embedding) * 4 * 4) // 3 + 4
    if metadata is not None:
        size += len(json.dumps(metadata, default=str))
    for text in (document, uri):
        if text is not None:
            size += len(json.dumps(text))
    return size


def _nth(values: Sequence[Any] | None, n: int) -> Any:
    return values[n] if values is not None else None


def plan_batches(
    count: int,
    max_batch_size: int,
    embeddings: Sequence[Any] | None = None,
    metadatas: Sequence[Any] | None = None,
    documents: Sequence[Any] | None = None,
    uris: Sequence[Any] | None = None,
    payload_limit: int = PAYLOAD_LIMIT,
) -> Iterator[tuple[int, int]]:
    """(start, end) of each batch: at most ``max_batch_size`` records and ``payload_limit``
    bytes each (a single larger record still gets a batch of its own).

    Example:
        >>> list(plan_batches(5, 2))
        [(0, 2), (2, 4), (4, 5)]
        >>> list(plan_batches(3, 10, embeddings=[[0.0] * 1000] * 3, payload_limit=6000))
        [(0, 1), (1, 2), (2, 3)]
    """
    start, size = 0, 0
    for n in range(count):
        record = _record_bytes(
            _nth(embeddings, n), _nth(metadatas, n), _nth(documents, n), _nth(uris, n)
        )
        if n > start and (n - start >= max_batch_size or size + record > payload_limit):
            yield start, n
            start, size = n, 0
        size += record
    if count > start:
        yield start, count


def _progress(total: int, enabled: bool, description: str) -> Any:
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped]
    except ImportError as e:  # an opt-in display: say how to get it
        raise ImportError("progress=True needs tqdm: pip install 'chromalake[progress]'") from e
    return tqdm(total=total, desc=description, unit="records")


def _write_in_batches(
    method: str,
    collection: Any,
    ids: Sequence[str],
    embeddings: Sequence[Any] | None,
    metadatas: Sequence[Any] | None,
    documents: Sequence[Any] | None,
    uris: Sequence[Any] | None,
    progress: bool,
) -> int:
    limit = collection._client.get_max_batch_size()
    bar = _progress(len(ids), progress, f"{method} {collection.name}")
    batches = 0
    for start, end in plan_batches(len(ids), limit, embeddings, metadatas, documents, uris):
        getattr(collection, method)(
            ids=list(ids[start:end]),
            embeddings=embeddings[start:end] if embeddings is not None else None,
            metadatas=metadatas[start:end] if metadatas is not None else None,
            documents=documents[start:end] if documents is not None else None,
            uris=uris[start:end] if uris is not None else None,
        )
        batches += 1
        if bar is not None:
            bar.update(end - start)
    if bar is not None:
        bar.close()
    return batches


def add_in_batches(
    collection: Any,
    ids: Sequence[str],
    embeddings: Sequence[Any] | None = None,
    metadatas: Sequence[Any] | None = None,
    documents: Sequence[Any] | None = None,
    uris: Sequence[Any] | None = None,
    *,
    progress: bool = False,
) -> int:
    """``collection.add`` in as many requests as the server's limits need; returns how many.

    Each request holds at most the client's ``get_max_batch_size()`` records and about
    5.5 MB of JSON. A failed batch raises, and the batches before it stay written: ``add``
    ignores ids that already exist, so the same call can simply be repeated.

    Example:
        >>> import chromalake
        >>> col = chromalake.EphemeralClient().get_or_create_collection(
        ...     "doctest-batches", embedding_function=None)
        >>> add_in_batches(col, [str(i) for i in range(10)], [[float(i)] for i in range(10)])
        1
        >>> col.count()
        10
    """
    fields = (ids, embeddings, metadatas, documents, uris)
    return _write_in_batches("add", collection, *fields, progress)


def upsert_in_batches(
    collection: Any,
    ids: Sequence[str],
    embeddings: Sequence[Any] | None = None,
    metadatas: Sequence[Any] | None = None,
    documents: Sequence[Any] | None = None,
    uris: Sequence[Any] | None = None,
    *,
    progress: bool = False,
) -> int:
    """``collection.upsert`` in as many requests as the server's limits need (see
    :func:`add_in_batches`); safe to repeat after a failure.

    Example:
        >>> import chromalake
        >>> col = chromalake.EphemeralClient().get_or_create_collection(
        ...     "doctest-upserts", embedding_function=None)
        >>> upsert_in_batches(col, ["a", "b"], [[5.0], [6.0]])
        1
        >>> upsert_in_batches(col, ["b", "c"], [[7.0], [8.0]])
        1
        >>> col.count()
        3
    """
    fields = (ids, embeddings, metadatas, documents, uris)
    return _write_in_batches("upsert", collection, *fields, progress)
