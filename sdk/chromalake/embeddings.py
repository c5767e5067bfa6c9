"""The embedding-function protocol, its registry, and how a function is stored with a collection.

Chroma persists a collection's embedding function in ``configuration_json`` as
``{"type": "known", "name": ..., "config": ...}`` when the function can describe itself
(``name()``, ``get_config()``, ``build_from_config()``), else as ``{"type": "legacy"}``.
A known function is rebuilt from that entry through the registry of names
(:func:`register_embedding_function`), as chromadb's ``known_embedding_functions``.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

Embeddings = list[npt.NDArray[np.float32]]


@runtime_checkable
class EmbeddingFunction(Protocol):
    """Anything callable on a list of inputs that returns one embedding per input.

    Subclass it to inherit Chroma's defaults for the optional members; a function that does
    not override ``name``/``get_config``/``build_from_config`` is persisted as legacy.

    Example:
        >>> class Lengths(EmbeddingFunction):
        ...     def __call__(self, input):
        ...         return [[float(len(t))] for t in input]
        >>> Lengths().is_legacy(), Lengths().default_space(), Lengths().embed_query(["ab"])
        (True, 'l2', [[2.0]])
    """

    def __call__(self, input: Any) -> Any: ...

    def embed_query(self, input: Any) -> Any:
        """Embeddings for query texts (``query_texts``); the same as ``__call__`` by default."""
        return self(input)

    @staticmethod
    def name() -> str:
        """The name the function is registered and persisted under."""
        return NotImplemented  # type: ignore[no-any-return]

    def get_config(self) -> dict[str, Any]:
        """What :meth:`build_from_config` needs to make this function again."""
        return NotImplemented  # type: ignore[no-any-return]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> EmbeddingFunction:
        return NotImplemented  # type: ignore[no-any-return]

    def default_space(self) -> str:
        """The distance a new collection gets when its configuration names none."""
        return "l2"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    def is_legacy(self) -> bool:
        """True unless the function can name itself and be rebuilt from its config."""
        try:
            name, config = self.name(), self.get_config()
            if name is NotImplemented or config is NotImplemented:
                return True
            return type(self).build_from_config(config) is NotImplemented
        except (AttributeError, NotImplementedError, TypeError):
            return True


#: Embedding-function classes by ``name()``, for rebuilding persisted configurations.
known_embedding_functions: dict[str, type[Any]] = {}
_T = TypeVar("_T", bound=type[Any])
#: The module that registers the built-in functions when imported.
_BUILTINS = "chromalake.utils.embedding_functions"


def register_embedding_function(cls: _T) -> _T:
    """Make ``cls`` rebuildable from configurations that name it (usable as a decorator)."""
    known_embedding_functions[cls.name()] = cls
    return cls


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


def embedding_function_from_config(entry: dict[str, Any] | None) -> Any:
    """The function a persisted entry describes (None for none or legacy), with chromadb's
    errors for an entry it cannot rebuild.

    Example:
        >>> embedding_function_from_config({"type": "known", "name": "default", "config": {}})
        DefaultEmbeddingFunction()
        >>> embedding_function_from_config({"type": "known", "name": "nope", "config": {}})
        Traceback (most recent call last):
        ...
        ValueError: Embedding function nope not found. Add @register_embedding_function decorator to the class definition.
    """  # noqa: E501
    if entry is None or entry.get("type") == "legacy":
        return None
    if "name" not in entry:
        raise ValueError(f"Embedding function name not found in config: {entry}")
    importlib.import_module(_BUILTINS)  # registers the built-in functions
    cls = known_embedding_functions.get(entry["name"])
    if cls is None:
        raise ValueError(
            f"Embedding function {entry['name']} not found. "
            "Add @register_embedding_function decorator to the class definition."
        )
    try:
        return cls.build_from_config(entry["config"])
    except Exception as exc:
        raise ValueError(
            f"Could not build embedding function {entry['name']} "
            f"from config {entry['config']}: {exc}"
        ) from exc


def embed(ef: Any, inputs: list[Any], query: bool = False) -> Embeddings:
    """Call ``ef`` (its ``embed_query`` for queries, when it has one) as float32 vectors."""
    call = getattr(ef, "embed_query", None) if query else None
    raw = (call or ef)(inputs)
    return [np.asarray(e, dtype=np.float32) for e in raw]
