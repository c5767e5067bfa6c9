"""The ``admin`` Lambda with its shipped events (the console's shareable test events) against
moto, under the template's environment; ``maintain`` and ``restore_version`` handed to the
maintenance function, itself cold-started on the same table and bucket (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from moto_server import MotoAws, load_template
from test_function_events import cold_start

from chromalake.auth.factory import build_authenticator, build_key_store
from chromalake.config import Settings
from chromalake.engine.factory import build_engine
from chromalake.server.gateway import LambdaContext

EVENTS = Path(__file__).resolve().parents[2] / "functions" / "admin" / "events"


def event(name: str, **changes: Any) -> dict[str, Any]:
    """A shipped event, as an operator would edit it in the console."""
    return {**json.loads((EVENTS / f"{name}.json").read_text()), **changes}


def test_the_template_ships_the_events_as_shareable_test_events() -> None:
    resources = load_template()["Resources"]
    schema = resources["AdminTestEvents"]["Properties"]
    assert schema["SchemaName"] == {"Sub": "_chromalake-${Stage}-admin-schema"}
    assert resources["AdminFunction"]["Properties"]["FunctionName"] == {
        "Sub": "chromalake-${Stage}-admin"
    }
    assert schema["Type"] == "OpenApi3"
    registry = resources["TestEventRegistry"]["Properties"]["RegistryName"]
    assert registry == schema["RegistryName"]["If"][2] == "lambda-testevent-schemas"
    examples = json.loads(schema["Content"])["components"]["examples"]
    shipped = {p.stem: json.loads(p.read_text()) for p in EVENTS.glob("*.json")}
    assert {name: e["value"] for name, e in examples.items()} == shipped


def test_every_action_from_the_console_events(
    moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = cold_start("AdminFunction", moto_aws, monkeypatch)
    settings = admin.settings
    assert settings.chromalake_maintenance_function == "chromalake-test-maintenance"

    def run(sample: dict[str, Any]) -> Any:
        return admin.handler(sample, LambdaContext())

    # The first key, with no key and no CLI: the key works with the authorizer's lookup.
    root = run(event("create_root_key"))
    assert root["tenant"] == "*" and root["role"] == "admin" and root["key"].startswith("clk_")
    found = build_authenticator(settings, build_key_store(settings)).authenticate(root["key"])
    assert found.scope is not None and found.scope.tenant == "*"

    assert run(event("create_tenant")) == {"tenant": "acme"}
    assert run(event("create_tenant"))["error"] == "UniqueConstraintError"
    assert run(event("create_database")) == {"tenant": "acme", "database": "sales"}
    app_key = run(event("create_key"))
    assert (app_key["tenant"], app_key["databases"]) == ("acme", ["sales"])
    assert {k["name"] for k in run(event("list_keys"))} == {"bootstrap", "app"}
    revoked = run(event("revoke_key", key_id=app_key["id"]))
    assert revoked["id"] == app_key["id"] and revoked["revoked"]
    assert run(event("revoke_key"))["error"] == "NotFoundError"  # the placeholder id
    assert run(event("create_database", tenant="nobody"))["error"] == "NotFoundError"
    assert run({"action": "drop_everything"})["error"] == "InvalidArgumentError"
    assert run({"action": "create_key", "tenant": "acme"})["message"] == (
        "create_key needs role, name"
    )

    # A collection written by an engine (as the api's) on the admin's table and a bucket.
    shared = Settings(
        chromalake_table=settings.chromalake_table,
        chromalake_bucket=moto_aws.bucket,
        chromalake_region=settings.chromalake_region,
        chromalake_s3_endpoint=moto_aws.endpoint,
        chromalake_dynamodb_endpoint=moto_aws.endpoint,
    )
    engine = build_engine(shared)
    notes = engine.create_collection("notes")
    engine.add(notes.id, ["a"], [np.ones(2, np.float32)])
    engine.add(notes.id, ["b"], [np.zeros(2, np.float32)])
    listed = run(event("list_collections"))
    assert [(c["id"], c["name"]) for c in listed] == [(notes.id, "notes")]

    # maintain and restore_version run on the maintenance function (it has Lance), whose
    # instance here serves the same storage.
    maintenance = cold_start("MaintenanceFunction", moto_aws, monkeypatch)
    monkeypatch.setattr(maintenance, "engine", build_engine(shared))
    handed: list[dict[str, Any]] = []

    def invoke_maintenance(payload: dict[str, Any]) -> Any:
        handed.append(payload)
        return json.loads(json.dumps(maintenance.handler(payload, LambdaContext())))

    monkeypatch.setattr(admin.actions, "forward", invoke_maintenance)
    report = run(event("maintain"))
    assert handed[-1] == {"collection_id": notes.id}
    assert report["reports"][0]["collection_id"] == notes.id
    versions = [v["version"] for v in engine.list_versions(notes.id)]
    assert event("restore_version")["version"] in versions
    restored = run(event("restore_version", collection=notes.id))
    assert restored["restored"] == 2 and restored["version"] > max(versions)
    assert run(event("maintain", collection="missing"))["error"] == "NotFoundError"


def test_the_admin_function_loads_no_lance() -> None:
    """It is a small zip function beside the authorizer: DynamoDB only."""
    import subprocess
    import sys

    code = (
        "from chromalake.admin_actions import AdminActions; "
        "from chromalake.auth.factory import build_key_admin, build_tenants; "
        "from chromalake import Settings; "
        "s = Settings(chromalake_table='t', chromalake_region='us-east-1'); "
        "AdminActions(build_tenants(s), build_key_admin(s)); import sys; "
        "print(sorted({'lancedb', 'pyarrow', 'aws_lambda_powertools'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
