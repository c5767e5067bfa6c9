"""Forks on real storage: what a fork reads must outlive cleanup and deletion of its source.

A fork is a shallow Lance clone: its manifest names the source's data files. These tests
make the source compact, clean its old versions and disappear, on local disk and on S3 with
the DynamoDB catalog (moto on 127.0.0.1), and check that every fork still reads what it
held, while the storage of collections nobody needs any more is still reclaimed.
"""

from __future__ import annotations

import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import chromadb
import httpx
import numpy as np
import pytest
from moto_server import REGION, MotoAws
from running_server import RunningServer

from chromalake.config import Settings
from chromalake.engine import table_versions
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.maintenance import maintain, maintain_all, maintain_record, sweep_orphans
from chromalake.engine.policy import MaintenancePolicy
from chromalake.errors import NotFoundError
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT

RETENTION_NONE = MaintenancePolicy(retention=timedelta(0))


def _vec(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


@pytest.fixture
def disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    # Tagged base versions are kept with a margin before them; shrink it so a test can
    # make versions old enough to clean within a second.
    monkeypatch.setattr(table_versions, "_TAG_MARGIN", timedelta(milliseconds=300))
    engine = build_engine(Settings(is_persistent=True, persist_directory=str(tmp_path)))
    engine.policy = RETENTION_NONE
    return engine


def _filled(engine: Engine, name: str = "source", writes: int = 4) -> Any:
    coll = engine.create_collection(name, metadata={"kind": "src"})
    for n in range(writes):  # one version and one fragment per write
        engine.add(coll.id, [f"r{n}"], [_vec(n, 1)], documents=[f"doc {n}"])
    return engine.get_collection_by_id(coll.id)


def _ids(engine: Engine, coll: Any) -> list[str]:
    return engine.get(coll.id).ids


def _versions(engine: Engine, coll: Any) -> list[int]:
    return [v["version"] for v in engine.list_versions(coll.id)]


def _tags(engine: Engine, coll: Any) -> dict[str, Any]:
    table = engine.store._table(coll)
    assert table is not None
    return dict(table.tags.list())


def _dataset(root: Path, coll: Any) -> Path:
    return root / coll.tenant / coll.database / f"{coll.id}.lance"


def test_fork_survives_compaction_and_cleanup_of_its_source(disk: Engine) -> None:
    src = _filled(disk, writes=3)
    time.sleep(1.0)  # the first versions are older than the margin before the fork's base
    disk.add(src.id, ["r3"], [_vec(3, 1)], documents=["doc 3"])
    fork = disk.fork(src.id, "fork")
    base = fork.extra["lineage"]["version"]
    tags = _tags(disk, src)
    assert list(tags) == [f"fork-{fork.id}"] and tags[f"fork-{fork.id}"]["version"] == base
    disk.add(src.id, ["after"], [_vec(9, 9)])
    disk.delete(src.id, ["r0"])
    report = maintain(disk, src.id, force=True)  # compaction + cleanup, retention 0
    assert report is not None and report.optimized
    kept = _versions(disk, src)
    assert base in kept and min(kept) == base  # older versions cleaned, the base kept
    disk.store.forget()  # a fresh process: nothing cached
    assert _ids(disk, fork) == ["r0", "r1", "r2", "r3"]
    assert disk.query(fork.id, [_vec(0, 1)], n_results=1)[0].ids == ["r0"]
    assert _ids(disk, src) == ["r1", "r2", "r3", "after"]
    # Once the fork is gone its base is released, and cleanup takes the old versions too.
    disk.delete_collection("fork")
    assert _tags(disk, src) == {}
    time.sleep(0.05)
    maintain(disk, src.id, force=True)
    left = _versions(disk, src)
    assert len(left) == 1 and left[0] >= max(kept)  # the latest alone
    assert _ids(disk, src) == ["r1", "r2", "r3", "after"]


def test_deleting_the_source_retires_it_until_its_last_fork_goes(
    disk: Engine, tmp_path: Path
) -> None:
    src = _filled(disk)
    first = disk.fork(src.id, "first")
    second = disk.fork(src.id, "second")
    disk.delete_collection("source")
    assert sorted(c.name for c in disk.list_collections()) == ["first", "second"]
    assert disk.count_collections() == 2
    with pytest.raises(NotFoundError):
        disk.get_collection("source")
    with pytest.raises(NotFoundError):
        disk.get_collection_by_id(src.id)
    retired = disk.catalog.get_collection_by_id(src.id)  # a sweep of orphans still knows it
    assert retired is not None and retired.extra["retired"] is True
    assert _dataset(tmp_path, src).is_dir()
    assert maintain(disk, src.id) is None  # not a collection any more
    assert all(r.collection_id for r in maintain_all(disk))  # the sweep runs over it fine
    # The orphan sweep, with no grace at all, leaves the retired source's dataset alone.
    assert sweep_orphans(disk, grace=timedelta(0)) == []
    assert _dataset(tmp_path, src).is_dir()
    disk.store.forget()
    assert _ids(disk, first) == _ids(disk, second) == ["r0", "r1", "r2", "r3"]
    assert disk.fork_count(first.id) == 2
    disk.delete_collection("first")
    assert _dataset(tmp_path, src).is_dir()  # "second" still reads it
    assert _ids(disk, second) == ["r0", "r1", "r2", "r3"]
    disk.delete_collection("second")
    assert disk.catalog.get_collection_by_id(src.id) is None
    assert not _dataset(tmp_path, src).exists()
    assert disk.catalog.database_records(DEFAULT_TENANT, DEFAULT_DATABASE) == []
    disk.create_collection("source")  # the name was free all along


def test_a_fork_of_a_fork_outlives_both_ancestors(disk: Engine, tmp_path: Path) -> None:
    root = _filled(disk, "root")
    middle = disk.fork(root.id, "middle")
    disk.add(middle.id, ["m"], [_vec(5, 5)])
    leaf = disk.fork(middle.id, "leaf")
    assert leaf.extra["lineage"]["bases"] == [root.id, middle.id]
    assert [disk.fork_count(c.id) for c in (root, middle, leaf)] == [2, 2, 2]
    disk.add(root.id, ["root-only"], [_vec(7, 7)])
    disk.delete_collection("root")
    disk.delete_collection("middle")
    time.sleep(0.4)
    for coll in disk.catalog.all_collections():
        maintain_record(disk, coll, force=True)
    disk.store.forget()
    assert _ids(disk, leaf) == ["r0", "r1", "r2", "r3", "m"]
    disk.delete_collection("leaf")
    assert disk.catalog.all_collections() == []
    assert not any((tmp_path / DEFAULT_TENANT / DEFAULT_DATABASE).iterdir())


def test_deleting_a_database_takes_its_forks_and_retired_collections(disk: Engine) -> None:
    disk.create_database("scratch")
    src = disk.create_collection("source", database="scratch")
    disk.add(src.id, ["a"], [_vec(1, 1)], database="scratch")
    disk.fork(src.id, "copy", database="scratch")
    disk.delete_collection("source", database="scratch")
    disk.delete_database("scratch")
    assert disk.catalog.all_collections() == []


def test_fork_and_versions_on_s3_and_dynamodb(
    moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The clone finds moto through the storage options alone: the environment points at a
    closed port on loopback, so a code path that ignored the options would fail here."""
    monkeypatch.setenv("AWS_ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ALLOW_HTTP", "true")
    # Shorter than in use (a minute), yet longer than a busy machine takes between
    # computing the cut-off and Lance's cleanup applying it (300 ms was not).
    monkeypatch.setattr(table_versions, "_TAG_MARGIN", timedelta(seconds=2))
    settings = Settings(
        chromalake_bucket=moto_aws.bucket,
        chromalake_prefix=f"fork-{uuid.uuid4().hex[:8]}",
        chromalake_table=moto_aws.new_table(),
        chromalake_s3_endpoint=moto_aws.endpoint,
        chromalake_dynamodb_endpoint=moto_aws.endpoint,
        chromalake_region=REGION,
    )
    engine = build_engine(settings)
    engine.policy = RETENTION_NONE
    src = _filled(engine)
    time.sleep(2.5)
    fork = engine.fork(src.id, "fork")
    engine.add(fork.id, ["fork-only"], [_vec(3, 3)])
    engine.add(src.id, ["src-only"], [_vec(4, 4)])
    maintain(engine, src.id, force=True)
    engine.delete_collection("source")
    again = build_engine(settings)  # a new process (Lambda cold start) on the same state
    assert again.get(fork.id).ids == ["r0", "r1", "r2", "r3", "fork-only"]
    assert [c.name for c in again.list_collections()] == ["fork"]
    assert again.fork_count(fork.id) == 1
    first = again.list_versions(fork.id)[0]["version"]
    assert again.get(fork.id, version=first).ids == ["r0", "r1", "r2", "r3"]
    again.restore_version(fork.id, first)
    assert again.count(fork.id) == 4
    again.delete_collection("fork")
    assert again.catalog.all_collections() == []
    prefix = f"{settings.chromalake_prefix}/"
    assert [k for k in moto_aws.keys(moto_aws.bucket, prefix) if ".lance/" in k] == []


def test_official_chromadb_client_forks_on_chromalake_run(tmp_path: Path) -> None:
    server = RunningServer(tmp_path)
    try:
        client = chromadb.HttpClient(host="127.0.0.1", port=server.port)
        src = client.create_collection("source", embedding_function=None)
        src.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]], documents=["x", "y"])
        fork = src.fork("copy")
        assert (fork.name, fork.count(), fork.fork_count(), src.fork_count()) == ("copy", 2, 1, 1)
        fork.add(ids=["c"], embeddings=[[1.0, 1.0]])
        src.delete(ids=["a"])
        assert fork.get()["ids"] == ["a", "b", "c"] and src.get()["ids"] == ["b"]
        with pytest.raises(Exception, match=r"Collection \[copy\] already exists"):
            src.fork("copy")
        hits = fork.query(query_embeddings=[[1.0, 0.0]], n_results=3)  # no max_distance sent
        assert hits["ids"] == [["a", "c", "b"]]
        url = f"{server.url}/api/v2/tenants/{DEFAULT_TENANT}/databases/{DEFAULT_DATABASE}"
        taken = httpx.post(f"{url}/collections/{src.id}/fork", json={"new_name": "copy"})
        assert (taken.status_code, taken.json()["error"]) == (409, "ChromaError")
        capped = httpx.post(
            f"{url}/collections/{fork.id}/query",
            json={"query_embeddings": [[1.0, 0.0]], "max_distance": 1.5},
        )
        assert capped.json()["ids"] == [["a", "c"]]
        client.delete_collection("source")
        assert fork.get()["ids"] == ["a", "b", "c"]
        assert [c.name for c in client.list_collections()] == ["copy"]
    finally:
        server.stop()


def test_maintenance_drops_the_base_tag_of_a_fork_that_never_got_recorded(disk: Engine) -> None:
    src = _filled(disk)
    kept = disk.fork(src.id, "kept")
    # A fork whose catalog record was never written (its process died after the clone).
    lost = kept.with_changes(id=str(uuid.uuid4()), name="lost")
    disk.store.clone(src, lost)
    assert set(_tags(disk, src)) == {f"fork-{kept.id}", f"fork-{lost.id}"}
    disk.policy = MaintenancePolicy(retention=timedelta(hours=1))
    maintain(disk, src.id, force=True)  # too young to tell from a fork being made now
    assert set(_tags(disk, src)) == {f"fork-{kept.id}", f"fork-{lost.id}"}
    disk.policy = RETENTION_NONE
    maintain(disk, src.id, force=True)
    assert set(_tags(disk, src)) == {f"fork-{kept.id}"}
    assert _ids(disk, kept) == ["r0", "r1", "r2", "r3"]


@pytest.mark.parametrize("resends", [False, True], ids=["sqlite", "resending-catalog"])
def test_a_delete_that_finds_nothing(
    disk: Engine, monkeypatch: pytest.MonkeyPatch, resends: bool
) -> None:
    """The loser of two concurrent deletes gets Chroma's 404, unless the catalog may resend a
    write (DynamoDB through boto3): there it was our own delete whose reply was lost."""
    disk.create_collection("twice")
    seen = disk.catalog.get_collection(DEFAULT_TENANT, DEFAULT_DATABASE, "twice")
    assert seen is not None
    disk.catalog.delete_collection(DEFAULT_TENANT, DEFAULT_DATABASE, "twice")  # the other one
    # Our delete looked before the other one removed it.
    monkeypatch.setattr(disk.catalog, "get_collection", lambda *args: seen)
    monkeypatch.setattr(disk.catalog, "resends_writes", resends)
    if resends:
        disk.delete_collection("twice")
    else:
        with pytest.raises(NotFoundError, match=r"Collection \[twice\] does not exist"):
            disk.delete_collection("twice")
