"""A collection's schema as Chroma's server keeps it: defaults, validation, reconciliation.

Chroma 1.5 describes a collection's indexes with a schema (JSON: ``{"defaults": ValueTypes,
"keys": {key: ValueTypes}}``, reference §6.9) and keeps its ``configuration_json`` in step with
it. At create, the schema a client sends is checked (:func:`validate_schema`), laid over the
default schema field by field, and reconciled with the configuration
(:func:`reconcile`): a configuration that only restates the defaults leaves the schema in
charge, a schema that only restates the defaults leaves the configuration in charge, and
both saying something is refused. The configuration is then read back from the schema's
``#embedding`` vector index (:func:`configuration_from_schema`), so the space a collection
searches in is the schema's when the schema names one.

A single node keeps HNSW: a SPANN block in a schema is dropped and the HNSW defaults fill
in, as Chroma's single node does. Sparse vector indexes are kept (Chroma Cloud serves them;
a single-node Chroma refuses them at create).

Everything here works on JSON dicts and never changes its arguments.

Example:
    >>> schema, config = reconcile(None, None, {"keys": {"#embedding": {"float_list": {
    ...     "vector_index": {"enabled": True, "config": {"space": "cosine"}}}}}})
    >>> config["hnsw"]["space"], schema["keys"]["#embedding"]["float_list"]["vector_index"][
    ...     "config"]["hnsw"]["ef_construction"]
    ('cosine', 100)
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from typing import Any

from chromalake.collection_config import HNSW_DEFAULTS, internal_defaults, internal_hnsw
from chromalake.errors import InvalidArgumentError

DOCUMENT_KEY = "#document"
EMBEDDING_KEY = "#embedding"
FLOAT_LIST = "float_list"
SPARSE_VECTOR = "sparse_vector"
VECTOR_INDEX = "vector_index"
SPARSE_INDEX = "sparse_vector_index"
# Each value type and its indexes, in Chroma's serialisation order.
INDEXES: dict[str, tuple[str, ...]] = {
    "string": ("fts_index", "string_inverted_index"),
    FLOAT_LIST: (VECTOR_INDEX,),
    SPARSE_VECTOR: (SPARSE_INDEX,),
    "int": ("int_inverted_index",),
    "float": ("float_inverted_index",),
    "bool": ("bool_inverted_index",),
}
_RECONCILE = "Failed to reconcile schema: "
_UNKNOWN = {"type": "unknown"}


def _num_threads() -> int:
    return os.cpu_count() or 1


def default_hnsw_index() -> dict[str, Any]:
    """Chroma's HNSW index config in a schema (``num_threads``: the machine's CPUs)."""
    return {
        "ef_construction": HNSW_DEFAULTS["ef_construction"],
        "max_neighbors": HNSW_DEFAULTS["max_neighbors"],
        "ef_search": HNSW_DEFAULTS["ef_search"],
        "num_threads": _num_threads(),
        "batch_size": 100,
        "sync_threshold": HNSW_DEFAULTS["sync_threshold"],
        "resize_factor": HNSW_DEFAULTS["resize_factor"],
    }


def _index(enabled: bool, config: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"enabled": enabled, "config": config or {}}


def _vector_config(
    space: str, embedding_function: dict[str, Any] | None, hnsw: dict[str, Any]
) -> dict[str, Any]:
    config: dict[str, Any] = {"space": space}
    if embedding_function is not None:
        config["embedding_function"] = embedding_function
    config["hnsw"] = hnsw
    return config


def new_default(
    embedding_function: dict[str, Any] | None = None,
    space: str = "l2",
    hnsw: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Chroma's default schema (``Schema::new_default``), its vector index set as given.

    Example:
        >>> new_default()["keys"]["#document"]["string"]["fts_index"]["enabled"]
        True
    """
    vector = _vector_config(space, embedding_function, hnsw or default_hnsw_index())
    return {
        "defaults": {
            "string": {"fts_index": _index(False), "string_inverted_index": _index(True)},
            FLOAT_LIST: {VECTOR_INDEX: _index(False, copy.deepcopy(vector))},
            SPARSE_VECTOR: {
                SPARSE_INDEX: _index(
                    False, {"embedding_function": {"type": "unknown"}, "bm25": False}
                )
            },
            "int": {"int_inverted_index": _index(True)},
            "float": {"float_inverted_index": _index(True)},
            "bool": {"bool_inverted_index": _index(True)},
        },
        "keys": {
            EMBEDDING_KEY: {
                FLOAT_LIST: {VECTOR_INDEX: _index(True, {**vector, "source_key": DOCUMENT_KEY})}
            },
            DOCUMENT_KEY: {
                "string": {"fts_index": _index(True), "string_inverted_index": _index(False)}
            },
        },
    }


# -- the configuration <-> the schema -----------------------------------------------------------


def schema_from_configuration(internal: dict[str, Any]) -> dict[str, Any]:
    """The schema of a collection described by its configuration (``Schema::try_from``).

    ``internal`` is :func:`~chromalake.collection_config.internal_configuration`'s form: every
    HNSW parameter, ``num_threads`` and ``batch_size`` included.
    """
    hnsw = dict(internal["hnsw"])
    space = hnsw.pop("space")
    index = {k: hnsw[k] for k in default_hnsw_index()}
    return new_default(internal.get("embedding_function"), space, index)


def _vector_index_config(schema: dict[str, Any]) -> dict[str, Any] | None:
    """The ``#embedding`` vector index's config, else the defaults' (Chroma's order)."""
    for scope in ((schema.get("keys") or {}).get(EMBEDDING_KEY), schema.get("defaults")):
        index = ((scope or {}).get(FLOAT_LIST) or {}).get(VECTOR_INDEX)
        if index is not None:
            return dict(index.get("config") or {})
    return None


def configuration_from_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The ``configuration_json`` Chroma reads back from a schema.

    Example:
        >>> configuration_from_schema(new_default(space="ip"))["hnsw"]["space"]
        'ip'
    """
    config = _vector_index_config(schema) or {}
    hnsw = {**HNSW_DEFAULTS, **(config.get("hnsw") or {})}
    hnsw["space"] = config.get("space") or HNSW_DEFAULTS["space"]
    return {
        "hnsw": {key: hnsw[key] for key in HNSW_DEFAULTS},
        "spann": None,
        "embedding_function": config.get("embedding_function"),
    }


# -- what counts as the default ----------------------------------------------------------------


def is_default_embedding_function(ef: dict[str, Any] | None) -> bool:
    """None, ``unknown`` and the ``default`` function are defaults; ``legacy`` is not."""
    if ef is None:
        return True
    kind = ef.get("type")
    return kind == "unknown" or (kind == "known" and ef.get("name") == "default")


def is_default_configuration(internal: dict[str, Any]) -> bool:
    """Whether a configuration only restates Chroma's defaults (num_threads included)."""
    return is_default_embedding_function(internal.get("embedding_function")) and all(
        internal["hnsw"].get(k) == v for k, v in internal_defaults().items()
    )


def _is_default_hnsw(hnsw: dict[str, Any]) -> bool:
    # An absent value is the default, and num_threads depends on the machine: not compared.
    defaults = default_hnsw_index()
    return all(hnsw[k] == defaults[k] for k in hnsw if k in defaults and k != "num_threads")


def _is_default_vector_index(index: dict[str, Any], enabled: bool, source: str | None) -> bool:
    config = index.get("config") or {}
    if index.get("enabled") != enabled or config.get("source_key") != source:
        return False
    if not is_default_embedding_function(config.get("embedding_function")):
        return False
    if config.get("space") not in (None, HNSW_DEFAULTS["space"]):
        return False
    hnsw, spann = config.get("hnsw"), config.get("spann")
    if hnsw is not None and spann is not None:
        return False
    if hnsw is not None:
        return _is_default_hnsw(hnsw)
    return spann is None or not spann  # a SPANN block holding only absent values


def _flag(value_types: dict[str, Any], value_type: str, index: str) -> bool | None:
    entry = (value_types.get(value_type) or {}).get(index)
    return None if entry is None else bool(entry.get("enabled"))


def _is_default_defaults(defaults: dict[str, Any]) -> bool:
    expected = {
        ("string", "string_inverted_index"): True,
        ("string", "fts_index"): False,
        ("int", "int_inverted_index"): True,
        ("float", "float_inverted_index"): True,
        ("bool", "bool_inverted_index"): True,
    }
    for (value_type, index), enabled in expected.items():
        flag = _flag(defaults, value_type, index)
        if flag is not None and flag != enabled:
            return False
    vector = (defaults.get(FLOAT_LIST) or {}).get(VECTOR_INDEX)
    if vector is not None and not _is_default_vector_index(vector, False, None):
        return False
    sparse = (defaults.get(SPARSE_VECTOR) or {}).get(SPARSE_INDEX)
    if sparse is not None:
        config = sparse.get("config") or {}
        if sparse.get("enabled") or config.get("source_key") is not None:
            return False
        if not is_default_embedding_function(config.get("embedding_function")):
            return False
        if config.get("bm25") not in (None, False):
            return False
    return True


def is_default_schema(schema: dict[str, Any]) -> bool:
    """Whether a schema only restates Chroma's default one (``Schema::is_default``)."""
    if not _is_default_defaults(schema.get("defaults") or {}):
        return False
    keys = schema.get("keys") or {}
    if set(keys) - {EMBEDDING_KEY, DOCUMENT_KEY}:
        return False
    embedding = keys.get(EMBEDDING_KEY)
    if embedding is not None:
        if set(embedding) - {FLOAT_LIST}:
            return False
        vector = (embedding.get(FLOAT_LIST) or {}).get(VECTOR_INDEX)
        if vector is not None and not _is_default_vector_index(vector, True, DOCUMENT_KEY):
            return False
    document = keys.get(DOCUMENT_KEY)
    if document is not None:
        if set(document) - {"string"}:
            return False
        if _flag(document, "string", "fts_index") is False:
            return False
        if _flag(document, "string", "string_inverted_index") is True:
            return False
    return schema.get("cmek") is None


# -- validation (Chroma's validate_schema, run on every create) ---------------------------------


def _invalid(message: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"Validation error: schema: {message}")


def _enabled(value_types: dict[str, Any] | None, value_type: str, index: str) -> bool:
    return bool(_flag(value_types or {}, value_type, index))


def _check_defaults(defaults: dict[str, Any]) -> None:
    if _enabled(defaults, FLOAT_LIST, VECTOR_INDEX):
        raise _invalid(
            "Vector index cannot be enabled by default. It can only be enabled on #embedding field."
        )
    vector = (defaults.get(FLOAT_LIST) or {}).get(VECTOR_INDEX) or {}
    config = vector.get("config") or {}
    if config.get("hnsw") is not None and config.get("spann") is not None:
        raise _invalid("Both spann and hnsw config cannot be present at the same time.")
    if _enabled(defaults, SPARSE_VECTOR, SPARSE_INDEX):
        raise _invalid(
            "Sparse vector index cannot be enabled by default. Please enable sparse vector "
            "index on specific keys. At most one sparse vector index is allowed for the "
            "collection."
        )
    if _enabled(defaults, "string", "fts_index"):
        raise _invalid(
            "Full text search / regular expression index cannot be enabled by default. It "
            "can only be enabled on #document field."
        )


def _check_sparse(key: str, value_types: dict[str, Any], sparse_keys: list[str]) -> None:
    index = (value_types.get(SPARSE_VECTOR) or {}).get(SPARSE_INDEX)
    if index is None:
        return
    config = index.get("config") or {}
    if index.get("enabled"):
        sparse_keys.append(key)
        if len(sparse_keys) > 1:
            listed = ", ".join(f'"{k}"' for k in sparse_keys)
            raise _invalid(
                f"At most one sparse vector index is allowed for the collection: [{listed}]"
            )
        if config.get("source_key") is not None and config.get("embedding_function") is None:
            raise _invalid(
                "If source_key is provided then embedding_function must also be provided "
                "since there is no default embedding function."
            )
    source = config.get("source_key")
    if isinstance(source, str) and source.startswith("#") and source != DOCUMENT_KEY:
        raise _invalid(
            "source_key cannot begin with '#'. The only valid key starting with '#' is "
            "Key.DOCUMENT or '#document'."
        )


def _check_key(key: str, value_types: dict[str, Any], sparse_keys: list[str]) -> None:
    if key.startswith("#") and key not in (DOCUMENT_KEY, EMBEDDING_KEY):
        raise _invalid(
            f"key cannot begin with '#'. Keys starting with '#' are reserved for system use: {key}"
        )
    present = {t for t in INDEXES if value_types.get(t) is not None}
    if key == DOCUMENT_KEY and present - {"string"}:
        raise _invalid(f"Document field cannot have any value types other than string: {key}")
    if key == EMBEDDING_KEY and present - {FLOAT_LIST}:
        raise _invalid(f"Embedding field cannot have any value types other than float_list: {key}")
    vector = (value_types.get(FLOAT_LIST) or {}).get(VECTOR_INDEX)
    if vector is not None:
        if vector.get("enabled") and key != EMBEDDING_KEY:
            raise _invalid(f"Vector index can only be enabled on #embedding field: {key}")
        source = (vector.get("config") or {}).get("source_key")
        if source is not None and source != DOCUMENT_KEY:
            raise _invalid("Vector index can only source from #document")
    _check_sparse(key, value_types, sparse_keys)
    if _enabled(value_types, "string", "fts_index") and key != DOCUMENT_KEY:
        raise _invalid(
            "Full text search / regular expression index can only be enabled on #document "
            f"field: {key}"
        )
    if _enabled(value_types, "string", "string_inverted_index") and key == DOCUMENT_KEY:
        raise _invalid(f"String inverted index can not be enabled on #document key: {key}")


def validate_schema(schema: dict[str, Any]) -> None:
    """Chroma's checks of a schema sent at create (InvalidArgumentError, its words).

    Example:
        >>> validate_schema({"defaults": {}, "keys": {"#tag": {}}})
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: schema: key cannot begin with '#'. Keys starting with '#' are reserved for system use: #tag
    """  # noqa: E501
    if schema.get("source_attached_function_id") is not None:
        raise _invalid(
            "Cannot set source_attached_function_id. This field is reserved for system use."
        )
    _check_defaults(schema.get("defaults") or {})
    sparse_keys: list[str] = []
    for key, value_types in (schema.get("keys") or {}).items():
        _check_key(key, value_types or {}, sparse_keys)


# -- merging a user's schema over the defaults ---------------------------------------------------


def _first(user: dict[str, Any], default: dict[str, Any], field: str) -> Any:
    value = user.get(field)
    return value if value is not None else default.get(field)


def _merged_vector_config(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    """Field by field, the user's first; a single node keeps HNSW, so SPANN is dropped."""
    merged: dict[str, Any] = {}
    for field in ("space", "embedding_function", "source_key"):
        value = _first(user, default, field)
        if value is not None:
            merged[field] = value
    default_hnsw, user_hnsw = default.get("hnsw"), user.get("hnsw")
    if default_hnsw is not None and user_hnsw is not None:
        # In Chroma's field order; a field neither side sets stays absent.
        fields = (_first(user_hnsw, default_hnsw, k) for k in default_hnsw_index())
        merged["hnsw"] = {
            k: v for k, v in zip(default_hnsw_index(), fields, strict=True) if v is not None
        }
    elif default_hnsw is not None or user_hnsw is not None:
        merged["hnsw"] = dict(default_hnsw or user_hnsw or {})
    return merged


def _merged_sparse_config(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for field in ("embedding_function", "source_key", "bm25"):
        value = _first(user, default, field)
        if value is not None:
            merged[field] = value
    algorithm = user.get("algorithm")
    if algorithm not in (None, "wand"):
        merged["algorithm"] = algorithm
    return merged


def _merged_index(index: str, default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    user_config = user.get("config") or {}
    if index == VECTOR_INDEX:
        config = _merged_vector_config(default.get("config") or {}, user_config)
    elif index == SPARSE_INDEX:
        config = _merged_sparse_config(default.get("config") or {}, user_config)
    else:
        config = copy.deepcopy(user_config)
    return {"enabled": bool(user.get("enabled")), "config": config}


def _check_hnsw(value_types: dict[str, Any]) -> None:
    """The validator ranges of Chroma's HnswIndexConfig, checked on the merged schema."""
    index = (value_types.get(FLOAT_LIST) or {}).get(VECTOR_INDEX) or {}
    hnsw = (index.get("config") or {}).get("hnsw") or {}
    for field in ("batch_size", "sync_threshold"):
        value = hnsw.get(field)
        if isinstance(value, int) and value < 2:
            raise InvalidArgumentError(
                f"{_RECONCILE}Invalid HNSW configuration: {field}: Validation error: range "
                f'[{{"min": Number(2), "value": Number({value})}}]'
            )


def _merged_value_types(default: dict[str, Any], user: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for value_type, indexes in INDEXES.items():
        ours, theirs = default.get(value_type), user.get(value_type)
        if ours is None or theirs is None:
            chosen = ours if theirs is None else theirs
            if chosen is not None:
                merged[value_type] = copy.deepcopy(chosen)
            continue
        entry: dict[str, Any] = {}
        for index in indexes:
            mine, yours = ours.get(index), theirs.get(index)
            if mine is not None and yours is not None:
                entry[index] = _merged_index(index, mine, yours)
            elif mine is not None or yours is not None:
                entry[index] = copy.deepcopy(yours if yours is not None else mine)
        merged[value_type] = entry
    if value_types_vector := merged.get(FLOAT_LIST):
        config = (value_types_vector.get(VECTOR_INDEX) or {}).get("config") or {}
        config.pop("spann", None) if "hnsw" in config else None
    _check_hnsw(merged)
    return merged


def with_defaults(user: dict[str, Any] | None) -> dict[str, Any]:
    """The user's schema laid over the default one (``Schema::reconcile_with_defaults``)."""
    base = new_default()
    if user is None:
        return base
    keys = dict(base["keys"])
    for key, value_types in (user.get("keys") or {}).items():
        if key in keys:
            keys[key] = _merged_value_types(keys[key], value_types or {})
        else:
            keys[key] = copy.deepcopy(value_types or {})
    merged: dict[str, Any] = {
        "defaults": _merged_value_types(base["defaults"], user.get("defaults") or {}),
        "keys": keys,
    }
    if user.get("cmek") is not None:
        merged["cmek"] = user["cmek"]
    return merged


def _with_embedding_function(schema: dict[str, Any], ef: dict[str, Any]) -> dict[str, Any]:
    for scope in (schema["defaults"], schema["keys"][EMBEDDING_KEY]):
        scope[FLOAT_LIST][VECTOR_INDEX]["config"]["embedding_function"] = ef
    return schema


def reconcile(
    internal: dict[str, Any] | None, metadata: dict[str, Any] | None, schema: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A new collection's schema and ``configuration_json``, as Chroma 1.5's server makes them.

    ``internal`` is the configuration in :func:`~chromalake.collection_config.internal_hnsw`'s
    form (None: built from ``metadata``'s legacy ``hnsw:*`` keys, as Chroma does).
    """
    if internal is None:
        internal = {"hnsw": internal_hnsw(None, metadata), "embedding_function": None}
    if schema is not None:
        validate_schema(schema)
        if not is_default_schema(schema) and not is_default_configuration(internal):
            raise InvalidArgumentError(
                f"{_RECONCILE}Cannot set both collection config and schema simultaneously"
            )
    merged = with_defaults(schema)
    if not is_default_configuration(internal):
        reconciled = schema_from_configuration(internal)
    elif is_default_schema(merged):
        reconciled = new_default()
        ef = internal.get("embedding_function")
        if ef is not None:
            _with_embedding_function(reconciled, ef)
    else:
        reconciled = merged
    return reconciled, configuration_from_schema(reconciled)


# -- reading the schema --------------------------------------------------------------------------

_INVERTED_INDEX = {
    "Str": ("string", "string_inverted_index"),
    "Int": ("int", "int_inverted_index"),
    "Float": ("float", "float_inverted_index"),
    "Bool": ("bool", "bool_inverted_index"),
    "SparseVector": (SPARSE_VECTOR, SPARSE_INDEX),
}


def filterable(schema: dict[str, Any] | None, key: str, value_type: str) -> bool:
    """Whether the schema keeps the index a filter (or a sparse ``$knn``) on ``key`` needs.

    A key's own entry wins over the defaults; without either, keys are indexed (a sparse
    vector key never is: its index is disabled by default).

    Example:
        >>> filterable(new_default(), "#document", "Str")
        False
        >>> filterable(new_default(), "sparse", "SparseVector")
        False
    """
    type_name, index = _INVERTED_INDEX[value_type]
    for scope in ((schema or {}).get("keys", {}).get(key), (schema or {}).get("defaults")):
        entry = ((scope or {}).get(type_name) or {}).get(index)
        if entry is not None:
            return bool(entry.get("enabled", True))
    return value_type != "SparseVector"


def fts_enabled(schema: dict[str, Any] | None) -> bool:
    """Whether ``where_document`` filters may run: ``#document``'s FTS index, else the
    defaults', is enabled (or neither says).

    Example:
        >>> fts_enabled(new_default()), fts_enabled({"keys": {"#document": {"string": {
        ...     "fts_index": {"enabled": False, "config": {}}}}}})
        (True, False)
    """
    for scope in ((schema or {}).get("keys", {}).get(DOCUMENT_KEY), (schema or {}).get("defaults")):
        entry = ((scope or {}).get("string") or {}).get("fts_index")
        if entry is not None:
            return bool(entry.get("enabled", True))
    return True


def sparse_index(schema: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    """The config of the enabled sparse vector index on ``key`` (None: there is none)."""
    entry = (((schema or {}).get("keys") or {}).get(key) or {}).get(SPARSE_VECTOR) or {}
    index = entry.get(SPARSE_INDEX) or {}
    return dict(index.get("config") or {}) if index.get("enabled") else None


def schema_with_update(
    schema: dict[str, Any] | None, update: dict[str, Any]
) -> dict[str, Any] | None:
    """The schema after ``modify(configuration=...)`` (Chroma's ``Schema::update``): the
    defaults' and ``#embedding``'s vector indexes take the new HNSW values and function.

    Example:
        >>> tuned = schema_with_update(new_default(), {"hnsw": {"ef_search": 50}})
        >>> tuned["keys"]["#embedding"]["float_list"]["vector_index"]["config"]["hnsw"]["ef_search"]
        50
    """
    if schema is None:
        return None
    updated = copy.deepcopy(schema)  # stored records stay untouched
    hnsw = {k: v for k, v in (update.get("hnsw") or {}).items() if v is not None}
    ef = update.get("embedding_function")
    for scope in (
        updated.get("defaults") or {},
        (updated.get("keys") or {}).get(EMBEDDING_KEY) or {},
    ):
        index = (scope.get(FLOAT_LIST) or {}).get(VECTOR_INDEX)
        if index is None:
            continue
        config = index.setdefault("config", {})
        if hnsw and config.get("hnsw") is not None:
            config["hnsw"].update(hnsw)
        if ef is not None:
            config["embedding_function"] = ef
    return updated


_SCALAR_TYPES = {str: "string", bool: "bool", int: "int", float: "float"}


def metadata_value_type(value: Any) -> str | None:
    """The schema value type Chroma files a record-metadata value under (None: it files none).

    An array files under its elements' type; ints mixed with floats are floats, and an empty
    array is "bool" (Chroma's server reads it as the first of its array variants). A sparse
    vector files under "sparse_vector".

    Example:
        >>> [metadata_value_type(v) for v in ("a", 1, 1.5, True, [1, 2.5], [], None)]
        ['string', 'int', 'float', 'bool', 'float', 'bool', None]
    """
    scalar = _SCALAR_TYPES.get(type(value))
    if scalar is not None:
        return scalar  # the common case, kept cheap: it runs for every value of every write
    if isinstance(value, dict):
        return SPARSE_VECTOR
    items = value if isinstance(value, list) else [value]
    if all(isinstance(v, bool) for v in items):
        return "bool"
    if any(isinstance(v, bool) for v in items):
        return None
    if all(isinstance(v, int) for v in items):
        return "int"
    if all(isinstance(v, int | float) for v in items):
        return "float"
    if all(isinstance(v, str) for v in items):
        return "string"
    return None


def schema_with_metadata_keys(
    schema: dict[str, Any] | None, keys: Iterable[tuple[str, str]]
) -> dict[str, Any] | None:
    """The schema listing each (key, value type) seen in written records, as Chroma does.

    A pair the schema has no entry for gets the defaults' indexes for its type; an entry the
    schema already has (from the user's schema, or an earlier write) is kept as it is.

    Example:
        >>> schema = new_default()
        >>> merged = schema_with_metadata_keys(schema, [("year", "int")])
        >>> merged["keys"]["year"]
        {'int': {'int_inverted_index': {'enabled': True, 'config': {}}}}
        >>> "year" in schema["keys"]  # the stored schema is not touched
        False
    """
    known = (schema or {}).get("keys", {})
    missing = sorted((k, t) for k, t in keys if t not in known.get(k, {}))
    if schema is None or not missing:
        return schema
    defaults = schema.get("defaults", {})
    merged_keys = dict(known)
    for key, value_type in missing:
        if value_type in defaults:
            entry = dict(merged_keys.get(key, {}))
            entry[value_type] = copy.deepcopy(defaults[value_type])
            merged_keys[key] = entry
    return {**schema, "keys": merged_keys}
