"""Float32 rows read on demand rather than held in memory.

A stored index's vectors (100k x 384: 150 MB) are re-ranked a few dozen rows a query, so a
serving process reads them where they are: from the index's file (:class:`FileRows`), from
object storage while that file is fetched (``stored_index.py``), or, for a snapshot made from
a stored index, from either beside the rows written since (:class:`Gathered`).

Example:
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "rows"
    >>> np.arange(6, dtype=np.float32).tofile(path)
    >>> FileRows(path, 0, (3, 2))[np.array([2, 0])].tolist()
    [[4.0, 5.0], [0.0, 1.0]]
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]


class FileRows:
    """The vectors section of a stored index, read on demand instead of held in memory.

    A query re-ranks a few dozen scattered rows: each is one ``pread`` (~1.5 us a row from
    the page cache). Memory-mapping them instead is 4x faster per row but maps whole page-cache
    folios around each touched row (measured here: +38 MB of RSS for 28 rows of a 100k x 384
    file, the whole file after 100 queries), so a serving process would carry every vector.
    A large gather (the exact search over a filter's rows) goes through a memory map.
    """

    PREAD_ROWS = 256  # up to this many rows, one pread each; more: the memory map

    def __init__(self, path: Path, offset: int, shape: tuple[int, int]) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - held for the index's life
        self._offset, self.shape = offset, shape
        self._row_bytes = shape[1] * 4
        self._map: F32 | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, positions: I64) -> F32:
        if len(positions) <= self.PREAD_ROWS:
            fd, size, start = self._file.fileno(), self._row_bytes, self._offset
            chunks = [os.pread(fd, size, start + int(p) * size) for p in positions]
            return np.frombuffer(b"".join(chunks), np.float32).reshape(-1, self.shape[1])
        return np.asarray(self.mapped()[positions])

    def mapped(self) -> F32:
        """Every row, as a read-only memory map (made once)."""
        if self._map is None:
            self._map = np.memmap(self._file.name, np.float32, "r", self._offset, self.shape)
        return self._map


class RowSource(Protocol):
    """Float32 rows read on demand rather than held: a stored index's vectors section, in a
    local file (:class:`FileRows`) or still on object storage (``stored_index.py``)."""

    shape: tuple[int, int]

    def __len__(self) -> int: ...

    def __getitem__(self, positions: I64) -> F32: ...

    def mapped(self) -> F32:
        """Every row (a memory map where the source is a local file)."""
        ...


Rows = F32 | RowSource


class Gathered:
    """Rows of a snapshot that are not all in memory: row ``p`` is row ``at[p]`` of ``source``
    (a stored index's vectors, read on demand) or, where ``at[p]`` is -1, the next row of
    ``extra`` (rows written since the index was stored, read from Lance and held).

    So a process serving a collection from a stored index never holds its float32 matrix
    (100k x 384: 150 MB): a query reads the few dozen rows it re-ranks.

    Example:
        >>> source = np.arange(6, dtype=np.float32).reshape(3, 2)
        >>> rows = Gathered(source, np.array([2, -1, 0]), np.full((1, 2), 9, np.float32))
        >>> rows[np.array([1, 0])].tolist(), rows.shape
        ([[9.0, 9.0], [4.0, 5.0]], (3, 2))
    """

    def __init__(self, source: F32 | RowSource, at: I64, extra: F32) -> None:
        self.source, self.at, self.extra = source, at, extra
        self.shape = (len(at), int(source.shape[1]))
        self._slot = np.cumsum(at < 0) - 1  # row p's place in extra, where at[p] < 0

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, positions: I64) -> F32:
        positions = np.asarray(positions, dtype=np.int64)
        where = self.at[positions]
        out = np.empty((len(positions), self.shape[1]), np.float32)
        held = where >= 0
        if held.any():
            out[held] = self.source[where[held]]
        if not held.all():
            out[~held] = self.extra[self._slot[positions[~held]]]
        return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> F32:
        whole = self[np.arange(self.shape[0], dtype=np.int64)]
        return whole if dtype is None else whole.astype(dtype)

    def regathered(self, at: I64, new: I64, rows: F32) -> Gathered:
        """The rows of a later snapshot: its row ``p`` is this one's row ``at[p]``, or (the
        rows ``new``, where ``at`` is -1) the matching row of ``rows``, read since."""
        source_at = np.where(at >= 0, self.at[np.maximum(at, 0)], -1)
        slot = np.cumsum(source_at < 0) - 1  # as in __init__, for the later snapshot
        fresh = np.empty((int(np.count_nonzero(source_at < 0)), self.shape[1]), np.float32)
        kept_extra = np.flatnonzero((at >= 0) & (source_at < 0))  # held extra rows kept
        fresh[slot[kept_extra]] = self.extra[self._slot[at[kept_extra]]]
        fresh[slot[new]] = rows
        return Gathered(self.source, source_at, fresh)
