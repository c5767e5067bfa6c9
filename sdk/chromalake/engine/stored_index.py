"""Warm indexes built by maintenance and stored beside the collection's dataset (issue 21).

A process that starts serving a collection would otherwise build its in-process index
(``warm_index.py``) itself: seconds of a core (~3 s at 100k x 384), with queries on Lance's
slower path meanwhile, and again in every new process (each cold Lambda). Maintenance builds
it instead, off the request path, and stores it beside the collection's Lance dataset::

    <dataset>/_chromalake/warm-<version>-<rows>.keys   each index row's id, rev, seq and norm
    <dataset>/_chromalake/warm-<version>-<rows>.cvi    the VectorIndex (vector_index.py's file)

``<version>`` is the Lance version it was built from, ``<rows>`` its row count (so that
maintenance sees how far the collection moved since without reading anything). The keys file
is written first and the index last: an index file present means a complete pair
(``stored_files.py`` says how they are kept, on local disk and on S3).

A serving process loads the newest pair and serves from it: on local disk it maps the file;
on S3 it fetches the codes and the keys by parallel ranged reads, and reads the float32
vectors a query re-ranks by range until the whole file is in its cache directory (fetched in
the background). The rows it serves are matched to the pair's as for an index it built: rows
written since are searched exactly beside it, rows deleted are masked out
(``warm_index.py``); their snapshot is made from the keys, without the float32 matrix
(``snapshot.from_stored``).

Lance leaves the ``_chromalake`` directory alone (it cleans only the files its manifests
name); deleting the collection deletes the dataset's whole directory, this one included.

Example:
    >>> import tempfile
    >>> rows = np.random.default_rng(0).standard_normal((400, 4)).astype(np.float32)
    >>> from chromalake.engine.stored_files import LocalFiles
    >>> dataset = tempfile.mkdtemp()
    >>> files = LocalFiles()
    >>> save(files, dataset, 7, VectorIndex.build(rows, "l2"), [f"r{i}" for i in range(400)],
    ...      [0] * 400)
    >>> found = newest(files, dataset)
    >>> found.version, found.index.rows, found.ids[:2]
    (7, 400, ['r0', 'r1'])
"""

from __future__ import annotations

import logging
import math
import re
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chromalake.engine.columns import FIELD_COLUMNS
from chromalake.engine.foreground import wait_until_idle
from chromalake.engine.stored_files import IndexFiles, spans
from chromalake.engine.vector_index import FOOTER_BYTES, VectorIndex
from chromalake.engine.vector_rows import FileRows

log = logging.getLogger("chromalake.stored_index")

_NAME = re.compile(r"^warm-(\d+)-(\d+)\.cvi$")


@dataclass(frozen=True)
class Stored:
    """A stored index and the (id, revision) of each of its rows."""

    version: int
    index: VectorIndex
    ids: list[str]
    revs: list[int]
    # Each row's insertion sequence and L2 norm (what a snapshot needs besides the vectors);
    # None in a file from before they were stored.
    seqs: npt.NDArray[np.int64] | None = None
    norms: npt.NDArray[np.float32] | None = None
    # The rows' FIELD_COLUMNS (documents, uris, metadata), when they fit the snapshot's budget.
    fields: pa.Table | None = None


def stored_versions(files: IndexFiles, dataset: str) -> list[tuple[int, int]]:
    """(version, rows) of each complete stored index, oldest first."""
    found = (_NAME.match(name) for name in files.names(dataset))
    return sorted((int(m[1]), int(m[2])) for m in found if m is not None)


def save(
    files: IndexFiles,
    dataset: str,
    version: int,
    index: VectorIndex,
    ids: list[str],
    revs: list[int],
    seqs: npt.NDArray[np.int64] | None = None,
    norms: npt.NDArray[np.float32] | None = None,
    fields: pa.Table | None = None,
) -> None:
    """Store ``index`` (built from the rows ``ids``/``revs`` of ``version``, whose insertion
    sequences are ``seqs``, L2 norms ``norms`` and other fields ``fields``, in row order) and
    remove the ones stored before it."""
    before = stored_versions(files, dataset)
    stem = f"warm-{version}-{index.rows}"
    with tempfile.TemporaryDirectory() as scratch:
        keys, built = Path(scratch) / "keys", Path(scratch) / "index"
        columns = {"id": pa.array(ids, pa.utf8()), "rev": pa.array(revs, pa.int64())}
        if seqs is not None and norms is not None:
            columns["seq"] = pa.array(np.asarray(seqs, np.int64))
            columns["norm"] = pa.array(np.asarray(norms, np.float32))
        table = pa.table(columns)
        if fields is not None and seqs is not None and norms is not None:
            for name in FIELD_COLUMNS:
                table = table.append_column(fields.schema.field(name), fields[name])
        with pa.OSFile(str(keys), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)
        index.save(built)
        files.put(dataset, f"{stem}.keys", keys)
        files.put(dataset, f"{stem}.cvi", built)  # last: its presence means a complete pair
    for old_version, old_rows in before:
        if (old_version, old_rows) != (version, index.rows):
            for suffix in ("cvi", "keys"):  # the index first, so no half pair looks complete
                files.remove(dataset, f"warm-{old_version}-{old_rows}.{suffix}")


# How often a process serving a collection without an index looks for one that maintenance
# stored (StoredLooks): meanwhile Lance's index or exact search answers.
LOOK_EVERY_SECONDS = 5.0


class StoredLooks:
    """When a serving process last listed each collection's stored indexes, and which one it
    was offered: at most one listing (on S3, one LIST) per :data:`LOOK_EVERY_SECONDS` a
    collection, and each stored index offered once.

    Maintenance stores an index after its last commit, in this process or another, so no
    version of the collection says when to look; a process that looked once and never again
    (the one that wrote a million rows and queried at once) served through Lance's index
    for good.

    Example:
        >>> import tempfile
        >>> from chromalake.engine.stored_files import LocalFiles
        >>> looks, dataset = StoredLooks(every=0.0), tempfile.mkdtemp()
        >>> print(looks.newly_stored("c", LocalFiles(), dataset))
        None
    """

    def __init__(self, every: float | None = None) -> None:
        self._every = every
        self._lock = threading.Lock()
        self._looked: dict[str, tuple[float, tuple[int, int] | None]] = {}

    def newly_stored(self, key: str, files: IndexFiles, dataset: str) -> tuple[int, int] | None:
        """(version, rows) of the newest stored index of ``dataset`` if it is time to look
        for ``key`` again and it was not offered before; else None."""
        every = LOOK_EVERY_SECONDS if self._every is None else self._every
        now = time.monotonic()
        with self._lock:
            at, offered = self._looked.get(key, (-math.inf, None))
            if now - at < every:
                return None
            self._looked[key] = (now, offered)
        stored = stored_versions(files, dataset)
        if not stored or stored[-1] == offered:
            return None
        with self._lock:
            self._looked[key] = (now, stored[-1])
        return stored[-1]


def newest(files: IndexFiles, dataset: str) -> Stored | None:
    """The newest stored index of the dataset, or None (:func:`loaded`)."""
    stored = stored_versions(files, dataset)
    return loaded(files, dataset, *stored[-1]) if stored else None


def loaded(files: IndexFiles, dataset: str, version: int, rows: int) -> Stored | None:
    """The stored index of ``version`` with ``rows`` rows, or None when it is gone or bad.

    On local disk it is mapped, not read. On object storage the parts a query needs first
    (the codes, the keys, the tie-break keys) are fetched by ranges in parallel, and the
    vectors (four times their size) are read a few rows at a time, by ranged GETs, until the
    whole file is in the cache directory (fetched in the background): the first query of a
    cold process does not wait for them.
    """
    stem = f"warm-{version}-{rows}"
    try:
        if files.local:
            keys = pa.ipc.open_file(pa.memory_map(str(files.fetch(dataset, f"{stem}.keys"))))
            table = keys.read_all()
            index = VectorIndex.load(files.fetch(dataset, f"{stem}.cvi"), mmap=True)
        else:
            table, index = _fetched(files, dataset, stem)
    except (OSError, ValueError, KeyError, pa.ArrowException) as error:  # replaced, or bad
        log.warning("stored index %s of %s not loaded: %s", stem, dataset, error)
        return None
    except Exception as error:  # an object store's own errors (the file removed meanwhile)
        log.warning("stored index %s of %s not fetched: %s", stem, dataset, error)
        return None
    if index.rows != table.num_rows:
        log.warning("stored index %s of %s does not match its keys", stem, dataset)
        return None
    revs = np.asarray(table["rev"].to_numpy(), dtype=np.int64).tolist()
    seqs = norms = None
    if "norm" in table.column_names and "seq" in table.column_names:
        seqs = np.asarray(table["seq"].to_numpy(), dtype=np.int64)
        norms = np.asarray(table["norm"].to_numpy(), dtype=np.float32)
    fields = None
    if seqs is not None and all(name in table.column_names for name in FIELD_COLUMNS):
        fields = table.select(FIELD_COLUMNS)
    return Stored(version, index, table["id"].to_pylist(), revs, seqs, norms, fields)


def _fetched(files: IndexFiles, dataset: str, stem: str) -> tuple[pa.Table, VectorIndex]:
    """The keys and the index of a stored pair on object storage, by ranges (:func:`newest`):
    one GET for the index's footer, then one round of parallel GETs for the rest."""
    name = f"{stem}.cvi"
    with ThreadPoolExecutor(2) as beside:  # the keys and the codes come at once
        keys_bytes = beside.submit(_whole, files, dataset, f"{stem}.keys")
        tail = files.read(dataset, name, [(-FOOTER_BYTES, FOOTER_BYTES)])[0]
        footer = VectorIndex.footer_of(tail, len(tail))  # offsets are absolute
        sections = footer["sections"]
        start, length = sections["index"]  # first in the file: faiss maps it from there
        head = beside.submit(files.head, dataset, name, start + length)
        wanted = [n for n in ("empty", "tiebreak") if n in sections]
        got = iter(files.read(dataset, name, [p for n in wanted for p in spans(*sections[n])]))
        parts = {n: b"".join(next(got) for _ in spans(*sections[n])) for n in wanted}
        keys = pa.ipc.open_file(pa.BufferReader(keys_bytes.result())).read_all()
        codes = head.result()
    offset, length = sections["vectors"]
    dimension = int(footer["dimension"])
    rows = _FetchedRows(files, dataset, name, offset, (length // 4 // max(dimension, 1), dimension))
    index = VectorIndex.from_sections(footer, codes, parts["empty"], parts.get("tiebreak"), rows)
    threading.Thread(target=rows.settle_later, name="chromalake-index-fetch", daemon=True).start()
    return keys, index


def _whole(files: IndexFiles, dataset: str, name: str) -> bytes:
    """A whole file, read in parallel pieces."""
    return b"".join(files.read(dataset, name, spans(0, files.size(dataset, name))))


class _FetchedRows:
    """The vectors section of a stored index on object storage.

    Until the whole file is in the cache directory a query's few dozen re-ranked rows are
    ranged GETs, in parallel (one round trip); then they are preads of the local file
    (:class:`~chromalake.engine.vector_index.FileRows`), and no request leaves the process.
    """

    def __init__(
        self, files: IndexFiles, dataset: str, name: str, offset: int, shape: tuple[int, int]
    ) -> None:
        self._files, self._dataset, self._name = files, dataset, name
        self._offset, self.shape = offset, shape
        self._local: FileRows | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def settle_later(self) -> None:
        """:meth:`settle`, once the reads in progress are answered (foreground.py)."""
        wait_until_idle()
        self.settle()

    def settle(self) -> None:
        """Fetch the whole file into the cache directory and read from there on."""
        try:
            path = self._files.fetch(self._dataset, self._name)
        except Exception:  # removed meanwhile (a newer one stored): ranged reads go on failing
            log.warning("stored index %s of %s not fetched", self._name, self._dataset)
            return
        self._local = FileRows(path, self._offset, self.shape)

    def __getitem__(self, positions: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        local = self._local
        if local is not None:
            return local[positions]
        if len(positions) > FileRows.PREAD_ROWS:
            return self.mapped()[positions]
        size = self.shape[1] * 4
        ranges = [(self._offset + int(p) * size, size) for p in positions]
        chunks = self._files.read(self._dataset, self._name, ranges)
        return np.frombuffer(b"".join(chunks), np.float32).reshape(-1, self.shape[1])

    def mapped(self) -> npt.NDArray[np.float32]:
        if self._local is None:
            self.settle()
        if self._local is None:
            raise OSError(f"stored index {self._name} of {self._dataset} is gone")
        return self._local.mapped()
