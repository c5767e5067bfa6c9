"""Client rules on a record set's ids, documents, images and URIs, and on the lengths of its
fields (Chroma's ``OneOrMany`` included)."""

from __future__ import annotations

from collections.abc import Mapping, Sized
from typing import Any

import numpy as np

from chromalake.errors import (
    DuplicateIDError,
)


def maybe_cast_one_to_many(target: Any) -> list[Any] | None:
    """Wrap a single value in a list, as Chroma's ``OneOrMany`` does.

    Only a ``list`` counts as "many": a tuple or a numpy array of ids is one (bad) id.

    Example:
        >>> maybe_cast_one_to_many("a"), maybe_cast_one_to_many(["a"]), maybe_cast_one_to_many(None)
        (['a'], ['a'], None)
    """
    if target is None:
        return None
    if isinstance(target, list):
        return target
    return [target]


def validate_ids(ids: Any) -> list[str]:
    """Check ids are a non-empty list of unique strings; return them.

    Raises:
        ValueError: not a list, empty, or an element is not a str.
        DuplicateIDError: an id occurs more than once.

    Example:
        >>> validate_ids(["a", "b"])
        ['a', 'b']
    """
    if not isinstance(ids, list):
        raise ValueError(f"Expected IDs to be a list, got {type(ids).__name__} as IDs")
    if len(ids) == 0:
        raise ValueError(f"Expected IDs to be a non-empty list, got {len(ids)} IDs")
    duplicates = _find_duplicate_ids(ids)
    if duplicates:
        raise DuplicateIDError(_duplicate_ids_message(duplicates))
    return ids


def _find_duplicate_ids(ids: list[Any]) -> list[str]:
    """Type-check every id and return the repeated ones in order of first repetition."""
    seen: set[str] = set()
    duplicates: dict[str, None] = {}  # an ordered set
    for id_ in ids:
        if not isinstance(id_, str):
            raise ValueError(f"Expected ID to be a str, got {id_}")
        if id_ in seen:
            duplicates[id_] = None
        else:
            seen.add(id_)
    return list(duplicates)


def _duplicate_ids_message(duplicates: list[str]) -> str:
    """Chroma's wording: all duplicates when fewer than 10, else 5 + 5 of the first 11."""
    if len(duplicates) < 10:
        return f"Expected IDs to be unique, found duplicates of: {', '.join(duplicates)}"
    # Chroma samples the first 11 duplicates (in set order; ours is discovery order, which is
    # one of the orders it can produce) and prints the first and last five of them.
    sample = duplicates[:11]
    examples = f"{', '.join(sample[:5])}, ..., {', '.join(sample[-5:])}"
    return f"Expected IDs to be unique, found {len(duplicates)} duplicated IDs: {examples}"


def validate_documents(documents: Any, nullable: bool = False) -> None:
    """Documents must be strings; None entries are allowed only when embeddings are given."""
    if not isinstance(documents, list):
        raise ValueError(f"Expected documents to be a list, got {type(documents).__name__}")
    if len(documents) == 0:
        raise ValueError(
            f"Expected documents to be a non-empty list, got {len(documents)} documents"
        )
    for document in documents:
        if document is None and nullable:
            continue
        if not isinstance(document, str):
            raise ValueError(f"Expected document to be a str, got {document}")


def validate_images(images: Any) -> None:
    """Images must be numpy arrays with at least two dimensions."""
    if not isinstance(images, list):
        raise ValueError(f"Expected images to be a list, got {type(images).__name__}")
    if len(images) == 0:
        raise ValueError(f"Expected images to be a non-empty list, got {len(images)} images")
    for image in images:
        if not isinstance(image, np.ndarray) or image.ndim < 2:
            raise ValueError(f"Expected image to be a numpy array, got {image}")


def validate_record_set_lengths(fields: Mapping[str, Sized | None]) -> None:
    """Every given field must be a non-empty list, all of one length.

    ``fields`` maps field names to values (None = not given) in Chroma's order:
    ``ids, metadatas, embeddings, documents, images, uris`` for writes and
    ``embeddings, documents, images, uris`` for queries.

    Example:
        >>> validate_record_set_lengths({"ids": ["a", "b"], "embeddings": [[1.0]]})
        Traceback (most recent call last):
        ...
        ValueError: Unequal lengths for fields: ids: 2, embeddings: 1
    """
    given = {name: len(value) for name, value in fields.items() if value is not None}
    if not given:
        raise ValueError(f"At least one of one of {', '.join(fields)} must be provided")
    empty = [name for name, length in given.items() if length == 0]
    if empty:
        raise ValueError(f"Non-empty lists are required for {empty}")
    if len(set(given.values())) > 1:
        described = ", ".join(f"{name}: {length}" for name, length in given.items())
        raise ValueError(f"Unequal lengths for fields: {described}")


def validate_exactly_one(fields: Mapping[str, object]) -> str:
    """Exactly one of ``fields`` may be given (not None); return its name.

    Used to choose what to embed when no embeddings were passed.
    """
    given = [name for name, value in fields.items() if value is not None]
    if len(given) != 1:
        raise ValueError(f"Exactly one of {', '.join(fields)} must be provided")
    return given[0]


def validate_batch_size(size: int, max_batch_size: int) -> None:
    """Chroma's HTTP client refuses batches above the server's ``max_batch_size``.

    (Chroma's *embedded* client instead fails inside its binding with
    ``InternalError("ValueError: Batch size of N is greater than max batch size of M")``; see
    :func:`check_engine_batch_size`.)
    """
    if size > max_batch_size:
        raise ValueError(f"Batch size {size} exceeds maximum batch size {max_batch_size}")
