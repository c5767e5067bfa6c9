"""Collection configuration: Chroma's ``configuration_json``, its defaults, and how it is built.

Chroma keeps one vector-index configuration per collection. It comes from the ``configuration``
argument, or, when that names no index, from the legacy ``hnsw:*`` collection-metadata keys
(which also stay in the metadata). On a single node a SPANN configuration is kept only for its
``space``. chromalake searches exactly (and later with Lance indexes), so these values are
recorded and returned exactly as Chroma would, and ``space`` decides the distance.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from chromalake.errors import InvalidArgumentError
from chromalake.types import SPACES

HNSW_DEFAULTS: dict[str, Any] = {
    "space": "l2",
    "ef_construction": 100,
    "ef_search": 100,
    "max_neighbors": 16,
    "resize_factor": 1.2,
    "sync_threshold": 1000,
}
# Every key a create accepts, in Chroma's order (its error messages list them so);
# num_threads and batch_size are accepted but never emitted.
HNSW_CREATE_KEYS = (
    "space",
    "ef_construction",
    "ef_search",
    "max_neighbors",
    "num_threads",
    "resize_factor",
    "sync_threshold",
    "batch_size",
)
HNSW_UPDATE_KEYS = (
    "ef_search",
    "max_neighbors",
    "num_threads",
    "resize_factor",
    "sync_threshold",
    "batch_size",
)
SPANN_UPDATE_KEYS = ("search_nprobe", "ef_search")

LEGACY_METADATA_KEYS: dict[str, str] = {
    "hnsw:space": "space",
    "hnsw:construction_ef": "ef_construction",
    "hnsw:search_ef": "ef_search",
    "hnsw:M": "max_neighbors",
    "hnsw:num_threads": "num_threads",
    "hnsw:resize_factor": "resize_factor",
    "hnsw:sync_threshold": "sync_threshold",
    "hnsw:batch_size": "batch_size",
}

_LEGACY_PARSE_ERROR = "Failed to parse hnsw parameters from segment metadata"


def _serde_error(message: str, document: dict[str, Any], token: Any) -> InvalidArgumentError:
    """Chroma's error for a configuration it cannot deserialize, with serde's position.

    Chroma parses the configuration as the JSON text its client sends (``json.dumps``), and
    serde reports the column just past the offending token inside the ``hnsw`` object.
    """
    text = json.dumps(document)
    needle = json.dumps(token)
    column = text.find(needle, max(text.find('"hnsw"'), 0)) + len(needle)
    return InvalidArgumentError(f"{message} at line 1 column {column}")


def _unknown_field(
    key: str, allowed: tuple[str, ...], document: dict[str, Any]
) -> InvalidArgumentError:
    expected = ", ".join(f"`{k}`" for k in allowed)
    return _serde_error(f"unknown field `{key}`, expected one of {expected}", document, key)


def _valid_hnsw_value(key: str, value: Any) -> bool:
    if key == "space":
        return value in SPACES
    if isinstance(value, bool):
        return False
    if key == "resize_factor":
        return isinstance(value, (int, float)) and value > 0
    if not isinstance(value, int) or value < 0:
        return False
    return value >= 2 if key in ("sync_threshold", "batch_size") else True


def _hnsw_from_legacy_metadata(metadata: dict[str, Any] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key, value in (metadata or {}).items():
        if not key.startswith("hnsw:"):
            continue
        field = LEGACY_METADATA_KEYS.get(key)
        if field is None or not _valid_hnsw_value(field, value):
            raise InvalidArgumentError(_LEGACY_PARSE_ERROR)
        params[field] = value
    return params


def _checked_hnsw(
    params: dict[str, Any], allowed: tuple[str, ...], document: dict[str, Any]
) -> dict[str, Any]:
    """``params`` if serde would accept them: known keys, a known space, numbers.

    Ranges are not checked here: Chroma accepts ``sync_threshold: 1`` in a configuration and
    refuses it only in the legacy metadata keys.
    """
    for key, value in params.items():
        if key not in allowed:
            raise _unknown_field(key, allowed, document)
        if key == "space" and value not in SPACES:
            message = f"unknown variant `{value}`, expected one of `l2`, `cosine`, `ip`"
            raise _serde_error(message, document, value)
        if key != "space" and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise _serde_error(f"invalid type: {value!r}, expected a number", document, value)
    return params


def _emitted_hnsw(params: dict[str, Any]) -> dict[str, Any]:
    merged = {**HNSW_DEFAULTS, **params}
    return {key: merged[key] for key in HNSW_DEFAULTS}


def build_configuration(
    configuration: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    embedding_function: dict[str, Any] | None,
) -> dict[str, Any]:
    """The ``configuration_json`` of a new collection.

    Example:
        >>> build_configuration(None, {"hnsw:space": "cosine"}, None)["hnsw"]["space"]
        'cosine'
    """
    configuration = configuration or {}
    hnsw, spann = configuration.get("hnsw"), configuration.get("spann")
    if hnsw is not None and spann is not None:
        raise InvalidArgumentError("Multiple vector index configurations provided")
    if hnsw is not None:
        params = _checked_hnsw(dict(hnsw), HNSW_CREATE_KEYS, configuration)
    elif spann is not None:
        # A single node has no SPANN index: Chroma keeps only the space.
        params = {"space": spann["space"]} if "space" in spann else {}
    else:
        params = _hnsw_from_legacy_metadata(metadata)
    return {"hnsw": _emitted_hnsw(params), "spann": None, "embedding_function": embedding_function}


def update_configuration(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Apply a ``modify(configuration=...)`` update to a stored configuration.

    Example:
        >>> cur = build_configuration(None, None, None)
        >>> update_configuration(cur, {"hnsw": {"ef_search": 7}})["hnsw"]["ef_search"]
        7
    """
    hnsw, spann = update.get("hnsw"), update.get("spann")
    if hnsw is not None and spann is not None:
        raise InvalidArgumentError("Multiple vector index configurations provided")
    result = {**current}
    if hnsw is not None:
        params = _checked_hnsw(dict(hnsw), HNSW_UPDATE_KEYS, update)
        result["hnsw"] = _emitted_hnsw({**current.get("hnsw", {}), **params})
    if spann is not None:
        for key in spann:
            if key not in SPANN_UPDATE_KEYS:
                raise _unknown_field(key, SPANN_UPDATE_KEYS, update)
    if update.get("embedding_function") is not None:
        result["embedding_function"] = update["embedding_function"]
    return result


def space_of(configuration: dict[str, Any]) -> str:
    """The distance space a collection searches in."""
    return str((configuration.get("hnsw") or HNSW_DEFAULTS).get("space", "l2"))


def schema_with_hnsw(
    schema: dict[str, Any] | None, configuration: dict[str, Any]
) -> dict[str, Any] | None:
    """The schema after a configuration change: its vector indexes carry the new hnsw values.

    Example:
        >>> config = build_configuration(None, None, None)
        >>> tuned = update_configuration(config, {"hnsw": {"ef_search": 50}})
        >>> schema = schema_with_hnsw(default_schema(config), tuned)
        >>> schema["keys"]["#embedding"]["float_list"]["vector_index"]["config"]["hnsw"]["ef_search"]
        50
    """  # noqa: E501
    if schema is None:
        return None
    hnsw = {k: v for k, v in (configuration.get("hnsw") or {}).items() if k != "space"}
    updated = json.loads(json.dumps(schema))  # a deep copy: stored records stay untouched
    for scope in (updated.get("defaults", {}), *updated.get("keys", {}).values()):
        config = (scope.get("float_list") or {}).get("vector_index", {}).get("config", {})
        if "hnsw" in config:
            config["hnsw"].update(hnsw)
    return dict(updated)


def _enabled(flag: bool) -> dict[str, Any]:
    return {"enabled": flag, "config": {}}


def default_schema(configuration: dict[str, Any]) -> dict[str, Any]:
    """Chroma's default schema for a configuration (``Schema::new_default``, §6.9)."""
    hnsw = configuration.get("hnsw") or HNSW_DEFAULTS
    index_params = {k: v for k, v in hnsw.items() if k != "space"}
    index_params.setdefault("num_threads", os.cpu_count() or 1)
    index_params.setdefault("batch_size", 100)
    vector_config: dict[str, Any] = {"space": hnsw.get("space", "l2")}
    if configuration.get("embedding_function") is not None:
        vector_config["embedding_function"] = configuration["embedding_function"]
    vector_config["hnsw"] = index_params
    return {
        "defaults": {
            "string": {"fts_index": _enabled(False), "string_inverted_index": _enabled(True)},
            "float_list": {"vector_index": {"enabled": False, "config": dict(vector_config)}},
            "sparse_vector": {
                "sparse_vector_index": {
                    "enabled": False,
                    "config": {"embedding_function": {"type": "unknown"}, "bm25": False},
                }
            },
            "int": {"int_inverted_index": _enabled(True)},
            "float": {"float_inverted_index": _enabled(True)},
            "bool": {"bool_inverted_index": _enabled(True)},
        },
        "keys": {
            "#embedding": {
                "float_list": {
                    "vector_index": {
                        "enabled": True,
                        "config": {**vector_config, "source_key": "#document"},
                    }
                }
            },
            "#document": {
                "string": {"fts_index": _enabled(True), "string_inverted_index": _enabled(False)}
            },
        },
    }


_INVERTED_INDEX = {
    "Str": ("string", "string_inverted_index"),
    "Int": ("int", "int_inverted_index"),
    "Float": ("float", "float_inverted_index"),
    "Bool": ("bool", "bool_inverted_index"),
}


def filterable(schema: dict[str, Any] | None, key: str, value_type: str) -> bool:
    """Whether the schema keeps the inverted index a filter on ``key`` needs.

    A key's own entry wins over the defaults; without either, keys are indexed.

    Example:
        >>> filterable(default_schema(build_configuration(None, None, None)), "#document", "Str")
        False
    """
    type_name, index = _INVERTED_INDEX[value_type]
    for scope in ((schema or {}).get("keys", {}).get(key), (schema or {}).get("defaults")):
        entry = ((scope or {}).get(type_name) or {}).get(index)
        if entry is not None:
            return bool(entry.get("enabled", True))
    return True


_SCALAR_TYPES = {str: "string", bool: "bool", int: "int", float: "float"}


def metadata_value_type(value: Any) -> str | None:
    """The schema value type Chroma files a record-metadata value under (None: it files none).

    An array files under its elements' type; ints mixed with floats are floats, and an empty
    array is "bool" (Chroma's server reads it as the first of its array variants).

    Example:
        >>> [metadata_value_type(v) for v in ("a", 1, 1.5, True, [1, 2.5], [], None)]
        ['string', 'int', 'float', 'bool', 'float', 'bool', None]
    """
    scalar = _SCALAR_TYPES.get(type(value))
    if scalar is not None:
        return scalar  # the common case, kept cheap: it runs for every value of every write
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
        >>> schema = default_schema(build_configuration(None, None, None))
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
            entry[value_type] = json.loads(json.dumps(defaults[value_type]))
            merged_keys[key] = entry
    return {**schema, "keys": merged_keys}
