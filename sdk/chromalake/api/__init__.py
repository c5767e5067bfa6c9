"""The public API: clients, collections, and the factories that build them.

``Client``, ``AdminClient`` and ``Collection`` (``client``, ``collection``) and their async
twins (``async_client``) are thin shells over ``ops`` (every method once, as a generator of
engine calls) and ``backends`` (who answers those calls: the in-process engine, or a server
over HTTP); ``remote`` and ``embedded`` build the clients of each kind. ``records`` turns a
call's arguments into engine input, ``searches`` does so for the Search API, ``binding`` words
errors as chromadb's embedded client does, ``types`` names chromadb's ``chromadb.api.types``
at its path, and ``interop`` makes ``isinstance`` checks against chromadb's classes hold.

The top layer, beside ``server``: it may import ``http``, the engine (only inside the embedded
clients' factories, so the slim install never loads it) and the shared vocabulary (``errors``,
``types``, ``records``, ``config``, ``validation``, ``search``, ``schema``, ``embeddings``,
``utils``). Nothing below it imports it (import-linter's layers contract).
"""

from chromalake.api.client import (
    AdminClient,
    Client,
    EphemeralClient,
    PersistentClient,
)
from chromalake.api.collection import Collection
from chromalake.api.embedded import clear_system_cache

__all__ = [
    "AdminClient",
    "Client",
    "Collection",
    "EphemeralClient",
    "PersistentClient",
    "clear_system_cache",
]
