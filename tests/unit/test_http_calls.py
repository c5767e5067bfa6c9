"""The remote clients' sans-I/O layer: requests built, replies parsed, retries decided."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from chromalake.errors import InvalidArgumentError, NotFoundError
from chromalake.http import calls
from chromalake.http.endpoint import RetryPolicy, auth_headers, resolve_url


def test_paths_escape_names_as_chromadb_does() -> None:
    request = calls.get_collection("my col", tenant="t/1", database="d%")
    assert request.request.path == "/tenants/t/1/databases/d%25/collections/my%20col"
    assert request.request.method == "GET" and request.request.retry_safe


def test_writes_send_base64_embeddings_when_the_server_takes_them() -> None:
    vector = np.array([1.0, 2.0], dtype=np.float32)
    sent = calls.add("c1", ["a"], [vector], [{"k": np.int64(3)}], base64=True).request
    body = json.loads(sent.content() or b"")
    assert body["embeddings"] == ["AACAPwAAAEA="] and body["metadatas"] == [{"k": 3}]
    plain = json.loads(calls.upsert("c1", ["a"], [vector], base64=False).request.content() or b"")
    assert plain["embeddings"] == [[1.0, 2.0]]
    keep = json.loads(calls.update("c1", ["a"], [None], base64=True).request.content() or b"")
    assert keep["embeddings"] == [None], "update's None keeps the stored embedding"


def test_bodies_are_compact_json_like_chromadbs() -> None:
    """serde's error positions count characters of the body: send what chromadb sends."""
    content = calls.create_tenant("acme").request.content()
    assert content == b'{"name":"acme"}'


def test_only_idempotent_requests_are_retry_safe() -> None:
    assert not calls.create_collection("c").request.retry_safe
    assert calls.create_collection("c", get_or_create=True).request.retry_safe
    assert not calls.create_tenant("t").request.retry_safe
    assert not calls.delete_collection("c").request.retry_safe
    assert calls.add("c1", ["a"], [[1.0]]).request.retry_safe, "add ignores stored ids"
    assert calls.query("c1", [[1.0]]).request.retry_safe


def test_list_params_drop_nones() -> None:
    assert calls.list_collections(limit=5).request.params == {"limit": 5}
    assert calls.list_databases().request.params == {}


def test_replies_become_records() -> None:
    body = {
        "ids": [["a", "b"]],
        "embeddings": [[[1.0, 2.0], [3.0, 4.0]]],
        "documents": None,
        "metadatas": [[{"k": 1}, None]],
        "distances": [[0.0, 8.0]],
        "uris": None,
        "include": ["embeddings", "metadatas", "distances"],
    }
    (records,) = calls.query("c", [[1.0, 2.0]]).parse(body)
    assert records.ids == ["a", "b"] and records.distances == [0.0, 8.0]
    assert records.embeddings is not None and records.embeddings[1].dtype == np.float32
    assert records.documents is None and records.metadatas == [{"k": 1}, None]
    assert calls.delete("c").parse({}) == 0 and calls.delete("c").parse({"deleted": 3}) == 3


def test_errors_come_back_as_chromadbs_classes() -> None:
    error = calls.error_for(400, '{"error":"InvalidArgumentError","message":"bad"}', "t1")
    assert isinstance(error, InvalidArgumentError) and error.trace_id == "t1"
    assert isinstance(
        calls.error_for(404, '{"error":"NotFoundError","message":"x"}', None), NotFoundError
    )
    other = calls.error_for(502, "<html>Bad Gateway</html>", "t2")
    assert type(other) is Exception and str(other) == "<html>Bad Gateway</html> (trace ID: t2)"


@pytest.mark.parametrize(
    ("outcome", "retry_safe", "retried"),
    [
        (httpx.Response(503), False, True),
        (httpx.Response(429), False, True),
        (httpx.Response(502), True, True),
        (httpx.Response(504), False, False),
        (httpx.Response(500), True, False),
        (httpx.Response(400), True, False),
        (httpx.ConnectError("refused"), False, True),
        (httpx.ReadTimeout("slow"), True, True),
        (httpx.ReadTimeout("slow"), False, False),
        (httpx.RemoteProtocolError("dropped"), False, False),
    ],
)
def test_retry_decisions(outcome: object, retry_safe: bool, retried: bool) -> None:
    wait = RetryPolicy().wait(outcome, attempt=0, retry_safe=retry_safe)  # type: ignore[arg-type]
    assert (wait is not None) == retried


def test_retries_stop_and_honour_retry_after() -> None:
    policy = RetryPolicy(retries=2, max_delay=5)
    throttled = httpx.Response(429, headers={"retry-after": "3"})
    assert policy.wait(throttled, attempt=1, retry_safe=True) == 3.0
    assert policy.wait(throttled, attempt=2, retry_safe=True) is None
    assert policy.wait(httpx.Response(429, headers={"retry-after": "60"}), 0, True) == 5


def test_urls_and_auth_headers() -> None:
    assert resolve_url("127.0.0.1", 9000, False, "/api/v2") == "http://127.0.0.1:9000/api/v2"
    assert resolve_url("https://x.example/prod", 1, False, "/api/v2") == (
        "https://x.example/prod/api/v2"
    )
    with pytest.raises(ValueError, match="Unrecognized protocol - ftp"):
        resolve_url("ftp://x/y", 1, False, "/api/v2")
    assert auth_headers("token", "k", "X-Chroma-Token") == {"X-Chroma-Token": "k"}
    assert auth_headers("basic", "u:p", None) == {"Authorization": "Basic dTpw"}
    assert auth_headers(None, "k", None) == {}


def test_query_sends_chromas_payload_unless_max_distance_is_set() -> None:
    plain = calls.query("c1", [np.array([1.0, 2.0])], 3, tenant="t", database="d").request
    body = json.loads(plain.content() or b"")
    assert set(body) == {
        "ids",
        "query_embeddings",
        "n_results",
        "where",
        "where_document",
        "include",
    }
    assert plain.path == "/tenants/t/databases/d/collections/c1/query"
    capped = calls.query("c1", [np.array([1.0, 2.0])], 3, max_distance=0.5).request
    assert json.loads(capped.content() or b"")["max_distance"] == 0.5


def test_reads_at_a_version_use_chromalakes_version_routes() -> None:
    base = "/tenants/t/databases/d/collections/c1"
    assert calls.count("c1", "t", "d").request.params == {"read_level": "index_and_wal"}
    assert calls.count("c1", "t", "d", version=3).request.path == base + "/versions/3/count"
    assert calls.get("c1", tenant="t", database="d", version=3).request.path == (
        base + "/versions/3/get"
    )
    at = calls.query("c1", [np.array([1.0])], tenant="t", database="d", version=3).request
    assert at.path == base + "/versions/3/query"
    restore = calls.restore_version("c1", 3, "t", "d").request
    assert (restore.method, restore.path, restore.retry_safe) == (
        "POST",
        base + "/versions/3/restore",
        False,
    )
    fork = calls.fork("c1", "copy", "t", "d").request
    assert (fork.path, fork.body, fork.retry_safe) == (base + "/fork", {"new_name": "copy"}, False)
    assert calls.fork_count("c1", "t", "d").parse({"count": 4}) == 4
