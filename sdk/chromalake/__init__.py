"""chromalake: Chroma's client API, serverless.

``import chromalake as chromadb`` runs code written for chromadb. Importing the package loads
neither Lance nor pyarrow: the embedded clients import the engine when first used, so the slim
install (remote clients: ``HttpClient``, ``AsyncHttpClient``, ``CloudClient``) stays slim and
cold starts stay short.
"""

from __future__ import annotations

import importlib
from typing import Any

from chromalake import errors, expressions
from chromalake.config import Settings
from chromalake.types import (
    DEFAULT_DATABASE,
    DEFAULT_TENANT,
    GetResult,
    IndexingStatus,
    QueryResult,
    ReadLevel,
    UserIdentity,
)

__version__ = "0.1.0"

# The Search API's builder (chromadb exports Search, Key, K, Knn, Rrf... at top level); a
# module of plain classes, so naming what it exports costs nothing at import.
_SEARCH_NAMES = tuple(expressions.__all__)
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
    **{name: "chromalake.expressions" for name in _SEARCH_NAMES},
}

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TENANT",
    "AdminClient",
    "AsyncAdminClient",
    "AsyncClient",
    "AsyncCollection",
    "AsyncHttpClient",
    "Client",
    "CloudClient",
    "Collection",
    "EphemeralClient",
    "GetResult",
    "HttpClient",
    "IndexingStatus",
    "PersistentClient",
    "QueryResult",
    "ReadLevel",
    "Settings",
    "UserIdentity",
    "errors",
    *_SEARCH_NAMES,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'chromalake' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
