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


def internal_defaults() -> dict[str, Any]:
    """HNSW_DEFAULTS plus the two parameters a configuration never shows (``num_threads``:
    the machine's CPUs, as Chroma's default)."""
    return {**HNSW_DEFAULTS, "num_threads": os.cpu_count() or 1, "batch_size": 100}


def internal_hnsw(
    configuration: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> dict[str, Any]:
    """Every HNSW parameter a create sets (``num_threads`` and ``batch_size`` included).

    From ``configuration``'s ``hnsw`` (a SPANN block gives only its space: a single node has
    no SPANN index), else from the legacy ``hnsw:*`` collection-metadata keys; an ``hnsw``
    block that only restates the defaults yields to the metadata keys, as in Chroma.

    Example:
        >>> internal_hnsw(None, {"hnsw:space": "cosine"})["space"]
        'cosine'
    """
    configuration = configuration or {}
    hnsw, spann = configuration.get("hnsw"), configuration.get("spann")
    if hnsw is not None and spann is not None:
        raise InvalidArgumentError("Multiple vector index configurations provided")
    if hnsw is not None:
        params = _checked_hnsw(dict(hnsw), HNSW_CREATE_KEYS, configuration)
        legacy = _hnsw_from_legacy_metadata(metadata)
        if {**internal_defaults(), **params} == internal_defaults() and legacy:
            params = legacy
    elif spann is not None:
        params = {"space": spann["space"]} if "space" in spann else {}
    else:
        params = _hnsw_from_legacy_metadata(metadata)
    return {**internal_defaults(), **params}


def internal_configuration(
    configuration: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> dict[str, Any]:
    """A create's configuration in full: every HNSW parameter and its embedding function."""
    return {
        "hnsw": internal_hnsw(configuration, metadata),
        "embedding_function": (configuration or {}).get("embedding_function"),
    }


def build_configuration(
    configuration: dict[str, Any] | None,
    metadata: dict[str, Any] | None,
    embedding_function: dict[str, Any] | None,
) -> dict[str, Any]:
    """The ``configuration_json`` of a new collection that sends no schema.

    Example:
        >>> build_configuration(None, {"hnsw:space": "cosine"}, None)["hnsw"]["space"]
        'cosine'
    """
    params = internal_hnsw(configuration, metadata)
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
