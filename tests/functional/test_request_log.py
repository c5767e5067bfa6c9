"""One log line per request (issue 19): ``chromalake run`` in text and JSON, and the api Lambda
through its powertools Logger."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from running_server import RunningServer
from test_lambda_handler import cold_start, event, invoke

ROUTE = "/api/v2/tenants/{tenant}/databases/{database}/collections/{name}"


def _requests(server: RunningServer) -> None:
    httpx.get(f"{server.url}/api/v2/heartbeat")
    base = f"{server.url}/api/v2/tenants/default_tenant/databases/default_database/collections"
    httpx.post(base, json={"name": "logged"})
    httpx.get(f"{base}/missing")


def test_run_logs_a_text_line_per_request(tmp_path: Path) -> None:
    server = RunningServer(tmp_path)
    _requests(server)
    _, _, err = server.stop()
    lines = err.splitlines()
    heartbeat = next(line for line in lines if " GET /api/v2/heartbeat 200 " in line)
    assert heartbeat.split()[1] == "INFO" and "trace_id=" in heartbeat
    missing = next(line for line in lines if f" GET {ROUTE} 404 " in line)
    assert missing.split()[1] == "WARNING"
    assert "collection=missing" in missing and "tenant=default_tenant" in missing
    assert "NotFoundError: Collection [missing] does not exist" in missing


def test_run_logs_json_and_honours_the_level(tmp_path: Path) -> None:
    server = RunningServer(tmp_path, extra=["--log-format", "json", "--log-level", "WARNING"])
    _requests(server)
    _, _, err = server.stop()
    documents = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [d["status"] for d in documents] == [404]  # INFO lines are below WARNING
    (missing,) = documents
    assert missing["route"] == ROUTE and missing["method"] == "GET"
    assert missing["collection"] == "missing" and missing["level"] == "WARNING"
    assert missing["duration_ms"] >= 0 and missing["trace_id"]


def test_a_config_file_sets_the_same_settings(tmp_path: Path) -> None:
    config = tmp_path / "chromalake.yaml"
    config.write_text("log-format: json\nCHROMALAKE_LOG_LEVEL: warning\n")
    server = RunningServer(tmp_path, extra=["--config", str(config)])
    _requests(server)
    _, _, err = server.stop()
    assert [json.loads(x)["status"] for x in err.splitlines() if x.startswith("{")] == [404]


@pytest.fixture
def chromalake_logger() -> Iterator[None]:
    """The ``chromalake`` logger as it was: a cold start hands it to its powertools Logger."""
    root = logging.getLogger("chromalake")
    saved = (list(root.handlers), root.level, root.propagate)
    yield
    root.handlers, root.propagate = saved[0], saved[2]
    root.setLevel(saved[1])


@pytest.mark.usefixtures("chromalake_logger")
def test_the_api_lambda_logs_the_line_as_powertools_json(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    module = cold_start(monkeypatch)
    # powertools keeps one handler per service for the whole process, made on the stdout of
    # the first cold start: in a full run another test's, so read this one's from a buffer.
    handler = module.logger.registered_handler
    written = io.StringIO()
    earlier = handler.setStream(written)
    try:
        assert invoke(module, event("heartbeat"))[0] == 200
    finally:
        handler.setStream(earlier)
    documents = [json.loads(x) for x in written.getvalue().splitlines() if '"route"' in x]
    (line,) = documents
    assert line["route"] == "/api/v2/heartbeat" and line["status"] == 200
    assert line["service"] == "chromalake-api" and line["name"] == "chromalake.requests"
    assert line["correlation_id"] == event("heartbeat")["requestContext"]["requestId"]
