"""A stand-in for an embedding provider's HTTP API on 127.0.0.1: it records every request and
answers with what the test's ``reply`` function makes of it.

Embeddings it makes are deterministic (from the text), so chromadb's function and chromalake's
can be sent to the same fake and their requests and results compared.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


#: What a reply function returns: (status, JSON body) or (status, JSON body, headers).
Reply = Callable[[Request], tuple[int, Any]]


def vector_for(text: str, dimension: int = 4) -> list[float]:
    """A deterministic small vector for a text (its length and first characters)."""
    codes = [ord(c) for c in (text + " " * dimension)[:dimension]]
    return [float(len(text))] + [c / 100 for c in codes[1:]]


def openai_reply(request: Request) -> tuple[int, Any]:
    """OpenAI's embeddings reply; base64 float32 when the client asks for it (its default)."""
    texts = request.body["input"]
    vectors = [vector_for(t) for t in texts]
    encode = request.body.get("encoding_format") == "base64"
    data = [
        {
            "object": "embedding",
            "index": i,
            "embedding": base64.b64encode(np.array(v, dtype=np.float32).tobytes()).decode()
            if encode
            else v,
        }
        for i, v in enumerate(vectors)
    ]
    usage = {"prompt_tokens": 1, "total_tokens": 1}
    return 200, {"object": "list", "data": data, "model": request.body["model"], "usage": usage}


@dataclass
class FakeProvider:
    url: str
    reply: Reply
    requests: list[Request] = field(default_factory=list)

    def last(self) -> Request:
        return self.requests[-1]


def _handler(provider: FakeProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw
            parts = urlsplit(self.path)
            request = Request(
                self.command,
                parts.path,
                parse_qs(parts.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            provider.requests.append(request)
            status, reply = provider.reply(request)
            payload = json.dumps(reply).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, *args: Any) -> None:  # quiet test output
            pass

    return Handler


def serve(reply: Reply) -> Iterator[FakeProvider]:
    """Run a fake provider until the generator is closed (use as a fixture body)."""
    provider = FakeProvider("", reply)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    provider.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
