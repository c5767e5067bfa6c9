"""The embedding-function protocol, and how a function's identity is stored with a collection.

Chroma persists a collection's embedding function in ``configuration_json`` as
``{"type": "known", "name": ..., "config": ...}`` when the function can describe itself
(``name()``, ``get_config()``, ``build_from_config()``), else as ``{"type": "legacy"}``.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Embeddings = list[npt.NDArray[np.float32]]


@runtime_checkable
class EmbeddingFunction(Protocol):
    """Anything callable on a list of inputs that returns one embedding per input."""

    def __call__(self, input: Any) -> Any: ...


def is_legacy(ef: Any) -> bool:
    """True unless ``ef`` can name itself and return its config, as Chroma decides.

    A function that answers ``is_legacy()`` itself (Chroma's base class does) is believed.
    """
    own = getattr(ef, "is_legacy", None)
    if callable(own):
        return bool(own())
    try:
        name, config = ef.name(), ef.get_config()
    except (AttributeError, NotImplementedError, TypeError):
        return True
    return name is NotImplemented or config is NotImplemented


def embedding_function_config(ef: Any) -> dict[str, Any] | None:
    """The ``configuration_json.embedding_function`` entry for ``ef`` (None for no function).

    Example:
        >>> embedding_function_config(lambda input: input)
        {'type': 'legacy'}
    """
    if ef is None:
        return None
    if is_legacy(ef):
        return {"type": "legacy"}
    return {"type": "known", "name": ef.name(), "config": ef.get_config()}


def embed(ef: Any, inputs: list[Any], query: bool = False) -> Embeddings:
    """Call ``ef`` (its ``embed_query`` for queries, when it has one) as float32 vectors."""
    call = getattr(ef, "embed_query", None) if query else None
    raw = (call or ef)(inputs)
    return [np.asarray(e, dtype=np.float32) for e in raw]
