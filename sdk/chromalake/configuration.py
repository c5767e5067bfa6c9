"""The old path of :mod:`chromalake.collection_config` (a collection's index configuration).

Kept because the engine imports ``chromalake.configuration``; new code imports
``chromalake.collection_config``.
"""

from chromalake.collection_config import (
    HNSW_CREATE_KEYS,
    HNSW_DEFAULTS,
    HNSW_UPDATE_KEYS,
    LEGACY_METADATA_KEYS,
    SPANN_UPDATE_KEYS,
    build_configuration,
    internal_configuration,
    internal_defaults,
    internal_hnsw,
    space_of,
    update_configuration,
)

__all__ = [
    "HNSW_CREATE_KEYS",
    "HNSW_DEFAULTS",
    "HNSW_UPDATE_KEYS",
    "LEGACY_METADATA_KEYS",
    "SPANN_UPDATE_KEYS",
    "build_configuration",
    "internal_configuration",
    "internal_defaults",
    "internal_hnsw",
    "space_of",
    "update_configuration",
]
