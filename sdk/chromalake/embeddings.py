"""The embedding-function protocol, its registry, and how a function is stored with a collection.

Chroma persists a collection's embedding function in ``configuration_json`` as
``{"type": "known", "name": ..., "config": ...}`` when the function can describe itself
(``name()``, ``get_config()``, ``build_from_config()``), else as ``{"type": "legacy"}``.
A known function is rebuilt from that entry through the registry of names
(:func:`register_embedding_function`), as chromadb's ``known_embedding_functions``.
"""

from __future__ import annotations

import importlib
import warnings
from abc import abstractmethod
from inspect import signature
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

import numpy as np
import numpy.typing as npt

from chromalake.types import Embeddable, SparseVector, SparseVectors
from chromalake.validation.embeddings import normalize_embeddings, validate_embeddings

Embeddings = list[npt.NDArray[np.float32]]
D = TypeVar("D", bound=Embeddable, contravariant=True)

_NOT_OVERRIDDEN = "This will be required in a future version."


def _check_results(cls: type[Any], check: Any) -> None:
    """Wrap ``cls.__call__`` so its result goes through ``check``, as Chroma's base classes
    do for every subclass (so a user's function returning lists of floats returns arrays)."""
    call = cls.__call__

    def __call__(self: Any, input: Any) -> Any:
        result = call(self, input)
        assert result is not None
        return check(result)

    cls.__call__ = __call__


def _with_retries(function: Any, input: Any, retry_kwargs: dict[str, Any]) -> Any:
    from tenacity import retry

    return retry(**retry_kwargs)(function.__call__)(input)


@runtime_checkable
class _ConfigChecks(Protocol):
    """The config checks both kinds of embedding function have (no-ops unless overridden)."""

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        """Refuse a ``modify(configuration=...)`` this function cannot take."""
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """Refuse a config :meth:`build_from_config` cannot use."""
        return None


@runtime_checkable
class EmbeddingFunction(_ConfigChecks, Protocol[D]):
    """Anything callable on a list of inputs that returns one embedding per input.

    Subclass it (``EmbeddingFunction[Documents]``, as Chroma's docs do) to inherit Chroma's
    defaults for the optional members and its check of what ``__call__`` returns: a subclass's
    result becomes a list of numpy arrays, and an empty or malformed one raises ValueError. A
    function that does not override ``name``/``get_config``/``build_from_config`` is
    persisted as legacy.

    Example:
        >>> class Lengths(EmbeddingFunction):
        ...     def __init__(self):
        ...         pass
        ...     def __call__(self, input):
        ...         return [[float(len(t))] for t in input]
        >>> Lengths().is_legacy(), Lengths().default_space(), Lengths().embed_query(["ab"])
        (True, 'l2', [array([2.], dtype=float32)])
    """

    @abstractmethod
    def __call__(self, input: D) -> Embeddings: ...

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        _check_results(cls, lambda result: validate_embeddings(normalize_embeddings(result)))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            f"The class {type(self).__name__} does not implement __init__. {_NOT_OVERRIDDEN}",
            DeprecationWarning,
            stacklevel=2,
        )

    def embed_query(self, input: D) -> Embeddings:
        """Embeddings for query texts (``query_texts``); the same as ``__call__`` by default."""
        return self(input)

    def embed_with_retries(self, input: D, **retry_kwargs: Any) -> Embeddings:
        """``__call__`` retried with tenacity's ``retry(**retry_kwargs)``, as Chroma's."""
        return cast(Embeddings, _with_retries(self, input, retry_kwargs))

    @staticmethod
    def name() -> str:
        """The name the function is registered and persisted under."""
        warnings.warn(
            f"The EmbeddingFunction class does not implement name(). {_NOT_OVERRIDDEN}",
            DeprecationWarning,
            stacklevel=2,
        )
        return NotImplemented  # type: ignore[no-any-return]

    def get_config(self) -> dict[str, Any]:
        """What :meth:`build_from_config` needs to make this function again."""
        return NotImplemented  # type: ignore[no-any-return]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> EmbeddingFunction[Any]:
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


@runtime_checkable
class SparseEmbeddingFunction(_ConfigChecks, Protocol[D]):
    """A function that returns one :class:`~chromalake.types.SparseVector` per input.

    As Chroma's: a subclass's ``__call__`` result is checked to be a non-empty list of
    ``SparseVector`` (each already checked when it was made), and ``__init__``, ``name``,
    ``get_config`` and ``build_from_config`` must be implemented.
    """

    @abstractmethod
    def __call__(self, input: D) -> SparseVectors: ...

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        _check_results(cls, validate_sparse_vectors)

    @abstractmethod
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

    def embed_query(self, input: D) -> SparseVectors:
        return self(input)

    def embed_with_retries(self, input: D, **retry_kwargs: Any) -> SparseVectors:
        return cast(SparseVectors, _with_retries(self, input, retry_kwargs))

    @staticmethod
    @abstractmethod
    def name() -> str: ...

    @staticmethod
    @abstractmethod
    def build_from_config(config: dict[str, Any]) -> SparseEmbeddingFunction[Any]: ...

    @abstractmethod
    def get_config(self) -> dict[str, Any]: ...


def validate_sparse_vectors(vectors: Any) -> SparseVectors:
    """Chroma's check of a sparse function's result: a non-empty list of SparseVector.

    Example:
        >>> validate_sparse_vectors([])
        Traceback (most recent call last):
        ...
        ValueError: Expected sparse vectors to be a non-empty list, got 0 sparse vectors
    """
    if not isinstance(vectors, list):
        raise ValueError(f"Expected sparse vectors to be a list, got {type(vectors).__name__}")
    if len(vectors) == 0:
        raise ValueError(
            f"Expected sparse vectors to be a non-empty list, got {len(vectors)} sparse vectors"
        )
    for position, vector in enumerate(vectors):
        if not isinstance(vector, SparseVector):
            raise ValueError(
                f"Expected SparseVector instance at position {position}, "
                f"got {type(vector).__name__}"
            )
    return vectors


def _check_call_signature(function: Any, protocol: type[Any], advice: str) -> None:
    """Chroma's check that ``__call__`` takes exactly ``(self, input)``."""
    theirs = signature(type(function).__call__).parameters.keys()
    ours = signature(protocol.__call__).parameters.keys()
    if theirs != ours:
        raise ValueError(
            f"Expected {protocol.__name__}.__call__ to have the following signature: {ours}, "
            f"got {theirs}\n{advice}"
        )


_DOCS = "Please see https://docs.trychroma.com/guides/embeddings for details of the"


def validate_embedding_function(embedding_function: Any) -> None:
    """Refuse a function whose ``__call__`` does not take ``(self, input)``, as Chroma does."""
    _check_call_signature(
        embedding_function, EmbeddingFunction, f"{_DOCS} EmbeddingFunction interface.\n"
    )


def validate_sparse_embedding_function(sparse_vector_function: Any) -> None:
    """The same check for a sparse embedding function."""
    _check_call_signature(
        sparse_vector_function,
        SparseEmbeddingFunction,
        f"{_DOCS} SparseEmbeddingFunction interface.\n",
    )


#: Embedding-function classes by ``name()``, for rebuilding persisted configurations.
known_embedding_functions: dict[str, type[Any]] = {}
_T = TypeVar("_T", bound=type[Any])
#: The module that registers the built-in functions when imported.
_BUILTINS = "chromalake.utils.embedding_functions"


#: Sparse embedding-function classes by ``name()`` (a collection schema's sparse index).
sparse_known_embedding_functions: dict[str, type[Any]] = {}


def _registrar(registry: dict[str, type[Any]], what: str) -> Any:
    def register(ef_class: Any = None) -> Any:
        def add(cls: _T) -> _T:
            try:
                registry[cls.name()] = cls
            except Exception as exc:
                raise ValueError(f"Failed to register {what}: {exc}") from exc
            return cls

        # As Chroma's: ``@register_embedding_function`` and ``@register_embedding_function()``.
        return add if ef_class is None else add(ef_class)

    return register


#: Make a class rebuildable from configurations that name it; a decorator with or without
#: parentheses, or a plain call.
register_embedding_function = _registrar(known_embedding_functions, "embedding function")
register_sparse_embedding_function = _registrar(
    sparse_known_embedding_functions, "sparse embedding function"
)


def config_to_embedding_function(config: dict[str, Any]) -> Any:
    """The function ``{"name": ..., "config": ...}`` names, as chromadb's helper of that name.

    Example:
        >>> config_to_embedding_function({"name": "default"})
        DefaultEmbeddingFunction()
    """
    if "name" not in config:
        raise ValueError("Config must contain a 'name' field.")
    importlib.import_module(_BUILTINS)  # registers the built-in functions
    cls = known_embedding_functions.get(config["name"])
    if cls is None:
        raise ValueError(f"Unsupported embedding function: {config['name']}")
    return cls.build_from_config(config.get("config", {}))


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
    try:
        if is_legacy(ef):
            return {"type": "legacy"}
        name, config = ef.name(), ef.get_config()
    except Exception as exc:
        # As chromadb: a function that cannot be rebuilt from its config (an OpenAI function
        # given its key directly, no key in the environment) is stored as legacy, and the
        # collection still embeds with the object it was given.
        warnings.warn(f"legacy embedding function config: {exc}", DeprecationWarning, stacklevel=2)
        return {"type": "legacy"}
    # As chromadb: a function stored by name can be rebuilt in this process even if its class
    # was never registered. Unlike chromadb, a name already known keeps its class (a chromadb
    # function stored here does not replace chromalake's function of that name).
    importlib.import_module(_BUILTINS)
    known_embedding_functions.setdefault(name, type(ef))
    return {"type": "known", "name": name, "config": config}


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


def sparse_embedding_function_from_config(entry: dict[str, Any] | None) -> Any:
    """The sparse function a schema's sparse index names (None for none, ``unknown`` or one
    this process cannot build, as chromadb's schema reader leaves it).

    Example:
        >>> sparse_embedding_function_from_config({"type": "unknown"}) is None
        True
    """
    if not entry or entry.get("type") != "known":
        return None
    importlib.import_module(_BUILTINS)  # registers the built-in functions
    cls = sparse_known_embedding_functions.get(str(entry.get("name")))
    if cls is None:
        return None
    try:
        return cls.build_from_config(entry.get("config") or {})
    except Exception:
        return None


def embed(ef: Any, inputs: list[Any], query: bool = False) -> Embeddings:
    """Call ``ef`` (its ``embed_query`` for queries, when it has one) as float32 vectors."""
    call = getattr(ef, "embed_query", None) if query else None
    raw = (call or ef)(inputs)
    return [np.asarray(e, dtype=np.float32) for e in raw]
