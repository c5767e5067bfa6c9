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
    from chromalake.engine.maintenance import BackgroundMaintainer

_engines: dict[str, Engine] = {}
_maintainers: list[BackgroundMaintainer] = []
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
            if settings.is_persistent and settings.chromalake_embedded_maintenance:
                _maintainers.append(_maintainer(engine, settings))
        # The latest client's allow_reset decides, as Chroma's per-system settings do.
        engine.allow_reset = settings.allow_reset
        return engine


def _maintainer(engine: Engine, settings: Settings) -> BackgroundMaintainer:
    """Compaction and index builds beside the client, shortly after its writes."""
    from chromalake.engine.maintenance import BackgroundMaintainer

    return BackgroundMaintainer(
        engine,
        delay=settings.chromalake_maintenance_delay_seconds,
        interval=settings.chromalake_maintenance_interval_seconds,
    ).start()


def clear_system_cache() -> None:
    """Forget every shared engine (ephemeral data is dropped) and stop their maintenance."""
    with _engines_lock:
        _engines.clear()
        stopping = list(_maintainers)
        _maintainers.clear()
    for maintainer in stopping:
        maintainer.stop()
