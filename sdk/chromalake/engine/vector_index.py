"""An in-process vector index over a collection's rows: faiss IVF + SQ8, re-ranked exactly.

The index answers a batch of queries in a fraction of a millisecond each, which a lancedb
vector query (6-10 ms of fixed cost) cannot; maintenance builds it off the request path and
stores it beside the dataset, and a serving process loads it with a few large reads or maps it
(``benchmarks/bench_index.py`` measured the candidates; faiss IVF-SQ8 won on build time, filters
and memory, see the README).

How a query runs:

- an inverted file (IVF, ``partitions`` k-means lists) holds every row as an 8-bit scalar-
  quantized code (1 byte a dimension) and its row position; each query scans its nearest
  ``nprobe`` lists (from Chroma's ``ef_search``), more when those hold fewer than
  :data:`MIN_SCANNED_ROWS` rows (:meth:`VectorIndex.probes`): the scan reads memory at ~30 ns
  a 384-byte code, so the rows scanned are the cost of a query;
- ``candidates`` (by default 2k + 8) positions come back, their distances are recomputed from
  the float32 rows with Chroma's definitions in float64 (:func:`chromalake.engine.nearest.
  exact_distances`: ``l2`` squared L2, ``cosine`` 1 - cos, ``ip`` 1 - dot), and ties are broken
  by the rows' tie-break keys (insertion order), as the exact path does;
- an ``allowed`` filter (a boolean mask over the rows, or sorted row positions) is a prefilter:
  when it leaves few rows they are searched exactly (up to 1,024 rows of 384 floats held in
  memory, 256 read from the file); otherwise faiss skips the other rows with
  a bitmap selector while it scans, probing more lists the more selective the filter is
  (``nprobe / share ** 1.5``), and a query that still finds fewer than ``k`` rows falls back
  to exact search over the allowed rows.

Rows are addressed by position 0..rows-1, in the order given to :meth:`VectorIndex.build`, then
:meth:`VectorIndex.add` appends. Vectors for the re-rank stay in float32: in memory after a
build, and after :meth:`VectorIndex.load` in the file, read on demand (a query reads the few
dozen rows it re-ranks), so a serving process holds the 8-bit codes and not the vectors.
``cosine`` indexes normalized copies and re-ranks the originals.

faiss is imported on first use (``import faiss`` costs ~0.05 s after numpy; see the README),
so importing this module stays cheap.

Example:
    >>> rng = np.random.default_rng(0)
    >>> rows = rng.standard_normal((500, 8)).astype(np.float32)
    >>> index = VectorIndex.build(rows, "l2")
    >>> [(p.tolist(), round(float(d[0]), 6)) for p, d in index.search(rows[:1], 1)]
    [([0], 0.0)]
"""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from chromalake.engine.ivf import (
    EXACT_FILTER_CELLS,
    FILTER_PROBE_EXPONENT,
    FLOOR_REACH,
    MIN_SCANNED_ROWS,
    Filter,
    IndexMemory,
    as_matrix,
    check_space,
    default_candidates,
    faiss_module,
    for_index,
    mapped_index,
    nprobe_for,
    partitions_for,
    trained,
    training_sample,
)
from chromalake.engine.nearest import exact_distances, nearest
from chromalake.engine.vector_rows import FileRows, Rows, RowSource

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Allowed = npt.NDArray[np.bool_] | npt.NDArray[np.integer[Any]] | None
Hits = list[tuple[I64, F64]]

FORMAT = "chromalake-ivfsq8"
FORMAT_VERSION = 1
_MAGIC = b"CLKIVF01"
_TRAILER = 16  # footer length (u64, little-endian) + magic
# The last bytes of a file that hold its footer whatever its size (a read of them finds the
# sections: one ranged GET on object storage).
FOOTER_BYTES = _TRAILER + 65_536
_ALIGN = 4096  # sections start on a page, so the vectors can be memory-mapped


def _raw(array: npt.NDArray[Any]) -> memoryview:
    """An array's bytes without a copy (a C-contiguous one; memoryview cannot cast empties)."""
    return np.ascontiguousarray(array).reshape(-1).view(np.uint8).data


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


class VectorIndex:
    """An IVF-SQ8 index over float32 rows, searched with Chroma's exact distances.

    Build one with :meth:`build`, or read one with :meth:`load` / :meth:`from_bytes`; it is
    safe to search from several threads at once, but :meth:`add` must not run beside a search.
    """

    def __init__(
        self,
        space: str,
        dimension: int,
        base: Any,
        empty: bytes,
        vectors: Rows,
        tiebreak: I64 | None,
        mapped: int = 0,
    ) -> None:
        self._space = check_space(space)
        self._dimension = dimension
        self._base = base  # faiss index over rows [0, base_rows), maybe memory-mapped
        # Read once: each read of a faiss attribute goes through SWIG (~1 us, a few a query).
        self._partitions = 0 if base is None else int(base.nlist)
        self._empty = empty  # the trained, empty index, serialized: the seed of a delta
        self._delta: Any = None  # faiss index over the rows added since (in memory)
        self._base_vectors = vectors
        self._added: list[F32] = []
        self._added_rows = 0
        self._extra: F32 | None = None  # the added rows as one matrix, made on demand
        self._tiebreak = tiebreak
        self._mapped = mapped  # bytes of the file mapped (0: everything in memory)
        self._path: Path | None = None  # the file a mapped index reads
        self._sizes: I64 | None = None  # rows in each list, base and delta (made on demand)
        self._params: dict[int, Any] = {}  # faiss's unfiltered search parameters, by width

    # -- building -------------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        vectors: npt.ArrayLike,
        space: str = "l2",
        *,
        tiebreak: npt.ArrayLike | None = None,
        partitions: int | None = None,
        dimension: int | None = None,
    ) -> VectorIndex:
        """Train and fill an index over ``vectors`` (rows x dimension, float32).

        ``tiebreak`` gives each row a key that orders equal distances (Chroma: insertion
        order, the ``seq`` column); by default the row position does. ``partitions`` overrides
        :func:`partitions_for`. An empty matrix gives an empty index (give ``dimension`` when
        it has no columns to tell); rows added to it later are searched exactly until the next
        build. The vectors are kept (not copied when already float32 and contiguous) for the
        exact re-rank.

        Example:
            >>> VectorIndex.build(np.eye(4, dtype=np.float32), "cosine").rows
            4
        """
        check_space(space)
        matrix = as_matrix(vectors, None)
        dim = matrix.shape[1] if matrix.size or dimension is None else dimension
        if dimension is not None and dim != dimension:
            raise ValueError(f"vectors have dimension {dim}, not {dimension}")
        keys = cls._keys(tiebreak, len(matrix))
        if len(matrix) == 0:
            return cls(space, dim, None, b"", matrix.reshape(0, dim), keys)
        lists = partitions or partitions_for(len(matrix))
        indexed = for_index(space, matrix)
        index = trained(space, dim, lists, training_sample(indexed, lists))
        empty = bytes(faiss_module().serialize_index(index))
        index.add(indexed)
        return cls(space, dim, index, empty, matrix, keys)

    @staticmethod
    def _keys(tiebreak: npt.ArrayLike | None, rows: int) -> I64 | None:
        if tiebreak is None:
            return None
        keys = np.ascontiguousarray(tiebreak, dtype=np.int64).ravel()
        if len(keys) != rows:
            raise ValueError(f"tiebreak needs one key a row ({rows}), got {len(keys)}")
        return keys

    def add(self, vectors: npt.ArrayLike, tiebreak: npt.ArrayLike | None = None) -> I64:
        """Append rows; returns their positions (``rows`` before the call, onwards).

        New rows go to an in-memory delta that shares the build's lists and quantizer (about
        0.02 ms a row), so an index loaded from a read-only mapping takes them too. An index
        built empty searches its added rows exactly. Give ``tiebreak`` keys exactly when the
        build had them.

        Example:
            >>> index = VectorIndex.build(np.zeros((0, 2), np.float32), "l2", dimension=2)
            >>> index.add(np.ones((2, 2), np.float32)).tolist()
            [0, 1]
        """
        matrix = as_matrix(vectors, self._dimension)
        start = self.rows
        keys = self._keys(tiebreak, len(matrix))
        if (keys is None) != (self._tiebreak is None):
            raise ValueError("give tiebreak keys to add exactly when the index was built with them")
        if len(matrix) == 0:
            return np.empty(0, np.int64)
        positions = np.arange(start, start + len(matrix), dtype=np.int64)
        if self._base is not None:
            if self._delta is None:
                self._delta = faiss_module().deserialize_index(np.frombuffer(self._empty, np.uint8))
            self._delta.add_with_ids(for_index(self._space, matrix), positions)
        self._added.append(matrix.copy())
        self._added_rows += len(matrix)
        self._extra = None
        self._sizes = None
        if keys is not None and self._tiebreak is not None:
            self._tiebreak = np.concatenate([self._tiebreak, keys])
        return positions

    # -- facts ----------------------------------------------------------------------------

    @property
    def space(self) -> str:
        """The Chroma space searched: ``l2``, ``cosine`` or ``ip``."""
        return self._space

    @property
    def dimension(self) -> int:
        """Floats per vector."""
        return self._dimension

    @property
    def rows(self) -> int:
        """Rows indexed, those added since the build included."""
        return len(self._base_vectors) + self._added_rows

    @property
    def partitions(self) -> int:
        """IVF lists (0 for an index built empty)."""
        return self._partitions

    def memory(self) -> IndexMemory:
        """Bytes held, in memory and mapped (see :class:`IndexMemory`).

        Example:
            >>> rows = np.random.default_rng(0).standard_normal((1000, 8)).astype(np.float32)
            >>> VectorIndex.build(rows, "l2").memory().vectors
            32000
        """
        codes = 0
        for index in (self._base, self._delta):
            if index is not None:
                per_row = int(index.code_size) + 8  # code + 64-bit id in its list
                lists = int(index.nlist) * self._dimension * 4 + 2 * self._dimension * 4
                codes += 0 if index is self._base and self._mapped else per_row * index.ntotal
                codes += lists
        vectors = self._base_vectors
        base_vectors = vectors.nbytes if isinstance(vectors, np.ndarray) else 0
        added = sum(int(m.nbytes) for m in self._added)  # _extra, once made, is _added[0]
        tiebreak = 0 if self._tiebreak is None else int(self._tiebreak.nbytes)
        return IndexMemory(codes, base_vectors + added, tiebreak, self._mapped)

    # -- searching ------------------------------------------------------------------------

    def search(
        self,
        queries: npt.ArrayLike,
        k: int,
        *,
        allowed: Allowed = None,
        nprobe: int | None = None,
        candidates: int | None = None,
        exact_cells: int = EXACT_FILTER_CELLS,
        ef_search: int = 100,
    ) -> Hits:
        """Each query's ``k`` nearest rows (among ``allowed``): positions and exact distances.

        ``queries`` is one vector or a (q x dimension) matrix. ``allowed`` is a boolean mask
        (one entry a row) or sorted unique row positions; None allows every row. ``nprobe``
        lists are scanned (default :meth:`probes` at ``ef_search``) and ``candidates``
        (default :func:`default_candidates`) re-ranked exactly; a filter that leaves at most
        ``exact_cells`` (rows x dimension; 256 rows for an index whose vectors stay in its
        file) is searched exactly instead. Each result holds
        ``min(k, allowed rows)`` entries, nearest first, equal distances in tie-break order:
        when the probed lists hold fewer, the query falls back to exact search.

        Example:
            >>> m = np.array([[0, 0], [1, 1], [5, 5]], dtype=np.float32)
            >>> index = VectorIndex.build(m, "l2")
            >>> [p.tolist() for p, _ in index.search(m[:1], 2, allowed=np.array([1, 2]))]
            [[1, 2]]
        """
        matrix = as_matrix(np.atleast_2d(np.asarray(queries, dtype=np.float32)), self._dimension)
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        where = Filter.of(allowed, self.rows)
        count = self.rows if where is None else where.count
        if k == 0 or count == 0:
            return [(np.empty(0, np.int64), np.empty(0, np.float64)) for _ in matrix]
        if self._base is None or (where is not None and self._few(count, exact_cells)):
            return self._exact(matrix, k, where)
        share = 1.0 if where is None else count / self.rows
        wanted = max(candidates or default_candidates(k), k)
        indexed = for_index(self._space, matrix)
        lists = self._lists(indexed, ef_search, nprobe, share)
        found = self._candidates(indexed, wanted, lists, where)
        hits = [self._reranked(q, c, k) for q, c in zip(matrix, found, strict=True)]
        # The probed lists held fewer than k (allowed) rows: exact search, never a short answer.
        short = [i for i, (p, _) in enumerate(hits) if len(p) < min(k, count)]
        if short:
            for i, hit in zip(short, self._exact(matrix[short], k, where), strict=True):
                hits[i] = hit
        return hits

    def probes(
        self, queries: npt.ArrayLike, ef_search: int = 100, nprobe: int | None = None
    ) -> I64:
        """Lists each query probes at Chroma's ``ef_search``: :func:`nprobe_for` of them, and
        past that as many of its nearest lists as hold :data:`MIN_SCANNED_ROWS` rows (looking
        no further than :data:`FLOOR_REACH` times the lists of mean size that hold them);
        ``nprobe`` fixes the number instead.

        Example:
            >>> m = np.random.default_rng(0).standard_normal((10_000, 4)).astype(np.float32)
            >>> index = VectorIndex.build(m, "l2")
            >>> index.partitions, nprobe_for(index.partitions), int(index.probes(m[:1])[0])
            (128, 4, 63)
        """
        matrix = as_matrix(np.atleast_2d(np.asarray(queries, dtype=np.float32)), self._dimension)
        if self._base is None:
            return np.zeros(len(matrix), np.int64)
        _, lists = self._lists(for_index(self._space, matrix), ef_search, nprobe)
        counts: I64 = np.count_nonzero(lists >= 0, axis=1).astype(np.int64)
        return counts

    def _lists(
        self, indexed: F32, ef_search: int, nprobe: int | None, share: float = 1.0
    ) -> tuple[F32, I64]:
        """The lists each query (as indexed: :func:`for_index`) probes, nearest first, and
        its distances to their centroids (for faiss's preassigned search), -1 past a query's
        last list (faiss skips those).

        A filter keeping a ``share`` of the rows multiplies the lists (see
        :data:`FILTER_PROBE_EXPONENT`).
        """
        partitions = self.partitions
        factor = share**-FILTER_PROBE_EXPONENT
        quantizer = self._base.quantizer
        if nprobe:
            coarse, lists = quantizer.search(indexed, min(partitions, math.ceil(nprobe * factor)))
            return coarse, lists
        least = nprobe_for(partitions, ef_search)
        per_list = max(1, self.rows // partitions)
        reach = min(partitions, max(least, FLOOR_REACH * math.ceil(MIN_SCANNED_ROWS / per_list)))
        width = min(partitions, math.ceil(reach * factor))
        coarse, lists = quantizer.search(indexed, width)
        held = self._list_sizes()[lists[:, :reach]].cumsum(axis=1)
        probes = np.clip((held < MIN_SCANNED_ROWS).sum(axis=1) + 1, least, reach)  # least <= reach
        if factor != 1.0:
            probes = np.minimum(width, np.ceil(probes * factor))
        lists[np.arange(width)[None, :] >= probes[:, None]] = -1
        return coarse, lists

    def _list_sizes(self) -> I64:
        """Rows in each list, the base's and the delta's together."""
        if self._sizes is None:
            sizes = np.zeros(self.partitions, np.int64)
            for index in self._indexes():
                lists = index.invlists
                sizes += np.fromiter(
                    (lists.list_size(i) for i in range(len(sizes))), np.int64, len(sizes)
                )
            self._sizes = sizes
        return self._sizes

    def _few(self, count: int, exact_cells: int) -> bool:
        """Whether a filter's ``count`` rows are searched exactly rather than through the lists.

        From memory, up to ``exact_cells``. From the file, up to one pread each (a gather of
        thousands of scattered rows would map the whole file into the process); a larger
        filter scans the lists' codes with the bitmap instead, all lists at 1% (0.5 ms at
        100k x 384), and re-ranks 2k + 8 rows read from the file.
        """
        if not isinstance(self._base_vectors, np.ndarray):
            return count <= FileRows.PREAD_ROWS
        return count * self._dimension <= exact_cells

    def exact(self, queries: npt.ArrayLike, k: int, allowed: Allowed = None) -> Hits:
        """Exact search over the allowed rows (all rows by default), without the lists.

        Example:
            >>> m = np.array([[0, 0], [1, 1], [5, 5]], dtype=np.float32)
            >>> [p.tolist() for p, _ in VectorIndex.build(m, "ip").exact(m[2:], 3)]
            [[2, 1, 0]]
        """
        matrix = as_matrix(np.atleast_2d(np.asarray(queries, dtype=np.float32)), self._dimension)
        return self._exact(matrix, k, Filter.of(allowed, self.rows))

    def _exact(self, queries: F32, k: int, where: Filter | None) -> Hits:
        positions = np.arange(self.rows, dtype=np.int64) if where is None else where.positions
        found = nearest(
            self._space, queries, self.vectors_at(positions), self._tiebreak_of(positions), k
        )
        return [(positions[p], d) for p, d in found]

    def _candidates(
        self, indexed: F32, wanted: int, lists: tuple[F32, I64], where: Filter | None
    ) -> list[I64]:
        """Positions proposed by the ``lists`` (:meth:`_lists`; base and delta share their
        centroids) for each query (as indexed: :func:`for_index`)."""
        faiss = faiss_module()
        coarse, probed = lists
        width = probed.shape[1]
        bitmap = None
        if where is None:
            params = self._params.get(width)
            if params is None:  # made once: ~25 us each through faiss's wrapper
                params = self._params[width] = faiss.SearchParametersIVF(nprobe=width)
        else:
            bitmap = where.bitmap()
            selector = faiss.IDSelectorBitmap(self.rows, faiss.swig_ptr(bitmap))
            params = faiss.SearchParametersIVF(nprobe=width, sel=selector)
        parts = []
        for index in self._indexes():
            scores = np.empty((len(indexed), wanted), np.float32)
            ids = np.empty((len(indexed), wanted), np.int64)
            index.search_preassigned_c(
                len(indexed),
                faiss.swig_ptr(indexed),
                wanted,
                faiss.swig_ptr(probed),
                faiss.swig_ptr(coarse),
                faiss.swig_ptr(scores),
                faiss.swig_ptr(ids),
                False,
                params,
            )
            parts.append((scores, ids))
        del bitmap  # kept alive until faiss is done with it
        if len(parts) == 1:
            found = parts[0][1]
        else:  # the best ``wanted`` of base and delta by code distance: as one index would
            scores = np.concatenate([d for d, _ in parts], axis=1)
            ids = np.concatenate([i for _, i in parts], axis=1)
            if self._space == "ip":  # faiss ranks inner products highest first
                scores = -scores
            scores[ids < 0] = np.inf
            order = np.argsort(scores, axis=1, kind="stable")[:, :wanted]
            found = np.take_along_axis(ids, order, axis=1)
        return [row[row >= 0] for row in found]

    def _indexes(self) -> list[Any]:
        return [index for index in (self._base, self._delta) if index is not None]

    def _reranked(self, query: F32, positions: I64, k: int) -> tuple[I64, F64]:
        if len(positions) == 0:
            return np.empty(0, np.int64), np.empty(0, np.float64)
        rows = self.vectors_at(positions).astype(np.float64)
        distances = exact_distances(self._space, query.astype(np.float64), rows)
        order = np.lexsort((self._tiebreak_of(positions), distances))[:k]
        return positions[order].astype(np.int64), distances[order]

    def _tiebreak_of(self, positions: I64) -> I64:
        return positions if self._tiebreak is None else self._tiebreak[positions]

    def vectors_at(self, positions: I64) -> F32:
        """The float32 rows at ``positions`` (sorted or not), from the build and the adds."""
        base = len(self._base_vectors)
        if not self._added or (len(positions) and positions.max() < base):
            return np.asarray(self._base_vectors[positions], dtype=np.float32)
        if self._extra is None:
            self._extra = np.concatenate(self._added)
            self._added = [self._extra]
        out = np.empty((len(positions), self._dimension), np.float32)
        old = positions < base
        out[old] = self._base_vectors[positions[old]]
        out[~old] = self._extra[positions[~old] - base]
        return out

    # -- storing --------------------------------------------------------------------------

    def _merged(self) -> Any:
        """One in-memory faiss index over every row (the delta folded into a copy)."""
        faiss = faiss_module()
        if self._path is not None:
            merged = faiss.read_index(str(self._path))
        elif self._delta is not None:
            merged = faiss.deserialize_index(faiss.serialize_index(self._base))
        else:
            return self._base
        if self._delta is not None:  # merge_from empties its argument: give it a copy
            merged.merge_from(faiss.clone_index(self._delta), 0)
        return merged

    def _all_vectors(self) -> F32:
        if self._added:
            return self.vectors_at(np.arange(self.rows, dtype=np.int64))
        if not isinstance(self._base_vectors, np.ndarray):
            return self._base_vectors.mapped()
        return self._base_vectors

    def _sections(self) -> tuple[list[tuple[str, bytes | memoryview]], dict[str, Any]]:
        faiss = faiss_module()
        index = b"" if self._base is None else bytes(faiss.serialize_index(self._merged()))
        sections: list[tuple[str, bytes | memoryview]] = [
            ("index", index),
            ("empty", self._empty),
            ("vectors", _raw(self._all_vectors())),
        ]
        if self._tiebreak is not None:
            sections.append(("tiebreak", _raw(self._tiebreak)))
        header = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "space": self._space,
            "dimension": self._dimension,
            "rows": self.rows,
            "partitions": self.partitions,
            "faiss": str(faiss.__version__),
        }
        return sections, header

    def _write(self, out: BinaryIO) -> int:
        """Sections page-aligned (the faiss index first, so faiss maps the file as is), then
        a JSON footer with the offsets, its length and a magic number."""
        sections, header = self._sections()
        offset, table = 0, {}
        for name, data in sections:
            offset = _aligned(offset)
            out.seek(offset)
            out.write(data)
            table[name] = [offset, len(data)]
            offset += len(data)
        footer = json.dumps({**header, "sections": table}).encode()
        out.seek(offset)
        out.write(footer + len(footer).to_bytes(8, "little") + _MAGIC)
        return offset + len(footer) + _TRAILER

    def save(self, path: str | os.PathLike[str]) -> int:
        """Write the index to ``path`` (one file, replaced atomically); returns its size.

        Files are immutable once written: a process may map one, so write a new file for a new
        build rather than overwriting one in place (the rename here keeps a mapping valid).

        Example:
            >>> import tempfile
            >>> m = np.random.default_rng(0).standard_normal((300, 4)).astype(np.float32)
            >>> with tempfile.TemporaryDirectory() as d:
            ...     size = VectorIndex.build(m, "l2").save(f"{d}/ix")
            ...     VectorIndex.load(f"{d}/ix").rows
            300
        """
        target = Path(path)
        # Two threads may save the same index at once (a maintainer beside an explicit call).
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(temporary, "wb") as out:
                size = self._write(out)
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        return size

    def to_bytes(self) -> bytes:
        """The same bytes :meth:`save` writes (for an object store's PUT)."""
        import io

        buffer = io.BytesIO()
        self._write(buffer)
        return buffer.getvalue()

    @staticmethod
    def footer_of(tail: bytes, size: int) -> dict[str, Any]:
        """The footer of an index file of ``size`` bytes from its last bytes (``tail``, at
        least the footer: :data:`FOOTER_BYTES` hold any): format, shape and the offset and
        length of each section."""
        if size < _TRAILER or tail[-8:] != _MAGIC:
            raise ValueError("not a chromalake vector index (bad magic)")
        length = int.from_bytes(tail[-_TRAILER:-8], "little")
        footer: dict[str, Any] = json.loads(tail[-_TRAILER - length : -_TRAILER])
        if footer.get("format") != FORMAT or footer.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported vector index format {footer.get('format')!r}")
        return footer

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> VectorIndex:
        """An index from :meth:`to_bytes`' output. The vectors stay a view of ``data`` (no
        copy); the faiss lists are copied into faiss's own memory."""
        view = memoryview(data).cast("B")
        size = len(view)
        tail_start = max(0, size - FOOTER_BYTES)
        footer = cls.footer_of(bytes(view[tail_start:]), size)
        sections = footer["sections"]

        def part(name: str) -> memoryview:
            offset, length = sections[name]
            return view[offset : offset + length]

        vectors = np.frombuffer(part("vectors"), np.float32).reshape(-1, footer["dimension"])
        return cls._assemble(
            footer,
            base=faiss_module().deserialize_index(np.frombuffer(part("index"), np.uint8))
            if footer["rows"] and footer["partitions"]
            else None,
            empty=bytes(part("empty")),
            vectors=vectors,
            tiebreak=np.frombuffer(part("tiebreak"), np.int64) if "tiebreak" in sections else None,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, mmap: bool = True) -> VectorIndex:
        """Read an index saved by :meth:`save`.

        ``mmap=True`` maps the lists (faiss reads them in place, read-only) and leaves the
        vectors in the file, read a few rows a query (a filter's exact search maps them): the
        load costs a few small reads and the process holds the codes only. ``mmap=False``
        reads the lists and the vectors into memory with one large read each.
        """
        target = Path(path)
        size = target.stat().st_size
        with open(target, "rb") as f:
            f.seek(max(0, size - FOOTER_BYTES))
            footer = cls.footer_of(f.read(), size)
            sections = footer["sections"]
            offset, length = sections.get("tiebreak", (0, 0))
            f.seek(offset)
            tiebreak = np.frombuffer(f.read(length), np.int64) if "tiebreak" in sections else None
            offset, length = sections["empty"]
            f.seek(offset)
            empty = f.read(length)
            vectors_at, vectors_len = sections["vectors"]
            shape = (vectors_len // 4 // max(1, footer["dimension"]), footer["dimension"])
            if mmap and vectors_len:
                vectors: Rows = FileRows(target, vectors_at, shape)
            else:
                f.seek(vectors_at)
                vectors = np.fromfile(f, np.float32, shape[0] * shape[1]).reshape(shape)
        base = None
        if footer["rows"] and footer["partitions"]:
            base = mapped_index(target) if mmap else faiss_module().read_index(str(target))
        index = cls._assemble(footer, base, empty, vectors, tiebreak)
        if mmap:
            index._mapped = int(sections["index"][1]) + vectors_len
            index._path = target
        return index

    @classmethod
    def from_sections(
        cls,
        footer: dict[str, Any],
        index: bytes | memoryview | Path,
        empty: bytes,
        tiebreak: bytes | None,
        vectors: RowSource,
    ) -> VectorIndex:
        """An index from its file's sections read apart (``footer``: :meth:`footer_of`), the
        vectors left where they are: what a process fetching a stored index by ranges holds
        before the whole file is local. ``index``: the faiss section, or a file it starts.

        Example:
            >>> import tempfile
            >>> m = np.random.default_rng(0).standard_normal((300, 4)).astype(np.float32)
            >>> with tempfile.TemporaryDirectory() as d:
            ...     _ = VectorIndex.build(m, "l2").save(f"{d}/ix")
            ...     data = Path(f"{d}/ix").read_bytes()
            ...     footer = VectorIndex.footer_of(data[-FOOTER_BYTES:], len(data))
            ...     rows = FileRows(Path(f"{d}/ix"), footer["sections"]["vectors"][0], (300, 4))
            ...     ix = VectorIndex.from_sections(footer, Path(f"{d}/ix"), b"", None, rows)
            ...     [p.tolist() for p, _ in ix.search(m[:1], 1)]
            [[0]]
        """
        base, mapped = None, isinstance(index, Path) and footer["partitions"]
        if footer["rows"] and footer["partitions"]:
            if isinstance(index, Path):
                base = mapped_index(index)
            else:
                base = faiss_module().deserialize_index(np.frombuffer(index, np.uint8))
        keys = None if tiebreak is None else np.frombuffer(tiebreak, np.int64)
        built = cls._assemble(footer, base, empty, vectors, keys)
        built._mapped = int(footer["sections"]["index"][1]) if mapped else 0
        return built

    @classmethod
    def _assemble(
        cls, footer: dict[str, Any], base: Any, empty: bytes, vectors: Rows, tiebreak: I64 | None
    ) -> VectorIndex:
        if len(vectors) != footer["rows"]:
            raise ValueError("vector index file is truncated (rows and vectors disagree)")
        return cls(footer["space"], int(footer["dimension"]), base, empty, vectors, tiebreak)
