"""Filters evaluated over the rows a process holds (engine/held_filter.py) pick what Lance picks.

Once a query has read a collection's snapshot with its fields, a ``where`` / ``where_document``
is evaluated in memory instead of by a Lance scan. For every clause of the table in
test_filters_vs_chroma.py (itself checked against Chroma 1.5.9) the positions found in memory
must equal the rows the Lance predicate selects on the same collection; the clauses left to
Lance must be exactly the regexes outside the portable syntax. End to end, filtered queries and
gets answered with Lance's scans refused (so the in-memory path is the one used) must equal
chromadb's answers, and a collection with Lance's vector index and a warm index must answer a
filtered query from the warm index with the in-memory positions.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
import pytest
from test_filters_vs_chroma import CASES, RECORDS, _case_id

from chromalake.config import Settings
from chromalake.engine import engine as engine_module
from chromalake.engine import held_filter as held_filter_module
from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.columns import SEQ
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.filters import (
    Node,
    Predicate,
    parse_filter,
    parse_where,
    parse_where_document,
    regex_patterns,
    with_id_keys,
)
from chromalake.engine.held_filter import matching_positions, portable_regex
from chromalake.engine.maintenance import maintain
from chromalake.engine.snapshot import Snapshot
from chromalake.engine.warm_index import WarmIndexes

Held = tuple[Engine, CollectionRecord, Snapshot]


def _engine(path: Path, **settings: Any) -> Engine:
    return build_engine(Settings(is_persistent=True, persist_directory=str(path), **settings))


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError("a Lance read where the rows held in memory answer")


def _filled(engine: Engine) -> CollectionRecord:
    """The table's records in a collection "table", its snapshot held (a query read it)."""
    coll = engine.create_collection("table")
    engine.add(
        coll.id,
        ids=[r[0] for r in RECORDS],
        embeddings=[np.array([0.5, float(i)], np.float32) for i in range(len(RECORDS))],
        metadatas=[r[1] for r in RECORDS],
        documents=[r[2] for r in RECORDS],
    )
    engine.query(coll.id, [np.zeros(2, np.float32)], n_results=1)
    return coll


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Held:
    """The table's records in a collection whose snapshot (fields included) is held."""
    engine = _engine(tmp_path_factory.mktemp("held-filter"))
    coll = _filled(engine)
    coll = engine.get_collection("table")
    snap = engine.store.held_snapshot(coll)
    assert snap is not None and snap.fields is not None
    return engine, coll, snap


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Held:
    """The table's records after writes, held in memory: the filtered keys of the version
    before were decoded, so the new version's are carried from them."""
    engine = _engine(tmp_path_factory.mktemp("held-written"))
    coll = _filled(engine)
    before = engine.store.held_snapshot(engine.get_collection("table"))
    assert before is not None
    for where, where_document in EVALUATED:
        node = parse_filter(where, where_document)
        assert node is not None
        matching_positions(before, node, coll.id)  # decodes every key of the table
    engine.update(coll.id, ids=["r01"], metadatas=[{"n": 2.5, "t": ["z", 1.0], "s": "it's"}])
    engine.update(coll.id, ids=["r05"], documents=["a new cat"])
    engine.delete(coll.id, ids=["r03", "r06"])
    engine.upsert(
        coll.id,
        ids=["r24", "r25", "r02"],
        embeddings=[np.array([0.5, 30.0 + i], np.float32) for i in range(3)],
        metadatas=[{"n": 1, "s": "a", "t": [1, "a"]}, RECORDS[1][1], {"b": True, "s": "ünï"}],
        documents=["new", "same as r02", None],
    )
    engine.query(coll.id, [np.zeros(2, np.float32)], n_results=1)
    coll = engine.get_collection("table")
    snap = engine.store.held_snapshot(coll)
    assert snap is not None and snap.fields is not None and snap is not before
    return engine, coll, snap


def _both(held: Held, node: Node) -> tuple[list[int] | None, list[int]]:
    """(positions found in memory or None, positions the Lance predicate selects)."""
    engine, coll, snap = held
    predicate = engine.predicate(coll, node)
    assert isinstance(predicate, Predicate)
    in_memory = matching_positions(snap, predicate.node, coll.id)
    table = engine.store.select(coll, predicate, [SEQ])
    lance = [] if table is None else snap.rows_with_seqs(table[SEQ].to_numpy()).tolist()
    return None if in_memory is None else in_memory.tolist(), sorted(lance)


def _left_to_lance(node: Node) -> bool:
    """The clauses held_filter.py leaves to Lance: those with a non-portable regex."""
    return any(not portable_regex(p) for p in regex_patterns(node))


EVALUATED = [c for c in CASES if c != (None, None)]


@pytest.mark.parametrize(("where", "where_document"), EVALUATED, ids=_case_id)
def test_same_rows_as_lance(held: Held, where: Any, where_document: Any) -> None:
    node = parse_filter(where, where_document)
    assert node is not None
    in_memory, lance = _both(held, node)
    if _left_to_lance(node):
        assert in_memory is None
    else:
        assert in_memory == lance


@pytest.mark.parametrize(("where", "where_document"), EVALUATED[::3], ids=_case_id)
def test_same_rows_as_lance_after_writes(written: Held, where: Any, where_document: Any) -> None:
    node = parse_filter(where, where_document)
    assert node is not None
    in_memory, lance = _both(written, node)
    assert in_memory == (None if _left_to_lance(node) else lance)


def test_keys_are_carried_to_the_next_version(written: Held) -> None:
    _, coll, snap = written
    assert snap.fields is not None
    prepared = held_filter_module._held(snap.fields, coll.id)
    assert prepared.previous is not None and prepared.keys  # lent, and used
    assert prepared._at is not None and 0 < int((prepared._at < 0).sum()) < 6


SERVER_ONLY: list[Node] = [
    parse_where({"$and": []}),
    parse_where({"$or": []}),
    parse_where({"$or": [{"n": 1}]}),
    parse_where({"$and": [{"n": {"$gte": 1}}]}),
    parse_where({"#document": {"$regex": "^[a-z]+$"}}),
    parse_where({"#document": {"$not_regex": "c.t"}}),
    parse_where({"s": {"$in": [""]}}),
    parse_where({"n": {"$nin": [1.5, 2**40]}}),
    parse_where({"t": {"$contains": -2.0}}),
]
SEARCH_FILTERS = [
    {"#id": {"$in": ["r01", "r05", "absent"]}},
    {"#id": {"$nin": ["r01", "r05"]}},
    {"#id": "r03"},
    {"#id": {"$ne": "r03"}},
    {"$and": [{"#id": {"$in": ["r01", "r02", "r11"]}}, {"n": 1}]},
    {"$or": [{"#id": "r14"}, {"s": {"$ne": "a"}}]},
]


@pytest.mark.parametrize("node", SERVER_ONLY, ids=repr)
def test_server_grammar_as_lance(held: Held, node: Node) -> None:
    in_memory, lance = _both(held, node)
    assert in_memory == lance


@pytest.mark.parametrize("where", SEARCH_FILTERS, ids=_case_id)
def test_search_id_filters_as_lance(held: Held, where: dict[str, Any]) -> None:
    node = with_id_keys(parse_where(where))
    assert node is not None
    in_memory, lance = _both(held, node)
    assert in_memory == lance


def test_the_table_is_mostly_evaluated_in_memory(held: Held) -> None:
    """Only regexes go to Lance, and the portable ones (anchors, classes, dots) stay here."""
    nodes = [n for w, d in EVALUATED if (n := parse_filter(w, d)) is not None]
    left = [n for n in nodes if _left_to_lance(n)]
    assert len(left) < len(nodes) / 20
    portable = [n for n in nodes if regex_patterns(n) and not _left_to_lance(n)]
    assert len(portable) >= 15
    assert all(_both(held, n)[0] is not None for n in portable[:5])


def test_regexes_left_to_lance() -> None:
    assert portable_regex("^(cat|CAT)s?.$") and portable_regex("[%_]") and portable_regex("[]a]")
    for pattern in [r"\d", "(?i)cat", "a{1,2}", "[a[b]]", "[a&&b]", "[a--b]", "[[:alpha:]]"]:
        assert not portable_regex(pattern), pattern


# ---------------------------------------------------------------------------------------------
# End to end, against chromadb
# ---------------------------------------------------------------------------------------------

N = 600
DIM = 8


def _metadata(i: int) -> dict[str, Any] | None:
    if i % 11 == 0:
        return None
    meta: dict[str, Any] = {"sel": i % 100, "f": i / 7, "cat": "abc"[i % 3]}
    if i % 4:
        meta["flag"] = i % 2 == 0
    if i % 5 == 0:
        meta["tags"] = [f"t{i % 3}", "all"]
    if i % 7 == 0:
        meta["sel"] = float(i % 100)  # the same key as a float
    return meta


def _document(i: int) -> str | None:
    return None if i % 13 == 0 else f"record {i} of {'cat' if i % 2 else 'dog'}"


FILTERS: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = [
    ({"sel": {"$lt": 1}}, None),
    ({"sel": {"$lt": 10}}, None),
    ({"sel": {"$lt": 50}}, None),
    ({"sel": {"$gte": 97.5}}, None),
    ({"sel": {"$ne": 7}}, None),
    ({"f": {"$gt": 80}}, None),
    ({"cat": "b"}, None),
    ({"cat": {"$nin": ["a", "c"]}}, None),
    ({"flag": True}, None),
    ({"flag": {"$ne": False}}, None),
    ({"tags": {"$contains": "t1"}}, None),
    ({"tags": {"$not_contains": "all"}}, None),
    ({"sel": {"$in": [3, 14, 21]}}, None),
    ({"sel": {"$in": [14.0, 2.5]}}, None),
    ({"$and": [{"cat": "a"}, {"sel": {"$lt": 30}}]}, None),
    ({"$or": [{"flag": True}, {"tags": {"$contains": "t2"}}]}, None),
    (None, {"$contains": "dog"}),
    (None, {"$not_contains": "1"}),
    (None, {"$regex": "^record [0-9]+ of c"}),
    (None, {"$not_regex": "5 of"}),
    ({"sel": {"$lt": 20}}, {"$contains": "cat"}),
]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Engine, str, np.ndarray]:
    """The same records in chromadb (the oracle; a PersistentClient in a private directory, as
    test_filters_vs_chroma.py explains) and in a chromalake engine holding them in memory."""
    rows = np.random.default_rng(7).standard_normal((N, DIM)).astype(np.float32)
    ids = [f"r{i}" for i in range(N)]
    metas = [_metadata(i) for i in range(N)]
    docs = [_document(i) for i in range(N)]
    client = chromadb.PersistentClient(path=str(tmp_path_factory.mktemp("held-oracle")))
    oracle = client.create_collection(f"held-{uuid.uuid4().hex}", embedding_function=None)
    oracle.add(ids=ids, embeddings=rows, metadatas=metas, documents=docs)  # type: ignore[arg-type]
    engine = _engine(tmp_path_factory.mktemp("held-e2e"))
    cid = engine.create_collection("e2e").id
    engine.add(cid, ids=ids, embeddings=list(rows), metadatas=metas, documents=docs)
    engine.query(cid, [rows[0]], n_results=1)  # the snapshot is read, fields included
    return oracle, engine, cid, rows


@pytest.mark.parametrize(("where", "where_document"), FILTERS, ids=_case_id)
def test_queries_and_gets_as_chroma_from_memory(
    both: tuple[Any, Engine, str, np.ndarray],
    where: Any,
    where_document: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    oracle, engine, cid, rows = both
    monkeypatch.setattr(engine.store, "select", _refuse)  # no Lance scan for the filter
    probes = rows[[3, 250]] + 0.01
    expected = oracle.query(
        query_embeddings=probes,
        n_results=10,
        where=where,
        where_document=where_document,
        include=["distances", "metadatas", "documents"],
    )
    found = engine.query(
        cid,
        list(probes),
        n_results=10,
        where=where,
        where_document=where_document,
        include=["distances", "metadatas", "documents"],
    )
    for n, records in enumerate(found):
        assert records.ids == expected["ids"][n]
        assert np.allclose(records.distances or [], expected["distances"][n], atol=1e-4)
        assert records.metadatas == expected["metadatas"][n]
        assert records.documents == expected["documents"][n]
    for offset, limit in [(None, None), (5, 7), (0, 1), (40, None)]:
        page = engine.get(
            cid, where=where, where_document=where_document, offset=offset, limit=limit
        )
        wanted = oracle.get(where=where, where_document=where_document, offset=offset, limit=limit)
        assert page.ids == wanted["ids"]
        assert page.metadatas == wanted["metadatas"]
        assert page.documents == wanted["documents"]
    picked = [f"r{i}" for i in (450, 3, 77, 14, 999)]
    by_ids = engine.get(cid, ids=picked, where=where, where_document=where_document)
    assert by_ids.ids == oracle.get(ids=picked, where=where, where_document=where_document)["ids"]


def test_a_regex_left_to_lance_still_answers_as_chroma(
    both: tuple[Any, Engine, str, np.ndarray],
) -> None:
    oracle, engine, cid, rows = both
    clause = {"$regex": r"^record \d+ of c"}
    expected = oracle.query(query_embeddings=rows[:1], n_results=5, where_document=clause)
    found = engine.query(cid, [rows[0]], n_results=5, where_document=clause)
    assert found[0].ids == expected["ids"][0]
    assert engine.get(cid, where_document=clause).ids == oracle.get(where_document=clause)["ids"]


def _immediate(build: object) -> None:
    build()  # type: ignore[operator]


def test_an_indexed_collection_filters_in_memory_through_the_warm_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Lance's vector index built, a filtered query still uses the in-memory positions
    and the warm index, not Lance's scan nor its ANN path with the filter as prefilter."""
    rows = np.random.default_rng(3).standard_normal((1000, DIM)).astype(np.float32)
    engine = _engine(tmp_path, chromalake_index_threshold=500)
    engine.warm = WarmIndexes(min_rows=100, builder=_immediate)
    cid = engine.create_collection("indexed").id
    engine.add(
        cid,
        ids=[f"r{i}" for i in range(len(rows))],
        embeddings=list(rows),
        metadatas=[{"sel": i % 100} for i in range(len(rows))],
    )
    maintain(engine, cid)
    assert engine.store.vector_index(engine.get_collection("indexed")) is not None
    engine.query(cid, [rows[0]], n_results=1)  # the warm index builds (here, at once)
    engine.query(cid, [rows[0]], n_results=1)
    assert engine.warm.holds(cid)
    monkeypatch.setattr(engine.store, "select", _refuse)
    monkeypatch.setattr(engine_module, "ann_query", _refuse)
    for pct in (1, 10):
        allowed = np.flatnonzero(np.arange(len(rows)) % 100 < pct)
        for q in rows[[5, 600]] + 0.01:
            found = engine.query(cid, [q], n_results=10, where={"sel": {"$lt": pct}}, include=[])
            distances = ((rows[allowed] - q) ** 2).sum(axis=1)
            truth = [f"r{i}" for i in allowed[np.argsort(distances, kind="stable")[:10]]]
            assert found[0].ids == truth


def test_writes_are_seen_by_the_next_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each version's held fields are filtered anew: updates, inserts and deletes show."""
    engine = _engine(tmp_path)
    cid = engine.create_collection("written").id
    rows = np.random.default_rng(5).standard_normal((50, DIM)).astype(np.float32)
    ids = [f"r{i}" for i in range(50)]
    engine.add(cid, ids=ids, embeddings=list(rows), metadatas=[{"sel": i} for i in range(50)])
    engine.query(cid, [rows[0]], n_results=1)
    where = {"sel": {"$lt": 3}}
    assert engine.get(cid, where=where).ids == ["r0", "r1", "r2"]
    engine.update(cid, ids=["r1"], metadatas=[{"sel": 10}])
    engine.upsert(cid, ids=["new"], embeddings=[rows[2]], metadatas=[{"sel": 0}])
    engine.delete(cid, ids=["r0"])
    engine.query(cid, [rows[0]], n_results=1)  # the snapshot is brought forward
    monkeypatch.setattr(engine.store, "select", _refuse)
    assert engine.get(cid, where=where).ids == ["r2", "new"]
    found = engine.query(cid, [rows[2]], n_results=10, where=where, include=[])
    assert found[0].ids == ["r2", "new"]
    assert engine.get(cid, where={"sel": 10}, include=[]).ids == ["r1", "r10"]


LINES = ["line1\nline2", "a\nb", "ab", "a\n", "xyz", "line1 line2", "\n", "", None]
PORTABLE = ["^line1.*line2$", "line1.*line2", "^a.*b$", "a.*", "^.*$", "^[^x]*$", "^a.$"]
PORTABLE += ["^$", ".*", "a|^$", "(a|b).*\n?", "^.+$", "^(line1|a).?(b|line2)$", "[]a]$"]


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Held]:
    """Documents with line breaks (where "." and "$" differ between regex engines), in
    chromadb and in a chromalake engine holding them."""
    ids = [f"d{i}" for i in range(len(LINES))]
    client = chromadb.PersistentClient(path=str(tmp_path_factory.mktemp("lines-oracle")))
    oracle = client.create_collection(f"lines-{uuid.uuid4().hex}", embedding_function=None)
    oracle.add(ids=ids, embeddings=[[float(i), 0.0] for i in range(len(LINES))], documents=LINES)
    engine = _engine(tmp_path_factory.mktemp("lines"))
    coll = engine.create_collection("lines")
    vectors = [np.array([i, 0], np.float32) for i in range(len(LINES))]
    engine.add(coll.id, ids=ids, embeddings=vectors, documents=LINES)
    engine.query(coll.id, [np.zeros(2, np.float32)], n_results=1)
    coll = engine.get_collection("lines")
    snap = engine.store.held_snapshot(coll)
    assert snap is not None and snap.fields is not None
    return oracle, (engine, coll, snap)


@pytest.mark.parametrize("op", ["$regex", "$not_regex"])
@pytest.mark.parametrize("pattern", PORTABLE, ids=repr)
def test_portable_regexes_across_lines_as_lance_and_chroma(
    lines: tuple[Any, Held], pattern: str, op: str
) -> None:
    oracle, held_lines = lines
    assert portable_regex(pattern)
    node = parse_where_document({op: pattern})
    in_memory, lance = _both(held_lines, node)
    snap = held_lines[2]
    chroma = sorted(snap.positions[i] for i in oracle.get(where_document={op: pattern})["ids"])
    assert in_memory == lance == chroma
