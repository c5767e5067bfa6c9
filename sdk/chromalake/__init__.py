"""chromalake: Chroma's client API, serverless.

``import chromalake as chromadb`` runs code written for chromadb. Importing the package loads
neither Lance nor pyarrow: the embedded clients import the engine when first used, so the slim
install (remote clients: ``HttpClient``, ``AsyncHttpClient``, ``CloudClient``) stays slim and
cold starts stay short.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from chromalake import errors
from chromalake.config import Settings, TokenTransportHeader, configure, get_settings
from chromalake.embeddings import EmbeddingFunction, SparseEmbeddingFunction
from chromalake.search import builder as _builder
from chromalake.types import (
    DEFAULT_DATABASE,
    DEFAULT_TENANT,
    URI,
    CollectionMetadata,
    Documents,
    Embeddings,
    GetResult,
    IDs,
    Include,
    IndexingStatus,
    Metadata,
    Metadatas,
    QueryResult,
    ReadLevel,
    SparseVector,
    SparseVectors,
    UpdateCollectionMetadata,
    UpdateMetadata,
    URIs,
    UserIdentity,
    Where,
    WhereDocument,
)

__version__ = "0.1.0"
logger = logging.getLogger(__name__)
#: chromadb's flag for its client-only package (chromadb-client); this is not it.
is_client = False


def is_in_colab() -> bool:
    """Whether this runs in Google Colab (chromadb's helper)."""
    try:
        importlib.import_module("google.colab")
    except ImportError:
        return False
    return True


# The Search API's builder (chromadb exports Search, Key, K, Knn, Rrf... at top level); a
# module of plain classes, so naming what it exports costs nothing at import.
_SEARCH_NAMES = tuple(_builder.__all__)
# chromadb's collection-schema classes (chromalake.schema imports pydantic: loaded when used).
_SCHEMA_NAMES = (
    "Schema",
    "VectorIndexConfig",
    "SparseVectorIndexConfig",
    "FtsIndexConfig",
    "HnswIndexConfig",
    "SpannIndexConfig",
    "StringInvertedIndexConfig",
    "IntInvertedIndexConfig",
    "FloatInvertedIndexConfig",
    "BoolInvertedIndexConfig",
)
_LAZY = {
    "EphemeralClient": "chromalake.api.client",
    "PersistentClient": "chromalake.api.client",
    "AdminClient": "chromalake.api.client",
    "Client": "chromalake.api.client",
    "Collection": "chromalake.api.collection",
    "HttpClient": "chromalake.api.remote",
    "AsyncHttpClient": "chromalake.api.remote",
    "CloudClient": "chromalake.api.remote",
    "AsyncClient": "chromalake.api.async_client",
    "AsyncAdminClient": "chromalake.api.async_client",
    "AsyncCollection": "chromalake.api.async_client",
    "Cmek": "chromalake.api.types",
    # chromadb's abstract client types are our client classes: isinstance and annotations hold.
    "ClientAPI": "chromalake.api.client",
    "AdminAPI": "chromalake.api.client",
    "AsyncClientAPI": "chromalake.api.async_client",
    **{name: "chromalake.search.builder" for name in _SEARCH_NAMES},
    **{name: "chromalake.schema" for name in _SCHEMA_NAMES},
}

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TENANT",
    "URI",
    "AdminAPI",
    "AdminClient",
    "AsyncAdminClient",
    "AsyncClient",
    "AsyncClientAPI",
    "AsyncCollection",
    "AsyncHttpClient",
    "Client",
    "ClientAPI",
    "CloudClient",
    "Cmek",
    "Collection",
    "CollectionMetadata",
    "Documents",
    "EmbeddingFunction",
    "Embeddings",
    "EphemeralClient",
    "GetResult",
    "HttpClient",
    "IDs",
    "Include",
    "IndexingStatus",
    "Metadata",
    "Metadatas",
    "PersistentClient",
    "QueryResult",
    "ReadLevel",
    "Settings",
    "SparseEmbeddingFunction",
    "SparseVector",
    "SparseVectors",
    "TokenTransportHeader",
    "URIs",
    "UpdateCollectionMetadata",
    "UpdateMetadata",
    "UserIdentity",
    "Where",
    "WhereDocument",
    "configure",
    "errors",
    "get_settings",
    "is_client",
    "is_in_colab",
    "logger",
    *_SEARCH_NAMES,
    *_SCHEMA_NAMES,
]


_ALIASES = {"ClientAPI": "Client", "AdminAPI": "AdminClient", "AsyncClientAPI": "AsyncClient"}


# Modules that were attributes of the package before they moved (chromalake.expressions is now
# chromalake.search.builder): ``chromalake.expressions.Search`` keeps working.
_OLD_MODULES = {"expressions": "chromalake.expressions"}


def __getattr__(name: str) -> Any:
    if name in _OLD_MODULES:
        return importlib.import_module(_OLD_MODULES[name])
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chromalake' has no attribute {name!r}")
    return getattr(importlib.import_module(module), _ALIASES.get(name, name))
