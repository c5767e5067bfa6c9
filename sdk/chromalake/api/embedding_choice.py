"""Which embedding function a collection uses, and chromadb's checks that two do not conflict.

chromadb's client passes ``DefaultEmbeddingFunction()`` when the caller names no function; a
collection then embeds with, in order: a function passed in that is not the default one, the
function its ``configuration_json`` names, the one its schema names, the passed default.
"""

from __future__ import annotations

import warnings
from typing import Any

from chromalake.embeddings import embedding_function_from_config, is_legacy
from chromalake.utils.embedding_functions import DefaultEmbeddingFunction

#: The default argument of the client's collection methods, as chromadb's.
DEFAULT_EMBEDDING_FUNCTION = DefaultEmbeddingFunction()


def _name(ef: Any) -> Any:
    try:
        return ef.name()
    except (AttributeError, TypeError):
        return NotImplemented


def check_conflict_on_create(embedding_function: Any, configuration_ef: Any) -> None:
    """chromadb's refusal of a function argument unlike the configuration's function.

    Example:
        >>> from chromalake.utils.embedding_functions import ONNXMiniLM_L6_V2
        >>> check_conflict_on_create(ONNXMiniLM_L6_V2(), DefaultEmbeddingFunction())
        Traceback (most recent call last):
        ...
        ValueError: Multiple embedding functions provided. Please provide only one. Embedding function conflict: onnx_mini_lm_l6_v2 vs default
    """  # noqa: E501
    if embedding_function is None or configuration_ef is None:
        return
    name = _name(embedding_function)
    if name != "default" and name != _name(configuration_ef):
        raise ValueError(
            "Multiple embedding functions provided. Please provide only one. "
            f"Embedding function conflict: {name} vs {_name(configuration_ef)}"
        )


def check_conflict_on_get(embedding_function: Any, persisted: dict[str, Any] | None) -> None:
    """chromadb's refusal of a function unlike the one the collection was created with.

    Example:
        >>> from chromalake.utils.embedding_functions import ONNXMiniLM_L6_V2
        >>> check_conflict_on_get(ONNXMiniLM_L6_V2(), {"type": "known", "name": "default"})
        Traceback (most recent call last):
        ...
        ValueError: An embedding function already exists in the collection configuration, and a new one is provided. If this is intentional, please embed documents separately. Embedding function conflict: new: onnx_mini_lm_l6_v2 vs persisted: default
    """  # noqa: E501
    if persisted is None or embedding_function is None:
        return
    name, stored = _name(embedding_function), persisted.get("name")
    if name != "default" and stored is not None and stored != name:
        raise ValueError(
            "An embedding function already exists in the collection configuration, and a new "
            "one is provided. If this is intentional, please embed documents separately. "
            f"Embedding function conflict: new: {name} vs persisted: {stored}"
        )


def _warn_unsupported(space: Any, ef: Any) -> None:
    if space is not None and space not in ef.supported_spaces():
        warnings.warn(
            f"space {space} is not supported by {ef.name()}. "
            f"Supported spaces: {ef.supported_spaces()}",
            UserWarning,
            stacklevel=4,
        )


def _stored_as_legacy(ef: Any) -> bool:
    """Legacy, or unable to say (it is then stored as legacy, with chromadb's warning, by
    :func:`~chromalake.embeddings.embedding_function_config`): no default space either way."""
    try:
        return is_legacy(ef)
    except Exception:
        return True


def with_default_space(
    configuration: dict[str, Any], metadata: dict[str, Any] | None, ef: Any
) -> dict[str, Any]:
    """The configuration with the function's ``default_space`` where it names no space.

    As chromadb: a space from the configuration or from ``hnsw:space`` metadata wins; a space
    the function does not support is kept, with a warning.

    Example:
        >>> from chromalake.utils.embedding_functions import ONNXMiniLM_L6_V2
        >>> with_default_space({}, None, ONNXMiniLM_L6_V2())["hnsw"]
        {'space': 'cosine'}
        >>> with_default_space({}, {"hnsw:space": "ip"}, ONNXMiniLM_L6_V2())
        {}
    """
    if ef is None or _stored_as_legacy(ef):
        return configuration
    config = dict(configuration)
    hnsw, spann = config.get("hnsw"), config.get("spann")
    if hnsw is None and spann is None:
        if (metadata or {}).get("hnsw:space") is None:
            config["hnsw"] = {"space": ef.default_space()}
        else:
            _warn_unsupported(metadata["hnsw:space"], ef)  # type: ignore[index]
    for key in ("hnsw", "spann"):
        if config.get(key) is not None:
            config[key] = {"space": ef.default_space(), **config[key]}
            _warn_unsupported(config[key]["space"], ef)
    return config


def schema_embedding_function(schema: dict[str, Any] | None) -> dict[str, Any] | None:
    """The function entry a schema's ``#embedding`` key (else its defaults) names."""
    for scope in (
        ((schema or {}).get("keys") or {}).get("#embedding"),
        (schema or {}).get("defaults"),
    ):
        config = ((scope or {}).get("float_list") or {}).get("vector_index", {}).get("config", {})
        if config.get("embedding_function") is not None:
            return dict(config["embedding_function"])
    return None


def has_embedding_function(
    passed: Any, configuration: dict[str, Any], schema: dict[str, Any] | None
) -> bool:
    """Whether :func:`resolve` can find a function (without building one)."""
    stored = [configuration.get("embedding_function"), schema_embedding_function(schema)]
    return passed is not None or any((e or {}).get("type") == "known" for e in stored)


def resolve(passed: Any, configuration: dict[str, Any], schema: dict[str, Any] | None) -> Any:
    """The function a collection embeds with, in chromadb's order (None: there is none)."""
    if passed is not None and not isinstance(passed, DefaultEmbeddingFunction):
        return passed
    for entry in (configuration.get("embedding_function"), schema_embedding_function(schema)):
        ef = embedding_function_from_config(entry)
        if ef is not None:
            return ef
    return passed
