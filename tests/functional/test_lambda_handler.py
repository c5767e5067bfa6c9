"""The ``api`` Lambda entry point, invoked with the sample events ``sam local invoke -e`` takes.

``functions/api/app.py`` builds its engine at import (once per cold start), so each test loads
a fresh copy of the module after setting the environment, as a new Lambda instance would.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from lambda_units import cold_start as start_unit

from chromalake.server.gateway import LambdaContext

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "functions" / "api" / "app.py"
EVENTS = ROOT / "functions" / "api" / "events"
PLACEHOLDER_ID = "00000000-0000-4000-8000-000000000000"  # the collection id in the sample events
STORAGE_ENV = ("IS_PERSISTENT", "PERSIST_DIRECTORY", "CHROMALAKE_BUCKET", "CHROMALAKE_TABLE")


def cold_start(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    """A freshly imported ``functions/api/app.py`` under ``env``."""
    return start_unit("api", monkeypatch, env, STORAGE_ENV)


def event(name: str, collection_id: str = PLACEHOLDER_ID) -> dict[str, Any]:
    """A sample event, pointed at ``collection_id`` (the sample files hold a placeholder)."""
    text = (EVENTS / f"{name}.json").read_text()
    return json.loads(text.replace(PLACEHOLDER_ID, collection_id))  # type: ignore[no-any-return]


def invoke(module: ModuleType, sample: dict[str, Any]) -> tuple[int, Any]:
    result = module.handler(sample, LambdaContext())
    body = result.get("body") or ""
    return result["statusCode"], json.loads(body) if body else None


@pytest.fixture(params=["memory", "disk"])
def lambda_app(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> ModuleType:
    monkeypatch.chdir(tmp_path)
    if request.param == "disk":
        return cold_start(monkeypatch, IS_PERSISTENT="true", PERSIST_DIRECTORY=str(tmp_path))
    return cold_start(monkeypatch)


def test_sample_events_are_http_api_v2() -> None:
    names = sorted(p.stem for p in EVENTS.glob("*.json"))
    assert names == ["add", "create_collection", "get", "heartbeat", "query", "search"]
    for name in names:
        sample = event(name)
        assert sample["version"] == "2.0"
        assert sample["routeKey"] == "$default"
        assert sample["rawPath"] == sample["requestContext"]["http"]["path"]


def test_heartbeat(lambda_app: ModuleType) -> None:
    status, body = invoke(lambda_app, event("heartbeat"))
    assert status == 200
    assert body["nanosecond heartbeat"] > 0


def test_create_add_query_get(lambda_app: ModuleType) -> None:
    status, created = invoke(lambda_app, event("create_collection"))
    assert status == 200
    assert created["name"] == "sample"
    assert created["metadata"] == {"hnsw:space": "cosine", "topic": "animals"}
    collection_id = created["id"]

    status, body = invoke(lambda_app, event("add", collection_id))
    assert (status, body) == (201, {})

    status, found = invoke(lambda_app, event("query", collection_id))
    assert status == 200
    assert found["ids"] == [["cat", "dog"]]
    assert found["documents"] == [["a cat sleeps", "a dog barks"]]
    assert found["metadatas"] == [[{"kind": "animal", "legs": 4}, {"kind": "animal", "legs": 4}]]
    cat, dog = found["distances"][0]
    assert cat == pytest.approx(1 - 0.9 / (0.9**2 + 0.1**2) ** 0.5, abs=1e-5)
    assert cat < dog

    status, got = invoke(lambda_app, event("get", collection_id))
    assert status == 200
    assert got["ids"] == ["cat", "dog", "car"]
    assert got["documents"] == ["a cat sleeps", "a dog barks", "a car drives"]
    assert got["metadatas"][2] == {"kind": "vehicle", "wheels": 4}


def test_hybrid_search(lambda_app: ModuleType) -> None:
    """The sample search: RRF of a dense $knn and a full-text one on #document, filtered."""
    collection_id = invoke(lambda_app, event("create_collection"))[1]["id"]
    invoke(lambda_app, event("add", collection_id))
    status, found = invoke(lambda_app, event("search", collection_id))
    assert status == 200
    # dense: cat 0, dog 1; text "barks": dog 0, cat missing (default 1000); car filtered out
    assert found["ids"] == [["dog", "cat"]]
    assert found["documents"] == [["a dog barks", "a cat sleeps"]]
    dog, cat = found["scores"][0]
    assert dog == pytest.approx(-(1 / 61 + 1 / 60))
    assert cat == pytest.approx(-(1 / 60 + 1 / 1060))
    assert found["select"] == [["#document", "#score"]]
    assert (found["embeddings"], found["metadatas"]) == ([None], [None])


def test_create_is_get_or_create_across_invocations(lambda_app: ModuleType) -> None:
    first = invoke(lambda_app, event("create_collection"))[1]["id"]
    assert invoke(lambda_app, event("create_collection"))[1]["id"] == first


def test_unknown_collection_is_chromas_404(lambda_app: ModuleType) -> None:
    status, body = invoke(lambda_app, event("add"))
    assert status == 404
    assert body == {
        "error": "NotFoundError",
        "message": f"Collection [{PLACEHOLDER_ID}] does not exist.",
    }


def test_disk_state_survives_a_cold_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    env = {"IS_PERSISTENT": "true", "PERSIST_DIRECTORY": str(tmp_path)}
    first = cold_start(monkeypatch, **env)
    collection_id = invoke(first, event("create_collection"))[1]["id"]
    invoke(first, event("add", collection_id))
    second = cold_start(monkeypatch, **env)
    assert invoke(second, event("get", collection_id))[1]["ids"] == ["cat", "dog", "car"]


def test_correlation_id_is_the_api_gateway_request_id(lambda_app: ModuleType) -> None:
    invoke(lambda_app, event("heartbeat"))
    assert lambda_app.logger.get_correlation_id() == "sample-heartbeat-request"


def test_settings_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    module = cold_start(
        monkeypatch, ALLOW_RESET="true", IS_PERSISTENT="1", PERSIST_DIRECTORY=str(tmp_path)
    )
    assert module.settings.allow_reset is True
    assert module.settings.persist_directory == str(tmp_path)
    reset = event("heartbeat")
    reset["rawPath"] = reset["requestContext"]["http"]["path"] = "/api/v2/reset"
    reset["requestContext"]["http"]["method"] = "POST"
    assert invoke(module, reset) == (200, True)


def test_a_body_that_is_not_utf8_is_chromas_400(lambda_app: ModuleType) -> None:
    """API Gateway passes a body that is not UTF-8 base64-encoded; the handler answers with
    Chroma's error JSON (it used to raise UnicodeDecodeError out of the function)."""
    sample = event("create_collection")
    sample["body"] = base64.b64encode(b'{"name": "caf\xe9"}').decode()
    sample["isBase64Encoded"] = True
    status, body = invoke(lambda_app, sample)
    assert status == 400
    assert body == {
        "error": "InvalidArgumentError",
        "message": "Failed to parse the request body as JSON: "
        "name: invalid unicode code point at line 1 column 15",
    }  # chroma run 1.5.9's answer to the same body
