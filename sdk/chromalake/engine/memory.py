"""What a process holds in memory for a collection it serves, as ``indexing_status`` reports it.

Each part has its bound: the rows' fields at most ``snapshot.FIELDS_BYTES`` (128 MiB, else
read from Lance per call), the float32 matrix only for a collection searched exactly or
through an index built here (``warm_index.MAX_MATRIX_BYTES``; none for one served from a
stored index, whose vectors stay in its file), the index's codes resident or mapped from
its file. The report is this process's: another instance (a Lambda) holds its own.

Example:
    >>> held = report(None, None)  # a collection this process has not read
    >>> sorted(held), sum(held.values())
    (['fields_bytes', 'index_bytes', 'index_mapped_bytes', 'matrix_bytes', 'snapshot_rows'], 0)
"""

from __future__ import annotations

import numpy as np

from chromalake.engine.snapshot import Snapshot
from chromalake.engine.vector_index import VectorIndex


def report(snap: Snapshot | None, index: VectorIndex | None) -> dict[str, int]:
    """Bytes held for a collection: its snapshot (``snap``) and its in-process index."""
    memory = None if index is None else index.memory()
    return {
        "snapshot_rows": 0 if snap is None else len(snap.ids),
        "matrix_bytes": 0 if snap is None else matrix_bytes(snap),
        "fields_bytes": 0 if snap is None or snap.fields is None else int(snap.fields.nbytes),
        "index_bytes": 0 if memory is None else memory.resident,
        "index_mapped_bytes": 0 if memory is None else memory.mapped,
    }


def matrix_bytes(snap: Snapshot) -> int:
    """Bytes of float32 rows the snapshot holds in memory (a stored index's stay in its file)."""
    rows = snap.embeddings
    if isinstance(rows, np.ndarray):
        return int(rows.nbytes)
    source = rows.source
    held = int(source.nbytes) if isinstance(source, np.ndarray) else 0
    return held + int(rows.extra.nbytes)
