"""chromalake's extensions through every client kind: fork, versions, export/import, max_distance.

chromadb has no oracle for these (its single node answers fork with 501 and knows no
versions), so each test checks chromalake's own client of every kind against what the
feature promises. The remote kinds talk to the suite's ``chromalake run``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import chromalake
from chromalake.errors import ChromaError, InvalidArgumentError, NotFoundError
from chromalake.utils import backup

from .conftest import _ephemeral_side, _persistent_side
from .harness import ALL_GET_INCLUDE, Side
from .kinds import EMBEDDED_KINDS, REMOTE_KINDS
from .remote import EventLoop, async_side, cloud_side, http_side

KINDS = EMBEDDED_KINDS + REMOTE_KINDS


@pytest.fixture(params=KINDS)
def client_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def side(client_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Side:
    """chromalake's client of this kind (the suite's fixtures, whatever the subject)."""
    label = f"chromalake-{client_kind}"
    if client_kind == "ephemeral":
        return _ephemeral_side(label, chromalake)
    if client_kind == "persistent":
        return _persistent_side(label, chromalake, tmp_path / "store")
    port = request.getfixturevalue("servers").chromalake_port
    if client_kind == "http":
        return http_side(label, chromalake, port)
    if client_kind == "cloud":
        return cloud_side(label, chromalake, port)
    loop: EventLoop = request.getfixturevalue("event_loop_thread")
    return async_side(label, chromalake, port, loop)


def _source(side: Side, name: str = "fork-source") -> Any:
    col = side.client.create_collection(
        name,
        embedding_function=None,
        metadata={"team": "search", "n": 1},
        configuration={"hnsw": {"space": "cosine", "ef_search": 50}},
    )
    col.add(
        ids=["a", "b", "c"],
        embeddings=[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        documents=["doc a", None, "doc c"],
        metadatas=[{"k": 1, "f": 1.0, "flag": True}, None, {"tags": ["x", "y"]}],
        uris=["uri-a", None, None],
    )
    return col


def _everything(col: Any) -> Any:
    found = col.get(include=ALL_GET_INCLUDE)
    return {
        "ids": found["ids"],
        "embeddings": [list(map(float, e)) for e in found["embeddings"]],
        "documents": found["documents"],
        "uris": found["uris"],
        "metadatas": found["metadatas"],
    }


def test_fork_copies_everything(side: Side) -> None:
    src = _source(side)
    copy = src.fork("fork-copy")
    assert copy.name == "fork-copy" and copy.id != src.id
    assert copy.metadata == src.metadata
    assert copy.configuration_json == src.configuration_json
    # A remote client's model is as of its last read; the server's has the written keys.
    source_schema = side.client.get_collection("fork-source").schema
    assert copy.schema.serialize_to_json() == source_schema.serialize_to_json()
    assert copy.get_model().dimension == 2
    assert _everything(copy) == _everything(src)
    again = side.client.get_collection("fork-copy", embedding_function=None)
    assert again.id == copy.id and again.configuration_json["hnsw"]["space"] == "cosine"
    hits = copy.query(query_embeddings=[[1.0, 0.0]], n_results=1)
    assert hits["ids"] == [["a"]]


def test_writes_after_a_fork_stay_on_their_side(side: Side) -> None:
    src = _source(side)
    copy = src.fork("fork-copy")
    copy.add(ids=["only-copy"], embeddings=[[0.5, 0.5]])
    copy.update(ids=["a"], embeddings=[[1.0, 0.1]], documents=["changed in copy"])
    copy.delete(ids=["b"])
    src.add(ids=["only-src"], embeddings=[[0.2, 0.8]])
    src.update(ids=["c"], metadatas=[{"k": 9}])
    assert src.get()["ids"] == ["a", "b", "c", "only-src"]
    assert copy.get()["ids"] == ["a", "c", "only-copy"]  # insertion order continues
    assert src.get(ids=["a"])["documents"] == ["doc a"]
    assert copy.get(ids=["a"])["documents"] == ["changed in copy"]
    assert copy.get(ids=["c"])["metadatas"] == [{"tags": ["x", "y"]}]
    assert (src.count(), copy.count()) == (4, 3)


def test_fork_count_counts_the_whole_lineage(side: Side) -> None:
    src = _source(side)
    other = side.collection("unrelated")
    assert src.fork_count() == 0
    first = src.fork("fork-one")
    second = first.fork("fork-two")  # a fork of a fork
    assert [c.fork_count() for c in (src, first, second)] == [2, 2, 2]
    assert other.fork_count() == 0
    assert _everything(second) == _everything(src)


def test_fork_errors(side: Side) -> None:
    src = _source(side)
    side.collection("taken-name")
    # As create_collection: a 409 ChromaError remotely, an InternalError embedded.
    with pytest.raises(ChromaError, match=r"Collection \[taken-name\] already exists"):
        src.fork("taken-name")
    with pytest.raises(InvalidArgumentError):
        src.fork("x")  # not a valid collection name
    side.client.delete_collection("fork-source")
    with pytest.raises(NotFoundError):
        src.fork("fork-of-nothing")
    assert [c.name for c in side.client.list_collections()] == ["taken-name"]


def test_fork_takes_name_as_chroma_s_docs_write_it(side: Side) -> None:
    """``fork(name=...)`` as Chroma's docs show it (chromadb 1.5.9 takes only new_name)."""
    src = _source(side)
    assert src.fork(name="named-copy").name == "named-copy"
    assert src.fork(new_name="new-named-copy").name == "new-named-copy"
    with pytest.raises(TypeError, match="new_name or name, not both"):
        src.fork("one-name", name="other-name")
    with pytest.raises(TypeError, match="missing 1 required argument: 'new_name'"):
        src.fork()
    names = sorted(c.name for c in side.client.list_collections())
    assert names == ["fork-source", "named-copy", "new-named-copy"]


def test_a_fork_outlives_its_source(side: Side) -> None:
    src = _source(side)
    copy = src.fork("fork-copy")
    before = _everything(copy)
    side.client.delete_collection("fork-source")
    assert [c.name for c in side.client.list_collections()] == ["fork-copy"]
    assert side.client.count_collections() == 1
    with pytest.raises(NotFoundError):
        side.client.get_collection("fork-source")
    with pytest.raises(NotFoundError):
        src.count()
    assert _everything(copy) == before
    copy.add(ids=["after"], embeddings=[[0.3, 0.3]])
    assert copy.count() == 4
    # The name is free again, and the new collection starts empty.
    reborn = side.collection("fork-source")
    assert reborn.count() == 0
    side.client.delete_collection("fork-copy")
    assert [c.name for c in side.client.list_collections()] == ["fork-source"]


def test_versions_read_and_restore(side: Side) -> None:
    col = side.collection("versioned")
    col.add(ids=["a"], embeddings=[[1.0, 0.0]], documents=["first"])
    v1 = col.list_versions()[-1]["version"]
    col.add(ids=["b"], embeddings=[[0.0, 1.0]])
    col.update(ids=["a"], embeddings=[[1.0, 0.0]], documents=["second"])
    versions = col.list_versions()
    assert [v["version"] for v in versions] == sorted(v["version"] for v in versions)
    assert versions[-1]["rows"] == 2 and all(isinstance(v["timestamp"], str) for v in versions)
    old = col.at_version(v1)
    assert old.version == v1 and col.version is None
    assert old.count() == 1
    assert old.get(include=["documents"])["documents"] == ["first"]
    assert old.query(query_embeddings=[[0.0, 1.0]], n_results=5)["ids"] == [["a"]]
    for write in (
        lambda: old.add(ids=["c"], embeddings=[[1.0, 1.0]]),
        lambda: old.delete(ids=["a"]),
        lambda: old.modify(name="renamed"),
    ):
        with pytest.raises(InvalidArgumentError, match="read-only view"):
            write()
    with pytest.raises(InvalidArgumentError, match="search reads the latest version"):
        old.search(chromalake.Search().rank(chromalake.Knn(query=[1.0, 0.0])))
    with pytest.raises(InvalidArgumentError):
        col.at_version(0)
    with pytest.raises(InvalidArgumentError, match="has no version"):
        col.at_version(10_000).count()
    newest = col.restore_version(v1)
    assert newest > versions[-1]["version"]
    assert col.count() == 1 and col.get(include=["documents"])["documents"] == ["first"]
    assert col.list_versions()[-1]["version"] == newest
    col.add(ids=["c"], embeddings=[[1.0, 1.0]])
    assert col.get()["ids"] == ["a", "c"]


def test_query_max_distance(side: Side) -> None:
    col = side.collection("distances")
    col.add(ids=["near", "mid", "far"], embeddings=[[0.0, 0.0], [1.0, 0.0], [3.0, 0.0]])
    query = [[0.0, 0.0], [2.9, 0.0]]
    plain = col.query(query_embeddings=query, n_results=3)
    assert plain["ids"] == [["near", "mid", "far"], ["far", "mid", "near"]]
    capped = col.query(query_embeddings=query, n_results=3, max_distance=1.0)
    assert capped["ids"] == [["near", "mid"], ["far"]]
    assert capped["distances"] == [[0.0, 1.0], [pytest.approx(0.01, abs=1e-5)]]
    assert col.query(query_embeddings=query, n_results=3, max_distance=None) == plain
    with pytest.raises(InvalidArgumentError, match="max_distance"):
        col.query(query_embeddings=query, max_distance="far")


def _run(side: Side, make: Callable[[], Any]) -> Any:
    """Await a coroutine on the async kind's loop; other kinds return plain values."""
    result = make()
    if asyncio.iscoroutine(result):
        return side.client._loop.run(result)
    return result


def test_export_and_import_round_trip(side: Side, tmp_path: Path, client_kind: str) -> None:
    src = _source(side)
    v_before = src.list_versions()[-1]["version"]
    src.add(ids=["later"], embeddings=[[0.3, 0.7]], documents=["added after"])
    is_async = client_kind == "async-http"
    export = backup.export_collection_async if is_async else backup.export_collection
    restore = backup.import_collection_async if is_async else backup.import_collection
    target = getattr(src, "_target", src)  # the async kind's real AsyncCollection
    client = getattr(side.client, "_target", side.client)
    now_file, old_file = tmp_path / "now.parquet", tmp_path / "old.parquet"
    assert _run(side, lambda: export(target, now_file, page_size=2)) == 4
    assert _run(side, lambda: export(target, old_file, version=v_before)) == 3
    header = backup.read_backup(old_file)
    assert (header.name, header.version, header.metadata) == ("fork-source", v_before, src.metadata)
    copy = _run(side, lambda: restore(client, now_file, name="imported-now"))
    old = _run(side, lambda: restore(client, old_file, name="imported-old"))
    copy = side.client.get_collection(copy.name, embedding_function=None)
    old = side.client.get_collection(old.name, embedding_function=None)
    assert _everything(copy) == _everything(src)
    assert _everything(old) == _everything(src.at_version(v_before))
    assert copy.metadata == src.metadata
    assert copy.configuration_json["hnsw"] == src.configuration_json["hnsw"]
    with pytest.raises(ChromaError, match="already exists"):
        _run(side, lambda: restore(client, now_file))  # "fork-source" exists
