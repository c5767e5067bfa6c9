"""The public API: clients, collections, and the factories that build them."""

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
