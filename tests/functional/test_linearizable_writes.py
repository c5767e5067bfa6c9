"""Acknowledged writes survive other processes writing the same records (issue 15, item 1).

Two engine processes - two ``PersistentClient`` on one path, or two ``chromalake run`` on
one S3 bucket and DynamoDB table (two ``api`` Lambda instances of a deployment) - update the
same records. Each update reads the stored record, merges the new metadata keys into it and
writes it back; a writer that read before another's commit must redo its merge, never write
its stale copy over the other's work. Checked two ways:

* the direct case: every process adds a key of its own to the same few records, call after
  call; every acknowledged key must be there at the end;
* mixed add / update / upsert / delete (by ids and by ``where``) on overlapping ids from
  several processes: each record's final state must be what some order of its operations
  that respects real time would leave (tests/functional/linearizable.py).
"""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from history_writers import Logged, client_for, history_worker
from linearizable import Op as HistoryOp
from linearizable import State, explains
from moto_server import REGION, MotoAws
from reliability import record, scale
from running_server import RunningServer

import chromalake
from chromalake.engine.catalog import (
    Catalog,
    CollectionRecord,
    MemoryCatalog,
    SqliteCatalog,
)
from chromalake.engine.catalog.dynamodb import DynamoDBCatalog
from chromalake.engine.engine import Engine
from chromalake.engine.store import LanceStore

COLLECTION = "contended"
RECORDS = [f"rec-{n}" for n in range(4)]


def _spawn() -> Any:
    return multiprocessing.get_context("spawn")  # Lance's threads do not survive fork


def key_writer(target: tuple[str, str], name: str, writer: int, calls: int) -> list[str]:
    """Add the key ``w<writer>-<n>`` to one of RECORDS per call; the keys acknowledged."""
    collection = client_for(target).get_collection(name, embedding_function=None)
    acknowledged = []
    for n in range(calls):
        key = f"w{writer}-{n}"
        collection.update(ids=[RECORDS[n % len(RECORDS)]], metadatas=[{key: n}])
        acknowledged.append(key)
    return acknowledged


def _lost_keys(collection: Any, acknowledged: list[list[str]]) -> list[str]:
    stored = collection.get(ids=RECORDS, include=["metadatas"])
    keys = {k for metadata in stored["metadatas"] for k in metadata or {}}
    return [k for keys_of_one in acknowledged for k in keys_of_one if k not in keys]


def _seed(collection: Any) -> None:
    collection.add(ids=RECORDS, embeddings=[[1.0, 2.0, 3.0]] * len(RECORDS))


def _run(fn: Any, targets: list[tuple[str, str]], *args: Any) -> list[Any]:
    with ProcessPoolExecutor(len(targets), mp_context=_spawn()) as pool:
        futures = [
            pool.submit(fn, target, COLLECTION, n, *args) for n, target in enumerate(targets)
        ]
        return [f.result(timeout=900) for f in futures]


# -- where the processes write ------------------------------------------------------------------


@pytest.fixture
def two_servers_on_s3(tmp_path: Path, moto_aws: MotoAws) -> Iterator[list[tuple[str, str]]]:
    """Two ``chromalake run`` sharing one bucket prefix and one DynamoDB table."""
    shared = ["--bucket", moto_aws.bucket, "--prefix", f"lin-{uuid.uuid4().hex[:8]}"]
    shared += ["--table", moto_aws.new_table(), "--region", REGION]
    shared += ["--s3-endpoint", moto_aws.endpoint, "--dynamodb-endpoint", moto_aws.endpoint]
    servers = [RunningServer(tmp_path / f"s{n}", extra=shared) for n in range(2)]
    try:
        yield [("http", f"127.0.0.1:{s.port}") for s in servers]
    finally:
        for server in servers:
            server.stop()


# -- the direct case ------------------------------------------------------------------------------


def test_updates_from_two_persistent_clients_keep_every_key(tmp_path: Path) -> None:
    path = str(tmp_path / "shared")
    collection = chromalake.PersistentClient(path=path).create_collection(
        COLLECTION, embedding_function=None
    )
    _seed(collection)
    calls = scale(40, 150)
    acknowledged = _run(key_writer, [("persistent", path)] * 2, calls)
    lost = _lost_keys(collection, acknowledged)
    record("lost-updates-persistent", {"acknowledged": 2 * calls, "lost": len(lost)})
    assert not lost, f"{len(lost)} of {2 * calls} acknowledged updates lost: {lost[:8]}"


def test_updates_through_two_servers_on_s3_keep_every_key(
    two_servers_on_s3: list[tuple[str, str]],
) -> None:
    collection = client_for(two_servers_on_s3[0]).create_collection(
        COLLECTION, embedding_function=None
    )
    _seed(collection)
    calls = scale(15, 60)
    acknowledged = _run(key_writer, two_servers_on_s3, calls)
    lost = _lost_keys(collection, acknowledged)
    record("lost-updates-s3", {"acknowledged": 2 * calls, "lost": len(lost)})
    assert not lost, f"{len(lost)} of {2 * calls} acknowledged updates lost: {lost[:8]}"


# -- mixed writes, checked against linearizable histories --------------------------------------


def _histories(logs: list[list[Logged]]) -> dict[str, list[HistoryOp]]:
    per_record: dict[str, list[HistoryOp]] = defaultdict(list)
    for log in logs:
        for op in log:
            end = op.end if op.acknowledged else float("inf")
            for record_id in op.ids:
                per_record[record_id].append(
                    HistoryOp(op.kind, op.key, op.start, end, op.acknowledged)
                )
    return per_record


def _final_states(collection: Any) -> tuple[dict[str, State], list[str]]:
    stored = collection.get(include=["metadatas"])
    states = {
        record_id: (True, frozenset(k for k in metadata or {} if k.startswith("op-")))
        for record_id, metadata in zip(stored["ids"], stored["metadatas"], strict=True)
    }
    duplicates = [i for i in set(stored["ids"]) if stored["ids"].count(i) > 1]
    return states, duplicates


def _check_histories(targets: list[tuple[str, str]], processes: int, name: str) -> None:
    collection = client_for(targets[0]).create_collection(COLLECTION, embedding_function=None)
    rounds, per_round = scale(4, 12), 6
    start_at = time.time() + 3  # after every process has imported and connected
    ring = [targets[n % len(targets)] for n in range(processes)]
    logs = _run(history_worker, ring, rounds, per_round, start_at)
    states, duplicates = _final_states(collection)
    histories = _histories(logs)
    violations = [
        record_id
        for record_id, history in histories.items()
        if not explains(history, states.get(record_id, (False, frozenset())))
    ]
    operations = sum(len(log) for log in logs)
    failed = [op.error for log in logs for op in log if not op.acknowledged]
    record(
        f"linearizable-{name}",
        {
            "processes": processes,
            "operations": operations,
            "acknowledged": operations - len(failed),
            "records": len(histories),
            "violations": len(violations),
            "duplicates": len(duplicates),
        },
    )
    assert not duplicates, duplicates
    assert not violations, {v: (histories[v], states.get(v)) for v in violations[:3]}
    assert not failed, failed[:5]  # a refusal the client retried never reaches the caller


def test_mixed_writes_from_processes_on_one_path_are_linearizable(tmp_path: Path) -> None:
    path = str(tmp_path / "shared")
    chromalake.PersistentClient(path=path)  # the catalog exists before the writers open it
    _check_histories([("persistent", path)], 4, "persistent")


def test_mixed_writes_through_two_servers_on_s3_are_linearizable(
    two_servers_on_s3: list[tuple[str, str]],
) -> None:
    _check_histories(two_servers_on_s3, 4, "s3")


# -- collection modify --------------------------------------------------------------------------


class _Interleaved:
    """A catalog that lets another writer's change land just before this writer's first
    conditional update: the moment two processes' modifies race."""

    def __init__(self, catalog: Catalog, other: Callable[[], None]) -> None:
        self._catalog, self._other = catalog, other

    def __getattr__(self, name: str) -> Any:
        return getattr(self._catalog, name)

    def update_collection(self, record: CollectionRecord, previous: CollectionRecord) -> None:
        other, self._other = self._other, lambda: None
        other()
        self._catalog.update_collection(record, previous)


@pytest.mark.parametrize("backend", ["memory", "sqlite", "dynamodb"])
def test_a_modify_racing_another_keeps_both_changes(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    catalog: Catalog
    if backend == "memory":
        catalog = MemoryCatalog()
    elif backend == "sqlite":
        catalog = SqliteCatalog(tmp_path / "catalog.sqlite3")
    else:
        aws: MotoAws = request.getfixturevalue("moto_aws")
        catalog = DynamoDBCatalog(aws.new_table(), region=REGION, endpoint_url=aws.endpoint)
    store = LanceStore("memory://")
    other = Engine(catalog, store)
    coll = other.create_collection("raced", metadata={"v": 0})
    mine = Engine(
        _Interleaved(catalog, lambda: other.update_collection(coll.id, new_metadata={"v": 1})),
        store,
    )  # type: ignore[arg-type]
    mine.update_collection(coll.id, new_configuration={"hnsw": {"ef_search": 42}})
    found = other.get_collection_by_id(coll.id)
    assert found.metadata == {"v": 1}, "the other writer's metadata was undone"
    assert found.configuration["hnsw"]["ef_search"] == 42
    # and the other way round: a rename raced by a metadata change keeps both
    mine = Engine(
        _Interleaved(catalog, lambda: other.update_collection(coll.id, new_metadata={"v": 2})),
        store,
    )  # type: ignore[arg-type]
    mine.update_collection(coll.id, new_name="renamed")
    found = other.get_collection_by_id(coll.id)
    assert (found.name, found.metadata, found.configuration["hnsw"]["ef_search"]) == (
        "renamed",
        {"v": 2},
        42,
    )


def test_a_collection_stored_before_revisions_gets_them_on_its_next_write(
    tmp_path: Path,
) -> None:
    """Datasets written before records had a revision are given one (0) on their first
    update, and every write after that is as safe as on a new collection."""
    from chromalake.engine.columns import REV
    from chromalake.engine.factory import build_engine

    path = str(tmp_path / "old")
    collection = chromalake.PersistentClient(path=path).create_collection(
        COLLECTION, embedding_function=None
    )
    _seed(collection)
    collection.update(ids=["rec-0"], metadatas=[{"before": 1}])
    engine = build_engine(chromalake.Settings(is_persistent=True, persist_directory=path))
    coll = engine.get_collection(COLLECTION)
    table = engine.store._table(coll)
    table.drop_columns([REV])  # as a dataset written by an older chromalake
    assert REV not in table.schema.names
    reopened = chromalake.PersistentClient(path=path).get_collection(
        COLLECTION, embedding_function=None
    )
    reopened.update(ids=["rec-0"], metadatas=[{"after": 2}])
    reopened.upsert(ids=["rec-9"], embeddings=[[3.0, 2.0, 1.0]], metadatas=[{"new": 3}])
    assert REV in engine.store._table(engine.get_collection(COLLECTION)).schema.names
    got = reopened.get(ids=["rec-0", "rec-9"], include=["metadatas"])
    assert got["metadatas"] == [{"before": 1, "after": 2}, {"new": 3}]
    assert reopened.count() == len(RECORDS) + 1
