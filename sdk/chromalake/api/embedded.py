"""The engines behind the embedded clients, shared as chromadb shares its systems.

Clients built with the same storage share one engine (one in-memory database for every
``EphemeralClient()``, one per path for ``PersistentClient``) until ``clear_system_cache()``.
The engine (Lance, pyarrow) is imported on the first embedded client, not before.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from chromalake.config import Settings

if TYPE_CHECKING:
    from chromalake.engine.engine import Engine

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine_for(settings: Settings) -> Engine:
    """The engine shared by every client with these settings' storage."""
    from chromalake.engine.factory import build_engine, storage_root

    # Clients share an engine when they share storage: the catalog and the collections' root.
    key = f"{settings.chromalake_table or ''}|{storage_root(settings)}"
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = build_engine(settings)
        # The latest client's allow_reset decides, as Chroma's per-system settings do.
        engine.allow_reset = settings.allow_reset
        return engine


def clear_system_cache() -> None:
    """Forget every shared engine (ephemeral data is dropped)."""
    with _engines_lock:
        _engines.clear()
