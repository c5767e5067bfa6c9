"""The files of the collection datasets under a root, for maintenance's orphan sweep.

Seen through pyarrow's filesystems (local or S3), not through Lance or the catalog: the sweep
(``maintenance.sweep_orphans``) compares what storage holds with what the catalog knows.
``LanceStore.datasets``, ``last_written`` and ``remove_dataset`` answer from here.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from chromalake.engine.paths import dataset_collection_id


@dataclass(frozen=True)
class StoredDataset:
    """A collection's dataset as found in storage."""

    path: str  # inside the root's filesystem
    collection_id: str


def _subdirectories(filesystem: Any, path: str) -> list[str]:
    from pyarrow import fs

    try:
        infos = filesystem.get_file_info(fs.FileSelector(path))
    except FileNotFoundError:
        return []
    return [info.path for info in infos if info.type == fs.FileType.Directory]


class DatasetFiles:
    """The datasets under ``root`` (a directory or s3://), listed and removed as files."""

    def __init__(self, root: str, storage_options: dict[str, str] | None) -> None:
        self._root = root
        self._storage_options = storage_options

    def datasets(self) -> list[StoredDataset]:
        """Every collection dataset under the root.

        Listed from storage, not from the catalog: the orphan sweep compares the two.
        """
        filesystem, base = self._filesystem()
        return [
            StoredDataset(path=dataset, collection_id=collection_id)
            for tenant in _subdirectories(filesystem, base)
            for database in _subdirectories(filesystem, tenant)
            for dataset in _subdirectories(filesystem, database)
            for collection_id in [dataset_collection_id(dataset.rsplit("/", 1)[-1])]
            if collection_id is not None
        ]

    def last_written(self, dataset: StoredDataset) -> datetime | None:
        """When any file of the dataset last changed (None if it has none left)."""
        from pyarrow import fs

        filesystem, _ = self._filesystem()
        try:
            files = filesystem.get_file_info(fs.FileSelector(dataset.path, recursive=True))
        except FileNotFoundError:
            return None
        times = [f.mtime for f in files if f.mtime is not None]
        return max(times) if times else None

    def remove_dataset(self, dataset: StoredDataset) -> None:
        """Delete a dataset's files (one the catalog no longer knows)."""
        filesystem, _ = self._filesystem()
        with suppress(FileNotFoundError):
            filesystem.delete_dir(dataset.path)

    def _filesystem(self) -> tuple[Any, str]:
        """A pyarrow filesystem for the root, and the root's path inside it."""
        from pyarrow import fs

        if not self._root.startswith("s3://"):
            return fs.LocalFileSystem(), self._root
        options = self._storage_options or {}
        kwargs: dict[str, Any] = {}
        if "aws_endpoint" in options:
            endpoint = urlparse(options["aws_endpoint"])
            kwargs.update(endpoint_override=endpoint.netloc, scheme=endpoint.scheme)
        if "aws_region" in options:
            kwargs["region"] = options["aws_region"]
        return fs.S3FileSystem(**kwargs), self._root.removeprefix("s3://")
