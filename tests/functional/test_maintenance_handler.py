"""The ``maintenance`` Lambda entry point, invoked with its sample events against S3 and
DynamoDB on moto; and the ``api`` function's queue message after a write feeding it.

Both ``app.py`` files build their engine at import (once per cold start), so each test loads a
fresh copy of the module after setting the environment, as a new Lambda instance would.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from lambda_units import cold_start
from moto_server import REGION, MotoAws

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.server.gateway import LambdaContext

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "functions" / "maintenance" / "events"
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
ROWS, THRESHOLD = 1200, 1000


def load(unit: str, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> ModuleType:
    """A freshly imported ``functions/<unit>/app.py`` under ``env``."""
    return cold_start(unit, monkeypatch, env)


def event(name: str, collection_id: str) -> dict[str, Any]:
    text = (EVENTS / f"{name}.json").read_text()
    return json.loads(text.replace(PLACEHOLDER_ID, collection_id))  # type: ignore[no-any-return]


@pytest.fixture
def aws_env(moto_aws: MotoAws) -> dict[str, str]:
    """The environment of both functions: a fresh catalog table and prefix, a low threshold."""
    return {
        "CHROMALAKE_BUCKET": moto_aws.bucket,
        "CHROMALAKE_PREFIX": f"maint-{uuid.uuid4().hex[:8]}",
        "CHROMALAKE_TABLE": moto_aws.new_table(),
        "CHROMALAKE_S3_ENDPOINT": moto_aws.endpoint,
        "CHROMALAKE_DYNAMODB_ENDPOINT": moto_aws.endpoint,
        "CHROMALAKE_REGION": REGION,
        "CHROMALAKE_INDEX_THRESHOLD": str(THRESHOLD),
    }


def engine_for(env: dict[str, str]) -> Engine:
    return build_engine(Settings.from_env(env))


def filled(engine: Engine, name: str = "lambda-maint", rows: int = ROWS) -> str:
    coll = engine.create_collection(name)
    data = np.random.default_rng(7).standard_normal((rows, 16)).astype(np.float32)
    engine.add(coll.id, [f"r{i}" for i in range(rows)], list(data))
    return coll.id


def test_sample_events_have_their_shapes() -> None:
    assert sorted(p.stem for p in EVENTS.glob("*.json")) == ["collection", "queue", "schedule"]
    queue = event("queue", "x")
    assert all(json.loads(r["body"]) == {"collection_id": "x"} for r in queue["Records"])
    assert all(r["eventSource"] == "aws:sqs" for r in queue["Records"])
    assert event("schedule", "x")["detail-type"] == "Scheduled Event"
    assert event("collection", "x") == {"collection_id": "x"}


def test_queue_event_builds_the_index_once(
    monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]
) -> None:
    collection_id = filled(engine_for(aws_env))
    app = load("maintenance", monkeypatch, aws_env)
    result = app.handler(event("queue", collection_id), LambdaContext())
    assert result["batchItemFailures"] == []
    # Two messages name the collection: it is maintained once.
    assert [(r["collection_id"], r["indexed"]) for r in result["reports"]] == [
        (collection_id, "built")
    ]
    reader = engine_for(aws_env)  # another instance sees the index in S3
    status = reader.indexing_status(collection_id)
    assert (status.num_indexed_ops, status.op_indexing_progress) == (ROWS, 1.0)
    again = app.handler(event("collection", collection_id), LambdaContext())
    assert [r["indexed"] for r in again["reports"]] == [None]


def test_schedule_event_maintains_every_collection(
    monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]
) -> None:
    engine = engine_for(aws_env)
    big = filled(engine, "big-one")
    small = filled(engine, "small-one", rows=50)
    app = load("maintenance", monkeypatch, aws_env)
    result = app.handler(event("schedule", "unused"), LambdaContext())
    indexed = {r["collection_id"]: r["indexed"] for r in result["reports"]}
    assert indexed == {big: "built", small: None}


def test_failed_message_is_reported_for_retry(
    monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]
) -> None:
    collection_id = filled(engine_for(aws_env))
    app = load("maintenance", monkeypatch, aws_env)

    def broken(*_: Any) -> None:
        raise RuntimeError("S3 unavailable")

    monkeypatch.setattr(app, "maintain", broken)
    result = app.handler(event("queue", collection_id), LambdaContext())
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == {
        r["messageId"] for r in event("queue", collection_id)["Records"]
    }


def test_unknown_collection_is_skipped(
    monkeypatch: pytest.MonkeyPatch, aws_env: dict[str, str]
) -> None:
    app = load("maintenance", monkeypatch, aws_env)
    result = app.handler(event("queue", str(uuid.uuid4())), LambdaContext())
    assert result == {"batchItemFailures": [], "reports": []}


def test_api_writes_queue_maintenance(
    monkeypatch: pytest.MonkeyPatch, moto_aws: MotoAws, aws_env: dict[str, str]
) -> None:
    sqs = moto_aws.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"maint-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    env = {
        **aws_env,
        "CHROMALAKE_MAINTENANCE_QUEUE_URL": queue_url,
        "AWS_ENDPOINT_URL_SQS": moto_aws.endpoint,
        "CHROMALAKE_MAINTENANCE_DELAY_SECONDS": "3600",  # the debounce window
    }
    api = load("api", monkeypatch, env)
    collection_id = filled(api.engine)  # three writes to one collection...
    api.engine.add(collection_id, ["x1"], [np.ones(16, np.float32)])
    api.engine.delete(collection_id, ["x1"])
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [{"collection_id": collection_id}]
    records = [
        {"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs"} for m in messages
    ]
    maintenance = load("maintenance", monkeypatch, env)
    result = maintenance.handler({"Records": records}, LambdaContext())
    assert [r["indexed"] for r in result["reports"]] == ["built"]
