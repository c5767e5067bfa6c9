"""What Chroma's PyO3 layer rejects after the Python checks: argument conversion with PyO3's
own ``TypeError``/``OverflowError`` wording (the embedded ``chromadb`` client's behaviour)."""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from typing import Any

_U32_MAX = 2**32 - 1
_C_LONG_MIN, _C_LONG_MAX = -(2**63), 2**63 - 1


def check_u32_argument(value: Any, name: str) -> int | None:
    """Convert an optional ``u32`` argument the way PyO3 does, with its errors.

    Anything with ``__index__`` (int, bool, numpy integers) is accepted; other types are a
    ``TypeError``; values outside ``[0, 2**32)`` are an ``OverflowError``.

    Example:
        >>> check_u32_argument(True, "limit"), check_u32_argument(None, "limit")
        (1, None)
    """
    if value is None:
        return None
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"argument '{name}': '{type(value).__name__}' object cannot be interpreted as "
            "an integer"
        ) from None
    if not _C_LONG_MIN <= number <= _C_LONG_MAX:
        raise OverflowError("Python int too large to convert to C long")
    if not 0 <= number <= _U32_MAX:
        raise OverflowError("out of range integral type conversion attempted")
    return number


def check_strings_convertible(values: Sequence[Any] | None, name: str) -> None:
    """PyO3 refuses a non-str (non-None) element of a ``list[str | None]`` argument."""
    if values is None:
        return
    for value in values:
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"argument '{name}': '{type(value).__name__}' object cannot be converted to "
                "'PyString'"
            )


def check_metadatas_convertible(
    metadatas: Sequence[Mapping[str, Any] | None] | None, *, allow_none_values: bool
) -> None:
    """The binding's metadata conversion: no None values on ``add`` (a None value is only
    meaningful in an update: it deletes the key). Sparse vectors convert: chromalake stores
    them as Chroma Cloud does, where single-node Chroma's binding refuses them."""
    if metadatas is None:
        return
    for metadata in metadatas:
        if metadata is None:
            continue
        for value in metadata.values():
            if value is None and not allow_none_values:
                target = "UpdateMetadataValue" if allow_none_values else "MetadataValue"
                raise TypeError(f"argument 'metadatas': Cannot convert Python object to {target}")


def check_collection_metadata_convertible(metadata: Mapping[str, Any] | None) -> None:
    """The binding's conversion of collection metadata (chromadb validates it no earlier).

    Example:
        >>> check_collection_metadata_convertible({"tags": []})
        Traceback (most recent call last):
        ...
        ValueError: Empty lists are not allowed as metadata values
    """
    for value in (metadata or {}).values():
        if isinstance(value, list):
            if not value:
                raise ValueError("Empty lists are not allowed as metadata values")
        elif value is None or not isinstance(value, (str, int, float, bool)):
            raise TypeError("argument 'metadata': Cannot convert Python object to MetadataValue")
