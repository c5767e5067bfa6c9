"""The ``authorizer`` Lambda with its sample events, on a moto DynamoDB table, and the ``api``
Lambda behind it: the authorizer's context reaches the API function as API Gateway passes it.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lambda_units import cold_start
from moto_server import REGION, MotoAws

from chromalake.auth.admin import ROOT as ROOT_SCOPE
from chromalake.auth.admin import KeyAdmin
from chromalake.auth.dynamodb_store import DynamoDBKeyStore
from chromalake.engine.catalog.dynamodb import DynamoDBCatalog
from chromalake.server.gateway import LambdaContext

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "functions" / "authorizer" / "events"
PLACEHOLDER = "clk_" + "0" * 43
ENV = ("CHROMALAKE_TABLE", "CHROMALAKE_REGION", "CHROMALAKE_DYNAMODB_ENDPOINT", "CHROMALAKE_AUTH")


def load(unit: str, monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """A cold start of ``functions/<unit>/app.py`` under ``env``."""
    unset = (*ENV, "IS_PERSISTENT", "PERSIST_DIRECTORY", "CHROMALAKE_BUCKET")
    return cold_start(unit, monkeypatch, env, unset)


def sample(name: str, key: str | None = None) -> dict[str, Any]:
    text = (EVENTS / f"{name}.json").read_text()
    return json.loads(text.replace(PLACEHOLDER, key) if key else text)  # type: ignore[no-any-return]


@pytest.fixture
def deployment(moto_aws: MotoAws, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    table = moto_aws.new_table()
    catalog = DynamoDBCatalog(table, region=REGION, endpoint_url=moto_aws.endpoint)
    catalog.create_tenant("acme")
    store = DynamoDBKeyStore(table, region=REGION, endpoint_url=moto_aws.endpoint)
    _, key = KeyAdmin(store, catalog).create_key(ROOT_SCOPE, "acme", ["sales"], "read-only", "ci")
    env = {
        "CHROMALAKE_TABLE": table,
        "CHROMALAKE_REGION": REGION,
        "CHROMALAKE_DYNAMODB_ENDPOINT": moto_aws.endpoint,
    }
    authorizer = load("authorizer", monkeypatch, **env)
    return {"key": key, "authorizer": authorizer, "env": env, "store": store}


@pytest.mark.parametrize("name", ["x_chroma_token", "bearer"])
def test_a_valid_key_yields_its_scope(deployment: dict[str, Any], name: str) -> None:
    answer = deployment["authorizer"].handler(sample(name, deployment["key"]), LambdaContext())
    assert answer["isAuthorized"] is True
    context = answer["context"]
    assert (context["status"], context["tenant"], context["role"]) == ("ok", "acme", "read-only")
    assert json.loads(context["databases"]) == ["sales"]


@pytest.mark.parametrize("name", ["x_chroma_token", "bearer", "no_key"])
def test_unknown_or_missing_keys_are_denied(deployment: dict[str, Any], name: str) -> None:
    answer = deployment["authorizer"].handler(sample(name), LambdaContext())
    assert answer == {"isAuthorized": True, "context": {"status": "denied"}}


def test_the_api_function_enforces_the_authorizers_context(
    deployment: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    api = load("api", monkeypatch, **deployment["env"], CHROMALAKE_AUTH="true")
    authorizer = deployment["authorizer"]

    def through_gateway(key: str | None, path: str) -> tuple[int, Any]:
        event = sample("x_chroma_token" if key else "no_key", key)
        event["rawPath"] = event["requestContext"]["http"]["path"] = path
        answer = authorizer.handler(copy.deepcopy(event), LambdaContext())
        event["requestContext"]["authorizer"] = {"lambda": answer["context"]}
        result = api.handler(event, LambdaContext())
        return result["statusCode"], json.loads(result["body"])

    key = deployment["key"]
    assert through_gateway(key, "/api/v2/auth/identity") == (
        200,
        {
            "user_id": deployment["store"].list_keys("acme")[0].id,
            "tenant": "acme",
            "databases": ["sales"],
        },
    )
    assert through_gateway(None, "/api/v2/auth/identity") == (
        403,
        {"error": "AuthError", "message": "Forbidden"},
    )
    assert through_gateway(key, "/api/v2/tenants/other/databases")[0] == 404
    assert through_gateway(key, "/api/v2/tenants/acme/databases/hr/collections")[0] == 404
    assert through_gateway(key, "/api/v2/tenants/acme/databases/sales/collections") == (200, [])
    assert through_gateway(None, "/api/v2/heartbeat")[0] == 200
