"""chromadb's ``Schema`` and index-config classes: a collection's indexes, built by the client.

The names, constructors, checks and JSON are chromadb 1.5.9's, so code written for chromadb
(``from chromadb import Schema, VectorIndexConfig``) runs unchanged on ``import chromalake as
chromadb``, and a schema built with either package means the same to either server. What the
server does with a schema (defaults, validation, reconciliation with the configuration) is in
:mod:`chromalake.schema_rules`.

Example:
    >>> schema = Schema().create_index(config=VectorIndexConfig(space="cosine"))
    >>> schema.keys["#embedding"].float_list.vector_index.config.space
    'cosine'
    >>> json = schema.serialize_to_json()
    >>> Schema.deserialize_from_json(json).serialize_to_json() == json
    True
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from chromalake.embeddings import (
    is_legacy,
    known_embedding_functions,
    sparse_known_embedding_functions,
    validate_embedding_function,
    validate_sparse_embedding_function,
)
from chromalake.utils.embedding_functions.default import DefaultEmbeddingFunction

DOCUMENT_KEY = "#document"
EMBEDDING_KEY = "#embedding"
Space = Literal["cosine", "l2", "ip"]


def _only(allowed: tuple[str, ...]) -> Any:
    """A check that names the fields a config does not have (chromadb's wording)."""

    @model_validator(mode="before")  # pydantic makes it a classmethod (its first arg: cls)
    def check(cls: type[BaseModel], data: Any) -> Any:
        if isinstance(data, dict):
            unknown = [k for k in data if k not in allowed]
            if len(unknown) == 1:
                message = f"'{unknown[0]}' is not a valid field for {cls.__name__}. "
            else:
                listed = ", ".join(f"'{k}'" for k in unknown)
                message = f"Invalid fields for {cls.__name__}: {listed}. "
            if unknown:
                raise PydanticCustomError("invalid_field", message, {"invalid_fields": unknown})
        return data

    return check


def _source_key(value: Any) -> str | None:
    """A source key as text (a ``Key`` gives its name); only ``#document`` may start with #."""
    if value is None:
        return None
    name = getattr(value, "name", value) if type(value).__name__ == "Key" else value
    if not isinstance(name, str):
        raise ValueError(f"source_key must be str or Key, got {type(value).__name__}")
    if name.startswith("#") and name != DOCUMENT_KEY:
        raise ValueError(
            "source_key cannot begin with '#'. "
            "The only valid key starting with '#' is Key.DOCUMENT or '#document'."
        )
    return name


class FtsIndexConfig(BaseModel):
    """Full-text search over ``#document`` (no parameters)."""

    model_config = ConfigDict(extra="forbid")


class StringInvertedIndexConfig(BaseModel):
    """The index ``where`` filters on a string metadata key use."""

    model_config = ConfigDict(extra="forbid")


class IntInvertedIndexConfig(BaseModel):
    """The index ``where`` filters on an int metadata key use."""

    model_config = ConfigDict(extra="forbid")


class FloatInvertedIndexConfig(BaseModel):
    """The index ``where`` filters on a float metadata key use."""

    model_config = ConfigDict(extra="forbid")


class BoolInvertedIndexConfig(BaseModel):
    """The index ``where`` filters on a bool metadata key use."""

    model_config = ConfigDict(extra="forbid")


class HnswIndexConfig(BaseModel):
    """HNSW parameters of the vector index (absent: the server's defaults)."""

    _check_fields = _only(
        (
            "ef_construction",
            "max_neighbors",
            "ef_search",
            "num_threads",
            "batch_size",
            "sync_threshold",
            "resize_factor",
        )
    )
    ef_construction: int | None = None
    max_neighbors: int | None = None
    ef_search: int | None = None
    num_threads: int | None = None
    batch_size: int | None = None
    sync_threshold: int | None = None
    resize_factor: float | None = None


class SpannIndexConfig(BaseModel):
    """SPANN parameters (Chroma's distributed index; a single node uses HNSW instead)."""

    _check_fields = _only(
        (
            "search_nprobe",
            "search_rng_factor",
            "search_rng_epsilon",
            "nreplica_count",
            "write_nprobe",
            "write_rng_factor",
            "write_rng_epsilon",
            "split_threshold",
            "num_samples_kmeans",
            "initial_lambda",
            "reassign_neighbor_count",
            "merge_threshold",
            "num_centers_to_merge_to",
            "ef_construction",
            "ef_search",
            "max_neighbors",
            "center_drift_threshold",
            "quantize",
        )
    )
    search_nprobe: int | None = None
    write_nprobe: int | None = None
    ef_construction: int | None = None
    ef_search: int | None = None
    max_neighbors: int | None = None
    reassign_neighbor_count: int | None = None
    split_threshold: int | None = None
    merge_threshold: int | None = None


class VectorIndexConfig(BaseModel):
    """The dense vector index: its space, embedding function and algorithm parameters."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    space: Space | None = None
    embedding_function: Any | None = DefaultEmbeddingFunction()
    source_key: str | None = None
    hnsw: HnswIndexConfig | None = None
    spann: SpannIndexConfig | None = None

    @field_validator("source_key", mode="before")
    @classmethod
    def _source(cls, value: Any) -> str | None:
        return _source_key(value)

    @field_validator("embedding_function", mode="before")
    @classmethod
    def _function(cls, value: Any) -> Any:
        if value is None:
            return None
        if not callable(value):
            raise ValueError("embedding_function must be callable or None")
        validate_embedding_function(value)
        return value


class SparseVectorIndexConfig(BaseModel):
    """A sparse vector index on one metadata key, filled from ``source_key`` by its function."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    _check_fields = _only(("embedding_function", "source_key", "bm25", "algorithm"))
    embedding_function: Any | None = None
    source_key: str | None = None
    bm25: bool | None = None

    @field_validator("source_key", mode="before")
    @classmethod
    def _source(cls, value: Any) -> str | None:
        return _source_key(value)

    @field_validator("embedding_function", mode="before")
    @classmethod
    def _function(cls, value: Any) -> Any:
        if value is None:
            return None
        if not callable(value):
            raise ValueError(
                "embedding_function must be a callable SparseEmbeddingFunction or None"
            )
        validate_sparse_embedding_function(value)
        return value


IndexConfig: TypeAlias = (
    FtsIndexConfig
    | VectorIndexConfig
    | SparseVectorIndexConfig
    | StringInvertedIndexConfig
    | IntInvertedIndexConfig
    | FloatInvertedIndexConfig
    | BoolInvertedIndexConfig
)


@dataclass
class FtsIndexType:
    enabled: bool
    config: FtsIndexConfig


@dataclass
class VectorIndexType:
    enabled: bool
    config: VectorIndexConfig


@dataclass
class SparseVectorIndexType:
    enabled: bool
    config: SparseVectorIndexConfig


@dataclass
class StringInvertedIndexType:
    enabled: bool
    config: StringInvertedIndexConfig


@dataclass
class IntInvertedIndexType:
    enabled: bool
    config: IntInvertedIndexConfig


@dataclass
class FloatInvertedIndexType:
    enabled: bool
    config: FloatInvertedIndexConfig


@dataclass
class BoolInvertedIndexType:
    enabled: bool
    config: BoolInvertedIndexConfig


@dataclass
class StringValueType:
    fts_index: FtsIndexType | None = None
    string_inverted_index: StringInvertedIndexType | None = None


@dataclass
class FloatListValueType:
    vector_index: VectorIndexType | None = None


@dataclass
class SparseVectorValueType:
    sparse_vector_index: SparseVectorIndexType | None = None


@dataclass
class IntValueType:
    int_inverted_index: IntInvertedIndexType | None = None


@dataclass
class FloatValueType:
    float_inverted_index: FloatInvertedIndexType | None = None


@dataclass
class BoolValueType:
    bool_inverted_index: BoolInvertedIndexType | None = None


@dataclass
class ValueTypes:
    """The indexes of one key (or of every key, as the defaults), by value type."""

    string: StringValueType | None = None
    float_list: FloatListValueType | None = None
    sparse_vector: SparseVectorValueType | None = None
    int_value: IntValueType | None = None
    float_value: FloatValueType | None = None
    boolean: BoolValueType | None = None


@dataclass(frozen=True)
class _Slot:
    """Where one kind of index lives: ValueTypes attribute, its class, the index attribute
    and class, and the JSON names of both."""

    attr: str
    value_class: type[Any]
    index: str
    index_class: type[Any]
    json_type: str


_SLOTS: dict[type[BaseModel], _Slot] = {
    FtsIndexConfig: _Slot("string", StringValueType, "fts_index", FtsIndexType, "string"),
    StringInvertedIndexConfig: _Slot(
        "string", StringValueType, "string_inverted_index", StringInvertedIndexType, "string"
    ),
    VectorIndexConfig: _Slot(
        "float_list", FloatListValueType, "vector_index", VectorIndexType, "float_list"
    ),
    SparseVectorIndexConfig: _Slot(
        "sparse_vector",
        SparseVectorValueType,
        "sparse_vector_index",
        SparseVectorIndexType,
        "sparse_vector",
    ),
    IntInvertedIndexConfig: _Slot(
        "int_value", IntValueType, "int_inverted_index", IntInvertedIndexType, "int"
    ),
    FloatInvertedIndexConfig: _Slot(
        "float_value", FloatValueType, "float_inverted_index", FloatInvertedIndexType, "float"
    ),
    BoolInvertedIndexConfig: _Slot(
        "boolean", BoolValueType, "bool_inverted_index", BoolInvertedIndexType, "bool"
    ),
}


def _put(value_types: ValueTypes, config: BaseModel, enabled: bool) -> None:
    slot = _SLOTS[type(config)]
    holder = getattr(value_types, slot.attr)
    if holder is None:
        holder = slot.value_class()
        setattr(value_types, slot.attr, holder)
    setattr(holder, slot.index, slot.index_class(enabled=enabled, config=config))


def _all_indexes(enabled: bool) -> ValueTypes:
    value_types = ValueTypes()
    for config_class in _SLOTS:
        _put(value_types, config_class(), enabled)
    return value_types


def _vector_index(value_types: ValueTypes) -> VectorIndexType:
    index = (value_types.float_list or FloatListValueType()).vector_index
    if index is None:
        raise ValueError("Schema is missing its vector index")
    return index


def _key_name(key: Any) -> Any:
    return key.name if type(key).__name__ == "Key" else key


# -- JSON ---------------------------------------------------------------------------------------


def _function_entry(ef: Any) -> dict[str, Any]:
    if hasattr(ef, "validate_config"):
        ef.validate_config(ef.get_config())
    return {"name": ef.name(), "type": "known", "config": ef.get_config()}


def _vector_json(config: VectorIndexConfig) -> dict[str, Any]:
    out = config.model_dump(exclude_none=True, exclude={"embedding_function"})
    ef = config.embedding_function
    if ef is None:
        out["embedding_function"] = {"type": "legacy"}
        return out
    try:
        if is_legacy(ef):
            out["embedding_function"] = {"type": "legacy"}
            return out
        out["embedding_function"] = _function_entry(ef)
        if config.space is None:
            out["space"] = ef.default_space()
        elif config.space not in ef.supported_spaces():
            warnings.warn(
                f"space {config.space} is not supported by {ef.name()}. "
                f"Supported spaces: {ef.supported_spaces()}",
                UserWarning,
                stacklevel=4,
            )
    except Exception:
        out["embedding_function"] = {"type": "legacy"}  # as chromadb: unbuildable is legacy
    return out


def _sparse_json(config: SparseVectorIndexConfig) -> dict[str, Any]:
    out = config.model_dump(exclude_none=True, exclude={"embedding_function"})
    ef = config.embedding_function
    out["embedding_function"] = {"type": "unknown"} if ef is None else _function_entry(ef)
    return out


def _config_json(config: BaseModel) -> dict[str, Any]:
    if isinstance(config, VectorIndexConfig):
        return _vector_json(config)
    if isinstance(config, SparseVectorIndexConfig):
        return _sparse_json(config)
    return config.model_dump(exclude_none=True)


def _value_types_json(value_types: ValueTypes) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for slot in _SLOTS.values():
        holder = getattr(value_types, slot.attr)
        if holder is None:
            continue  # an absent value type is left out; a present one shows even if empty
        entry = out.setdefault(slot.json_type, {})
        index = getattr(holder, slot.index)
        if index is not None:
            entry[slot.index] = {"enabled": index.enabled, "config": _config_json(index.config)}
    return out


def _rebuilt(entry: dict[str, Any], registry: dict[str, type[Any]], what: str) -> Any:
    """The function an entry names, or None with chromadb's warning when it cannot be built."""
    try:
        import chromalake.utils.embedding_functions  # noqa: F401 - registers the built-ins

        return registry[entry["name"]].build_from_config(entry["config"])
    except Exception as exc:
        warnings.warn(
            f"Could not reconstruct {what} {entry.get('name', 'unknown')}: {exc}. Setting to None.",
            UserWarning,
            stacklevel=4,
        )
        return None


def _vector_from_json(data: dict[str, Any]) -> VectorIndexConfig:
    data = dict(data)
    entry = data.get("embedding_function")
    if entry is not None:
        if entry.get("type") == "legacy":
            data["embedding_function"] = None
        else:
            ef = _rebuilt(entry, known_embedding_functions, "embedding function")
            data["embedding_function"] = ef
            if ef is not None and data.get("space") is None:
                data["space"] = ef.default_space()
    return VectorIndexConfig(**data)


def _sparse_from_json(data: dict[str, Any]) -> SparseVectorIndexConfig:
    data = dict(data)
    entry = data.get("embedding_function")
    if entry is not None:
        if entry.get("type") in ("unknown", "legacy"):
            data["embedding_function"] = None
        else:
            data["embedding_function"] = _rebuilt(
                entry, sparse_known_embedding_functions, "sparse embedding function"
            )
    return SparseVectorIndexConfig(**data)


def _value_types_from_json(data: dict[str, Any]) -> ValueTypes:
    value_types = ValueTypes()
    for config_class, slot in _SLOTS.items():
        if slot.json_type not in data:
            continue
        if getattr(value_types, slot.attr) is None:
            setattr(value_types, slot.attr, slot.value_class())
        index = (data[slot.json_type] or {}).get(slot.index)
        if index is None:
            continue
        raw = index.get("config", {})
        if config_class is VectorIndexConfig:
            config: BaseModel = _vector_from_json(raw)
        elif config_class is SparseVectorIndexConfig:
            config = _sparse_from_json(raw)
        else:
            config = config_class(**raw)
        _put(value_types, config, index.get("enabled", True))
    return value_types


# -- customer-managed encryption keys (Schema.cmek) ---------------------------------------------


class CmekProvider(str, Enum):  # noqa: UP042 - chromadb's class is a str Enum, not StrEnum
    """Cloud providers of customer-managed encryption keys (GCP only, as in Chroma)."""

    GCP = "gcp"


_CMEK_GCP_PATTERN = re.compile(r"^projects/.+/locations/.+/keyRings/.+/cryptoKeys/.+$")


@dataclass
class Cmek:
    """A customer-managed encryption key for a collection's data, as Chroma Cloud names it.

    Example:
        >>> key = Cmek.gcp("projects/p/locations/l/keyRings/r/cryptoKeys/k")
        >>> key.validate_pattern(), key.to_dict()
        (True, {'gcp': 'projects/p/locations/l/keyRings/r/cryptoKeys/k'})
        >>> Cmek.gcp("nope").validate_pattern()
        False
    """

    provider: CmekProvider
    resource: str

    @classmethod
    def gcp(cls, resource: str) -> Cmek:
        return cls(provider=CmekProvider.GCP, resource=resource)

    def validate_pattern(self) -> bool:
        """Whether the resource name has the provider's format (the key is not looked up)."""
        return self.provider == CmekProvider.GCP and bool(_CMEK_GCP_PATTERN.match(self.resource))

    def to_dict(self) -> dict[str, Any]:
        if self.provider == CmekProvider.GCP:
            return {"gcp": self.resource}
        raise ValueError(f"Unknown CMEK provider: {self.provider}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cmek:
        if "gcp" in data:
            if not isinstance(data["gcp"], str):
                raise ValueError(f"CMEK gcp resource must be a string, got: {type(data['gcp'])}")
            return cls.gcp(data["gcp"])
        raise ValueError(f"Unsupported or missing CMEK provider in data: {data}")


# -- the schema -----------------------------------------------------------------------------------


@dataclass
class Schema:
    """A collection's indexes: defaults for every key, and overrides for named keys.

    Example:
        >>> schema = Schema().delete_index(config=StringInvertedIndexConfig(), key="notes")
        >>> schema.keys["notes"].string.string_inverted_index.enabled
        False
    """

    defaults: ValueTypes = field(default_factory=ValueTypes)
    keys: dict[str, ValueTypes] = field(default_factory=dict)
    cmek: Any = None

    def __init__(self) -> None:
        self.defaults = _all_indexes(True)
        self.cmek = None
        for config_class in (FtsIndexConfig, VectorIndexConfig, SparseVectorIndexConfig):
            _put(self.defaults, config_class(), False)
        document = ValueTypes()
        _put(document, FtsIndexConfig(), True)
        _put(document, StringInvertedIndexConfig(), False)
        embedding = ValueTypes()
        _put(embedding, VectorIndexConfig(source_key=DOCUMENT_KEY), True)
        self.keys = {DOCUMENT_KEY: document, EMBEDDING_KEY: embedding}

    def create_index(self, config: IndexConfig | None = None, key: Any = None) -> Schema:
        """Enable an index: on every key (``key=None``) or on one key.

        Example:
            >>> Schema().create_index(config=IntInvertedIndexConfig(), key="year").keys["year"]
            ValueTypes(string=None, float_list=None, sparse_vector=None, int_value=IntValueType(int_inverted_index=IntInvertedIndexType(enabled=True, config=IntInvertedIndexConfig())), float_value=None, boolean=None)
        """  # noqa: E501
        key = _key_name(key)
        if config is None and key is None:
            raise ValueError(
                "Cannot enable all index types globally. Must specify either config or key."
            )
        if key == EMBEDDING_KEY:
            raise ValueError(
                f"Cannot create index on special key '{key}'. This key is managed automatically "
                "by the system. Invoke create_index(VectorIndexConfig(...)) without specifying "
                "a key to configure the vector index globally."
            )
        if key == DOCUMENT_KEY and not isinstance(config, FtsIndexConfig):
            raise ValueError(
                f"Cannot create index on special key '{key}' with this config. "
                "Only FtsIndexConfig is allowed for #document."
            )
        if key is not None and key.startswith("#") and key != DOCUMENT_KEY:
            raise ValueError(
                "key cannot begin with '#'. Keys starting with '#' are reserved for system use."
            )
        if isinstance(config, VectorIndexConfig):
            if key is not None:
                raise ValueError(
                    "Vector index cannot be enabled on specific keys. Use "
                    "create_index(config=VectorIndexConfig(...)) without specifying a key to "
                    "configure the vector index globally."
                )
            self._set_vector_config(config)
            return self
        if isinstance(config, FtsIndexConfig) and key != DOCUMENT_KEY:
            raise ValueError(
                "FTS index can only be enabled on #document key. "
                "Use create_index(config=FtsIndexConfig(), key='#document')"
            )
        if isinstance(config, SparseVectorIndexConfig) and key is None:
            raise ValueError(
                "Sparse vector index must be created on a specific key. Please specify a key "
                "using: create_index(config=SparseVectorIndexConfig(...), key='your_key')"
            )
        if config is None:
            raise ValueError(
                f"Cannot enable all index types for key '{key}'. "
                "Please specify a specific index configuration."
            )
        if key is None:
            _put(self.defaults, config, True)
            return self
        if isinstance(config, SparseVectorIndexConfig):
            self._check_sparse(key, config)
        _put(self.keys.setdefault(key, ValueTypes()), config, True)
        return self

    def delete_index(self, config: IndexConfig | None = None, key: Any = None) -> Schema:
        """Disable an index: on every key (``key=None``) or on one key.

        Example:
            >>> schema = Schema().delete_index(config=FtsIndexConfig(), key="#document")
            >>> schema.keys["#document"].string.fts_index.enabled
            False
        """
        key = _key_name(key)
        if config is None and key is None:
            raise ValueError("Cannot disable all indexes. Must specify either config or key.")
        if key == EMBEDDING_KEY:
            raise ValueError("Cannot modify #embedding. Currently not supported")
        if key == DOCUMENT_KEY and not isinstance(config, FtsIndexConfig):
            raise ValueError(
                f"Cannot delete index on special key '{key}' with this config. "
                "Only FtsIndexConfig is allowed for #document."
            )
        if key is not None and key.startswith("#") and key != DOCUMENT_KEY:
            raise ValueError(
                "key cannot begin with '#'. Keys starting with '#' are reserved for system use."
            )
        if isinstance(config, VectorIndexConfig):
            raise ValueError("Deleting vector index is not currently supported.")
        if isinstance(config, SparseVectorIndexConfig):
            raise ValueError("Deleting sparse vector index is not currently supported.")
        if isinstance(config, FtsIndexConfig) and key != DOCUMENT_KEY:
            raise ValueError("Deleting FTS index is only supported on #document key.")
        if config is None:
            raise ValueError(
                f"Cannot disable all index types for key '{key}'. "
                "Please specify a specific index configuration."
            )
        target = self.defaults if key is None else self.keys.setdefault(key, ValueTypes())
        _put(target, config, False)
        return self

    def set_cmek(self, cmek: Any) -> Schema:
        """Set (or, with None, remove) the customer-managed encryption key."""
        self.cmek = cmek
        return self

    def _set_vector_config(self, config: VectorIndexConfig) -> None:
        """The vector index's config, in the defaults and on ``#embedding`` (its source key
        and both enabled flags kept)."""
        defaults = _vector_index(self.defaults)
        _put(self.defaults, config, defaults.enabled)
        embedding = _vector_index(self.keys[EMBEDDING_KEY])
        own = VectorIndexConfig(
            space=config.space,
            embedding_function=config.embedding_function,
            hnsw=config.hnsw,
            spann=config.spann,
            source_key=embedding.config.source_key,
        )
        _put(self.keys[EMBEDDING_KEY], own, embedding.enabled)

    def _check_sparse(self, key: str, config: SparseVectorIndexConfig) -> None:
        for other, value_types in self.keys.items():
            index = (value_types.sparse_vector or SparseVectorValueType()).sparse_vector_index
            if other != key and index is not None and index.enabled:
                raise ValueError(
                    f"Cannot enable sparse vector index on key '{key}'. A sparse vector index "
                    f"is already enabled on key '{other}'. Only one sparse vector index is "
                    "allowed per collection."
                )
        if config.source_key is not None and config.embedding_function is None:
            raise ValueError(
                "If source_key is provided then embedding_function must also be provided "
                f"since there is no default embedding function. Config: {config}"
            )

    def serialize_to_json(self) -> dict[str, Any]:
        """The schema as the JSON the API carries.

        Example:
            >>> Schema().serialize_to_json()["keys"]["#document"]["string"]["fts_index"]
            {'enabled': True, 'config': {}}
        """
        result: dict[str, Any] = {
            "defaults": _value_types_json(self.defaults),
            "keys": {k: _value_types_json(v) for k, v in self.keys.items()},
        }
        if self.cmek is not None:
            result["cmek"] = self.cmek.to_dict()
        return result

    @classmethod
    def deserialize_from_json(cls, json_data: dict[str, Any]) -> Schema:
        """A schema from the API's JSON (embedding functions rebuilt from their configs)."""
        schema = cls.__new__(cls)
        schema.defaults = _value_types_from_json(json_data.get("defaults", {}))
        schema.keys = {k: _value_types_from_json(v) for k, v in json_data.get("keys", {}).items()}
        schema.cmek = None
        if json_data.get("cmek") is not None:
            schema.cmek = Cmek.from_dict(json_data["cmek"])
        return schema


__all__ = [
    "BoolInvertedIndexConfig",
    "BoolInvertedIndexType",
    "BoolValueType",
    "Cmek",
    "CmekProvider",
    "FloatInvertedIndexConfig",
    "FloatInvertedIndexType",
    "FloatListValueType",
    "FloatValueType",
    "FtsIndexConfig",
    "FtsIndexType",
    "HnswIndexConfig",
    "IndexConfig",
    "IntInvertedIndexConfig",
    "IntInvertedIndexType",
    "IntValueType",
    "Schema",
    "SpannIndexConfig",
    "SparseVectorIndexConfig",
    "SparseVectorIndexType",
    "SparseVectorValueType",
    "StringInvertedIndexConfig",
    "StringInvertedIndexType",
    "StringValueType",
    "ValueTypes",
    "VectorIndexConfig",
    "VectorIndexType",
]
