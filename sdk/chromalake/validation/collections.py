"""Engine rules on creating and modifying collections: names and collection metadata."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chromalake.errors import (
    InvalidArgumentError,
)
from chromalake.validation.metadata import validate_modify_metadata
from chromalake.validation.names import (
    _raise_validation_errors,
    _require_str_argument,
    name_problem,
)


def validate_create_collection(name: Any, metadata: Mapping[str, Any] | None) -> None:
    """The engine's checks on a create: the name rule and the collection-metadata rule.

    Example:
        >>> validate_create_collection("abc", {})
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: metadata: Metadata cannot be empty
    """
    _require_str_argument(name, "name")
    _raise_validation_errors(
        [("name", name_problem(name)), ("metadata", collection_metadata_problem(metadata))]
    )
    _refuse_empty_lists(metadata)


def _refuse_empty_lists(metadata: Mapping[str, Any] | None) -> None:
    """An empty list in collection metadata: Chroma's embedded binding refuses it, and its
    server drops the connection (it panics); chromalake's server refuses it in words."""
    if any(isinstance(v, list) and not v for v in (metadata or {}).values()):
        raise InvalidArgumentError("Empty lists are not allowed as metadata values")


def validate_update_collection(new_name: Any, new_metadata: Mapping[str, Any] | None) -> None:
    """The engine's checks on a modify: the new name (if any) and the new metadata (if any)."""
    if new_name is not None:
        _require_str_argument(new_name, "new_name")
    _raise_validation_errors(
        [
            ("new_name", name_problem(new_name) if new_name is not None else None),
            ("new_metadata", collection_metadata_problem(new_metadata)),
        ]
    )
    _refuse_empty_lists(new_metadata)


def validate_collection_metadata(metadata: Mapping[str, Any] | None, *, field: str) -> None:
    """Server check of collection metadata alone; ``field`` is the payload field Chroma names.

    Example:
        >>> validate_collection_metadata({"#a": 1}, field="new_metadata")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: new_metadata: Metadata key cannot start with '#' or '$': #a
    """  # noqa: E501
    _raise_validation_errors([(field, collection_metadata_problem(metadata))])


def collection_metadata_problem(metadata: Mapping[str, Any] | None) -> str | None:
    """Why collection metadata is refused (empty, or a bad key), or None."""
    if metadata is None:
        return None
    if len(metadata) == 0:
        return "Metadata cannot be empty"
    for key in metadata:
        problem = _metadata_key_problem(key)
        if problem is not None:
            return problem
    return None


def _metadata_key_problem(key: str) -> str | None:
    if key == "":
        return "Metadata key cannot be empty"
    if key.startswith(("#", "$")):
        return f"Metadata key cannot start with '#' or '$': {key}"
    return None


def validate_modify(name: Any, metadata: Any, configuration: Any) -> None:
    """The client's checks on ``Collection.modify`` (no suffix is added).

    Chroma validates only the metadata here (record-metadata rules, then no ``hnsw:space``);
    the name and configuration are checked by the engine.
    """
    del name, configuration  # accepted for symmetry with the call; checked by the engine
    validate_modify_metadata(metadata)
