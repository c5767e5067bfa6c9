"""What chromadb's embedding functions share, written once: the lazy import of a provider's
package with chromadb's "pip install" advice, the API-key lookup through ``api_key_env_var``,
the check of a persisted config against the function's schema, and a base class that turns a
declared list of config fields into ``get_config``, ``build_from_config``, ``validate_config``
and ``validate_config_update``.
"""

from __future__ import annotations

import base64
import importlib
import io
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

import numpy as np
import numpy.typing as npt

from chromalake.embeddings import EmbeddingFunction, SparseEmbeddingFunction
from chromalake.types import Embeddable

D = TypeVar("D", bound=Embeddable, contravariant=True)

DIRECT_API_KEY_WARNING = (
    "Direct api_key configuration will not be persisted. "
    "Please use environment variables via api_key_env_var for persistent storage."
)


def require(module: str, package: str, label: str | None = None, note: str = "") -> Any:
    """Import ``module`` now (not at ``import chromalake``), or raise chromadb's advice.

    Example:
        >>> require("no_such_sdk", "no-such-sdk")
        Traceback (most recent call last):
        ...
        ValueError: The no-such-sdk python package is not installed. Please install it with `pip install no-such-sdk`
    """  # noqa: E501
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ValueError(
            f"The {label or package} python package is not installed. "
            f"Please install it with `pip install {package}`{note}"
        ) from exc


def resolve_api_key(
    given: str | None,
    env_var: str,
    provider_env_var: str | None = None,
    *,
    warn: bool = True,
    missing: str = "The {env_var} environment variable is not set.",
) -> tuple[str, str]:
    """The environment variable a function persists and the key it uses, as chromadb finds them.

    A key passed directly is used but never persisted (with chromadb's DeprecationWarning);
    the provider's own variable (``OPENAI_API_KEY``...), when set, replaces ``env_var``.
    ``missing`` words the error, ``{env_var}`` standing for the variable that was read.

    Example:
        >>> resolve_api_key(None, "MY_KEY")
        Traceback (most recent call last):
        ...
        ValueError: The MY_KEY environment variable is not set.
    """
    if given is not None and warn:
        warnings.warn(DIRECT_API_KEY_WARNING, DeprecationWarning, stacklevel=3)
    if provider_env_var is not None and os.getenv(provider_env_var) is not None:
        env_var = provider_env_var
    key = given or os.getenv(env_var)
    if not key:
        raise ValueError(missing.format(env_var=env_var))
    return env_var, key


def float32(vectors: Sequence[Any]) -> list[npt.NDArray[np.float32]]:
    """One float32 array per vector (what chromadb's functions return)."""
    return [np.array(v, dtype=np.float32) for v in vectors]


def is_document(item: Any) -> bool:
    return isinstance(item, str)


def is_image(item: Any) -> bool:
    return isinstance(item, np.ndarray)


def image_base64(image: Any, image_format: str = "PNG") -> str:
    """A numpy image as base64 bytes of ``image_format``, through Pillow (as chromadb)."""
    pil = require("PIL.Image", "pillow", label="PIL")
    try:
        buffer = io.BytesIO()
        pil.fromarray(image).save(buffer, format=image_format)
        return base64.b64encode(buffer.getvalue()).decode("utf-8")
    except Exception as exc:
        raise ValueError(f"Failed to convert image numpy array to base64 data URI: {exc}") from exc


def check_primitive_kwargs(kwargs: dict[str, Any]) -> None:
    """chromadb persists ``**kwargs`` in the config, so it takes JSON-like values only."""
    for key, value in kwargs.items():
        if not isinstance(value, (str, int, float, bool, list, dict, tuple)):
            raise ValueError(f"Keyword argument {key} is not a primitive type")


# -- config schemas -------------------------------------------------------------------------


class ConfigValidationError(ValueError):
    """A persisted config that does not match its function's schema (chromadb raises
    jsonschema's ``ValidationError`` with the same message)."""


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list, tuple),
    "null": (type(None),),
}


def _is_json_type(value: Any, json_type: str) -> bool:
    if isinstance(value, bool) and json_type in ("integer", "number"):
        return False
    return isinstance(value, _JSON_TYPES[json_type])


@dataclass(frozen=True)
class ConfigSchema:
    """A function's config schema, as chromadb's JSON schemas state it.

    Example:
        >>> schema = ConfigSchema("demo", {"model_name": ("string",)}, required=("model_name",))
        >>> schema.validate({"model_name": 3})
        Traceback (most recent call last):
        ...
        chromalake.utils.embedding_functions.support.ConfigValidationError: Config validation failed for schema 'demo': 3 is not of type 'string' at path 'model_name'
    """  # noqa: E501

    name: str
    properties: dict[str, tuple[str, ...]]
    required: tuple[str, ...] = ()
    additional: bool = False

    def validate(self, config: dict[str, Any]) -> None:
        problem, path = self._problem(config)
        if problem is not None:
            message = f"Config validation failed for schema '{self.name}': {problem}"
            raise ConfigValidationError(message + (f" at path '{path}'" if path else ""))

    def _problem(self, config: dict[str, Any]) -> tuple[str | None, str]:
        if not isinstance(config, dict):
            return f"{config!r} is not of type 'object'", ""
        for key in self.required:
            if key not in config:
                return f"'{key}' is a required property", ""
        unexpected = [k for k in config if k not in self.properties]
        if unexpected and not self.additional:
            listed = ", ".join(repr(k) for k in unexpected)
            verb = "was" if len(unexpected) == 1 else "were"
            return f"Additional properties are not allowed ({listed} {verb} unexpected)", ""
        for key, types in self.properties.items():
            if key in config and not any(_is_json_type(config[key], t) for t in types):
                names = ", ".join(f"'{t}'" for t in types)
                return f"{config[key]!r} is not of type {names}", key
        return None, ""


#: The config of most hosted providers' functions: a model and the variable holding the key.
MODEL_AND_KEY: dict[str, tuple[str, ...]] = {
    "model_name": ("string",),
    "api_key_env_var": ("string",),
}


# -- the base class -------------------------------------------------------------------------


def _label(key: str) -> str:
    """How chromadb's messages name a config key ("model_name" -> "model name")."""
    return {"project_id": "project ID"}.get(key, key.replace("_", " "))


class Configured:
    """The config members of a function whose config is the fields its ``schema`` lists.

    ``get_config`` returns those attributes, ``build_from_config`` passes the config back to
    the constructor (a missing required key fails), ``validate_config`` checks the schema and
    ``validate_config_update`` refuses a change of an ``immutable`` key, with chromadb's words.
    """

    schema: ClassVar[ConfigSchema]
    immutable: ClassVar[tuple[str, ...]] = ("model_name",)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()!r})"

    def get_config(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.schema.properties}

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> Self:
        for key in cls.schema.required:
            if config.get(key) is None and key in cls.constructor_keys():
                raise ValueError(f"Missing '{key}' in configuration for {cls.__name__}")
        kwargs = {k: config[k] for k in cls.constructor_keys() if k in config}
        if "kwargs" in cls.schema.properties:
            kwargs.update(config.get("kwargs") or {})
        return cls(**kwargs)

    @classmethod
    def constructor_keys(cls) -> tuple[str, ...]:
        """The config keys the constructor takes by name (``kwargs`` is spread instead)."""
        return tuple(k for k in cls.schema.properties if k != "kwargs")

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        for key in self.immutable:
            if key in new_config:
                raise ValueError(
                    f"The {_label(key)} cannot be changed after the embedding function has been "
                    "initialized."
                )

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        cls.schema.validate(config)


class ConfiguredEmbeddingFunction(Configured, EmbeddingFunction[D]):
    """A dense embedding function with :class:`Configured`'s config members; its collections
    default to the cosine space, as those of almost every chromadb function do."""

    def default_space(self) -> str:
        return "cosine"


class ConfiguredSparseEmbeddingFunction(Configured, SparseEmbeddingFunction[D]):
    """A sparse embedding function with :class:`Configured`'s config members."""
