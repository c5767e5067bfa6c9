"""A collection table's versions in Lance: listing them, and the tags that keep forks' bases.

The Lance side of forks and time travel (``forks.py`` keeps the catalog side, the lineage):
a fork's table is a shallow clone of its source's at one version, and that base version is
tagged on the source (``fork-<fork id>``), so the source's own dataset remembers which
versions forks still read. Cleanup (``LanceStore.optimize``) stops short of the oldest
tagged version (``retention_with_forks``). ``LanceStore``'s ``clone``, ``release``,
``fork_bases`` and ``versions`` find the table and call these.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chromalake.engine.lance_calls import _lance_call

# A fork's base version is tagged on its source (``fork-<fork id>``): the tag is how the
# source's dataset itself remembers which versions forks still read (see
# ``retention_with_forks``).
FORK_TAG = "fork-"
# Versions this much older than a fork's base are kept too: the cleanup cut-off is computed
# from clock readings a little apart, and it must never reach the tagged version itself.
_TAG_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class VersionInfo:
    """One committed version of a collection's table."""

    version: int
    timestamp: datetime
    rows: int | None


def stored_versions(table: Any) -> list[VersionInfo]:
    """The table's versions still stored, oldest first."""
    return [
        VersionInfo(
            version=int(v["version"]),
            timestamp=v["timestamp"],
            rows=_int_or_none((v.get("metadata") or {}).get("total_rows")),
        )
        for v in _lance_call(table.list_versions)
    ]


def fork_bases(table: Any) -> dict[str, VersionInfo]:
    """Fork id -> the base version it tagged on this table."""
    tags = _lance_call(table.tags.list)
    if not tags:
        return {}
    by_number = {v.version: v for v in stored_versions(table)}
    return {
        name.removeprefix(FORK_TAG): by_number[int(tag["version"])]
        for name, tag in tags.items()
        if name.startswith(FORK_TAG) and int(tag["version"]) in by_number
    }


def tagged_clone(
    table: Any, db: Any, target_id: str, base: int, storage_options: dict[str, str] | None
) -> None:
    """Clone ``table`` at version ``base`` as ``target_id`` in ``db`` (shallow), after tagging
    ``base`` on ``table`` for the fork; the tag goes again if the clone fails."""
    tag = FORK_TAG + target_id
    _lance_call(table.tags.create, tag, base)
    try:
        uri = _lance_call(lambda: table.uri)
        with object_store_environment(storage_options):
            _lance_call(db.clone_table, target_id, uri, source_version=base)
    except Exception:
        with suppress(Exception):
            table.tags.delete(tag)
        raise


def untag(table: Any, fork_id: str) -> None:
    """Drop the fork ``fork_id``'s tag from ``table``, if it is there."""
    if FORK_TAG + fork_id in _lance_call(table.tags.list):
        _lance_call(table.tags.delete, FORK_TAG + fork_id)


def retention_with_forks(table: Any, retention: timedelta) -> timedelta:
    """How old a version must be for cleanup to delete it, given the forks reading this table.

    lancedb's cleanup refuses to run at all once a tagged version is old enough to go (and
    its Python API cannot tell it to skip tags). So the cut-off stays just before the
    oldest fork's base version: that version and its files are kept, and so is everything
    after it; versions before it are cleaned as usual.
    """
    tagged = {int(t["version"]) for t in table.tags.list().values()}
    if not tagged:
        return retention
    stamps = {int(v["version"]): v["timestamp"] for v in table.list_versions()}
    oldest = min((stamps[v] for v in tagged if v in stamps), default=None)
    if oldest is None:
        return retention
    age: timedelta = datetime.now(oldest.tzinfo) - oldest + _TAG_MARGIN
    return max(retention, age)


# lancedb 0.40's clone_table opens a dataset without the connection's storage_options
# (lance-notes §1): only the AWS_* environment reaches that code path. So while a clone
# runs, the environment says what the storage options say (a custom endpoint, e.g. MinIO
# or a local moto); on AWS itself nothing needs to change. Reads and writes of the clone
# afterwards use the storage options as usual.
_ENVIRONMENT_OF = {"aws_endpoint": "AWS_ENDPOINT", "allow_http": "AWS_ALLOW_HTTP"}
_environment_lock = threading.Lock()


@contextmanager
def object_store_environment(options: dict[str, str] | None) -> Iterator[None]:
    given = options or {}
    wanted = {env: given[key] for key, env in _ENVIRONMENT_OF.items() if key in given}
    if "aws_region" in given and "AWS_REGION" not in os.environ:
        wanted["AWS_REGION"] = given["aws_region"]
    if not wanted:
        yield
        return
    with _environment_lock:
        saved = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
