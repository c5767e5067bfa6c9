"""Catalog backends: memory (EphemeralClient), SQLite (PersistentClient, local server)."""

from chromalake.engine.catalog.base import (
    Catalog,
    CollectionRecord,
    Conflict,
    DatabaseRecord,
    Stale,
)
from chromalake.engine.catalog.memory import MemoryCatalog
from chromalake.engine.catalog.sqlite import SqliteCatalog

__all__ = [
    "Catalog",
    "CollectionRecord",
    "Conflict",
    "DatabaseRecord",
    "MemoryCatalog",
    "SqliteCatalog",
    "Stale",
]
