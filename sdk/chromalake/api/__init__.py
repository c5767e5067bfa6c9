"""The public API: clients, collections, and the factories that build them."""

from chromalake.api.client import (
    AdminClient,
    Client,
    EphemeralClient,
    PersistentClient,
    clear_system_cache,
)
from chromalake.api.collection import Collection

__all__ = [
    "AdminClient",
    "Client",
    "Collection",
    "EphemeralClient",
    "PersistentClient",
    "clear_system_cache",
]
