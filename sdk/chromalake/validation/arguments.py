"""Client rules on ``include``, ``n_results`` and ``delete``'s arguments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chromalake.validation.constants import INCLUDE_ITEMS


def validate_include(include: Any, disallowed: Sequence[str] | None = None) -> None:
    """``include`` must be a list of known item names, none of them ``disallowed``.

    Example:
        >>> validate_include(["distances"], disallowed=["distances"])
        Traceback (most recent call last):
        ...
        ValueError: Include item cannot be one of distances, got distances
    """
    if not isinstance(include, list):
        raise ValueError(f"Expected include to be a list, got {include}")
    for item in include:
        if not isinstance(item, str):
            raise ValueError(f"Expected include item to be a str, got {item}")
        if item not in INCLUDE_ITEMS:
            raise ValueError(
                f"Expected include item to be one of {', '.join(INCLUDE_ITEMS)}, got {item}"
            )
        if disallowed is not None and item in disallowed:
            raise ValueError(f"Include item cannot be one of {', '.join(disallowed)}, got {item}")


def validate_n_results(n_results: Any) -> int:
    """``n_results`` must be an int (``ValueError``) above zero (``TypeError``, as in Chroma)."""
    if not isinstance(n_results, int):
        raise ValueError(f"Expected requested number of results to be a int, got {n_results}")
    if n_results <= 0:
        raise TypeError(f"Number of requested results {n_results}, cannot be negative, or zero.")
    return n_results


def validate_delete_args(ids: Any, where: Any, where_document: Any, limit: Any) -> None:
    """The argument rules of ``Collection.delete`` checked before ids and filters.

    Needs at least one of ids/where/where_document; ``limit`` must be a non-negative int
    (``TypeError`` for a non-int or a bool) and needs a filter.
    """
    if ids is None and where is None and where_document is None:
        raise ValueError("At least one of ids, where, or where_document must be provided")
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise TypeError("limit must be a non-negative integer")
        if limit < 0:
            raise ValueError("limit must be a non-negative integer")
    if limit is not None and where is None and where_document is None:
        raise ValueError(
            "limit can only be specified when a where or where_document clause is provided"
        )
