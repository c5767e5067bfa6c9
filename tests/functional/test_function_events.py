"""Every function of template.yaml, invoked with its sample events against moto.

The environment of each function is the template's own (``Environment.Variables``), with its
!Ref values bound to moto resources: a table made from the template's CatalogTable, a bucket,
an SQS queue. The events are the files ``sam local invoke -e`` takes (infrastructure/README.md).

Each unit's events live beside it (``functions/<unit>/events/``).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lambda_units import cold_start as start_unit
from moto_server import REGION, MotoAws, load_template

from chromalake.auth.factory import build_authenticator, build_key_admin, build_key_store
from chromalake.server.gateway import LambdaContext

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"
HANDLERS = {
    "AdminFunction": ROOT / "functions" / "admin" / "app.py",
    "ApiFunction": ROOT / "functions" / "api" / "app.py",
    "AuthorizerFunction": ROOT / "functions" / "authorizer" / "app.py",
    "MaintenanceFunction": ROOT / "functions" / "maintenance" / "app.py",
}


def bound_environment(function: str, aws: MotoAws) -> dict[str, str]:
    """The template's variables of ``function``, each !Ref bound to a fresh moto resource."""
    table, bucket = aws.new_table(), aws.new_bucket()
    queue = aws.client("sqs").create_queue(QueueName=f"maintenance-{uuid.uuid4().hex[:8]}")
    refs = {
        "CatalogTable": table,
        "DataBucket": bucket,
        "MaintenanceQueue": queue["QueueUrl"],
        "MaintenanceFunction": "chromalake-test-maintenance",
        "AWS::Region": REGION,
        "MaxBatchSize": "600",
    }
    env = {}
    for name, value in load_template()["Resources"][function]["Properties"]["Environment"][
        "Variables"
    ].items():
        if isinstance(value, dict) and "Ref" in value:
            env[name] = refs[value["Ref"]]
        elif isinstance(value, dict):  # !Sub "chromalake-${Stage}"
            env[name] = value["Sub"].replace("${Stage}", "test")
        else:
            env[name] = str(value)
    return env


def cold_start(function: str, aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The handler module of ``function``, imported afresh under its template environment."""
    env = dict(bound_environment(function, aws))
    # Lance and boto3 reach moto through the endpoint settings (never deployed).
    env["CHROMALAKE_S3_ENDPOINT"] = env["CHROMALAKE_DYNAMODB_ENDPOINT"] = aws.endpoint
    env["AWS_ENDPOINT_URL_SQS"] = aws.endpoint
    unit = HANDLERS[function].parent.name
    return start_unit(unit, monkeypatch, env, ("IS_PERSISTENT", "PERSIST_DIRECTORY", "ALLOW_RESET"))


def sample(path: Path, collection_id: str = PLACEHOLDER_ID) -> dict[str, Any]:
    return json.loads(path.read_text().replace(PLACEHOLDER_ID, collection_id))  # type: ignore[no-any-return]


def authorized(event: dict[str, Any], settings: Any, key: str) -> dict[str, Any]:
    """``event`` as API Gateway passes it on: with ``key``, and the authorizer's context."""
    event["headers"]["x-chroma-token"] = key
    answer = build_authenticator(settings, build_key_store(settings)).authorize_event(event)
    event["requestContext"]["authorizer"] = {"lambda": answer["context"]}
    return event


def invoke(module: ModuleType, event: dict[str, Any]) -> tuple[int, Any]:
    result = module.handler(event, LambdaContext())
    body = result.get("body") or ""
    return result["statusCode"], json.loads(body) if body else None


def test_the_api_with_the_template_environment_on_moto(
    moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = cold_start("ApiFunction", moto_aws, monkeypatch)
    settings = api.settings
    assert settings.chromalake_bucket and settings.chromalake_table and settings.chromalake_auth
    assert "/maintenance-" in settings.chromalake_maintenance_queue_url
    assert settings.chromalake_max_batch_size == 600
    _, key = build_key_admin(settings).create_root_key("events")
    events = ROOT / "functions" / "api" / "events"

    def send(name: str, collection_id: str = PLACEHOLDER_ID) -> tuple[int, Any]:
        return invoke(api, authorized(sample(events / name, collection_id), settings, key))

    status, body = invoke(api, sample(events / "heartbeat.json"))  # public: no key needed
    assert status == 200 and body["nanosecond heartbeat"] > 0
    assert invoke(api, sample(events / "create_collection.json"))[0] == 403, "no key"
    status, created = send("create_collection.json")
    assert status == 200
    collection_id = created["id"]
    assert send("add.json", collection_id) == (201, {})
    status, found = send("query.json", collection_id)
    assert (status, found["ids"]) == (200, [["cat", "dog"]])
    status, got = send("get.json", collection_id)
    assert (status, got["ids"]) == (200, ["cat", "dog", "car"])
    # The collection landed in the template's storage: the catalog table and the bucket.
    table = moto_aws.client("dynamodb").scan(TableName=api.settings.chromalake_table)
    assert any(item["kind"]["S"] == "collection" for item in table["Items"])
    assert moto_aws.keys(api.settings.chromalake_bucket)


@pytest.mark.parametrize("name", ["no_key", "x_chroma_token", "bearer"])
def test_the_authorizer_denies_keys_it_does_not_hold(
    name: str, moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An empty catalog holds no key. The authorizer lets the request through in the simple
    # response format the template enables (EnableSimpleResponses), with the refusal in its
    # context, so that the api answers it in Chroma's words (chromalake.server.authz).
    authorizer = cold_start("AuthorizerFunction", moto_aws, monkeypatch)
    event = sample(ROOT / "functions" / "authorizer" / "events" / f"{name}.json")
    result = authorizer.handler(event, LambdaContext())
    assert result["isAuthorized"] is True
    assert result["context"]["status"] == "denied"


@pytest.mark.parametrize("name", ["schedule", "queue"])
def test_maintenance_handles_its_events_on_an_empty_catalog(
    name: str, moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing to maintain: the sweep finds no collection, and a request for a collection that
    # no longer exists is dropped (not retried: ReportBatchItemFailures lists no failure).
    maintenance = cold_start("MaintenanceFunction", moto_aws, monkeypatch)
    event = sample(ROOT / "functions" / "maintenance" / "events" / f"{name}.json")
    result = maintenance.handler(event, LambdaContext())
    assert result is None or result.get("batchItemFailures", []) == []


def test_sample_events_match_their_triggers() -> None:
    functions = ROOT / "functions"
    for path in (functions / "authorizer" / "events").glob("*.json"):
        event = json.loads(path.read_text())
        assert (event["version"], event["type"]) == ("2.0", "REQUEST"), path.name
        assert event["rawPath"] == event["requestContext"]["http"]["path"]
    queue = json.loads((functions / "maintenance" / "events" / "queue.json").read_text())
    assert {r["eventSource"] for r in queue["Records"]} == {"aws:sqs"}
    assert json.loads(queue["Records"][0]["body"])["collection_id"] == PLACEHOLDER_ID
    sweep = json.loads((functions / "maintenance" / "events" / "schedule.json").read_text())
    assert sweep["detail-type"] == "Scheduled Event"
    schedule = load_template()["Resources"]["MaintenanceFunction"]["Properties"]["Events"]
    assert {e["Type"] for e in schedule.values()} == {"SQS", "Schedule"}
