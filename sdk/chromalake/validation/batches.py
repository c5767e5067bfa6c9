"""Engine rules on record batches: lengths, dimensions, embeddings, metadata, batch size and
``delete``/``max_distance`` arguments, with the server's messages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Sized
from typing import Any

import numpy as np
import numpy.typing as npt

from chromalake.errors import (
    InternalError,
    InvalidArgumentError,
)
from chromalake.validation.collections import _metadata_key_problem
from chromalake.validation.metadata import is_sparse_vector, validate_sparse_vector
from chromalake.validation.names import _raise_validation_errors


def validate_record_batch(
    ids: Sequence[str],
    embeddings: Sequence[npt.NDArray[Any] | Sequence[float] | None] | None,
    metadatas: Sequence[Mapping[str, Any] | None] | None,
    documents: Sequence[str | None] | None,
    uris: Sequence[str | None] | None,
    *,
    update: bool = False,
    expected_dimension: int | None = None,
) -> int | None:
    """The engine's checks on an add/update/upsert batch, in the order Chroma runs them.

    1. Field validation: every embedding has ≥1 dimension and only finite values; metadata
       keys are not empty and do not start with ``#``/``$`` ("Validation error: ..."; both
       failures are reported, joined by a newline).
    2. Dimensions: one dimension within the batch, equal to ``expected_dimension`` if given.
       (Pass the collection's dimension to get Chroma's order; without it, check it later with
       :func:`validate_dimension`.)
    3. Lengths: every given list as long as ``ids``.
    4. No empty id.

    ``update`` marks an ``update`` batch: its embeddings may hold None ("keep the old one"),
    and Chroma reports the first bad embedding, where for add/upsert an empty embedding
    anywhere wins over a NaN. None entries are skipped either way.

    Returns:
        The batch's dimension (to set an empty collection's), or None without embeddings.

    Example:
        >>> validate_record_batch(["a"], [[1.0, float("nan")]], None, None, None)
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: embeddings: Embeddings must not contain NaN or Infinity values
    """  # noqa: E501
    vectors = [np.asarray(e) for e in embeddings or [] if e is not None]
    # Chroma names embeddings first for update and either order for add/upsert (HashMap order).
    embeddings_problem = (
        _first_embedding_problem(vectors) if update else _embeddings_problem(vectors)
    )
    _raise_validation_errors(
        [("embeddings", embeddings_problem), ("metadatas", _metadatas_problem(metadatas))]
    )
    dimension = validate_batch_dimension(vectors)
    if dimension is not None:
        validate_dimension(expected_dimension, dimension)
    _validate_batch_lengths(len(ids), embeddings, documents, uris, metadatas)
    if any(id_ == "" for id_ in ids):
        raise InvalidArgumentError("Empty ID, ID must have at least one character")
    return dimension


_EMPTY_EMBEDDING = "Each embedding must have at least 1 dimension"
_NON_FINITE_EMBEDDING = "Embeddings must not contain NaN or Infinity values"


def _embeddings_problem(vectors: Sequence[npt.NDArray[Any]]) -> str | None:
    """add/upsert: an empty vector is reported even when an earlier one holds a NaN."""
    if any(v.size == 0 for v in vectors):
        return _EMPTY_EMBEDDING
    if any(not np.all(np.isfinite(v)) for v in vectors):
        return _NON_FINITE_EMBEDDING
    return None


def _first_embedding_problem(vectors: Sequence[npt.NDArray[Any]]) -> str | None:
    """update: the problem of the first bad vector."""
    for vector in vectors:
        if vector.size == 0:
            return _EMPTY_EMBEDDING
        if not np.all(np.isfinite(vector)):
            return _NON_FINITE_EMBEDDING
    return None


def _metadatas_problem(metadatas: Sequence[Mapping[str, Any] | None] | None) -> str | None:
    for index, metadata in enumerate(metadatas or []):
        if metadata is None:
            continue
        bad_key = any(_metadata_key_problem(k) for k in metadata)
        if bad_key or any(_is_invalid_sparse_vector(v) for v in metadata.values()):
            return f"Invalid metadata at index {index}"
    return None


def _is_invalid_sparse_vector(value: object) -> bool:
    if not isinstance(value, dict) or not is_sparse_vector(value):
        return False
    try:
        validate_sparse_vector(value.get("indices"), value.get("values"), value.get("tokens"))
    except ValueError:
        return True
    return False


def validate_batch_dimension(
    embeddings: Sequence[npt.NDArray[Any] | Sequence[float] | None],
) -> int | None:
    """The one dimension shared by the (non-None) embeddings, or None if there are none.

    Chroma checks this for writes and for query embeddings, even on an empty collection.

    Example:
        >>> validate_batch_dimension([[1.0, 2.0], [1.0]])
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Inconsistent dimensions in provided embeddings
    """
    dimensions = {int(np.size(e)) for e in embeddings if e is not None}
    if len(dimensions) > 1:
        raise InvalidArgumentError("Inconsistent dimensions in provided embeddings")
    return dimensions.pop() if dimensions else None


def validate_dimension(expected: int | None, got: int) -> None:
    """An embedding of dimension ``got`` must match the collection's (None: not yet fixed).

    Example:
        >>> validate_dimension(2, 3)
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Collection expecting embedding with dimension of 2, got 3
    """  # noqa: E501
    if expected is not None and got != expected:
        raise InvalidArgumentError(
            f"Collection expecting embedding with dimension of {expected}, got {got}"
        )


def _validate_batch_lengths(n: int, *fields: Sized | None) -> None:
    if any(field is not None and len(field) != n for field in fields):
        raise InvalidArgumentError(
            "Inconsistent number of IDs, embeddings, documents, URIs and metadatas"
        )


def validate_delete_request(
    ids: Sequence[str] | None, where: Any, where_document: Any, limit: int | None
) -> None:
    """The server's delete rules (the client rejects these cases before they get here).

    An empty ``ids`` list needs a filter, and ``limit`` needs a filter. Everything None is
    accepted (and deletes nothing).
    """
    no_filter = where is None and where_document is None
    if ids is not None and len(ids) == 0 and no_filter:
        raise InvalidArgumentError(
            "Validation error: ids, where: Either ids or where must be specified"
        )
    if limit is not None and no_filter:
        raise InvalidArgumentError(
            "Validation error: limit, where: limit can only be specified when a where clause "
            "is provided"
        )


def check_engine_batch_size(size: int, max_batch_size: int) -> None:
    """How Chroma's embedded binding reports an oversized batch (an ``InternalError``).

    Example:
        >>> check_engine_batch_size(5462, 5461)
        Traceback (most recent call last):
        ...
        chromalake.errors.InternalError: ValueError: Batch size of 5462 is greater than max batch size of 5461
    """  # noqa: E501
    if size > max_batch_size:
        raise InternalError(
            f"ValueError: Batch size of {size} is greater than max batch size of {max_batch_size}"
        )


def validate_max_distance(max_distance: Any) -> None:
    """``query(max_distance=...)`` (a chromalake extension): None, or a finite number.

    Example:
        >>> validate_max_distance(0.5)
        >>> validate_max_distance("far")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Expected max_distance to be a finite number, got 'far'
    """  # noqa: E501
    if max_distance is None:
        return
    number = isinstance(max_distance, int | float | np.number) and not isinstance(
        max_distance, bool
    )
    if not number or not np.isfinite(max_distance):
        raise InvalidArgumentError(
            f"Expected max_distance to be a finite number, got {max_distance!r}"
        )
