"""Client rules on metadata (records' and collections'), sparse vectors among its values."""

from __future__ import annotations

from typing import Any

from chromalake.validation.constants import (
    CHANGE_DISTANCE_MESSAGE,
    RESERVED_DOCUMENT_KEY,
    SPARSE_VECTOR_TYPE_KEY,
    SPARSE_VECTOR_TYPE_VALUE,
)
from chromalake.validation.records import maybe_cast_one_to_many


def normalize_metadatas(metadatas: Any) -> list[dict[str, Any] | None] | None:
    """Apply ``OneOrMany`` and copy each metadata into a fresh ``dict``.

    Sparse-vector dicts (``{"#type": "sparse_vector", ...}``) are checked as Chroma's
    ``SparseVector`` constructor checks them. A value without ``.items()`` fails with Python's
    ``AttributeError``, as in Chroma.
    """
    unpacked = maybe_cast_one_to_many(metadatas)
    if unpacked is None:
        return None
    return [_normalize_metadata(m) for m in unpacked]


def _normalize_metadata(metadata: Any) -> dict[str, Any] | None:
    if metadata is None:
        return None
    normalized: dict[str, Any] = {}
    for key, value in metadata.items():
        if type(value).__name__ == "SparseVector" and hasattr(value, "to_dict"):
            # A SparseVector object (chromalake's or chromadb's, both checked when made)
            # travels and is stored as its wire dict.
            value = value.to_dict()
        elif isinstance(value, dict) and is_sparse_vector(value):
            # Indexing (not .get) so a missing field is Chroma's KeyError.
            validate_sparse_vector(value["indices"], value["values"], value.get("tokens"))
        normalized[key] = value
    return normalized


def is_sparse_vector(value: object) -> bool:
    """Whether a metadata value is a (normalized) sparse vector dict."""
    return isinstance(value, dict) and value.get(SPARSE_VECTOR_TYPE_KEY) == SPARSE_VECTOR_TYPE_VALUE


def validate_sparse_vector(indices: Any, values: Any, labels: Any = None) -> None:
    """The structural checks of Chroma's ``SparseVector``, with its messages."""
    if not isinstance(indices, list):
        raise ValueError(
            f"Expected SparseVector indices to be a list, got {type(indices).__name__}"
        )
    if not isinstance(values, list):
        raise ValueError(f"Expected SparseVector values to be a list, got {type(values).__name__}")
    if len(indices) != len(values):
        raise ValueError(
            "SparseVector indices and values must have the same length, "
            f"got {len(indices)} indices and {len(values)} values"
        )
    _validate_sparse_labels(labels, len(indices))
    _validate_sparse_entries(indices, values)


def _validate_sparse_labels(labels: Any, n: int) -> None:
    if labels is None:
        return
    if not isinstance(labels, list):
        raise ValueError(f"Expected SparseVector labels to be a list, got {type(labels).__name__}")
    if len(labels) != n:
        raise ValueError(
            "SparseVector labels must have the same length as indices and values, "
            f"got {len(labels)} labels, {n} indices"
        )


def _validate_sparse_entries(indices: list[Any], values: list[Any]) -> None:
    for i, index in enumerate(indices):
        if not isinstance(index, int):
            raise ValueError(
                f"SparseVector indices must be integers, got {type(index).__name__} at position {i}"
            )
        if index < 0:
            raise ValueError(
                f"SparseVector indices must be non-negative, got {index} at position {i}"
            )
    for i, value in enumerate(values):
        if not isinstance(value, (int, float)):
            raise ValueError(
                f"SparseVector values must be numbers, got {type(value).__name__} at position {i}"
            )
    for i in range(1, len(indices)):
        if indices[i] <= indices[i - 1]:
            raise ValueError(
                "SparseVector indices must be sorted in strictly ascending order, "
                f"found indices[{i}]={indices[i]} <= indices[{i - 1}]={indices[i - 1]}"
            )


def validate_metadata(metadata: Any) -> Any:
    """Check one record (or ``modify``) metadata as Chroma's client does; return it.

    Values may be str, int, float, bool, a sparse vector, a non-empty homogeneous list, or
    None (Chroma's client lets None through even for ``add``; the binding then rejects it, see
    :func:`check_metadatas_convertible`). The reserved key ``chroma:document`` is refused.

    Example:
        >>> validate_metadata({"a": 1, "b": [1.0, 2.0]})
        {'a': 1, 'b': [1.0, 2.0]}
    """
    if not isinstance(metadata, dict) and metadata is not None:
        raise ValueError(
            f"Expected metadata to be a dict or None, got {type(metadata).__name__} as metadata"
        )
    if metadata is None:
        return metadata
    if len(metadata) == 0:
        raise ValueError(
            f"Expected metadata to be a non-empty dict, got {len(metadata)} metadata attributes"
        )
    for key, value in metadata.items():
        if key == RESERVED_DOCUMENT_KEY:
            raise ValueError(
                f"Expected metadata to not contain the reserved key {RESERVED_DOCUMENT_KEY}"
            )
        if not isinstance(key, str):
            # Chroma raises TypeError here (unlike the other metadata checks).
            raise TypeError(
                f"Expected metadata key to be a str, got {key} which is a {type(key).__name__}"
            )
        if not _is_valid_metadata_value(key, value):
            raise ValueError(
                "Expected metadata value to be a str, int, float, bool, SparseVector, list, or "
                f"None, got {value} which is a {type(value).__name__}"
            )
    return metadata


def validate_update_metadata(metadata: Any) -> Any:
    """Chroma's ``validate_update_metadata`` (used by its legacy server for ``modify``).

    Same value rules as :func:`validate_metadata` but other wording, ``ValueError`` for a
    non-str key, and no reserved-key check. Chroma's ``Collection`` itself never calls it.
    """
    if not isinstance(metadata, dict) and metadata is not None:
        raise ValueError(f"Expected metadata to be a dict or None, got {type(metadata)}")
    if metadata is None:
        return metadata
    if len(metadata) == 0:
        raise ValueError(f"Expected metadata to be a non-empty dict, got {metadata}")
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise ValueError(f"Expected metadata key to be a str, got {key}")
        if not _is_valid_metadata_value(key, value):
            raise ValueError(
                "Expected metadata value to be a str, int, float, bool, SparseVector, list, or "
                f"None, got {value}"
            )
    return metadata


def _is_valid_metadata_value(key: str, value: object) -> bool:
    """Scalar, None, sparse vector, or a valid list (which raises its own message if bad)."""
    if is_sparse_vector(value):
        return True
    if isinstance(value, list):
        _validate_metadata_list_value(key, value)
        return True
    return isinstance(value, (str, int, float, bool)) or value is None


def _validate_metadata_list_value(key: str, value: list[Any]) -> None:
    """A list value must be non-empty and all str, all int, all float or all bool."""
    if len(value) == 0:
        raise ValueError(f"Expected metadata list value for key '{key}' to be non-empty")
    first_type = _metadata_element_type(value[0])
    for item in value:
        item_type = _metadata_element_type(item)
        if item_type is not first_type or item_type not in (str, int, float, bool):
            raise ValueError(
                f"Expected metadata list value for key '{key}' to contain only str, int, float, "
                f"or bool and all elements must be the same type, got {value}"
            )


def _metadata_element_type(item: object) -> type:
    # bool before int: True is an int, but a [1, True] list is mixed.
    return bool if isinstance(item, bool) else type(item)


def validate_metadatas(metadatas: Any) -> list[Any]:
    """Check a list of record metadatas (each a dict or None)."""
    if not isinstance(metadatas, list):
        raise ValueError(f"Expected metadatas to be a list, got {metadatas}")
    for metadata in metadatas:
        validate_metadata(metadata)
    return metadatas


def validate_modify_metadata(metadata: Any) -> None:
    """The client's check on ``Collection.modify(metadata=...)``.

    Chroma runs the record-metadata rules, then refuses ``hnsw:space``. It adds no suffix.

    Example:
        >>> validate_modify_metadata({"hnsw:space": "ip"})
        Traceback (most recent call last):
        ...
        ValueError: Changing the distance function of a collection once it is created is not supported currently.
    """  # noqa: E501
    if metadata is None:
        return
    validate_metadata(metadata)
    if "hnsw:space" in metadata:
        raise ValueError(CHANGE_DISTANCE_MESSAGE)
