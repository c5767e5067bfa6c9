"""Reads by id and the fields of query results come from the rows a process holds in memory.

Once a query has read a collection's snapshot (engine/snapshot.py), the snapshot also holds
each row's document, uri and metadata: a ``get`` by ids and the fields of a query's results
are then taken from it, with no Lance read, and must answer exactly what the Lance read
answers, also after writes (the snapshot is brought forward by reading only what changed),
for version views, and for rows deleted or never written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from chromalake.config import Settings
from chromalake.engine import snapshot as snapshot_module
from chromalake.engine import store as store_module
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.warm_index import WarmIndexes

DIM = 8
N = 60
ALL = ["documents", "metadatas", "uris", "embeddings"]


def _engine(path: Path) -> Engine:
    return build_engine(Settings(is_persistent=True, persist_directory=str(path)))


def _filled(engine: Engine) -> str:
    coll = engine.create_collection("held")
    rows = np.random.default_rng(0).standard_normal((N, DIM)).astype(np.float32)
    engine.add(
        coll.id,
        ids=[f"r{i}" for i in range(N)],
        embeddings=list(rows),
        documents=[f"doc {i}" if i % 5 else None for i in range(N)],
        uris=[f"s3://b/{i}" if i % 3 == 0 else None for i in range(N)],
        metadatas=[{"i": i, "tag": f"t{i % 4}", "f": i / 7} if i % 6 else None for i in range(N)],
    )
    return coll.id


def _as_lists(records: Any) -> dict[str, Any]:
    out = {}
    for key in ("ids", "documents", "uris", "metadatas", "embeddings"):
        value = getattr(records, key)
        out[key] = None if value is None else [_plain(v) for v in value]
    return out


def _plain(value: Any) -> Any:
    return value.tolist() if isinstance(value, np.ndarray) else value


def _without_lance_reads(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a Lance read where the held rows answer")

    monkeypatch.setattr(engine.store, "select", refuse)


@pytest.fixture
def held(tmp_path: Path) -> tuple[Engine, Engine, str]:
    """An engine holding the collection's rows (after a query) and one that reads Lance."""
    engine = _engine(tmp_path)
    cid = _filled(engine)
    engine.query(cid, [np.zeros(DIM, np.float32)], n_results=3)
    assert engine.store.held_snapshot(engine.get_collection("held")) is not None
    return engine, _engine(tmp_path), cid


GETS: list[dict[str, Any]] = [
    {"ids": ["r7", "r3", "missing", "r7", "r42"]},
    {"ids": ["r7", "r3", "r42", "r0", "r59"], "offset": 1, "limit": 2},
    {"ids": ["r1", "r2"], "include": ["documents"]},
    {"ids": ["r1", "r2"], "include": []},
    {"ids": []},
]


@pytest.mark.parametrize("call", GETS)
def test_a_get_by_ids_answers_from_memory_as_lance_does(
    held: tuple[Engine, Engine, str], call: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, reader, cid = held
    call = {"include": ALL, **call}
    expected = _as_lists(reader.get(cid, **call))
    _without_lance_reads(engine, monkeypatch)
    assert _as_lists(engine.get(cid, **call)) == expected


def test_query_results_take_their_fields_from_memory(
    held: tuple[Engine, Engine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, reader, cid = held
    probe = [np.full(DIM, 0.3, np.float32), np.full(DIM, -0.2, np.float32)]
    expected = [_as_lists(r) for r in reader.query(cid, probe, n_results=7, include=ALL)]
    _without_lance_reads(engine, monkeypatch)
    assert [_as_lists(r) for r in engine.query(cid, probe, n_results=7, include=ALL)] == expected


def test_after_writes_the_held_fields_are_the_written_ones(
    held: tuple[Engine, Engine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, reader, cid = held
    engine.update(cid, ids=["r1"], documents=["rewritten"], metadatas=[{"i": None, "new": 1}])
    engine.upsert(cid, ids=["r2", "fresh"], embeddings=[np.ones(DIM, np.float32)] * 2,
                  documents=["two", "fresh doc"], uris=[None, "s3://b/fresh"])  # fmt: skip
    engine.delete(cid, ids=["r3"])
    engine.query(cid, [np.zeros(DIM, np.float32)], n_results=3)  # brought forward, not re-read
    call = {"ids": ["r1", "r2", "r3", "fresh", "r4"], "include": ALL}
    expected = _as_lists(reader.get(cid, **call))
    assert expected["documents"] == ["rewritten", "two", "doc 4", "fresh doc"]
    _without_lance_reads(engine, monkeypatch)
    assert _as_lists(engine.get(cid, **call)) == expected


def test_fields_over_the_budget_are_read_from_lance(
    held: tuple[Engine, Engine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, reader, cid = held
    monkeypatch.setattr(snapshot_module, "FIELDS_BYTES", 100)
    engine.add(cid, ids=["more"], embeddings=[np.ones(DIM, np.float32)], documents=["m"])
    engine.query(cid, [np.zeros(DIM, np.float32)], n_results=3)
    snap = engine.store.held_snapshot(engine.get_collection("held"))
    assert snap is not None and snap.fields is None
    call = {"ids": ["r1", "more"], "include": ALL}
    assert _as_lists(engine.get(cid, **call)) == _as_lists(reader.get(cid, **call))


def test_a_version_view_reads_its_own_rows(held: tuple[Engine, Engine, str]) -> None:
    engine, _reader, cid = held
    before = engine.store.state(engine.get_collection("held"))
    assert before is not None
    engine.update(cid, ids=["r1"], documents=["later"])
    engine.query(cid, [np.zeros(DIM, np.float32)], n_results=3)
    old = engine.get(cid, ids=["r1"], include=["documents"], version=before.version)
    assert old.documents == ["doc 1"]
    assert engine.get(cid, ids=["r1"], include=["documents"]).documents == ["later"]


def test_an_unchanged_collection_is_read_without_asking_lance_its_version(
    held: tuple[Engine, Engine, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each version lookup is a hop to lancedb's event loop (a third of a warm query): a
    process that holds the rows of the version the catalog records asks none, and still
    sees its own writes and other processes' (issue 21)."""
    engine, reader, cid = held
    engine.warm = WarmIndexes(min_rows=10, builder=lambda build: build())  # the warm path
    engine.query(cid, [np.zeros(DIM, np.float32)], n_results=3)
    lookups: list[object] = []
    real = store_module._version_of

    def counted(table: object) -> int:
        lookups.append(table)
        return real(table)

    monkeypatch.setattr(store_module, "_version_of", counted)
    probe = [np.zeros(DIM, np.float32)]
    assert engine.query(cid, probe, n_results=3) == engine.query(cid, probe, n_results=3)
    assert engine.get(cid, ids=["r1"], include=["documents"]).documents == ["doc 1"]
    assert lookups == []
    reader.update(cid, ids=["r1"], documents=["elsewhere"])  # the catalog moves
    assert engine.get(cid, ids=["r1"], include=["documents"]).documents == ["elsewhere"]
    engine.update(cid, ids=["r2"], documents=["here"])
    assert engine.get(cid, ids=["r2"], include=["documents"]).documents == ["here"]
    engine.delete(cid, ids=["r4"])
    assert engine.query(cid, [engine.get(cid, ids=["r5"], include=["embeddings"]).embeddings[0]],
                        n_results=N)[0].ids.count("r4") == 0  # fmt: skip
    lookups.clear()
    engine.query(cid, probe, n_results=3)
    engine.get(cid, ids=["r1"])
    assert lookups == []
