"""S3 and DynamoDB failing in the middle of each operation: completed, or no trace.

The engine talks to moto through :mod:`fault_proxy`, which fails chosen requests (error
replies, dropped connections before or after moto ran them, replies later than the client
waits). For each operation and fault:

1. the operation runs with the fault armed, and may fail;
2. a fresh engine, straight on moto, finds either the state before or the state the
   operation was to produce, never anything else (no partial write, no duplicate id);
3. the catalog and the datasets agree: every collection with records has its dataset, and
   datasets no collection owns are removed by maintenance's orphan sweep;
4. the operation sent again succeeds (in its retry-safe form: ``get_or_create`` for a
   create, and a delete that finds nothing left has already done its work).

Each case also counts the faults it injected, so a fault that never fired fails the test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fault_proxy import Fault, FaultProxy
from moto_server import REGION, MotoAws
from reliability import record

from chromalake.config import Settings
from chromalake.engine.catalog.dynamodb import DynamoDBCatalog
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.maintenance import maintain, sweep_orphans
from chromalake.engine.store import LanceStore
from chromalake.errors import NotFoundError

NAME = "faulty"
COMMIT = r"^PUT .*/_versions/\d+\.manifest"
DATA_FILE = r"^PUT .*/data/"
DROP = r"^POST /[^ ]*\?delete"
READ = r"^GET .*/data/"


@dataclass(frozen=True)
class Case:
    op: str
    fault: Fault
    why: str

    @property
    def id(self) -> str:
        return f"{self.op}-{self.fault.action}-{self.why}"


def _cases() -> list[Case]:
    def f(pattern: str, action: str, times: int = 1, delay: float = 0.0) -> Fault:
        return Fault(pattern, action, times=times, delay=delay)

    many = 50  # more than any client retries: the operation must fail
    return [
        Case("create_collection", f("TransactWriteItems", "500", many), "ddb-down"),
        Case("create_collection", f("TransactWriteItems", "lost"), "ddb-reply-lost"),
        Case("create_collection", f("TransactWriteItems", "503"), "ddb-throttled-once"),
        Case("add", f(COMMIT, "500", many), "commit-refused"),
        Case("add", f(COMMIT, "lost"), "commit-reply-lost"),
        Case("add", f(COMMIT, "delay", delay=3.0), "commit-reply-late"),
        Case("add", f(DATA_FILE, "drop", many), "data-file-dropped"),
        Case("add", f("UpdateItem", "500", many), "seq-allocation-down"),
        Case("upsert", f(COMMIT, "500", many), "commit-refused"),
        Case("upsert", f(COMMIT, "lost"), "commit-reply-lost"),
        Case("upsert", f(READ, "503"), "read-throttled-once"),
        Case("delete", f(COMMIT, "500", many), "commit-refused"),
        Case("delete", f(COMMIT, "lost"), "commit-reply-lost"),
        Case("delete_collection", f("TransactWriteItems", "500", many), "ddb-down"),
        Case("delete_collection", f("TransactWriteItems", "lost"), "ddb-reply-lost"),
        Case("delete_collection", f(DROP, "500", many), "dataset-drop-refused"),
        Case("maintenance", f(COMMIT, "500", many), "commit-refused"),
        Case("maintenance", f(COMMIT, "lost"), "commit-reply-lost"),
        Case("maintenance", f(DATA_FILE, "drop", many), "data-file-dropped"),
    ]


CASES = _cases()
_outcomes: list[dict[str, Any]] = []


@pytest.fixture(scope="module")
def proxy(moto_aws: MotoAws) -> Iterator[FaultProxy]:
    running = FaultProxy(moto_aws.endpoint).start()
    yield running
    running.stop()
    record("faults", _outcomes)


@dataclass
class World:
    """One case's table and prefix, and engines on them through the proxy or straight."""

    moto: MotoAws
    proxy: FaultProxy
    table: str
    root: str

    def engine(self, through_proxy: bool = True) -> Engine:
        endpoint = self.proxy.endpoint if through_proxy else self.moto.endpoint
        options = {"aws_endpoint": endpoint, "allow_http": "true", "aws_region": REGION}
        # Faults must surface within seconds: few retries, short timeouts (the defaults,
        # 10 retries over 180 s, would absorb them slowly).
        options |= {"client_max_retries": "1", "client_retry_timeout": "3", "timeout": "2s"}
        catalog = DynamoDBCatalog(self.table, region=REGION, endpoint_url=endpoint)
        return Engine(catalog, LanceStore(self.root, options))


@pytest.fixture
def world(moto_aws: MotoAws, proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")  # boto3: 2 resends, not 9
    root = f"s3://{moto_aws.bucket}/faults-{uuid.uuid4().hex[:8]}"
    return World(moto_aws, proxy, moto_aws.new_table(), root)


def _vec(*values: float) -> list[np.ndarray]:
    return [np.asarray([v, v + 1, v + 2], dtype=np.float32) for v in values]


def _seed(engine: Engine) -> str:
    coll = engine.create_collection(NAME)
    engine.add(coll.id, ["a", "b", "c"], _vec(1, 2, 3), documents=["A", "B", "C"])
    engine.add(coll.id, ["g"], _vec(4), metadatas=[{"k": 1}])  # two fragments to compact
    return coll.id


def _operation(op: str, engine: Engine, collection_id: str, retry: bool) -> Callable[[], Any]:
    ops: dict[str, Callable[[], Any]] = {
        "create_collection": lambda: engine.create_collection("fresh", get_or_create=retry),
        "add": lambda: engine.add(collection_id, ["d", "e"], _vec(5, 6), documents=["D", "E"]),
        "upsert": lambda: engine.upsert(
            collection_id, ["a", "f"], _vec(7, 8), documents=["A2", "F"]
        ),
        "delete": lambda: engine.delete(collection_id, ["b"]),
        "delete_collection": lambda: engine.delete_collection(NAME),
        "maintenance": lambda: maintain(engine, collection_id, force=True),
    }
    return ops[op]


State = dict[str, dict[str, tuple[str | None, tuple[float, ...], Any]]]


def _observe(engine: Engine) -> State:
    """Every collection's records, by collection name; no id may appear twice."""
    state: State = {}
    for coll in engine.list_collections():
        got = engine.get(coll.id, include=["documents", "embeddings", "metadatas"])
        assert len(got.ids) == len(set(got.ids)), f"duplicate ids in {coll.name}: {got.ids}"
        assert engine.count(coll.id) == len(got.ids)
        state[coll.name] = {
            i: (doc, tuple(float(x) for x in emb), meta)
            for i, doc, emb, meta in zip(
                got.ids, got.documents or [], got.embeddings or [], got.metadatas or [],
                strict=True,
            )
        }  # fmt: skip
    return state


def _expected(op: str, before: State) -> State:
    after = {name: dict(records) for name, records in before.items()}
    records = after.get(NAME, {})
    vec = {
        k: tuple(float(x) for x in _vec(v)[0]) for k, v in (("d", 5), ("e", 6), ("a", 7), ("f", 8))
    }
    if op == "create_collection":
        after["fresh"] = {}
    elif op == "add":
        records |= {"d": ("D", vec["d"], None), "e": ("E", vec["e"], None)}
    elif op == "upsert":
        records |= {"a": ("A2", vec["a"], None), "f": ("F", vec["f"], None)}
    elif op == "delete":
        del records["b"]
    elif op == "delete_collection":
        del after[NAME]
    return after


def _catalog_and_data_agree(world: World) -> None:
    """Collections with records have their dataset; orphans go with the sweep, others stay."""
    engine = world.engine(through_proxy=False)
    known = {c.id for c in engine.list_collections() if c.dimension is not None}
    stored = {d.collection_id for d in engine.store.datasets()}
    assert known <= stored, "a collection in the catalog lost its data"
    swept = set(sweep_orphans(engine, grace=timedelta(0)))
    assert swept == stored - known
    assert {d.collection_id for d in engine.store.datasets()} == known


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_leaves_complete_or_no_trace(world: World, case: Case) -> None:
    fault = Fault(case.fault.pattern, case.fault.action, case.fault.times, delay=case.fault.delay)
    collection_id = _seed(world.engine())
    before = _observe(world.engine(through_proxy=False))
    expected = _expected(case.op, before)

    world.proxy.arm(fault)
    error: Exception | None = None
    try:
        _operation(case.op, world.engine(), collection_id, retry=False)()
    except Exception as e:  # the fault may surface: then nothing may have changed
        error = e
    injected = world.proxy.disarm()
    assert injected > 0, f"the fault never fired: {world.proxy.requests}"
    if case.fault.times == 1 and case.fault.action in ("lost", "503"):
        # The write ran (or a resend did): the caller must be told it succeeded.
        assert error is None, error

    during = _observe(world.engine(through_proxy=False))
    assert during in (before, expected), (error, during)
    _catalog_and_data_agree(world)

    try:  # sent again, with no fault: it succeeds, and the result is the intended one
        _operation(case.op, world.engine(), collection_id, retry=True)()
    except NotFoundError:
        assert case.op == "delete_collection" and during == expected
    assert _observe(world.engine(through_proxy=False)) == expected
    _catalog_and_data_agree(world)
    _outcomes.append(
        {
            "case": case.id,
            "injected": injected,
            "reported": type(error).__name__ if error is not None else "success",
            "left": "no trace" if during == before != expected else "completed",
            "survived": True,
        }
    )


def test_orphan_sweep_spares_recent_orphans_and_owned_datasets(tmp_path: Path) -> None:
    engine = build_engine(Settings(is_persistent=True, persist_directory=str(tmp_path)))
    kept, orphan = engine.create_collection("kept"), engine.create_collection("orphan")
    for coll in (kept, orphan):
        engine.add(coll.id, ["a"], _vec(1))
    engine.catalog.delete_collection(orphan.tenant, orphan.database, orphan.name)
    assert sweep_orphans(engine) == []  # written moments ago: within the grace period
    assert sweep_orphans(engine, grace=timedelta(0)) == [orphan.id]
    assert [d.collection_id for d in engine.store.datasets()] == [kept.id]
    assert engine.count(kept.id) == 1
