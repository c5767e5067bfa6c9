"""Warm reads on S3 run on local copies of the datasets (engine/mirror.py), with no S3 request.

The engine's S3 traffic goes through a counting proxy in front of the moto server, so each
test can say which requests a read sent: none while nothing changed; after another instance
wrote, one GET of the new manifest and one per new file, never a listing. Each scenario also
checks that what the copy answers is what S3 holds (a second engine without a copy).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from fault_proxy import FaultProxy
from moto_server import MotoAws

from chromalake.config import Settings
from chromalake.engine import mirror as mirror_module
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.manifest import dataset_files, manifest_name
from chromalake.engine.mirror import Mirror

DIM = 8


@pytest.fixture
def proxy(moto_aws: MotoAws) -> Iterator[FaultProxy]:
    running = FaultProxy(moto_aws.endpoint).start()
    yield running
    running.stop()


@pytest.fixture
def settings(moto_aws: MotoAws, proxy: FaultProxy, tmp_path: Path) -> Settings:
    """An S3 + DynamoDB engine's settings, its S3 through the counting proxy."""
    return moto_aws.settings(
        "mirror",
        chromalake_s3_endpoint=proxy.endpoint,
        chromalake_cache_dir=str(tmp_path / "cache"),
    )


def _engine(settings: Settings, **changes: object) -> Engine:
    return build_engine(settings.model_copy(update=changes))


def _mirror(engine: Engine) -> Mirror:
    held = engine.store._mirror
    assert held is not None
    return held


def _s3(proxy: FaultProxy) -> dict[str, int]:
    return {k: n for k, n in proxy.counted().items() if k.startswith("S3")}


def _vectors(n: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return list(rng.standard_normal((n, DIM)).astype(np.float32))


def _filled(engine: Engine, name: str, n: int = 300) -> str:
    coll = engine.create_collection(name)
    engine.add(
        coll.id,
        ids=[f"r{i}" for i in range(n)],
        embeddings=_vectors(n, 1),
        metadatas=[{"i": i, "even": i % 2 == 0} for i in range(n)],
        documents=[f"document {i}" for i in range(n)],
    )
    return coll.id


def _warm(engine: Engine, collection_id: str) -> None:
    """A first read starts the copy in the background; wait until it is complete."""
    engine.count(collection_id)
    _mirror(engine).settle()


def _reads(engine: Engine, collection_id: str) -> tuple[object, ...]:
    """Every kind of read, as comparable values."""
    query = engine.query(collection_id, _vectors(2, 7), n_results=5)
    filtered = engine.query(collection_id, _vectors(1, 8), n_results=3, where={"even": True})
    got = engine.get(collection_id, ids=["r1", "r2", "new"], include=["metadatas", "documents"])
    page = engine.get(collection_id, where={"i": {"$gte": 290}}, include=["metadatas"])
    text = engine.get(collection_id, where_document={"$contains": "document 29"})
    return (
        engine.count(collection_id),
        [(r.ids, np.round(r.distances or [], 4).tolist()) for r in query],
        [r.ids for r in filtered],
        (got.ids, got.metadatas, got.documents),
        (page.ids, page.metadatas),
        sorted(text.ids),
    )


def test_a_warm_read_sends_no_request_to_s3(settings: Settings, proxy: FaultProxy) -> None:
    engine = _engine(settings)
    cid = _filled(engine, "warm")
    _warm(engine, cid)
    proxy.reset()
    answers = _reads(engine, cid)
    assert _s3(proxy) == {}
    # The copy answers what S3 holds: an engine without one reads the same.
    assert answers == _reads(_engine(settings, chromalake_cache_bytes=0), cid)


def test_another_instances_write_costs_its_new_files_only(
    settings: Settings, proxy: FaultProxy
) -> None:
    reader, writer = _engine(settings), _engine(settings)
    cid = _filled(writer, "shared")
    _warm(reader, cid)
    writer.add(cid, ids=["new"], embeddings=_vectors(1, 9), metadatas=[{"i": 1000}])
    writer.update(cid, ids=["r1"], metadatas=[{"i": -1, "changed": True}])
    writer.delete(cid, ids=["r2"])
    proxy.reset()
    answers = _reads(reader, cid)
    sent = _s3(proxy)
    assert "S3 LIST" not in sent and set(sent) <= {"S3 GET"}, sent
    # Three versions apart: the last manifest, the two data files of the add and the update,
    # the update's and the delete's deletion files; nothing of the 300 records read before.
    assert 0 < sent["S3 GET"] <= 6, sent
    count, _, _, got, _, _ = answers
    assert count == 300 and got[0] == ["r1", "new"]
    assert got[1][0] == {"i": -1, "even": False, "changed": True}
    assert answers == _reads(_engine(settings, chromalake_cache_bytes=0), cid)
    proxy.reset()
    assert _reads(reader, cid) == answers and _s3(proxy) == {}


def test_a_collection_deleted_and_recreated_is_read_afresh(settings: Settings) -> None:
    reader, writer = _engine(settings), _engine(settings)
    cid = _filled(writer, "again")
    _warm(reader, cid)
    writer.delete_collection("again")
    again = _filled(writer, "again", n=10)
    assert reader.count(again) == 10
    assert reader.get(again, ids=["r299"]).ids == []


def test_a_fork_reads_its_sources_files_from_s3(settings: Settings) -> None:
    engine = _engine(settings)
    cid = _filled(engine, "source")
    _warm(engine, cid)
    fork = engine.fork(cid, "fork")
    engine.add(fork.id, ids=["f"], embeddings=_vectors(1, 3))
    engine.count(fork.id)
    _mirror(engine).settle()
    assert engine.count(fork.id) == 301 and engine.count(cid) == 300
    assert engine.get(fork.id, ids=["f", "r0"]).ids == ["r0", "f"]
    copies = _mirror(engine)._copies
    assert [c.mirrorable for uri, c in copies.items() if fork.id in uri] == [False]


def test_least_recently_read_copies_go_past_the_budget(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mirror_module, "IN_USE_SECONDS", 0.0)
    writer = _engine(settings)
    first, second = _filled(writer, "first"), _filled(writer, "second")
    probe = _engine(settings)
    _warm(probe, first)
    one = _mirror(probe).held_bytes()
    reader = _engine(settings, chromalake_cache_bytes=one * 3 // 2)  # room for one copy
    _warm(reader, first)
    held = [c.directory for c in _mirror(reader)._copies.values() if c.version is not None]
    assert len(held) == 1 and held[0].exists()
    _warm(reader, second)
    assert not held[0].exists()
    assert reader.count(first) == reader.count(second) == 300


def test_copies_of_a_process_no_longer_running_are_removed(tmp_path: Path) -> None:
    abandoned = tmp_path / "999999999-abcd" / "x" / "c.lance"
    abandoned.mkdir(parents=True)
    Mirror(tmp_path, 1024, reader=None)  # type: ignore[arg-type]
    assert not abandoned.parent.parent.exists()


def test_the_manifest_names_exactly_the_files_a_version_reads(tmp_path: Path) -> None:
    import lancedb

    db = lancedb.connect(tmp_path)
    rows = [{"id": str(i), "v": [float(i)] * 4} for i in range(200)]
    table = db.create_table("t", rows)
    table.add([{"id": "x", "v": [0.5] * 4}])
    table.delete("id = '3'")
    table.create_scalar_index("id")
    table.optimize()  # compaction: the version after it reads new files only
    root = tmp_path / "t.lance"
    name = manifest_name(int(table.version), bool(table.uses_v2_manifest_paths()))
    wanted = dataset_files((root / name).read_bytes())
    on_disk = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    listed = {f for d in wanted.unlisted_index_dirs for f in on_disk if f.startswith(d + "/")}
    files = wanted.files | listed
    assert files <= on_disk
    # Every data file read at this version is named, and none that compaction replaced.
    data = {f for f in on_disk if f.startswith("data/")}
    assert {f for f in files if f.startswith("data/")} < data
    assert any(f.startswith("_indices/") for f in files)
    assert table.count_rows() == 200


def test_files_of_replaced_versions_stay_while_reads_may_run_on_them(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = _engine(settings), _engine(settings)
    cid = _filled(writer, "versions")
    _warm(reader, cid)
    (copy,) = [c for c in _mirror(reader)._copies.values() if c.version is not None]
    held_by = []
    for i in range(3):  # versions later, reads that began on the first may still run
        held_by.append(copy.files)
        writer.update(cid, ids=[f"r{i}"], metadatas=[{"i": -i}])
        assert reader.count(cid) == 300
    assert all((copy.directory / f).exists() for files in held_by for f in files)
    monkeypatch.setattr(mirror_module, "IN_USE_SECONDS", 0.0)
    writer.update(cid, ids=["r9"], metadatas=[{"i": -9}])
    assert reader.get(cid, ids=["r0", "r9"], include=["metadatas"]).metadatas == [
        {"i": 0, "even": True},
        {"i": -9, "even": False},
    ]
    held = {p.relative_to(copy.directory).as_posix() for p in copy.directory.rglob("*")}
    replaced = {f for files in held_by[1:] for f in files} - copy.files  # superseded deletions
    assert replaced and not replaced & held


def test_a_background_snapshot_waits_for_the_copy_and_reads_it(
    settings: Settings, proxy: FaultProxy
) -> None:
    """The warm index's first snapshot is read from the local copy once it is complete, not
    from S3 beside it: each data file crosses the network once (the copy's GET)."""
    cid = _filled(_engine(settings), "settled", n=2000)
    cold = _engine(settings)
    proxy.reset()
    snap = cold.store.settled_snapshot(cold.get_collection("settled"))
    assert snap is not None and len(snap.ids) == 2000
    data_gets = [r for r in proxy.requests if r.startswith("GET") and "/data/" in r]
    assert data_gets and len(data_gets) == len(set(data_gets))
    assert _mirror(cold).holds(cold.store._sources[cid][0], snap.version)
