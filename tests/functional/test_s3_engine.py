"""The whole engine over S3 (Lance datasets) and DynamoDB (the catalog), both on moto.

Every scenario also runs on a local-disk engine (SQLite + Lance on disk): the two must read
back the same thing, and a fresh engine on the same bucket and table (a new process, as far as
the engine can tell) must read back the same thing again.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from moto_server import MotoAws

import chromalake
from chromalake.api.embedded import clear_system_cache
from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.paths import path_segment
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT


@pytest.fixture
def s3_settings(moto_aws: MotoAws) -> Settings:
    """Settings for a fresh catalog table and a fresh prefix in the session's bucket."""
    return moto_aws.settings("test", allow_reset=True)


def _vec(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float32)


def _scenario(engine: Engine) -> None:
    """Creates, writes, rewrites and deletes across two collections and two databases."""
    plain = engine.create_collection("plain", metadata={"int": 1, "float": 1.5, "s": "x"})
    engine.add(
        plain.id,
        ids=["a", "b", "c", "d", "e"],
        embeddings=[
            _vec(0.1, 0.2, 0.3),
            _vec(1, 0, -1),
            _vec(0.5, 0.5, 0.5),
            _vec(2, 2, 2),
            _vec(-1, 0.5, 0),
        ],
        metadatas=[
            {"n": 1, "kind": "x", "f": 0.5},
            None,
            {"n": 2, "kind": "y"},
            {"n": 3, "kind": "x", "ok": True},
            {"n": 4, "kind": "y", "tags": [1, 2]},
        ],
        documents=["doc alpha", None, "doc gamma", "delta", "doc epsilon"],
        uris=["s3://a", None, None, "file:///d", None],
    )
    engine.add(plain.id, ids=["a"], embeddings=[_vec(9, 9, 9)])  # ignored: "a" exists
    engine.upsert(
        plain.id,
        ids=["b", "f"],
        embeddings=[_vec(1, 1, -1), _vec(3, 1, 0)],
        metadatas=[{"n": 5, "kind": "x"}, {"n": 6}],
        documents=["doc beta", "doc zeta"],
    )
    engine.update(plain.id, ids=["c", "missing"], metadatas=[{"n": 20, "kind": None}, {"n": 0}])
    engine.delete(plain.id, ids=["e"])
    engine.delete(plain.id, where={"n": {"$gte": 20}})  # removes "c"
    cosine = engine.create_collection("cosine", metadata={"hnsw:space": "cosine"})
    engine.add(cosine.id, ids=["u", "v"], embeddings=[_vec(1, 0), _vec(0, 1)])
    engine.update_collection(cosine.id, new_name="cosine2", new_metadata={"renamed": True})
    engine.create_database("sales")
    other = engine.create_collection("other", database="sales")
    engine.add(other.id, ids=["z"], embeddings=[_vec(1)], documents=["in sales"], database="sales")


_ALL = ["embeddings", "documents", "metadatas", "uris"]


def _records(records: Any) -> dict[str, Any]:
    return {
        "ids": records.ids,
        "embeddings": [e.tolist() for e in records.embeddings or []],
        "documents": records.documents,
        "metadatas": records.metadatas,
        "uris": records.uris,
        "distances": records.distances and [round(d, 5) for d in records.distances],
    }


def _dump(engine: Engine, database: str = DEFAULT_DATABASE) -> list[dict[str, Any]]:
    """What a client can see of one database (collection ids aside: they are random)."""
    out = []
    for coll in sorted(engine.list_collections(database=database), key=lambda c: c.name):
        size = coll.dimension or 1
        query = _vec(*([0.5] * size))
        out.append(
            {
                "name": coll.name,
                "metadata": coll.metadata,
                "configuration": coll.configuration,
                "dimension": coll.dimension,
                "count": engine.count(coll.id),
                "all": _records(engine.get(coll.id, include=_ALL)),
                "where": _records(engine.get(coll.id, where={"kind": "x"}, include=_ALL)),
                "document": _records(
                    engine.get(coll.id, where_document={"$contains": "doc"}, limit=2, offset=1)
                ),
                "query": [
                    _records(r)
                    for r in engine.query(
                        coll.id, [query], n_results=3, include=[*_ALL, "distances"]
                    )
                ],
                "filtered_query": [
                    _records(r)
                    for r in engine.query(coll.id, [query], n_results=3, where={"n": {"$lt": 6}})
                ],
            }
        )
    return out


def _everything(engine: Engine) -> dict[str, Any]:
    return {
        "default": _dump(engine),
        "sales": _dump(engine, "sales"),
        "databases": [d.name for d in engine.list_databases()],
    }


def test_s3_engine_matches_local_disk_and_survives_a_restart(
    s3_settings: Settings, tmp_path: Path
) -> None:
    local = build_engine(Settings(is_persistent=True, persist_directory=str(tmp_path)))
    _scenario(local)
    expected = _everything(local)
    assert expected["default"][1]["count"] == 4, "the scenario itself went as planned"

    s3 = build_engine(s3_settings)
    _scenario(s3)
    assert _everything(s3) == expected
    assert _everything(build_engine(s3_settings)) == expected, "a fresh engine reads it back"


def _collection_prefix(settings: Settings, collection_id: str, database: str) -> str:
    """Where a collection's dataset lives (lancedb names a table's directory ``<id>.lance``)."""
    return "/".join(
        [
            settings.chromalake_prefix,
            path_segment(DEFAULT_TENANT),
            path_segment(database),
            f"{collection_id}.lance/",
        ]
    )


def test_deleting_a_collection_removes_its_data(s3_settings: Settings, moto_aws: MotoAws) -> None:
    engine = build_engine(s3_settings)
    keep = engine.create_collection("keep")
    doomed = engine.create_collection("doomed")
    for coll in (keep, doomed):
        engine.add(coll.id, ids=["a", "b"], embeddings=[_vec(1, 2), _vec(3, 4)])
    doomed_prefix = _collection_prefix(s3_settings, doomed.id, DEFAULT_DATABASE)
    assert moto_aws.keys(moto_aws.bucket, doomed_prefix), "the dataset was written to S3"

    engine.delete_collection("doomed")
    assert moto_aws.keys(moto_aws.bucket, doomed_prefix) == []
    keep_prefix = _collection_prefix(s3_settings, keep.id, DEFAULT_DATABASE)
    assert moto_aws.keys(moto_aws.bucket, keep_prefix)
    fresh = build_engine(s3_settings)
    assert [c.name for c in fresh.list_collections()] == ["keep"]
    assert fresh.count(keep.id) == 2


def test_deleting_a_database_removes_its_collections(
    s3_settings: Settings, moto_aws: MotoAws
) -> None:
    engine = build_engine(s3_settings)
    engine.create_database("gone")
    coll = engine.create_collection("col", database="gone")
    engine.add(coll.id, ids=["a"], embeddings=[_vec(1)], database="gone")
    engine.delete_database("gone")
    assert moto_aws.keys(moto_aws.bucket, _collection_prefix(s3_settings, coll.id, "gone")) == []
    assert build_engine(s3_settings).catalog.get_collection_by_id(coll.id) is None


def test_reset_wipes_catalog_and_data(s3_settings: Settings, moto_aws: MotoAws) -> None:
    engine = build_engine(s3_settings)
    engine.create_tenant("acme")
    coll = engine.create_collection("col")
    engine.add(coll.id, ids=["a"], embeddings=[_vec(1, 2)])
    assert engine.reset()
    prefix = s3_settings.chromalake_prefix + "/"
    assert [k for k in moto_aws.keys(moto_aws.bucket, prefix) if coll.id in k] == []
    fresh = build_engine(s3_settings)
    assert fresh.list_collections() == []
    assert not fresh.catalog.has_tenant("acme") and fresh.catalog.has_tenant(DEFAULT_TENANT)


def _write_concurrently(settings: Settings, first_write_before: bool) -> tuple[Any, list[str]]:
    """Two engines (two processes' worth of state) add and upsert into one collection at once.

    Returns the ids a fresh engine reads back and the errors the writers raised.
    """
    engines = [build_engine(settings), build_engine(settings)]
    coll = engines[0].create_collection("shared")
    expected = [f"w{n}-{b}-{i}" for n in range(2) for b in range(3) for i in range(5)]
    if first_write_before:  # the Lance table exists before the race starts
        engines[0].add(coll.id, ids=["first"], embeddings=[_vec(0, 0, 0)])
        expected.append("first")
    barrier = threading.Barrier(len(engines))
    errors: list[str] = []

    def writer(n: int, engine: Engine) -> None:
        try:
            barrier.wait()
            for batch in range(3):
                ids = [f"w{n}-{batch}-{i}" for i in range(5)]
                engine.add(coll.id, ids=ids, embeddings=[_vec(n, batch, i) for i in range(5)])
            # Both upsert the same new ids: they must not become duplicate rows.
            engine.upsert(coll.id, ids=["s1", "s2"], embeddings=[_vec(n, 0, 0), _vec(0, n, 0)])
        except Exception as e:  # reported by the test, not lost in the thread
            errors.append(f"writer {n}: {e}")

    threads = [threading.Thread(target=writer, args=(n, e)) for n, e in enumerate(engines)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = build_engine(settings).get(coll.id, include=[]).ids
    assert sorted(got) == sorted([*expected, "s1", "s2"]), errors
    assert len(got) == len(set(got)), "no id is stored twice"
    return got, errors


def test_two_engines_writing_at_once_lose_nothing(s3_settings: Settings) -> None:
    """Lance's conditional-put commits on S3, its primary-key conflict detection for upserts
    and the catalog's atomic sequence counter keep every row, exactly once."""
    _, errors = _write_concurrently(s3_settings, first_write_before=True)
    assert errors == []


def test_two_engines_racing_the_first_write_lose_nothing(s3_settings: Settings) -> None:
    _, errors = _write_concurrently(s3_settings, first_write_before=False)
    assert errors == []


def test_public_clients_over_s3_and_dynamodb(s3_settings: Settings, tmp_path: Path) -> None:
    settings = s3_settings.model_copy(update={"is_persistent": True})
    clear_system_cache()
    try:
        client = chromalake.Client(settings=settings)
        col = client.create_collection("docs", embedding_function=None, metadata={"k": 1})
        col.add(
            ids=["a", "b", "c"],
            embeddings=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
            documents=["apple pie", "banana bread", "cherry tart"],
            metadatas=[{"fruit": "apple", "n": 1}, {"fruit": "banana", "n": 2}, {"n": 3}],
        )
        col.upsert(ids=["c"], embeddings=[[0.9, 0.9]], metadatas=[{"n": 30}])
        col.update(ids=["a"], metadatas=[{"fruit": "apple", "n": 10}])
        col.delete(where={"fruit": "banana"})
        before = col.get(include=["embeddings", "documents", "metadatas"])
        hit = col.query(query_embeddings=[[1.0, 0.1]], n_results=2, where={"n": {"$gt": 0}})
        assert before["ids"] == ["a", "c"] and hit["ids"] == [["a", "c"]]
        assert before["documents"] == ["apple pie", "cherry tart"]
        assert before["metadatas"] == [{"fruit": "apple", "n": 10}, {"n": 30}]

        clear_system_cache()  # the next client builds a new engine from scratch
        again = chromalake.PersistentClient(path=str(tmp_path), settings=settings)
        col2 = again.get_collection("docs")
        assert col2.id == col.id and col2.metadata == {"k": 1}
        after = col2.get(include=["embeddings", "documents", "metadatas"])
        assert after["ids"] == before["ids"]
        assert after["documents"] == before["documents"]
        assert after["metadatas"] == before["metadatas"]
        assert np.array_equal(np.asarray(after["embeddings"]), np.asarray(before["embeddings"]))
        assert not list(tmp_path.iterdir()), "with a bucket and a table nothing goes to disk"
    finally:
        clear_system_cache()


def test_search_over_s3_and_dynamodb(s3_settings: Settings) -> None:
    """Dense and full-text search on S3: the FTS index is built there on the first text
    search, later writes are found, and a second engine (another Lambda) reads the index."""
    engine = build_engine(s3_settings)
    coll = engine.create_collection("searched")
    engine.add(
        coll.id,
        ids=["a", "b", "c"],
        embeddings=[_vec(1, 0), _vec(0, 1), _vec(0.7, 0.7)],
        documents=["red apples", "green pears", "red and green grapes"],
    )
    text = {"$knn": {"query": "red", "key": "#document"}}
    assert {*engine.search(coll.id, [{"rank": text}])[0].ids} == {"a", "c"}
    engine.add(coll.id, ids=["d"], embeddings=[_vec(1, 1)], documents=["a red kite"])
    dense = {"$knn": {"query": [1.0, 0.0], "limit": 2}}
    other = build_engine(s3_settings)
    found = other.search(
        coll.id, [{"rank": text}, {"rank": dense, "filter": {"#id": {"$ne": "a"}}}]
    )
    assert {*found[0].ids} == {"a", "c", "d"}
    assert found[1].ids == ["c", "d"]
