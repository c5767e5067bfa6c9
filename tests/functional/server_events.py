"""Helpers for the REST app tests: API Gateway HTTP API v2 events, and Chroma's real server.

``http_event`` builds the event ``sam local invoke`` passes to the Lambda (payload format 2.0).
``ChromaServer`` runs the Rust server bundled in the chromadb wheel on 127.0.0.1, the oracle
the app is compared against. ``normalise`` masks what legitimately differs between two runs
(ids, clocks) and what the two implementations word differently on purpose (serde's and
pydantic's parse-error texts), so that everything else can be compared exactly.
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import numpy as np

CHROMA = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "chroma"
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
TRACE_RE = re.compile(r"^[0-9a-f]{32}$")


def http_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    raw: str | None = None,
    query: str = "",
    headers: dict[str, str] | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway HTTP API v2 event; ``body`` is sent as JSON unless ``raw`` is given."""
    text = raw if raw is not None else (json.dumps(body) if body is not None else None)
    sent = {"content-type": "application/json"} if headers is None else dict(headers)
    if base64_body and text is not None:
        text = base64.b64encode(text.encode()).decode()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {k.lower(): v for k, v in sent.items()},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "localhost",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "pytest",
            },
            "requestId": "local",
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:00:00:00 +0000",
            "timeEpoch": 0,
        },
        "body": text,
        "isBase64Encoded": base64_body,
    }
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    return event


@dataclass
class Reply:
    """What one request got back: status, parsed JSON body (or text), headers."""

    status: int
    body: Any
    headers: dict[str, str]


def parse_body(text: str, content_type: str = "") -> Any:
    """The body as JSON when it says it is JSON (strictly: a bad JSON body fails the test)."""
    if not text:
        return ""
    if "json" in content_type:
        return json.loads(text)
    try:
        return json.loads(text)
    except ValueError:
        return text


def reply_of_event(result: dict[str, Any]) -> Reply:
    """The Reply of a resolver's result dict."""
    headers = {k.lower(): v for k, v in (result.get("headers") or {}).items()}
    text = result.get("body") or ""
    if result.get("isBase64Encoded"):
        text = base64.b64decode(text).decode()
    return Reply(result["statusCode"], parse_body(text, headers.get("content-type", "")), headers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_LOCKED_RETRIES = 5


class ChromaServer:
    """Chroma's own Rust server (``chroma run``) on 127.0.0.1 with reset allowed."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        config = workdir / "chroma.yaml"
        config.write_text(
            f'port: {self.port}\nlisten_address: "127.0.0.1"\n'
            f'persist_path: "{workdir / "data"}"\nallow_reset: true\n'
        )
        self.log = (workdir / "chroma.log").open("w")
        self.process = subprocess.Popen(
            [str(CHROMA), "run", str(config)], stdout=self.log, stderr=subprocess.STDOUT
        )
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        self._wait()

    @staticmethod
    def available() -> bool:
        return CHROMA.exists() or shutil.which("chroma") is not None

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("chroma run exited early")
            try:
                if self.client.get("/api/v2/heartbeat").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("chroma run did not start in 30 s")

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: str | None = None,
        query: str = "",
        headers: dict[str, str] | None = None,
    ) -> Reply:
        text = raw if raw is not None else (json.dumps(body) if body is not None else None)
        sent = {"content-type": "application/json"} if headers is None else headers
        url = path + (f"?{query}" if query else "")
        response = self.client.request(method, url, content=text, headers=sent)
        for _ in range(_LOCKED_RETRIES):
            # Chroma's own sqlite is sometimes busy on a loaded machine (a 500 "database is
            # locked", nothing applied): the oracle's answer is the one it gives once free.
            if response.status_code != 500 or "database is locked" not in response.text:
                break
            time.sleep(0.2)
            response = self.client.request(method, url, content=text, headers=sent)
        content_type = response.headers.get("content-type", "")
        return Reply(
            response.status_code, parse_body(response.text, content_type), dict(response.headers)
        )

    def close(self) -> None:
        self.client.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _float(value: float) -> float:
    """A float as float32 would hold it, to 5 significant digits (distances differ in ulps)."""
    return float(f"{float(np.float32(value)):.5g}")


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        if "nanosecond heartbeat" in value:
            return {"nanosecond heartbeat": "<ns>"}
        masked = {k: _mask(v) for k, v in value.items()}
        if "hnsw" in masked and isinstance(masked["hnsw"], dict):
            masked["hnsw"].pop("num_threads", None)  # the CPU count of the host
        return masked
    if isinstance(value, list):
        items = [_mask(v) for v in value]
        if items and all(isinstance(i, dict) and "configuration_json" in i for i in items):
            items.sort(key=lambda c: c["name"])  # Chroma lists collections by (random) UUID
        return items
    if isinstance(value, str):
        return UUID_RE.sub("<uuid>", value)
    if isinstance(value, float):
        return _float(value)
    return value


# Prefixes of messages worded by the JSON/query parsers rather than by Chroma itself.
PARSER_PREFIXES = (
    "Failed to parse the request body as JSON",
    "Failed to deserialize the JSON body into the target type",
)


def _message(message: str) -> str:
    for prefix in PARSER_PREFIXES:
        if message.startswith(prefix):
            return prefix
    if message.startswith("Validation error: ") and "\n" in message:
        # several failing fields: Chroma joins them in HashMap order, which varies
        lines = message.removeprefix("Validation error: ").split("\n")
        return "Validation error: " + "\n".join(sorted(lines))
    if message.startswith("Validation error: name: Validation error: length"):
        return "Validation error: name: Validation error: length"  # HashMap order again
    return message


def normalise(reply: Reply) -> tuple[int, Any, bool]:
    """(status, masked body, whether an error carries a 32-hex trace id)."""
    body = _mask(reply.body)
    if isinstance(body, dict) and set(body) == {"error", "message"}:
        body = {"error": body["error"], "message": _message(str(body["message"]))}
    traced = reply.status < 400 or bool(TRACE_RE.match(reply.headers.get("chroma-trace-id", "")))
    return reply.status, body, traced
