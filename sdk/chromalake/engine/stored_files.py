"""Where stored warm indexes live: ``<dataset>/_chromalake/``, on local disk or on S3.

``stored_index.py`` says what the files hold; this module only moves bytes. On local disk the
directory is used as it is. On S3 a file is kept in parts of at most :data:`PART_BYTES`
(``<name>.p00000``, ``<name>.p00001``, ...) and a small JSON object under its own name,
written last, that says how many (its presence means a complete file; the listing that finds
it tells the parts' sizes too). A cold process then reads the few ranges it needs first (the
codes, the keys, the rows it re-ranks) as GETs of small objects, in one round of parallel
requests, and fetches the whole file as parallel GETs of whole parts. (S3 answers a ranged
GET of a big object as fast, but moto, which the tests and benchmarks run on, reads the whole
object for each range: 0.16 s per range of a 190 MB file against 0.01 s of an 8 MB part.)

Example:
    >>> import tempfile
    >>> dataset = tempfile.mkdtemp()
    >>> source = Path(tempfile.mkdtemp()) / "x"
    >>> _ = source.write_bytes(b"0123456789")
    >>> files = LocalFiles()
    >>> files.put(dataset, "warm-1-2.cvi", source)
    >>> files.names(dataset), files.read(dataset, "warm-1-2.cvi", [(2, 3), (-2, 2)])
    (['warm-1-2.cvi'], [b'234', b'89'])
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

DIRECTORY = "_chromalake"
# Parts of an index file on S3, and how many requests run at once: the codes of 100k x 384
# (~40 MB) arrive in one round of parallel GETs.
PART_BYTES = 8 * 1024**2
_THREADS = 32
_FETCH_THREADS = 4
_PARTED = "chromalake-parts"


class IndexFiles(Protocol):
    """Where stored indexes live: files in ``<dataset>/_chromalake/``."""

    # Whether a fetch is a local file read (no download): a serving process then loads a
    # stored index before its first query rather than in the background.
    local: bool

    def names(self, dataset: str) -> list[str]:
        """The file names there (none when the directory does not exist)."""

    def fetch(self, dataset: str, name: str) -> Path:
        """A local path holding the file (downloaded first where it is remote)."""

    def read(self, dataset: str, name: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        """The bytes at each (offset, length) of the file, read in parallel where remote; a
        negative offset counts from the end (``(-n, n)``: the last ``n`` bytes)."""

    def size(self, dataset: str, name: str) -> int:
        """The file's length in bytes."""

    def head(self, dataset: str, name: str, length: int) -> Path:
        """A local file that starts with the file's first ``length`` bytes (the file itself
        where it is local; else those bytes fetched into the cache directory)."""

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

    def read(self, dataset: str, name: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        with open(self.fetch(dataset, name), "rb", buffering=0) as f:
            size = os.fstat(f.fileno()).st_size
            return [os.pread(f.fileno(), n, o if o >= 0 else max(0, size + o)) for o, n in ranges]

    def size(self, dataset: str, name: str) -> int:
        return self.fetch(dataset, name).stat().st_size

    def head(self, dataset: str, name: str, length: int) -> Path:
        return self.fetch(dataset, name)

    def put(self, dataset: str, name: str, source: Path) -> None:
        target = Path(dataset) / DIRECTORY / name
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = _staged(target)
        shutil.copyfile(source, staged)
        os.replace(staged, target)  # a reader never sees half a file

    def remove(self, dataset: str, name: str) -> None:
        (Path(dataset) / DIRECTORY / name).unlink(missing_ok=True)


class S3Files:
    """Stored indexes of datasets on S3, fetched into ``cache`` (a directory per dataset)."""

    local = False

    def __init__(self, client: Any, cache: Path) -> None:
        self._client = client  # a boto3 S3 client (thread-safe)
        self._cache = cache
        # Reads a request waits for, and whole files fetched in the background: apart, so
        # that a request's few ranges never queue behind a background fetch's parts.
        self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="chromalake-stored")
        self._background = ThreadPoolExecutor(_FETCH_THREADS, thread_name_prefix="chromalake-fetch")
        self._layouts: dict[str, tuple[int, int] | None] = {}  # key -> (size, parts) or None

    def names(self, dataset: str) -> list[str]:
        """The files there; each one's parts, seen in the same listing, tell its layout (so
        that reading it needs no request for that)."""
        bucket, prefix = _bucket_and_prefix(dataset)
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/{DIRECTORY}/"
        )
        listed = {o["Key"]: int(o["Size"]) for p in pages for o in p.get("Contents", [])}
        files = sorted(k for k in listed if not _is_part(k))
        for key in files:
            parts = [listed[k] for k in listed if _is_part(k) and k.startswith(f"{key}.p")]
            if key not in self._layouts and len(parts) * PART_BYTES >= sum(parts) > 0:
                self._layouts[key] = (sum(parts), len(parts))
        return [k.rsplit("/", 1)[-1] for k in files]

    def fetch(self, dataset: str, name: str) -> Path:
        target = self._cached(dataset, name)
        if target.exists():  # stored files never change: a name is its content
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = _staged(target)
        bucket, key = self._key(dataset, name)
        layout = self._layout(bucket, key)
        if layout is None:
            self._client.download_file(bucket, key, str(staged))
        else:  # in order, each part after the one before
            parts = self._background.map(lambda n: self._part(bucket, key, n), range(layout[1]))
            _write(staged, parts)
        os.replace(staged, target)
        stem = name.rsplit(".", 1)[0]
        for older in target.parent.iterdir():  # a mapping of one stays valid (POSIX)
            if not older.name.startswith((stem, ".")):
                older.unlink(missing_ok=True)
        return target

    def read(self, dataset: str, name: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        bucket, key = self._key(dataset, name)
        layout = self._layout(bucket, key)
        if layout is None:
            return list(self._pool.map(lambda r: self._range(bucket, key, *r), ranges))
        size = layout[0]
        wanted = [(max(0, size + o) if o < 0 else o, n) for o, n in ranges]
        pieces = [(i, piece) for i, (o, n) in enumerate(wanted) for piece in _pieces(o, n, size)]
        got = self._pool.map(
            lambda p: self._range(bucket, _part_key(key, p[1][0]), *p[1][1:]), pieces
        )
        out = [b""] * len(ranges)
        for (i, _), data in zip(pieces, got, strict=True):
            out[i] += data
        return out

    def head(self, dataset: str, name: str, length: int) -> Path:
        target = self._cached(dataset, f"{name}.head")
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            staged = _staged(target)
            _write(staged, self.read(dataset, name, spans(0, length)))
            os.replace(staged, target)
        return target

    def size(self, dataset: str, name: str) -> int:
        bucket, key = self._key(dataset, name)
        layout = self._layout(bucket, key)
        if layout is not None:
            return layout[0]
        return int(self._client.head_object(Bucket=bucket, Key=key)["ContentLength"])

    def put(self, dataset: str, name: str, source: Path) -> None:
        bucket, key = self._key(dataset, name)
        size = source.stat().st_size
        parts = max(1, -(-size // PART_BYTES))

        def upload(n: int) -> None:
            with open(source, "rb") as f:
                f.seek(n * PART_BYTES)
                self._client.put_object(
                    Bucket=bucket, Key=_part_key(key, n), Body=f.read(PART_BYTES)
                )

        list(self._pool.map(upload, range(parts)))
        layout = json.dumps({"format": _PARTED, "size": size, "parts": parts}).encode()
        self._client.put_object(Bucket=bucket, Key=key, Body=layout)  # last: the file is whole

    def remove(self, dataset: str, name: str) -> None:
        bucket, key = self._key(dataset, name)
        layout = self._layout(bucket, key)
        self._client.delete_object(Bucket=bucket, Key=key)  # first: no half file looks whole
        for n in range(layout[1] if layout is not None else 0):
            self._client.delete_object(Bucket=bucket, Key=_part_key(key, n))
        self._cached(dataset, name).unlink(missing_ok=True)

    def _cached(self, dataset: str, name: str) -> Path:
        """Where a file of ``dataset`` is kept once fetched (a directory per dataset)."""
        return self._cache / hashlib.sha256(dataset.encode()).hexdigest()[:16] / name

    def _key(self, dataset: str, name: str) -> tuple[str, str]:
        bucket, prefix = _bucket_and_prefix(dataset)
        return bucket, f"{prefix}/{DIRECTORY}/{name}"

    def _layout(self, bucket: str, key: str) -> tuple[int, int] | None:
        """(size, parts) of a file kept in parts, None for a single object (a file stored
        before parts, or not an index); read once per file (files never change)."""
        if key in self._layouts:
            return self._layouts[key]
        head = self._range(bucket, key, 0, 256)
        layout = None
        if head.startswith(b"{"):
            found = json.loads(self._range(bucket, key, 0, 4096))
            if found.get("format") == _PARTED:
                layout = (int(found["size"]), int(found["parts"]))
        self._layouts[key] = layout
        return layout

    def _range(self, bucket: str, key: str, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        span = f"bytes={offset}" if offset < 0 else f"bytes={offset}-{offset + length - 1}"
        body: bytes = self._client.get_object(Bucket=bucket, Key=key, Range=span)["Body"].read()
        return body

    def _part(self, bucket: str, key: str, n: int) -> bytes:
        data: bytes = self._client.get_object(Bucket=bucket, Key=_part_key(key, n))["Body"].read()
        return data


def spans(offset: int, length: int) -> list[tuple[int, int]]:
    """(offset, length) pieces of at most :data:`PART_BYTES` covering ``length`` bytes from
    ``offset``: the reads of a large range, in parallel.

    Example:
        >>> spans(10, PART_BYTES + 5) == [(10, PART_BYTES), (10 + PART_BYTES, 5)]
        True
    """
    end = offset + length
    return [(o, min(PART_BYTES, end - o)) for o in range(offset, end, PART_BYTES)]


def _staged(target: Path) -> Path:
    """A file beside ``target`` to write before renaming it there (a reader never sees half a
    file), its own for each process and thread."""
    return target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")


def _write(path: Path, pieces: Iterable[bytes]) -> None:
    with open(path, "wb") as out:
        for data in pieces:
            out.write(data)


def _part_key(key: str, n: int) -> str:
    return f"{key}.p{n:05d}"


def _is_part(name: str) -> bool:
    stem, _, suffix = name.rpartition(".p")
    return bool(stem) and len(suffix) == 5 and suffix.isdigit()


def _pieces(offset: int, length: int, size: int) -> list[tuple[int, int, int]]:
    """(part, offset in it, length) covering ``length`` bytes at ``offset`` of a parted file.

    Example:
        >>> _pieces(PART_BYTES - 2, 5, 3 * PART_BYTES)
        [(0, 8388606, 2), (1, 0, 3)]
    """
    end = min(offset + length, size)
    out = []
    while offset < end:
        part, within = divmod(offset, PART_BYTES)
        take = min(end - offset, PART_BYTES - within)
        out.append((part, within, take))
        offset += take
    return out


def _bucket_and_prefix(dataset: str) -> tuple[str, str]:
    bucket, _, prefix = dataset.removeprefix("s3://").partition("/")
    return bucket, prefix.rstrip("/")
