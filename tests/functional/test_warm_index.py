"""Queries through the in-process index (engine/warm_index.py) see every committed write.

The index is built once (here at once, in the test's thread) and then kept in step with the
collection's writes without a rebuild: rows added or rewritten since are searched exactly
beside it, rows deleted are masked out. Each test compares with the exact path (an engine
without warm indexes) on the same data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.warm_index import WarmIndexes

DIM = 16
N = 3000


def _immediate(build: object) -> None:
    build()  # type: ignore[operator]


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    built = build_engine(Settings(is_persistent=True, persist_directory=str(tmp_path)))
    built.warm = WarmIndexes(min_rows=100, builder=_immediate)
    return built


def _exact(engine: Engine) -> Engine:
    """The same data through the exact path: an engine whose warm index never builds."""
    other = build_engine(Settings(is_persistent=True, persist_directory=engine_path(engine)))
    other.warm = WarmIndexes(min_rows=10**12)
    return other


def engine_path(engine: Engine) -> str:
    return str(Path(engine.store._root))


def _rows(n: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)


def _filled(engine: Engine, space: str = "l2") -> str:
    coll = engine.create_collection("warm", metadata={"hnsw:space": space})
    rows = _rows(N, 0)
    engine.add(
        coll.id,
        ids=[f"r{i}" for i in range(N)],
        embeddings=list(rows),
        metadatas=[{"i": i, "tenth": i % 10 == 0} for i in range(N)],
    )
    return coll.id


def _top(engine: Engine, cid: str, query: np.ndarray, **kwargs: object) -> list[str]:
    return engine.query(cid, [query], n_results=5, include=[], **kwargs)[0].ids  # type: ignore[arg-type]


def _built(engine: Engine, cid: str) -> object:
    return engine.warm._built[cid]


@pytest.mark.parametrize("space", ["l2", "cosine", "ip"])
def test_the_index_answers_as_exact_search(engine: Engine, space: str) -> None:
    cid = _filled(engine, space)
    rows = _rows(N, 0)
    _top(engine, cid, rows[0])  # builds it
    assert cid in engine.warm._built
    for i in (1, 500, 2999):
        found = engine.query(cid, [rows[i]], n_results=3, include=["distances"])[0]
        exact = _exact(engine).query(cid, [rows[i]], n_results=3, include=["distances"])[0]
        assert found.ids[0] == exact.ids[0] and (space == "ip" or found.ids[0] == f"r{i}")
        assert np.allclose(found.distances[0], exact.distances[0], atol=1e-5)


def test_writes_after_the_build_are_seen_without_a_rebuild(engine: Engine) -> None:
    cid = _filled(engine)
    rows = _rows(N, 0)
    probe = _rows(1, 99)[0]
    _top(engine, cid, probe)
    index = _built(engine, cid)
    engine.add(cid, ids=["new"], embeddings=[probe + 1e-3])
    assert _top(engine, cid, probe)[0] == "new"
    engine.update(cid, ids=["r7"], embeddings=[probe])
    assert _top(engine, cid, probe)[:2] == ["r7", "new"]
    engine.delete(cid, ids=["r7"])
    assert "r7" not in _top(engine, cid, probe) and _top(engine, cid, probe)[0] == "new"
    # r5 rewritten far away: its old place in the index must not answer for it.
    engine.update(cid, ids=["r5"], embeddings=[rows[5] + 100])
    assert "r5" not in _top(engine, cid, rows[5])
    assert _built(engine, cid) is index  # kept in step, not rebuilt
    assert _top(engine, cid, probe) == _top(_exact(engine), cid, probe)


def test_a_filter_is_a_prefilter_on_both_parts(engine: Engine) -> None:
    cid = _filled(engine)
    probe = _rows(1, 5)[0]
    _top(engine, cid, probe)
    engine.add(cid, ids=["new"], embeddings=[probe], metadatas=[{"tenth": True}])
    engine.add(cid, ids=["odd"], embeddings=[probe], metadatas=[{"tenth": False}])
    found = _top(engine, cid, probe, where={"tenth": True})
    assert found[0] == "new" and "odd" not in found
    kept = engine.get(cid, ids=found[1:], include=["metadatas"]).metadatas or []
    assert all(m is not None and m["tenth"] for m in kept)
    assert found == _top(_exact(engine), cid, probe, where={"tenth": True})


def test_many_changes_start_a_new_index(engine: Engine) -> None:
    cid = _filled(engine)
    _top(engine, cid, _rows(1, 1)[0])
    first = _built(engine, cid)
    engine.delete(cid, ids=[f"r{i}" for i in range(N // 2)])
    _top(engine, cid, _rows(1, 1)[0])  # matched: half gone, a new build starts (at once here)
    assert _built(engine, cid) is not first
    assert engine.warm._built[cid].index.rows == N - N // 2
    rows = _rows(N, 0)
    for i in (N // 2, N - 1):
        found = _top(engine, cid, rows[i])
        assert found[0] == f"r{i}" and all(int(f[1:]) >= N // 2 for f in found)


def test_a_persistent_client_builds_lances_index_by_itself(tmp_path: Path) -> None:
    """No ``maintain`` call: the client's background maintainer indexes after the writes."""
    import time

    import chromalake
    from chromalake.api.embedded import _engines, clear_system_cache

    settings = Settings(chromalake_index_threshold=500, chromalake_maintenance_delay_seconds=0.1)
    client = chromalake.PersistentClient(str(tmp_path / "notebook"), settings=settings)
    try:
        collection = client.create_collection("big", embedding_function=None)
        collection.add(ids=[f"r{i}" for i in range(800)], embeddings=_rows(800, 3).tolist())
        (engine,) = [e for key, e in _engines.items() if key.endswith("notebook")]
        deadline = time.monotonic() + 120
        while engine.store.state(engine.get_collection("big")).index is None:
            assert time.monotonic() < deadline, "no index two minutes after the writes"
            time.sleep(0.2)
        assert engine.indexing_status(collection.id).num_indexed_ops == 800
    finally:
        clear_system_cache()


def test_a_snapshot_after_a_few_writes_reads_only_the_rows_written(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chromalake.engine import store as store_module

    cid = _filled(engine)
    coll = engine.get_collection("warm")
    engine.store.snapshot(coll)
    engine.update(cid, ids=["r1"], embeddings=[_rows(1, 50)[0]], documents=["changed"])
    engine.update(cid, ids=["r4"], metadatas=[{"i": -4}])
    engine.upsert(cid, ids=["r2", "fresh"], embeddings=list(_rows(2, 51)), documents=["x", "y"])
    engine.delete(cid, ids=["r3"])
    extended = []
    original = store_module.extended
    monkeypatch.setattr(
        store_module, "extended", lambda *a: extended.append(original(*a)) or extended[-1]
    )
    snap = engine.store.snapshot(engine.get_collection("warm"))
    assert snap is not None and extended and extended[0] is snap

    def rows(s: store_module.Snapshot) -> dict[str, tuple[int, list[float], float]]:
        return {
            str(i): (int(q), e.tolist(), float(n))
            for i, q, e, n in zip(s.ids, s.seqs, s.embeddings, s.norms, strict=True)
        }

    full = _exact(engine).store.snapshot(engine.get_collection("warm"))
    assert full is not None and rows(snap) == rows(full)
    assert snap.positions["fresh"] < len(snap.ids) and "r3" not in snap.positions
    # The fields held for reads by id follow the rows: the same as a full read's.
    assert snap.fields is not None and full.fields is not None
    order = [full.positions[str(i)] for i in snap.ids]
    assert snap.fields.to_pylist() == full.fields.take(order).to_pylist()
