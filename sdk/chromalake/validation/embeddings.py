"""Client rules on embeddings: their shapes and number types, normalised to lists, and the
float32 arrays the engine stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

_EMBEDDING_DTYPES = (np.float16, np.float32, np.float64, np.int32, np.int64)


def normalize_embeddings(target: Any) -> list[Any] | None:
    """Turn Chroma's accepted embedding shapes into a list of numpy arrays.

    Accepted: one list of numbers, a list of lists of numbers, a 1-d or 2-d ndarray, or a list
    of ndarrays. Python lists become float32 arrays; numpy input keeps its dtype until
    :func:`embeddings_to_float32` (so :func:`validate_embeddings` can reject bad dtypes).

    Example:
        >>> [e.dtype.name for e in normalize_embeddings([[1, 2], [3.5, 4]])]
        ['float32', 'float32']
    """
    if target is None:
        return None
    # len() first, like Chroma: an int or other unsized value fails here with Python's TypeError.
    if len(target) == 0:
        raise ValueError(f"Expected Embeddings to be non-empty list or numpy array, got {target}")
    if isinstance(target, np.ndarray):
        if target.ndim == 1:
            return [target]
        if target.ndim == 2:
            return list(target)
    elif isinstance(target, list):
        first = target[0]
        if _is_number(first):
            return [np.array(target, dtype=np.float32)]
        if isinstance(first, np.ndarray):
            return target
        if isinstance(first, list) and _is_number(first[0]):
            return [np.array(row, dtype=np.float32) for row in target]
    raise ValueError(
        "Expected embeddings to be a list of floats or ints, a list of lists, a numpy array, "
        f"or a list of numpy arrays, got {target}"
    )


def _is_number(value: object) -> bool:
    """An int or float that is not a bool (``True`` is an ``int`` in Python)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_embeddings(embeddings: Any) -> list[Any]:
    """Check normalized embeddings: a non-empty list of non-empty 1-d numeric ndarrays.

    Example:
        >>> len(validate_embeddings([np.array([1.0, 2.0])]))
        1
    """
    if not isinstance(embeddings, (list, np.ndarray)):
        raise ValueError(f"Expected embeddings to be a list, got {type(embeddings).__name__}")
    if len(embeddings) == 0:
        raise ValueError(
            "Expected embeddings to be a list with at least one item, "
            f"got {len(embeddings)} embeddings"
        )
    if not all(isinstance(e, np.ndarray) for e in embeddings):
        # Chroma lists the distinct type names through a set; we keep first-seen order.
        names = list(dict.fromkeys(type(e).__name__ for e in embeddings))
        raise ValueError(
            f"Expected each embedding in the embeddings to be a numpy array, got {names}"
        )
    for position, embedding in enumerate(embeddings):
        _validate_one_embedding(position, embedding)
    return list(embeddings)


def _validate_one_embedding(position: int, embedding: npt.NDArray[Any]) -> None:
    if embedding.ndim == 0:
        raise ValueError(f"Expected a 1-dimensional array, got a 0-dimensional array {embedding}")
    if embedding.size == 0:
        raise ValueError(
            "Expected each embedding in the embeddings to be a 1-dimensional numpy array with "
            "at least 1 int/float value. Got a 1-dimensional numpy array with no values at "
            f"pos {position}"
        )
    if embedding.dtype not in _EMBEDDING_DTYPES:
        raise ValueError(
            "Expected each value in the embedding to be a int or float, got an embedding with "
            f"{embedding.dtype} - {embedding}"
        )


def embeddings_to_float32(
    embeddings: Sequence[npt.NDArray[Any]], name: str = "embeddings"
) -> list[npt.NDArray[np.float32]]:
    """Convert validated embeddings to contiguous 1-d float32 arrays (the engine's format).

    A multi-dimensional element passes Chroma's Python checks but not its binding, which
    raises the ``TypeError`` reproduced here (``name`` is the binding's argument name).
    Values beyond float32 range become ±inf, which
    the engine then rejects like Chroma ("must not contain NaN or Infinity").
    """
    converted: list[npt.NDArray[np.float32]] = []
    for embedding in embeddings:
        if embedding.ndim != 1:
            raise TypeError(
                f"argument '{name}': only 0-dimensional arrays can be converted to Python scalars"
            )
        with np.errstate(over="ignore"):  # overflow to inf is reported by the engine instead
            converted.append(np.ascontiguousarray(embedding, dtype=np.float32))
    return converted
