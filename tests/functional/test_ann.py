"""The ANN path: maintenance builds a Lance IVF index past a (here, low) size threshold, and
queries through it keep Chroma's results: recall on clustered data, exact distances, filters
that never shorten a result, read-your-writes, and no row lost to maintenance beside a writer.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chromalake.config import Settings
from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.maintenance import BackgroundMaintainer, maintain
from chromalake.engine.nearest import exact_distances
from chromalake.engine.warm_index import WarmIndexes

N, DIM, THRESHOLD = 3000, 32, 1000


def clustered(n: int, seed: int, dim: int = DIM) -> np.ndarray:
    """Deterministic Gaussian clusters (closer to real embeddings than uniform noise)."""
    rng = np.random.default_rng(seed)
    centres = np.random.default_rng(0).standard_normal((60, dim)).astype(np.float32)
    noise = 0.35 * rng.standard_normal((n, dim)).astype(np.float32)
    return np.asarray(centres[rng.integers(0, 60, n)] + noise, dtype=np.float32)


DATA = clustered(N, seed=1)
QUERIES = clustered(40, seed=2)


def settings_for(path: Path, **extra: Any) -> Settings:
    fields = {"chromalake_index_threshold": THRESHOLD, **extra}
    return Settings(is_persistent=True, persist_directory=str(path), **fields)


def _fill(engine: Engine, space: str = "l2", name: str = "vectors") -> CollectionRecord:
    coll = engine.create_collection(name, configuration={"hnsw": {"space": space}})
    for start in range(0, N, 500):
        rows = range(start, min(N, start + 500))
        engine.add(
            coll.id,
            ids=[f"id{i}" for i in rows],
            embeddings=list(DATA[start : start + len(rows)]),
            metadatas=[{"bucket": i % 100, "half": i % 2} for i in rows],
            documents=[f"doc {i} {'rare' if i % 500 == 7 else 'common'}" for i in rows],
        )
    return engine.get_collection_by_id(coll.id)


def _truth(space: str, query: np.ndarray, rows: np.ndarray, k: int) -> list[int]:
    distances = exact_distances(space, query.astype(np.float64), rows.astype(np.float64))
    return [int(i) for i in np.argsort(distances, kind="stable")[:k]]


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Engine, CollectionRecord]:
    engine = build_engine(settings_for(tmp_path))
    coll = _fill(engine)
    report = maintain(engine, coll.id)
    assert report is not None and report.indexed == "built"
    assert engine.store.vector_index(coll) is not None
    return engine, coll


@pytest.mark.parametrize("space", ["l2", "cosine", "ip"])
def test_recall_floor_and_exact_distances(tmp_path: Path, space: str) -> None:
    engine = build_engine(settings_for(tmp_path))
    coll = _fill(engine, space)
    maintain(engine, coll.id)
    index = engine.store.vector_index(coll)
    assert index is not None and index.indexed_rows == N
    results = engine.query(coll.id, list(QUERIES), 10, include=["distances"])
    hits = 0
    for query, result in zip(QUERIES, results, strict=True):
        truth = {f"id{i}" for i in _truth(space, query, DATA, 10)}
        hits += len(truth & set(result.ids))
        rows = DATA[[int(i[2:]) for i in result.ids]]
        expected = exact_distances(space, query.astype(np.float64), rows.astype(np.float64))
        assert result.distances == pytest.approx(expected.tolist(), rel=1e-6, abs=1e-6)
        assert result.distances == sorted(result.distances)
    assert hits / (10 * len(QUERIES)) >= 0.95


def test_ivf_pq_index_keeps_the_recall_floor(tmp_path: Path) -> None:
    engine = build_engine(settings_for(tmp_path, chromalake_index_type="IVF_PQ"))
    coll = _fill(engine)
    maintain(engine, coll.id)
    index = engine.store.vector_index(coll)
    assert index is not None and index.name.startswith("embedding_ivf_pq")
    results = engine.query(coll.id, list(QUERIES), 10, include=[])
    hits = sum(
        len({f"id{i}" for i in _truth("l2", q, DATA, 10)} & set(r.ids))
        for q, r in zip(QUERIES, results, strict=True)
    )
    assert hits / (10 * len(QUERIES)) >= 0.95


def test_below_threshold_builds_nothing(tmp_path: Path) -> None:
    engine = build_engine(settings_for(tmp_path, chromalake_index_threshold=N + 1))
    coll = _fill(engine)
    report = maintain(engine, coll.id)
    assert report is not None and report.indexed is None
    assert engine.store.vector_index(coll) is None
    status = engine.indexing_status(coll.id)
    assert (status.num_indexed_ops, status.op_indexing_progress) == (N, 1.0)


@pytest.mark.parametrize(
    ("where", "where_document", "matching"),
    [
        ({"bucket": 3}, None, lambda i: i % 100 == 3),  # 1%
        ({"bucket": {"$lt": 10}}, None, lambda i: i % 100 < 10),  # 10%
        ({"half": 0}, None, lambda i: i % 2 == 0),  # 50%
        (None, {"$contains": "rare"}, lambda i: i % 500 == 7),  # 6 rows: fewer than k
        ({"bucket": 3}, {"$contains": "rare"}, lambda i: False),  # nothing
    ],
)
def test_filtered_queries_are_complete_and_correct(
    indexed: tuple[Engine, CollectionRecord],
    where: dict[str, Any] | None,
    where_document: dict[str, Any] | None,
    matching: Any,
) -> None:
    engine, coll = indexed
    allowed = np.array([i for i in range(N) if matching(i)], dtype=np.int64)
    results = engine.query(
        coll.id, list(QUERIES[:10]), 10, where=where, where_document=where_document, include=[]
    )
    for query, result in zip(QUERIES[:10], results, strict=True):
        assert len(result.ids) == min(10, len(allowed))
        assert all(matching(int(i[2:])) for i in result.ids)
        if len(allowed):
            truth = {f"id{allowed[p]}" for p in _truth("l2", query, DATA[allowed], 10)}
            assert len(truth & set(result.ids)) >= min(9, len(allowed))


def test_indexed_queries_never_load_the_matrix(
    indexed: tuple[Engine, CollectionRecord], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, coll = indexed

    def no_snapshot(_: CollectionRecord) -> None:
        raise AssertionError("an indexed collection must be searched through its index")

    monkeypatch.setattr(engine.store, "snapshot", no_snapshot)
    # Above the memory budget of a warm index (engine/warm_index.py): here, every collection.
    engine.warm = WarmIndexes(max_matrix_bytes=0)
    assert engine.query(coll.id, [DATA[3]], 1, include=[])[0].ids == ["id3"]
    assert engine.query(coll.id, [DATA[3]], 1, where={"half": 1}, include=[])[0].ids == ["id3"]


def test_query_by_ids_on_an_indexed_collection(indexed: tuple[Engine, CollectionRecord]) -> None:
    engine, coll = indexed
    result = engine.query(coll.id, [DATA[5]], 2, ids=["id5", "id6", "id7"], include=["distances"])
    assert result[0].ids[0] == "id5"
    assert result[0].distances is not None and result[0].distances[0] == 0.0
    with pytest.raises(Exception, match="Error finding id"):
        engine.query(coll.id, [DATA[5]], 2, ids=["id5", "missing"])


def test_read_your_writes_on_an_indexed_collection(
    indexed: tuple[Engine, CollectionRecord],
) -> None:
    engine, coll = indexed
    probe = np.full(DIM, 9.0, dtype=np.float32)  # far from every cluster
    engine.add(coll.id, ["fresh"], [probe], metadatas=[{"bucket": 3}])
    assert engine.query(coll.id, [probe], 1, include=[])[0].ids == ["fresh"]
    assert engine.query(coll.id, [probe], 1, where={"bucket": 3}, include=[])[0].ids == ["fresh"]
    engine.update(coll.id, ["id11"], embeddings=[probe * 1.01])
    assert engine.query(coll.id, [probe * 1.01], 1, include=[])[0].ids == ["id11"]
    engine.delete(coll.id, ["fresh", "id11"])
    nearest = engine.query(coll.id, [probe], 3, include=[])[0].ids
    assert "fresh" not in nearest and "id11" not in nearest
    status = engine.indexing_status(coll.id)
    assert status.total_ops == N - 1 and status.num_unindexed_ops >= 0


def test_another_process_writes_are_seen_by_a_warm_engine(tmp_path: Path) -> None:
    reader = build_engine(settings_for(tmp_path))
    coll = _fill(reader)
    maintain(reader, coll.id)
    reader.query(coll.id, [DATA[0]], 1)  # warm: index and handle cached
    writer = build_engine(settings_for(tmp_path))
    probe = np.full(DIM, -9.0, dtype=np.float32)
    writer.add(coll.id, ["elsewhere"], [probe])
    assert reader.query(coll.id, [probe], 1, include=[])[0].ids == ["elsewhere"]


def test_indexing_status_follows_maintenance(tmp_path: Path) -> None:
    engine = build_engine(settings_for(tmp_path))
    coll = _fill(engine)
    before = engine.indexing_status(coll.id)
    assert (before.num_indexed_ops, before.num_unindexed_ops, before.total_ops) == (0, N, N)
    assert before.op_indexing_progress == 0.0
    maintain(engine, coll.id)
    engine.add(coll.id, [f"new{i}" for i in range(100)], list(DATA[:100] + 0.01))
    middle = engine.indexing_status(coll.id)
    assert (middle.num_indexed_ops, middle.num_unindexed_ops) == (N, 100)
    assert middle.op_indexing_progress == pytest.approx(N / (N + 100))
    maintain(engine, coll.id)
    after = engine.indexing_status(coll.id)
    assert (after.num_indexed_ops, after.op_indexing_progress) == (N + 100, 1.0)


@pytest.mark.filterwarnings("ignore:optimize\\(cleanup_older_than=0\\)")
def test_maintenance_is_idempotent_and_cleans_versions(tmp_path: Path) -> None:
    engine = build_engine(settings_for(tmp_path, chromalake_version_retention_seconds=0))
    coll = _fill(engine)
    first = maintain(engine, coll.id)
    second = maintain(engine, coll.id)
    assert first is not None and second is not None
    assert (first.indexed, second.indexed) == ("built", None)
    assert (first.optimized, second.optimized) == (False, False)  # 6 fragments, all indexed
    state = engine.store.state(coll)
    assert state is not None and state.fragments == 6
    forced = maintain(engine, coll.id, force=True)  # the scheduled sweep's run
    assert forced is not None and forced.optimized
    state = engine.store.state(coll)
    assert state is not None and state.rows == N and state.fragments == 1
    table = engine.store._table(coll)
    assert len(table.list_versions()) <= 2  # the latest, and at most the one cleanup kept
    assert maintain(engine, "00000000-0000-4000-8000-00000000dead") is None
    assert {c.name for c in table.list_indices()} == {state.index.name, "id_btree"}  # type: ignore[union-attr]
    assert engine.get(coll.id, ids=["id9", "id3"], include=["metadatas"]).metadatas == [
        {"bucket": 3, "half": 1},
        {"bucket": 9, "half": 1},
    ]


def test_index_is_retrained_once_the_collection_outgrows_it(tmp_path: Path) -> None:
    engine = build_engine(
        settings_for(tmp_path, chromalake_index_threshold=500, chromalake_index_retrain_growth=2.0)
    )
    coll = engine.create_collection("growing")
    engine.add(coll.id, [f"a{i}" for i in range(600)], list(DATA[:600]))
    assert maintain(engine, coll.id).indexed == "built"  # type: ignore[union-attr]
    first = engine.store.vector_index(coll)
    many = clustered(9000, seed=3)
    engine.add(coll.id, [f"b{i}" for i in range(9000)], list(many))
    assert maintain(engine, coll.id).indexed == "retrained"  # type: ignore[union-attr]
    second = engine.store.vector_index(coll)
    assert first is not None and second is not None and second.name != first.name
    assert second.indexed_rows == 9600
    assert engine.query(coll.id, [many[5]], 1, include=[])[0].ids == ["b5"]


def test_concurrent_writer_and_maintenance_lose_no_rows(tmp_path: Path) -> None:
    engine = build_engine(settings_for(tmp_path))
    coll = _fill(engine)
    maintainer = build_engine(settings_for(tmp_path))  # another handler, its own handles
    errors: list[BaseException] = []
    done = threading.Event()

    def maintain_repeatedly() -> None:
        try:
            while not done.is_set():
                maintain(maintainer, coll.id)
        except BaseException as e:  # reported by the main thread
            errors.append(e)

    worker = threading.Thread(target=maintain_repeatedly)
    worker.start()
    extra = clustered(1200, seed=4)
    try:
        for start in range(0, 1200, 60):
            ids = [f"w{i}" for i in range(start, start + 60)]
            engine.add(coll.id, ids, list(extra[start : start + 60]))
            engine.upsert(coll.id, [f"id{start}"], [extra[start]], metadatas=[{"moved": True}])
            engine.delete(coll.id, [f"id{start + 1}"])
    finally:
        done.set()
        worker.join()
    assert not errors
    maintain(engine, coll.id)
    expected = N + 1200 - 20
    assert engine.count(coll.id) == expected
    stored = set(engine.get(coll.id, include=[]).ids)
    assert len(stored) == expected
    assert {f"w{i}" for i in range(1200)} <= stored
    assert engine.get(coll.id, where={"moved": True}, include=[]).ids.__len__() == 20
    assert engine.query(coll.id, [extra[7]], 1, include=[])[0].ids == ["w7"]


def test_background_maintainer_indexes_after_writes(tmp_path: Path) -> None:
    engine = build_engine(settings_for(tmp_path))
    worker = BackgroundMaintainer(engine, delay=0.0, interval=3600.0).start()
    try:
        coll = _fill(engine)
        deadline = threading.Event()
        for _ in range(600):  # up to a minute on a loaded machine; no timing is asserted
            status = engine.indexing_status(coll.id)
            if status.op_indexing_progress == 1.0:
                break
            deadline.wait(0.1)
    finally:
        worker.stop()
    assert engine.store.vector_index(coll) is not None
    assert engine.indexing_status(coll.id).op_indexing_progress == 1.0


def test_retention_window_is_a_timedelta(tmp_path: Path) -> None:
    engine = build_engine(settings_for(tmp_path, chromalake_version_retention_seconds=90))
    assert engine.policy.retention == timedelta(seconds=90)
    assert engine.policy.index_threshold == THRESHOLD


def test_maintain_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from chromalake.cli import main

    engine = build_engine(settings_for(tmp_path))
    coll = _fill(engine)
    monkeypatch.setenv("CHROMALAKE_INDEX_THRESHOLD", str(THRESHOLD))
    assert main(["maintain", "--path", str(tmp_path)]) == 0
    printed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["collection_id"], r["indexed"]) for r in printed] == [(coll.id, "built")]
    assert main(["maintain", "--path", str(tmp_path), "--collection", coll.id]) == 0
    assert json.loads(capsys.readouterr().out)["indexed"] is None
