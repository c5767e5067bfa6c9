"""The IVF-SQ8 index's parameters and building blocks (``vector_index.py`` is the index).

How many lists a collection gets, how many a query probes for Chroma's ``ef_search``, how
many candidates are re-ranked, how a filter becomes faiss's selector, and the faiss calls that
train an index and map one from a file. faiss is imported on first use (:func:`faiss_module`;
``import faiss`` costs ~0.05 s after numpy), so importing this module stays cheap.

Example:
    >>> partitions_for(100_000), nprobe_for(512, 16), default_candidates(10)
    (512, 3, 28)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chromalake.types import SPACES

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
Allowed = npt.NDArray[np.bool_] | npt.NDArray[np.integer[Any]] | None


# k-means wants ~40 training rows a list; fewer lists than that would be trained on noise.
_MIN_ROWS_PER_LIST = 40
_MAX_PARTITIONS = 65_536
# Lists up to which an index takes 2 x sqrt(rows) of them (partitions_for).
_FINE_PARTITIONS = 1024
# Rows sampled to train the lists (k-means) and the quantizer: enough for stable centroids,
# so a build stays seconds long at 1M rows.
_TRAIN_ROWS_PER_LIST = 64
_MIN_TRAIN_ROWS = 20_000
# A filter that leaves at most this many matrix cells (rows x dimension) is searched exactly:
# one gather and one matrix product beat scanning lists for a few matching rows (at 384
# dimensions: 1,024 rows, ~0.3 ms; 2,000 rows cost 1 ms on one BLAS thread and 12 ms on two
# on a busy machine, where the lists answer in 1.5-2 ms).
EXACT_FILTER_CELLS = 1024 * 384
# A filter keeping a share s of the rows probes nprobe / s ** 1.5 lists: 1 / s lists hold as
# many allowed rows as an unfiltered probe, and the k-th allowed neighbour lies further out
# (measured at 100k x 384, 10%: 10x the lists gave recall 0.91, 32x 0.95, 80x 0.97; faiss
# computes distances for allowed rows only, so extra lists cost little).
FILTER_PROBE_EXPONENT = 1.5
# A list may hold at most this many times the mean list's rows (of the training sample); a
# longer one is split (split_long_lists). At 2x, a 1M x 384 index had 1,374 lists instead of
# 1,024 and none over 1.2k rows; at 3x 1,221 lists, up to 2.1k rows, and twice the scan.
LONGEST_LIST = 2.0
_SPLIT_ROUNDS = 3
_SEED = 1234  # deterministic k-means: the same rows give the same index
# ef_search at which every list is probed; ef_search 100 probes 1/32 of the lists.
FULL_PROBE_EF = 3200


def partitions_for(rows: int) -> int:
    """IVF lists for ``rows`` rows: a power of two near 2 x sqrt(rows) while that is at most
    :data:`_FINE_PARTITIONS` lists, sqrt(rows) beyond; >= 40 rows a list.

    A query's cost is the rows its lists hold (:data:`MIN_SCANNED_ROWS`), and k-means lists
    are uneven: at 100k x 384 (clustered) 256 lists held 1 to 12k rows and a query at
    ef_search 16 scanned 13.8k rows, 512 lists 7.3k (recall 1.0 both) for 1.1 s of build
    instead of 0.55. Past 1,024 lists the k-means work grows faster than the lists shrink
    (1M rows: sqrt gives lists of ~1k rows already).

    Example:
        >>> partitions_for(100_000), partitions_for(1_000_000), partitions_for(500)
        (512, 1024, 8)
    """
    if rows <= 0:
        return 1
    target = 2 * math.sqrt(rows)
    if target > _FINE_PARTITIONS:
        target = max(_FINE_PARTITIONS, math.sqrt(rows))
    power = 2 ** round(math.log2(max(1.0, target)))
    most = max(1, rows // _MIN_ROWS_PER_LIST)
    return int(max(1, min(power, 2 ** int(math.log2(most)), _MAX_PARTITIONS)))


def nprobe_for(partitions: int, ef_search: int = 100) -> int:
    """Lists probed per query for Chroma's ``ef_search`` (its one recall knob at query time).

    ef_search / 3200 of the lists, at least 2 (when there are 2): ef_search 100 probes 1/32,
    ef_search 3200 all of them.

    Example:
        >>> nprobe_for(512), nprobe_for(512, 16), nprobe_for(512, 5000), nprobe_for(1)
        (16, 3, 512, 1)
    """
    wanted = math.ceil(partitions * ef_search / FULL_PROBE_EF)
    return int(min(partitions, max(2, wanted)))


# A query scans at least this many rows' codes whatever ef_search says, in its nearest lists:
# below it a query's cost is its fixed part (~6k x 384 bytes take ~0.2 ms), and the recall of
# a small index with short lists comes free (10k x 384, clustered: 0.92 at 4 lists of 128,
# 0.98 past 6k rows). Counted per query over the lists it probes, not from the mean list
# size: k-means lists are uneven (100k x 384 clustered: 1 to 12k rows, 390 on average), a
# query tends to land in a long one, and a floor of mean-sized lists made it scan 21k rows.
MIN_SCANNED_ROWS = 6144
# How far down a query's nearest lists the floor looks: this many times the lists of mean
# size that hold it (a query among short lists stops there).
FLOOR_REACH = 4


def default_candidates(k: int) -> int:
    """Candidates re-ranked exactly for a top-``k`` query (the 8-bit codes order them almost
    right; the exact pass fixes the rest).

    Example:
        >>> default_candidates(10)
        28
    """
    return 2 * k + 8


@dataclass(frozen=True)
class IndexMemory:
    """Bytes an index holds: in this process's memory, and mapped from its file.

    ``resident`` is what the process holds in anonymous memory (codes, lists, centroids, the
    rows added since the build, tie-break keys); ``mapped`` is what an index loaded with
    ``mmap=True`` leaves in its file: the codes, which faiss maps (every list is touched sooner
    or later, so count them as resident for a warm process), and the vectors, read a few rows
    a query (they stay in the page cache, shared and reclaimable).
    """

    codes: int
    vectors: int
    tiebreak: int
    mapped: int

    @property
    def resident(self) -> int:
        """Bytes held in anonymous memory."""
        return self.codes + self.vectors + self.tiebreak


def faiss_module() -> Any:
    import faiss

    return faiss


def check_space(space: str) -> str:
    if space not in SPACES:
        raise ValueError(f"space must be one of {sorted(SPACES)}, not {space!r}")
    return space


def as_matrix(vectors: npt.ArrayLike, dimension: int | None) -> F32:
    matrix = np.ascontiguousarray(vectors, dtype=np.float32)
    if matrix.ndim != 2:
        raise ValueError(f"vectors must be a 2-D matrix, got {matrix.ndim} dimensions")
    if dimension is not None and matrix.shape[1] != dimension:
        raise ValueError(f"vectors have dimension {matrix.shape[1]}, the index {dimension}")
    return matrix


def for_index(space: str, matrix: F32) -> F32:
    """What faiss indexes: ``cosine`` as squared L2 between unit vectors (same order)."""
    if space != "cosine":
        return matrix
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.ascontiguousarray(matrix / (norms + 1e-30), dtype=np.float32)


def trained(space: str, dimension: int, partitions: int, sample: F32) -> Any:
    """An empty IVF-SQ8 index with its lists and quantizer trained on ``sample``: k-means
    over ``partitions`` lists, then every list that would hold over :data:`LONGEST_LIST`
    times the mean split by k-means over its own rows (:func:`split_long_lists`), so the
    index may end up with a few more lists than asked for."""
    index = _ivf_sq8(space, dimension, partitions, None)
    index.cp.seed = _SEED
    index.train(sample)
    centroids = split_long_lists(index.quantizer, sample)
    if centroids is None:
        return index
    index = _ivf_sq8(space, dimension, len(centroids), centroids)
    index.train(sample)  # its quantizer is full: this trains the 8-bit quantizer only
    return index


def _ivf_sq8(space: str, dimension: int, partitions: int, centroids: F32 | None) -> Any:
    faiss = faiss_module()
    quantizer = faiss.IndexFlat(dimension, _metric(space))
    if centroids is not None:
        quantizer.add(centroids)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, partitions, faiss.ScalarQuantizer.QT_8bit, _metric(space)
    )
    index.own_fields = True
    quantizer.this.disown()  # the IVF index frees it
    return index


def _metric(space: str) -> int:
    faiss = faiss_module()
    return int(faiss.METRIC_INNER_PRODUCT if space == "ip" else faiss.METRIC_L2)


def split_long_lists(quantizer: Any, sample: F32) -> F32 | None:
    """The centroids of ``quantizer`` with each list that holds more than
    :data:`LONGEST_LIST` times the mean of ``sample``'s rows replaced by a k-means of those
    rows into lists of about the mean; None when no list is that long.

    k-means on clustered rows leaves some centroids between several clusters: at 1M x 384
    (1,000 clusters, 1,024 lists) lists held up to 9k rows where the mean was 977, and such a
    list, near every query, came second for most of them, so a query at ``ef_search`` 16
    scanned 38k rows (1.5 ms) where 5k were enough for the same recall (0.2 ms). Up to
    :data:`_SPLIT_ROUNDS` rounds (a split can leave a long list again); a list whose rows k-means
    cannot part (duplicates) stays as it is.

    Example:
        >>> faiss = faiss_module()
        >>> rows = np.repeat(np.eye(4, dtype=np.float32), [10, 10, 10, 90], axis=0)
        >>> rows += np.random.default_rng(0).normal(0, 0.01, rows.shape).astype(np.float32)
        >>> quantizer = faiss.IndexFlatL2(4)
        >>> quantizer.add(np.eye(4, dtype=np.float32))
        >>> split_long_lists(quantizer, rows).shape
        (6, 4)
    """
    centroids = quantizer.reconstruct_n(0, quantizer.ntotal)
    changed = False
    for _ in range(_SPLIT_ROUNDS):
        assigner = faiss_module().IndexFlat(quantizer.d, quantizer.metric_type)
        assigner.add(centroids)
        assigned = assigner.search(sample, 1)[1].ravel()
        counts = np.bincount(assigned, minlength=len(centroids))
        mean = len(sample) / len(centroids)
        split = [
            (i, part)
            for i in np.flatnonzero(counts > LONGEST_LIST * mean)
            if (part := _parted(sample[assigned == i], math.ceil(counts[i] / mean))) is not None
        ]
        if not split:
            break
        kept = np.delete(centroids, [i for i, _ in split], axis=0)
        centroids = np.concatenate([kept, *(p for _, p in split)]).astype(np.float32)
        changed = True
    return np.ascontiguousarray(centroids) if changed else None


def _parted(rows: F32, lists: int) -> F32 | None:
    """k-means centroids parting ``rows`` into ``lists``, or None when the largest part would
    keep all of them.

    By L2 whatever the space: k-means that assigns by inner product (faiss's for an ``ip``
    index) sends most rows to the centroid of largest norm and leaves lists empty.
    """
    faiss = faiss_module()
    clustering = faiss.Clustering(rows.shape[1], lists)
    clustering.seed = _SEED
    clustering.min_points_per_centroid = 1  # the rows of one list; no warning about too few
    assigner = faiss.IndexFlatL2(rows.shape[1])
    clustering.train(np.ascontiguousarray(rows), assigner)
    if np.bincount(assigner.search(rows, 1)[1].ravel()).max() >= len(rows):
        return None
    centroids: F32 = assigner.reconstruct_n(0, assigner.ntotal)
    return centroids


def training_sample(matrix: F32, partitions: int) -> F32:
    rows = max(_MIN_TRAIN_ROWS, partitions * _TRAIN_ROWS_PER_LIST)
    if len(matrix) <= rows:
        return matrix
    picked = np.sort(np.random.default_rng(0).choice(len(matrix), rows, replace=False))
    return np.ascontiguousarray(matrix[picked])


class Filter:
    """An allowed-rows filter as sorted positions and as faiss's bitmap, each made once and
    only when needed (a mask stays a mask for the lists; positions stay positions for exact
    search)."""

    def __init__(self, allowed: npt.NDArray[Any], rows: int) -> None:
        self.rows = rows
        self._mask: npt.NDArray[np.bool_] | None = None
        self._positions: I64 | None = None
        if allowed.dtype == np.bool_:
            if allowed.shape != (rows,):
                raise ValueError(
                    f"an allowed mask needs one entry a row ({rows}), got {allowed.shape}"
                )
            self._mask = allowed
            self.count = int(np.count_nonzero(allowed))
            return
        positions = allowed.astype(np.int64, copy=False).ravel()
        if len(positions) and (
            positions[0] < 0 or positions[-1] >= rows or np.any(np.diff(positions) <= 0)
        ):
            raise ValueError("allowed positions must be sorted, unique and within the index's rows")
        self._positions = positions
        self.count = len(positions)

    @classmethod
    def of(cls, allowed: Allowed, rows: int) -> Filter | None:
        return None if allowed is None else cls(np.asarray(allowed), rows)

    @property
    def positions(self) -> I64:
        if self._positions is None:
            self._positions = np.flatnonzero(np.asarray(self._mask)).astype(np.int64)
        return self._positions

    def bitmap(self) -> npt.NDArray[np.uint8]:
        """One bit a row, little-endian within a byte: faiss's IDSelectorBitmap layout."""
        mask = self._mask
        if mask is None:
            mask = np.zeros(self.rows, dtype=bool)
            mask[self.positions] = True
        return np.packbits(mask, bitorder="little")


def mapped_index(path: Path) -> Any:
    """The faiss index at the start of the file ``path``, its lists mapped read-only."""
    faiss = faiss_module()
    base = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
    lists = faiss.downcast_InvertedLists(faiss.extract_index_ivf(base).invlists)
    # Its default 32 prefetch threads per search cost ~1-3 ms a query; the pages of a warm
    # index are in the page cache anyway.
    lists.prefetch_nthread = 0
    return base
