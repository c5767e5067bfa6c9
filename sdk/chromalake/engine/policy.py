"""When maintenance indexes, compacts and cleans, and who hears about writes.

The engine knows neither queues nor threads: after each committed write it calls a
``WriteListener`` with the collection's id. ``chromalake run`` wires it to a background
thread (``maintenance.BackgroundMaintainer``); the AWS service wires it to a queue that the
``maintenance`` Lambda consumes; embedded clients leave it unset and call maintenance
themselves (or never: exact search stays correct, only slower past the threshold).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from chromalake.config import Settings

WriteListener = Callable[[str], None]


@dataclass(frozen=True)
class MaintenancePolicy:
    """The maintenance thresholds of ``Settings`` (``chromalake_*``), in engine terms.

    Example:
        >>> MaintenancePolicy.from_settings(Settings(chromalake_index_threshold=10)).index_threshold
        10
    """

    index_threshold: int = 50_000
    index_type: str = "IVF_SQ"
    compact_fragments: int = 8
    retention: timedelta = timedelta(hours=1)
    retrain_growth: float = 4.0

    @classmethod
    def from_settings(cls, settings: Settings) -> MaintenancePolicy:
        return cls(
            index_threshold=settings.chromalake_index_threshold,
            index_type=settings.chromalake_index_type,
            compact_fragments=settings.chromalake_compact_fragments,
            retention=timedelta(seconds=settings.chromalake_version_retention_seconds),
            retrain_growth=settings.chromalake_index_retrain_growth,
        )


class Debounced:
    """A write listener that passes each collection on at most once per ``seconds``.

    A warm API function sees many writes to one collection in a burst; one maintenance
    message per collection and window is enough (maintenance looks at the table, not at the
    message).

    Example:
        >>> sent = []
        >>> notify = Debounced(sent.append, seconds=60.0)
        >>> notify("a"); notify("a"); notify("b")
        >>> sent
        ['a', 'b']
    """

    def __init__(self, listener: WriteListener, seconds: float) -> None:
        self._listener = listener
        self._seconds = seconds
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()

    def __call__(self, collection_id: str) -> None:
        now = time.monotonic()
        with self._lock:
            last = self._last.get(collection_id)
            if last is not None and now - last < self._seconds:
                return
            self._last[collection_id] = now
        self._listener(collection_id)
