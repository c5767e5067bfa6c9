"""Local copies of collections' datasets on S3, so a warm process reads without S3 requests.

Lance never changes a file once written (a version is a new manifest naming new and old
files), so a local copy of the files one version reads answers every read of that version.
Reads then run on the copy: zero object-store requests for a collection nobody changed. When
the catalog says another instance wrote (``CollectionRecord.version`` moved), the copy is
brought to that version with one GET of its manifest and one GET for each file it does not
hold yet (engine/manifest.py says which); a write of 100 records costs a few small files.

A copy holds one version's files, and those of the versions it held in the last
IN_USE_SECONDS (reads may still be running on them). Copies are bounded in bytes: past
``max_bytes`` the least recently read datasets go. A dataset that reads another's files (a
fork's shallow clone) is not copied: it is read from S3 as before. So is a collection until
its first copy is complete: the first copy is fetched in the background, never on a
request's path.

Each process keeps its copies in a directory of its own under the cache directory (Lambda:
``/tmp``), removed when it exits; directories of processes no longer running are removed
when another starts.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

from chromalake.engine.foreground import wait_until_idle
from chromalake.engine.manifest import DatasetFiles, ManifestError, dataset_files, manifest_name

log = logging.getLogger("chromalake.mirror")

# Fetched on a request's path when a copy is behind by at most this much; a bigger change
# (a compaction rewrote the data) is fetched in the background and read from S3 meanwhile.
INLINE_BYTES = 64 * 1024 * 1024
# A dataset read within this many seconds is never evicted (a read may still be running).
IN_USE_SECONDS = 60.0
_FETCH_THREADS = 8


class ObjectReader(Protocol):
    """What the mirror needs of object storage."""

    def get(self, bucket: str, key: str, into: Path) -> int:
        """Download one object into a file; returns its size."""

    def list(self, bucket: str, prefix: str) -> list[str]:
        """Keys under a prefix."""


def s3_client(storage_options: dict[str, str] | None) -> Any:
    """A boto3 S3 client for the endpoint and region Lance is given."""
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    options = storage_options or {}
    return boto3.client(
        "s3",
        endpoint_url=options.get("aws_endpoint"),
        region_name=options.get("aws_region"),
        # Ranged reads of a stored index run 32 at a time (stored_files.py), the copies 8.
        config=Config(max_pool_connections=48),
    )


class S3Reader:
    """An ``ObjectReader`` over boto3 (the service's S3 client)."""

    def __init__(self, storage_options: dict[str, str] | None) -> None:
        self._client = s3_client(storage_options)

    def get(self, bucket: str, key: str, into: Path) -> int:
        body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
        with open(into, "wb") as out:
            shutil.copyfileobj(body, out, 1024 * 1024)
        return into.stat().st_size

    def list(self, bucket: str, prefix: str) -> list[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]


@dataclass
class _Copy:
    """One dataset's local copy."""

    directory: Path  # the local dataset, <process dir>/<hash>/<name>.lance
    version: int | None = None  # the version whose files it holds completely
    files: frozenset[str] = frozenset()
    # The versions held before, with when they were replaced: their files and manifests stay
    # for IN_USE_SECONDS, for reads still running on them.
    earlier: list[tuple[float, int, frozenset[str]]] = field(default_factory=list)
    bytes: int = 0
    read_at: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)
    mirrorable: bool = True


class Mirror:
    """Copies of datasets under ``directory``, at most ``max_bytes`` together."""

    def __init__(self, directory: str | Path, max_bytes: int, reader: ObjectReader) -> None:
        root = Path(directory)
        _remove_abandoned(root)
        self._dir = root / f"{os.getpid()}-{os.urandom(4).hex()}"
        self._max_bytes = max_bytes
        self._reader = reader
        self._copies: dict[str, _Copy] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(_FETCH_THREADS, thread_name_prefix="chromalake-mirror")
        self._background: dict[str, threading.Thread] = {}
        atexit.register(self.close)

    def close(self) -> None:
        """Stop fetching and remove this process's copies."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        shutil.rmtree(self._dir, ignore_errors=True)
        with self._lock:
            self._copies.clear()

    def settle(self, timeout: float = 60.0) -> None:
        """Wait for the copies being fetched in the background (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                running = list(self._background.values())
            if not running:
                return
            for thread in running:
                thread.join(max(0.0, deadline - time.monotonic()))
            if time.monotonic() >= deadline:
                return

    def await_copy(self, dataset_uri: str, timeout: float) -> None:
        """Wait (at most ``timeout`` seconds) for the dataset's copy being fetched in the
        background, if one is."""
        with self._lock:
            running = self._background.get(dataset_uri)
        if running is not None:
            running.join(timeout)

    def local(self, dataset_uri: str) -> Path:
        """Where the copy of a dataset lives (a directory Lance opens as the dataset)."""
        return self._copy(dataset_uri).directory

    def holds(self, dataset_uri: str, version: int) -> bool:
        """Whether the copy holds ``version`` or a later one (and note the read)."""
        copy = self._copy(dataset_uri)
        copy.read_at = time.monotonic()
        return copy.version is not None and copy.version >= version

    def follow(self, dataset_uri: str, version: int, v2_paths: bool) -> bool:
        """Bring the copy to ``version``; True when it holds it now.

        A copy already holding an earlier version is brought forward here when the change is
        small (INLINE_BYTES); otherwise, and for a first copy, the fetch runs in the
        background and this returns False (read from S3 meanwhile).
        """
        copy = self._copy(dataset_uri)
        if not copy.mirrorable:
            return False
        if copy.version is not None and copy.version >= version:
            return True
        if copy.version is None:
            self._in_background(dataset_uri, version, v2_paths)
            return False
        return self._fetch(dataset_uri, version, v2_paths, INLINE_BYTES)

    def _copy(self, dataset_uri: str) -> _Copy:
        with self._lock:
            found = self._copies.get(dataset_uri)
            if found is None:
                digest = hashlib.sha256(dataset_uri.encode()).hexdigest()[:16]
                name = dataset_uri.rstrip("/").rsplit("/", 1)[-1]
                found = _Copy(self._dir / digest / name)
                self._copies[dataset_uri] = found
            return found

    def _in_background(self, dataset_uri: str, version: int, v2_paths: bool) -> None:
        def run() -> None:
            try:
                wait_until_idle()  # the read that asked for the copy goes first
                self._fetch(dataset_uri, version, v2_paths, None)
            except Exception:
                log.warning("copy of %s at version %s failed", dataset_uri, version, exc_info=True)
            finally:
                with self._lock:
                    self._background.pop(dataset_uri, None)

        with self._lock:
            if dataset_uri in self._background:
                return
            thread = threading.Thread(target=run, name="chromalake-mirror-fetch", daemon=True)
            self._background[dataset_uri] = thread
        thread.start()

    def _fetch(self, dataset_uri: str, version: int, v2_paths: bool, limit: int | None) -> bool:
        """Fetch ``version``'s manifest and missing files (at most ``limit`` bytes of them, or
        hand the rest to the background); True when the copy holds it."""
        copy = self._copy(dataset_uri)
        with copy.lock:
            if copy.version is not None and copy.version >= version:
                return True
            bucket, prefix = _bucket_and_key(dataset_uri)
            name = manifest_name(version, v2_paths)
            staged = copy.directory.parent / f".{name.rsplit('/', 1)[-1]}.{os.urandom(4).hex()}"
            staged.parent.mkdir(parents=True, exist_ok=True)
            self._reader.get(bucket, f"{prefix}/{name}", staged)
            try:
                wanted = self._files(bucket, prefix, staged)
            except ManifestError:
                staged.unlink(missing_ok=True)
                copy.mirrorable = False
                return False
            if not wanted.self_contained:
                staged.unlink(missing_ok=True)
                copy.mirrorable = False  # a shallow clone reads its source's files
                return False
            missing = sorted(f for f in wanted.files if not (copy.directory / f).exists())
            if limit is not None and sum(wanted.sizes.get(f, 0) for f in missing) > limit:
                staged.unlink(missing_ok=True)
                self._in_background(dataset_uri, version, v2_paths)
                return False
            fetched = sum(self._pool.map(lambda f: self._get(bucket, prefix, copy, f), missing))
            target = copy.directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)  # last: Lance sees the version once its files are there
            if copy.version is not None:
                copy.earlier.append((time.monotonic(), copy.version, copy.files))
            copy.version, copy.files = version, wanted.files
            self._forget_older(copy)
            copy.bytes = _size(copy.directory)
            log.debug(
                "copy of %s at version %s: %d files, %d bytes",
                dataset_uri,
                version,
                len(missing),
                fetched,
            )
        self._evict()
        return True

    def _files(self, bucket: str, prefix: str, manifest: Path) -> DatasetFiles:
        wanted = dataset_files(manifest.read_bytes())
        if not wanted.unlisted_index_dirs:
            return wanted
        listed = {
            key.removeprefix(prefix + "/")
            for directory in wanted.unlisted_index_dirs
            for key in self._reader.list(bucket, f"{prefix}/{directory}/")
        }
        return DatasetFiles(wanted.files | listed, wanted.self_contained, sizes=wanted.sizes)

    def _get(self, bucket: str, prefix: str, copy: _Copy, relative: str) -> int:
        target = copy.directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        staged = target.with_name(f".{target.name}.{os.urandom(4).hex()}")
        size = self._reader.get(bucket, f"{prefix}/{relative}", staged)
        os.replace(staged, target)
        return size

    def _forget_older(self, copy: _Copy) -> None:
        """Remove the files and manifests of versions replaced over IN_USE_SECONDS ago."""
        now = time.monotonic()
        copy.earlier = [e for e in copy.earlier if now - e[0] < IN_USE_SECONDS]
        needed = copy.files.union(*(files for _, _, files in copy.earlier))
        versions = {copy.version, *(version for _, version, _ in copy.earlier)}
        for path in copy.directory.rglob("*"):
            relative = path.relative_to(copy.directory).as_posix()
            if not path.is_file() or relative in needed:
                continue
            if relative.startswith("_versions/") and _manifest_version(path) in versions:
                continue
            path.unlink(missing_ok=True)

    def _evict(self) -> None:
        """Drop least recently read copies until all fit in ``max_bytes``."""
        with self._lock:
            copies = sorted(self._copies.items(), key=lambda item: item[1].read_at)
            total = sum(c.bytes for _, c in copies)
            now = time.monotonic()
            for uri, copy in copies:
                if total <= self._max_bytes:
                    break
                if now - copy.read_at < IN_USE_SECONDS:
                    continue
                shutil.rmtree(copy.directory.parent, ignore_errors=True)
                del self._copies[uri]
                total -= copy.bytes

    def held_bytes(self) -> int:
        with self._lock:
            return sum(c.bytes for c in self._copies.values())


def _manifest_version(path: Path) -> int | None:
    """The version a manifest file is of (v1 names count up, v2 names count down)."""
    if not path.stem.isdigit():
        return None
    number = int(path.stem)
    return number if number < 2**63 else 2**64 - 1 - number


def _bucket_and_key(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    return parsed.netloc, parsed.path.strip("/")


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def _remove_abandoned(root: Path) -> None:
    """Remove the copies of processes that are no longer running (``<pid>-<random>``)."""
    if not root.is_dir():
        return
    for child in root.iterdir():
        pid = child.name.split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(child, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
