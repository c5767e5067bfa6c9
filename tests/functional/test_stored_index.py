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
