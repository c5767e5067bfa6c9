"""Warm indexes built by maintenance, stored beside the dataset, loaded by new processes.

Maintenance builds the in-process index (engine/warm_index.py) and stores it beside the
collection's Lance dataset (engine/stored_index.py); a process that starts serving the
collection loads it instead of building its own, and matches it to the rows as they are
now (rows written since are searched exactly beside it). Each test checks answers against
the exact path, on local disk and on S3 (moto), and that no build ran where a stored index
was there to load.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from moto_server import MotoAws

from chromalake.config import Settings
from chromalake.engine import vector_index as vector_index_module
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.maintenance import maintain
from chromalake.engine.stored_index import stored_versions
from chromalake.engine.warm_index import WarmIndexes

DIM = 16
N = 2000
MIN_ROWS = 500


def _immediate(build: Callable[[], None]) -> None:
    build()


def _serving(settings: Settings) -> Engine:
    """A new process's engine: its warm index built (or loaded) at once, in the test."""
    engine = build_engine(settings)
    engine.warm = WarmIndexes(min_rows=MIN_ROWS, builder=_immediate)
    return engine


def _exact(settings: Settings) -> Engine:
    engine = build_engine(settings)
    engine.warm = WarmIndexes(min_rows=10**12)
    return engine


def _rows(n: int, seed: int) -> list[np.ndarray]:
    """Rows around 40 far-apart centres, so that the index finds every true neighbour and
    its answers can be compared with exact search's one for one."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(0).standard_normal((40, DIM)) * 10
    rows = centres[rng.integers(0, 40, n)] + rng.standard_normal((n, DIM)) * 0.3
    return list(rows.astype(np.float32))


def _maintained(settings: Settings) -> tuple[Engine, str]:
    """A collection written and maintained by one engine (the maintenance process)."""
    engine = _serving(settings)
    coll = engine.create_collection("stored", metadata={"hnsw:space": "cosine"})
    engine.add(coll.id, ids=[f"r{i}" for i in range(N)], embeddings=_rows(N, 0),
               metadatas=[{"i": i} for i in range(N)])  # fmt: skip
    maintain(engine, coll.id, force=True)
    return engine, coll.id


def _answers(engine: Engine, cid: str) -> list[tuple[list[str], list[float]]]:
    found = engine.query(cid, _rows(6, 9), n_results=7, include=["distances"])
    filtered = engine.query(cid, _rows(2, 10), n_results=5, where={"i": {"$lt": 300}})
    return [(r.ids, np.round(r.distances or [], 5).tolist()) for r in [*found, *filtered]]


def _no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("an index was built where a stored one was there to load")

    monkeypatch.setattr(vector_index_module.VectorIndex, "build", refuse)


@pytest.fixture
def local(tmp_path: Path) -> Settings:
    return Settings(is_persistent=True, persist_directory=str(tmp_path / "data"))


@pytest.fixture
def s3(moto_aws: MotoAws, tmp_path: Path) -> Settings:
    return moto_aws.settings("stored", chromalake_cache_dir=str(tmp_path / "cache"))


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_new_process_loads_the_stored_index_and_answers_exactly(
    where: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings: Settings = request.getfixturevalue(where)
    maintainer, cid = _maintained(settings)
    coll = maintainer.get_collection("stored")
    dataset = maintainer.store.dataset_uri(coll)
    assert maintainer.index_files is not None and dataset is not None
    assert [rows for _, rows in stored_versions(maintainer.index_files, dataset)] == [N]
    # Writes after the build: searched exactly beside the stored index, deletes masked.
    maintainer.upsert(cid, ids=["r1", "late"], embeddings=_rows(2, 5))
    maintainer.delete(cid, ids=["r2"])
    _no_build(monkeypatch)
    serving = _serving(settings)
    serving.query(cid, _rows(1, 3), n_results=1)  # the first query loads it
    assert serving.warm.holds(cid)
    assert _answers(serving, cid) == _answers(_exact(settings), cid)


def test_maintenance_stores_again_only_when_the_rows_moved(local: Settings) -> None:
    engine, cid = _maintained(local)
    coll = engine.get_collection("stored")
    dataset = engine.store.dataset_uri(coll)
    assert engine.index_files is not None and dataset is not None
    first = stored_versions(engine.index_files, dataset)
    engine.add(cid, ids=["a", "b"], embeddings=_rows(2, 6))
    maintain(engine, cid, force=True)
    assert stored_versions(engine.index_files, dataset) == first  # two rows: not behind
    engine.add(cid, ids=[f"n{i}" for i in range(N // 2)], embeddings=_rows(N // 2, 7))
    maintain(engine, cid, force=True)
    (newer,) = stored_versions(engine.index_files, dataset)  # the old one is removed
    assert newer[1] == N + 2 + N // 2 and newer[0] > first[0][0]
    files = sorted(p.name for p in (Path(dataset) / "_chromalake").iterdir())
    assert files == [f"warm-{newer[0]}-{newer[1]}.cvi", f"warm-{newer[0]}-{newer[1]}.keys"]


def test_a_stored_index_too_far_behind_is_rebuilt_not_matched(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    maintainer, cid = _maintained(local)
    maintainer.add(cid, ids=[f"n{i}" for i in range(N)], embeddings=_rows(N, 8))  # unmaintained
    built = []
    original = vector_index_module.VectorIndex.build
    monkeypatch.setattr(
        vector_index_module.VectorIndex,
        "build",
        lambda *a, **k: built.append(1) or original(*a, **k),
    )
    serving = _serving(local)
    serving.query(cid, _rows(1, 3), n_results=1)
    assert built == [1]
    assert _answers(serving, cid) == _answers(_exact(local), cid)


def test_a_stored_index_on_local_disk_serves_the_first_query(local: Settings) -> None:
    """No build thread and no wait: the first query of a new process loads it and uses it."""
    _maintained(local)
    serving = build_engine(local)  # its builder a background thread, as in use
    serving.warm = WarmIndexes(min_rows=MIN_ROWS)
    cid = serving.get_collection("stored").id
    serving.query(cid, _rows(1, 3), n_results=1)
    assert serving.warm.holds(cid)
    assert _answers(serving, cid) == _answers(_exact(local), cid)


def _records(engine: Engine, cid: str, ids: list[str]) -> list[tuple[str, list[float], object]]:
    found = engine.get(cid, ids=ids, include=["embeddings", "metadatas", "documents"])
    embeddings = found.embeddings if found.embeddings is not None else []
    metadatas = found.metadatas or []
    return [
        (i, np.round(e, 5).tolist(), m)
        for i, e, m in zip(found.ids, embeddings, metadatas, strict=True)
    ]


def _held_matrix(engine: Engine, cid: str) -> bool:
    """Whether the engine holds the collection's float32 matrix in memory."""
    snap = engine.store.held_snapshot(engine.get_collection_by_id(cid))
    assert snap is not None
    return isinstance(snap.embeddings, np.ndarray)


@pytest.mark.parametrize("where", ["local", "s3"])
def test_a_process_serving_a_stored_index_holds_no_matrix(
    where: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its snapshot is made from the stored keys; vectors stay in the index's file, rows
    written since (here, by another process, and by itself) are read from Lance alone."""
    settings: Settings = request.getfixturevalue(where)
    maintainer, cid = _maintained(settings)
    maintainer.upsert(cid, ids=["r1", "late"], embeddings=_rows(2, 5), documents=["d1", "dl"])
    _no_build(monkeypatch)
    serving = _serving(settings)
    serving.query(cid, _rows(1, 3), n_results=1)
    assert serving.warm.holds(cid) and not _held_matrix(serving, cid)
    memory = serving.indexing_status(cid).memory
    assert memory is not None and memory["index_mapped_bytes"] > 0
    assert memory["matrix_bytes"] == 2 * DIM * 4  # the two rows written since the build
    exact = _exact(settings)
    assert _answers(serving, cid) == _answers(exact, cid)
    some = ["r0", "r1", "late", "r1999", "r77"]
    assert _records(serving, cid, some) == _records(exact, cid, some)
    serving.upsert(cid, ids=["r5", "new"], embeddings=_rows(2, 11), metadatas=[{"i": 1}] * 2)
    serving.delete(cid, ids=["r6"])
    assert _answers(serving, cid) == _answers(exact, cid)
    assert _records(serving, cid, [*some, "r5", "new"]) == _records(
        exact, cid, [*some, "r5", "new"]
    )
    assert not _held_matrix(serving, cid)


def test_the_first_query_on_s3_does_not_wait_for_the_vectors(
    s3: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold process fetches the codes and keys by ranges and re-ranks from ranged reads of
    the vectors; the whole file comes in the background, and from then on no query reads
    the stored index from S3."""
    import threading

    from chromalake.engine import stored_files

    _, cid = _maintained(s3)
    released = threading.Event()
    fetch, read = stored_files.S3Files.fetch, stored_files.S3Files.read
    reads: list[int] = []

    def slow_fetch(self: object, dataset: str, name: str) -> Path:
        assert released.wait(60)
        return fetch(self, dataset, name)  # type: ignore[arg-type]

    def counted_read(
        self: object, dataset: str, name: str, ranges: list[tuple[int, int]]
    ) -> list[bytes]:
        reads.append(len(ranges))
        return read(self, dataset, name, ranges)  # type: ignore[arg-type]

    monkeypatch.setattr(stored_files.S3Files, "fetch", slow_fetch)
    monkeypatch.setattr(stored_files.S3Files, "read", counted_read)
    _no_build(monkeypatch)
    serving = _serving(s3)
    exact = _exact(s3)
    assert _answers(serving, cid) == _answers(exact, cid)  # while the whole file is held back
    assert serving.warm.holds(cid) and reads
    released.set()
    stored = serving.warm._built[cid].index
    rows = stored._base_vectors
    for _ in range(200):
        if rows._local is not None:
            break
        threading.Event().wait(0.05)
    reads.clear()
    assert _answers(serving, cid) == _answers(exact, cid)
    assert reads == []


def test_a_stored_index_from_before_sequences_and_norms_still_serves(local: Settings) -> None:
    import pyarrow as pa

    maintainer, cid = _maintained(local)
    coll = maintainer.get_collection_by_id(cid)
    dataset = maintainer.store.dataset_uri(coll)
    assert dataset is not None
    (keys,) = (Path(dataset) / "_chromalake").glob("*.keys")
    table = pa.ipc.open_file(pa.memory_map(str(keys))).read_all()
    old = table.select(["id", "rev"])  # what the first stored indexes held
    staged = keys.with_name("staged")  # replaced, not rewritten: a reader may map it
    with pa.OSFile(str(staged), "wb") as sink, pa.ipc.new_file(sink, old.schema) as out:
        out.write_table(old)
    staged.replace(keys)
    serving = _serving(local)
    serving.query(cid, _rows(1, 3), n_results=1)
    assert serving.warm.holds(cid)
    assert _answers(serving, cid) == _answers(_exact(local), cid)


def test_index_files_on_s3_are_kept_in_parts(
    s3: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file on S3 is parts plus a small object naming them (written last); reads by
    range cross part boundaries, a fetch joins them, a removal leaves nothing; a file stored
    whole (before parts) is still read."""
    from chromalake.engine import stored_files
    from chromalake.engine.factory import storage_options
    from chromalake.engine.mirror import s3_client

    monkeypatch.setattr(stored_files, "PART_BYTES", 4096)
    client = s3_client(storage_options(s3))
    files = stored_files.S3Files(client, tmp_path / "cache")
    dataset = f"s3://{s3.chromalake_bucket}/parts/x.lance"
    data = np.random.default_rng(0).integers(0, 256, 10_000, dtype=np.uint8).tobytes()
    source = tmp_path / "source"
    source.write_bytes(data)
    files.put(dataset, "warm-3-9.cvi", source)
    files.put(dataset, "warm-3-9.keys", source)
    listed = client.list_objects_v2(Bucket=s3.chromalake_bucket, Prefix="parts/")["Contents"]
    assert len(listed) == 8  # each: three parts and the object naming them
    assert files.names(dataset) == ["warm-3-9.cvi", "warm-3-9.keys"]
    ranges = [(4090, 12), (0, 5), (-7, 7), (9_000, 5_000)]
    expected = [data[4090:4102], data[:5], data[-7:], data[9_000:]]
    assert files.read(dataset, "warm-3-9.cvi", ranges) == expected
    assert files.read(dataset, "warm-3-9.keys", ranges) == expected
    assert files.fetch(dataset, "warm-3-9.cvi").read_bytes() == data
    files.remove(dataset, "warm-3-9.cvi")
    files.remove(dataset, "warm-3-9.keys")
    assert "Contents" not in client.list_objects_v2(Bucket=s3.chromalake_bucket, Prefix="parts/")
    client.upload_file(str(source), s3.chromalake_bucket, "parts/x.lance/_chromalake/warm-1-1.cvi")
    fresh = stored_files.S3Files(client, tmp_path / "cache2")
    assert fresh.read(dataset, "warm-1-1.cvi", ranges) == expected


def test_two_threads_storing_the_same_file_at_once_both_succeed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An embedded client's background maintainer and an explicit ``maintain`` call may store
    one index at the same moment in one process: each stages its own copy."""
    import shutil
    import threading

    from chromalake.engine import stored_files

    source = tmp_path / "source"
    source.write_bytes(b"index bytes")
    both_copied = threading.Barrier(2)
    copy = shutil.copyfile

    def copied_then_wait(src: Path, dst: Path) -> Path:
        result = copy(src, dst)
        both_copied.wait(timeout=10)  # both staged before either renames
        return result

    monkeypatch.setattr(stored_files.shutil, "copyfile", copied_then_wait)
    files, errors = stored_files.LocalFiles(), []

    def store() -> None:
        try:
            files.put(str(tmp_path / "dataset"), "warm-1-10.cvi", source)
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)

    threads = [threading.Thread(target=store) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert files.names(str(tmp_path / "dataset")) == ["warm-1-10.cvi"]


def test_fields_too_big_to_hold_are_read_from_lance_once_tried(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stored index whose rows' fields did not fit the budget serves without them: gets and
    query results read them from Lance, and the background read is tried once, not per call."""
    import time

    from chromalake.engine import snapshot as snapshot_module

    monkeypatch.setattr(snapshot_module, "FIELDS_BYTES", 1000)
    _, cid = _maintained(local)
    serving = _serving(local)
    exact = _exact(local)
    assert _answers(serving, cid) == _answers(exact, cid)
    for _ in range(100):  # the one background read gives up
        snap = serving.store.held_snapshot(serving.get_collection_by_id(cid))
        if snap is not None and not snap.fields_unread and not serving._filling:
            break
        time.sleep(0.05)
    assert snap is not None and snap.fields is None and not snap.fields_unread
    some = ["r0", "r5", "r1999"]
    assert _records(serving, cid, some) == _records(exact, cid, some)
    assert not serving._filling  # no read started again


def test_two_maintenance_runs_of_a_collection_at_once_build_its_indexes_once(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An explicit maintain() beside the background maintainer: the second run waits for the
    first and finds its indexes built, instead of building them again beside it."""
    import threading
    import time

    from chromalake.engine.policy import MaintenancePolicy

    engine = _serving(local)
    engine.policy = MaintenancePolicy(index_threshold=MIN_ROWS)
    coll = engine.create_collection("twice")
    engine.add(coll.id, ids=[f"r{i}" for i in range(N)], embeddings=_rows(N, 0))
    builds: list[str] = []
    original = vector_index_module.VectorIndex.build

    def slow_build(*args: object, **kwargs: object) -> vector_index_module.VectorIndex:
        builds.append("warm")
        time.sleep(0.5)  # the other run starts meanwhile
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(vector_index_module.VectorIndex, "build", slow_build)
    runs = [threading.Thread(target=maintain, args=(engine, coll.id, True)) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join()
    assert builds == ["warm"]
    assert engine.store.vector_index(engine.get_collection_by_id(coll.id)) is not None


def test_a_stored_index_past_the_matrix_budget_serves(local: Settings) -> None:
    """A process whose matrix budget the collection exceeds (where it would not build an
    index of its own) still serves it from the stored index: it holds no matrix."""
    _, cid = _maintained(local)
    serving = build_engine(local)
    serving.warm = WarmIndexes(min_rows=MIN_ROWS, builder=_immediate, max_matrix_bytes=1)
    serving.query(cid, _rows(1, 3), n_results=1)
    assert serving.warm.holds(cid) and not _held_matrix(serving, cid)
    assert _answers(serving, cid) == _answers(_exact(local), cid)


def test_maintenance_stores_no_index_past_its_build_budget(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromalake.engine import maintenance

    monkeypatch.setattr(maintenance, "build_budget", lambda: N * DIM * 4 - 1)
    engine, cid = _maintained(local)
    dataset = engine.store.dataset_uri(engine.get_collection_by_id(cid))
    assert engine.index_files is not None and dataset is not None
    assert stored_versions(engine.index_files, dataset) == []


def test_an_index_behind_by_many_rows_is_replaced_by_a_newer_stored_one(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past REBUILD_ROWS written since (a small share of a large collection), maintenance
    stores a new index; a serving process too small to read the matrix goes on answering with
    the one it has meanwhile, then takes the new one rather than building its own."""
    from chromalake.engine import warm_index

    monkeypatch.setattr(warm_index, "REBUILD_ROWS", 100)
    maintainer, cid = _maintained(local)
    serving = build_engine(local)
    serving.warm = WarmIndexes(min_rows=MIN_ROWS, builder=_immediate, max_matrix_bytes=1)
    serving.query(cid, _rows(1, 3), n_results=1)
    _no_build(monkeypatch)
    serving.add(cid, ids=[f"n{i}" for i in range(150)], embeddings=_rows(150, 12))
    assert _answers(serving, cid) == _answers(_exact(local), cid)  # 150 behind: kept
    index = serving.warm.index_of(cid)
    assert index is not None and index.rows == N
    monkeypatch.undo()
    monkeypatch.setattr(warm_index, "REBUILD_ROWS", 100)
    maintain(maintainer, cid, force=True)  # 150 rows moved: stored again
    _no_build(monkeypatch)
    serving.add(cid, ids=["last"], embeddings=_rows(1, 13))
    assert _answers(serving, cid) == _answers(_exact(local), cid)
    index = serving.warm.index_of(cid)
    assert index is not None and index.rows == N + 150


def test_a_process_that_looked_too_early_serves_from_the_index_stored_later(
    local: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The process that wrote the rows queries while its maintenance is still building: it
    finds no stored index and answers through Lance's index (its matrix is past the budget).
    Once maintenance has stored one, the process serves from it, looking again at most every
    LOOK_EVERY_SECONDS (a listing each time; not one per query)."""
    from chromalake.engine import maintenance as maintenance_module
    from chromalake.engine import stored_index as stored_index_module

    settings = local.model_copy(update={"chromalake_index_threshold": 1000})
    engine = build_engine(settings)
    engine.warm = WarmIndexes(min_rows=MIN_ROWS, builder=_immediate, max_matrix_bytes=1)
    coll = engine.create_collection("stored")
    engine.add(coll.id, ids=[f"r{i}" for i in range(N)], embeddings=_rows(N, 0),
               metadatas=[{"i": i} for i in range(N)])  # fmt: skip
    store_later = maintenance_module.store_warm_index
    monkeypatch.setattr(maintenance_module, "store_warm_index", lambda *a, **k: False)
    maintain(engine, coll.id, force=True)  # Lance's index, not the warm one yet
    listings = []
    monkeypatch.setattr(
        stored_index_module,
        "stored_versions",
        lambda *a: listings.append(1) or stored_versions(*a),
    )
    for _ in range(3):
        engine.query(coll.id, _rows(1, 3), n_results=1)
    assert not engine.warm.holds(coll.id) and len(listings) == 1
    assert store_later(engine, engine.get_collection("stored"), N, rebuilt=True)
    listings.clear()  # save lists what it replaces
    engine.query(coll.id, _rows(1, 3), n_results=1)
    assert not engine.warm.holds(coll.id)  # within LOOK_EVERY_SECONDS of the last look
    assert not listings
    monkeypatch.setattr(stored_index_module, "LOOK_EVERY_SECONDS", 0.0)
    engine.query(coll.id, _rows(1, 3), n_results=1)
    assert engine.warm.holds(coll.id) and len(listings) == 1
    assert _answers(engine, coll.id) == _answers(_exact(settings), coll.id)


def test_a_process_serving_a_stored_index_sorts_its_ids_in_the_background(
    local: Settings,
) -> None:
    """Gets by id of a snapshot made from a stored index find rows by binary search over ids
    sorted once in the background (1M ids: a dict of them held the GIL ~0.6 s), with the
    same answers as the id -> position dict, missing ids skipped and the order kept."""
    import time

    _, cid = _maintained(local)
    serving = _serving(local)
    serving.query(cid, _rows(1, 3), n_results=1)
    snap = serving.store.held_snapshot(serving.get_collection("stored"))
    assert snap is not None and len(snap.ids) == N
    deadline = time.monotonic() + 30
    while snap._by_id is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert snap._by_id is not None
    # Another path may have made the dict meanwhile (a query by ids does): without it, a
    # lookup goes through the sorted ids and makes none.
    snap._positions = None
    asked = ["r7", "nope", "r1999", "r0", "r10"]
    sorted_lookup = snap.positions_of(asked).tolist()
    assert snap._positions is None
    assert sorted_lookup == [snap.positions[i] for i in asked if i in snap.positions]
    records = serving.get(cid, ids=["r7", "r3"], include=["metadatas"])
    assert (records.ids, records.metadatas) == (["r3", "r7"], [{"i": 3}, {"i": 7}])
