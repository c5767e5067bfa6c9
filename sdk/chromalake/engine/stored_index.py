"""Warm indexes built by maintenance and stored beside the collection's dataset (issue 21).

A process that starts serving a collection would otherwise build its in-process index
(``warm_index.py``) itself: seconds of a core (~3 s at 100k x 384), with queries on Lance's
slower path meanwhile, and again in every new process (each cold Lambda). Maintenance builds
it instead, off the request path, and stores it beside the collection's Lance dataset::

    <dataset>/_chromalake/warm-<version>-<rows>.keys   (id, rev) of each index row, Arrow IPC
    <dataset>/_chromalake/warm-<version>-<rows>.cvi    the VectorIndex (vector_index.py's file)

``<version>`` is the Lance version it was built from, ``<rows>`` its row count (so that
maintenance sees how far the collection moved since without reading anything). The keys file
is written first and the index last: an index file present means a complete pair. A serving
process loads the newest pair (on S3: one GET of each into its cache directory, then maps
it) and matches it to the rows it serves as it does an index it built: rows written since are
searched exactly beside it, rows deleted are masked out (``warm_index.py``).

Lance leaves the ``_chromalake`` directory alone (it cleans only the files its manifests
name); deleting the collection deletes the dataset's whole directory, this one included.

Example:
    >>> import tempfile
    >>> rows = np.random.default_rng(0).standard_normal((400, 4)).astype(np.float32)
    >>> dataset = tempfile.mkdtemp()
    >>> files = LocalFiles()
    >>> save(files, dataset, 7, VectorIndex.build(rows, "l2"), [f"r{i}" for i in range(400)],
    ...      [0] * 400)
    >>> found = newest(files, dataset)
    >>> found.version, found.index.rows, found.ids[:2]
    (7, 400, ['r0', 'r1'])
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from chromalake.engine.vector_index import VectorIndex

log = logging.getLogger("chromalake.stored_index")

DIRECTORY = "_chromalake"
_NAME = re.compile(r"^warm-(\d+)-(\d+)\.cvi$")


@dataclass(frozen=True)
class Stored:
    """A stored index and the (id, revision) of each of its rows."""

    version: int
    index: VectorIndex
    ids: list[str]
    revs: list[int]


class IndexFiles(Protocol):
    """Where stored indexes live: files in ``<dataset>/_chromalake/``."""

    # Whether a fetch is a local file read (no download): a serving process then loads a
    # stored index before its first query rather than in the background.
    local: bool

    def names(self, dataset: str) -> list[str]:
        """The file names there (none when the directory does not exist)."""

    def fetch(self, dataset: str, name: str) -> Path:
        """A local path holding the file (downloaded first where it is remote)."""

    def put(self, dataset: str, name: str, source: Path) -> None:
        """Store ``source`` there under ``name``."""

    def remove(self, dataset: str, name: str) -> None:
        """Remove the file (gone already is fine)."""


class LocalFiles:
    """Stored indexes of datasets on local disk: the directory itself."""

    local = True

    def names(self, dataset: str) -> list[str]:
        directory = Path(dataset) / DIRECTORY
        return sorted(os.listdir(directory)) if directory.is_dir() else []

    def fetch(self, dataset: str, name: str) -> Path:
        return Path(dataset) / DIRECTORY / name

    def put(self, dataset: str, name: str, source: Path) -> None:
        target = Path(dataset) / DIRECTORY / name
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{name}.{os.getpid()}.tmp")
        shutil.copyfile(source, staged)
        os.replace(staged, target)  # a reader never sees half a file

    def remove(self, dataset: str, name: str) -> None:
        (Path(dataset) / DIRECTORY / name).unlink(missing_ok=True)


class S3Files:
    """Stored indexes of datasets on S3, fetched into ``cache`` (a directory per dataset)."""

    local = False

    def __init__(self, client: Any, cache: Path) -> None:
        self._client = client  # a boto3 S3 client
        self._cache = cache

    def names(self, dataset: str) -> list[str]:
        bucket, prefix = _bucket_and_prefix(dataset)
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/{DIRECTORY}/"
        )
        return sorted(o["Key"].rsplit("/", 1)[-1] for p in pages for o in p.get("Contents", []))

    def fetch(self, dataset: str, name: str) -> Path:
        target = self._cache / hashlib.sha256(dataset.encode()).hexdigest()[:16] / name
        if not target.exists():  # stored files never change: a name is its content
            target.parent.mkdir(parents=True, exist_ok=True)
            bucket, prefix = _bucket_and_prefix(dataset)
            staged = target.with_name(f".{name}.{os.getpid()}.tmp")
            self._client.download_file(bucket, f"{prefix}/{DIRECTORY}/{name}", str(staged))
            os.replace(staged, target)
            stem = name.rsplit(".", 1)[0]
            for older in target.parent.iterdir():  # a mapping of one stays valid (POSIX)
                if not older.name.startswith((stem, ".")):
                    older.unlink(missing_ok=True)
        return target

    def put(self, dataset: str, name: str, source: Path) -> None:
        bucket, prefix = _bucket_and_prefix(dataset)
        self._client.upload_file(str(source), bucket, f"{prefix}/{DIRECTORY}/{name}")

    def remove(self, dataset: str, name: str) -> None:
        bucket, prefix = _bucket_and_prefix(dataset)
        self._client.delete_object(Bucket=bucket, Key=f"{prefix}/{DIRECTORY}/{name}")
        cached = self._cache / hashlib.sha256(dataset.encode()).hexdigest()[:16] / name
        cached.unlink(missing_ok=True)


def _bucket_and_prefix(dataset: str) -> tuple[str, str]:
    bucket, _, prefix = dataset.removeprefix("s3://").partition("/")
    return bucket, prefix.rstrip("/")


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
) -> None:
    """Store ``index`` (built from the rows ``ids``/``revs`` of ``version``) and remove the
    ones stored before it."""
    before = stored_versions(files, dataset)
    stem = f"warm-{version}-{index.rows}"
    with tempfile.TemporaryDirectory() as scratch:
        keys, built = Path(scratch) / "keys", Path(scratch) / "index"
        table = pa.table({"id": pa.array(ids, pa.utf8()), "rev": pa.array(revs, pa.int64())})
        with pa.OSFile(str(keys), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)
        index.save(built)
        files.put(dataset, f"{stem}.keys", keys)
        files.put(dataset, f"{stem}.cvi", built)  # last: its presence means a complete pair
    for old_version, old_rows in before:
        if (old_version, old_rows) != (version, index.rows):
            for suffix in ("cvi", "keys"):  # the index first, so no half pair looks complete
                files.remove(dataset, f"warm-{old_version}-{old_rows}.{suffix}")


def newest(files: IndexFiles, dataset: str) -> Stored | None:
    """The newest stored index of the dataset (mapped, not read whole), or None."""
    stored = stored_versions(files, dataset)
    if not stored:
        return None
    version, rows = stored[-1]
    stem = f"warm-{version}-{rows}"
    try:
        keys = pa.ipc.open_file(pa.memory_map(str(files.fetch(dataset, f"{stem}.keys"))))
        table = keys.read_all()
        index = VectorIndex.load(files.fetch(dataset, f"{stem}.cvi"), mmap=True)
    except (OSError, ValueError, pa.ArrowException) as error:  # replaced meanwhile, or bad
        log.warning("stored index %s of %s not loaded: %s", stem, dataset, error)
        return None
    if index.rows != table.num_rows:
        log.warning("stored index %s of %s does not match its keys", stem, dataset)
        return None
    revs = np.asarray(table["rev"].to_numpy(), dtype=np.int64).tolist()
    return Stored(version, index, table["id"].to_pylist(), revs)
