"""``chromalake run`` as a real process, driven by the official ``chromadb.HttpClient``.

Every scenario runs twice: over HTTP against the server, and in process on chromalake's own
embedded client; both must give the same ids, documents, metadatas, distances and errors.
Only 127.0.0.1 is used.
"""

from __future__ import annotations

import argparse
import signal
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import chromadb
import httpx
import numpy as np
import pytest
from moto_server import REGION, MotoAws
from running_server import RunningServer

import chromalake
from chromalake.cli.run import add_run_parser, run_overrides

ROOT = Path(__file__).resolve().parents[2]
TENANT_PATH = "/api/v2/tenants/default_tenant/databases/default_database"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path_factory.mktemp("run"))
    yield running
    running.stop(signal.SIGKILL)


@pytest.fixture
def remote(server: RunningServer) -> Any:
    return server.official_client()


@pytest.fixture(params=["ephemeral", "persistent"])
def local(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    settings = chromalake.Settings(allow_reset=True)
    if request.param == "persistent":
        return chromalake.PersistentClient(str(tmp_path / "local"), settings=settings)
    client = chromalake.EphemeralClient(settings)
    client.reset()  # every EphemeralClient of a process shares one engine: start it empty
    return client


# -- the scenario, on either client ----------------------------------------------------------------

Outcome = dict[str, Any]
RNG = np.random.default_rng(7)
EMBEDDINGS = RNG.normal(size=(40, 8)).astype(np.float32)
IDS = [f"id{i:02d}" for i in range(40)]
METADATAS: list[dict[str, Any]] = [
    {"color": ["red", "green", "blue"][i % 3], "size": i, "ratio": i / 4, "even": i % 2 == 0}
    for i in range(40)
]
DOCUMENTS = [f"document {i} about {'cats' if i % 4 == 0 else 'dogs'}" for i in range(40)]


def error_of(call: Callable[[], Any]) -> tuple[str, str]:
    """(class name, message) of the error ``call`` raises."""
    try:
        call()
    except Exception as error:  # the class is what is being compared
        return type(error).__name__, str(error)
    raise AssertionError("no error raised")


def collections_scenario(client: Any) -> Outcome:
    out: Outcome = {}
    client.create_collection("alpha", metadata={"owner": "a"})
    client.create_collection("beta", metadata={"hnsw:space": "cosine"})
    client.get_or_create_collection("alpha")
    out["count"] = client.count_collections()
    out["names"] = sorted(c.name for c in client.list_collections())
    out["page"] = len(client.list_collections(limit=1, offset=1))
    got = client.get_collection("alpha")
    out["alpha"] = (got.name, got.metadata, _same_collection(client, got))
    got.modify(name="gamma", metadata={"owner": "g"})
    out["renamed"] = (client.get_collection("gamma").name, client.get_collection("gamma").metadata)
    client.delete_collection("gamma")
    out["after_delete"] = sorted(c.name for c in client.list_collections())
    out["missing"] = error_of(lambda: client.get_collection("gamma"))
    # The message only: chromadb itself raises InternalError embedded and ChromaError (409)
    # over HTTP, and chromalake follows it on both sides.
    out["duplicate"] = error_of(lambda: client.create_collection("beta"))[1]
    return out


def records_scenario(client: Any) -> Outcome:
    out: Outcome = {}
    col = client.create_collection("records", metadata={"hnsw:space": "l2"})
    col.add(ids=IDS, embeddings=EMBEDDINGS, metadatas=METADATAS, documents=DOCUMENTS)
    out["count"] = col.count()
    out["get_all"] = col.get(include=["documents", "metadatas", "embeddings"])
    out["get_ids"] = col.get(ids=["id05", "id01", "zzz"], include=["metadatas"])
    out["get_where"] = col.get(
        where={"$and": [{"color": "red"}, {"size": {"$gte": 10}}]}, include=["documents"]
    )
    out["get_doc"] = col.get(where_document={"$contains": "cats"}, limit=3, offset=1)
    out["query"] = col.query(
        query_embeddings=EMBEDDINGS[:3], n_results=5, include=["distances", "metadatas"]
    )
    out["query_where"] = col.query(
        query_embeddings=EMBEDDINGS[10:12],
        n_results=4,
        where={"$or": [{"color": {"$in": ["green"]}}, {"ratio": {"$lt": 2.0}}]},
        where_document={"$not_contains": "cats"},
        include=["distances", "documents"],
    )
    col.update(ids=["id00", "id01"], metadatas=[{"color": "black"}, {"size": None}])
    col.upsert(
        ids=["id02", "new"],
        embeddings=[EMBEDDINGS[5], EMBEDDINGS[6]],
        documents=["replaced", "inserted"],
        metadatas=[{"color": "white"}, {"color": "white"}],
    )
    out["after_writes"] = col.get(
        ids=["id00", "id01", "id02", "new"], include=["metadatas", "documents"]
    )
    col.delete(ids=["id03"])
    col.delete(where={"color": "white"})
    out["after_delete"] = (col.count(), col.get(include=[])["ids"])
    out["dimension"] = error_of(lambda: col.add(ids=["bad"], embeddings=[[1.0, 2.0]]))
    out["peek"] = col.peek(2)["ids"]
    return out


def records_errors_scenario(client: Any) -> Outcome:
    col = client.create_collection("doomed")
    col.add(ids=["a"], embeddings=[[1.0, 2.0, 3.0]])
    client.delete_collection("doomed")
    return {
        "add_deleted": error_of(lambda: col.add(ids=["b"], embeddings=[[1.0, 2.0, 3.0]]))[0],
        "delete_missing": error_of(lambda: client.delete_collection("doomed")),
    }


def _same_collection(client: Any, collection: Any) -> bool:
    """The collection got by name is the one we hold (same id)."""
    return bool(client.get_collection(collection.name).id == collection.id)


# -- comparison -----------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """Numpy arrays to lists, floats rounded to float32 precision, so results compare by ==."""
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "included"}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float | np.floating):
        return float(f"{float(value):.5g}")
    return value


@pytest.mark.parametrize(
    "scenario", [collections_scenario, records_scenario, records_errors_scenario]
)
def test_http_matches_embedded(scenario: Callable[[Any], Outcome], remote: Any, local: Any) -> None:
    over_http = plain(scenario(remote))
    in_process = plain(scenario(local))
    assert over_http.keys() == in_process.keys()
    for key in over_http:
        assert over_http[key] == in_process[key], key


def test_records_scenario_sanity(remote: Any) -> None:
    # Guard against both sides agreeing on nothing: the expected values, spelt out.
    out = records_scenario(remote)
    assert out["count"] == 40
    assert sorted(out["get_ids"]["ids"]) == ["id01", "id05"]
    assert out["get_where"]["ids"] == [f"id{i:02d}" for i in range(12, 40, 3)]  # red, size >= 10
    assert [q[0] for q in out["query"]["ids"]] == ["id00", "id01", "id02"]
    assert out["query"]["distances"][0][0] == pytest.approx(0.0, abs=1e-4)
    assert out["dimension"][0] == "InvalidArgumentError"
    assert "dimension" in out["dimension"][1]
    assert "id03" not in out["after_delete"][1] and "new" not in out["after_delete"][1]


def test_not_found_is_chromas(remote: Any) -> None:
    name, message = error_of(lambda: remote.get_collection("nope"))
    assert (name, message) == ("NotFoundError", "Collection [nope] does not exist")


def test_server_offers_base64_embeddings(server: RunningServer, remote: Any) -> None:
    checks = httpx.get(f"{server.url}/api/v2/pre-flight-checks").json()
    assert checks["supports_base64_encoding"] is True
    assert remote.get_max_batch_size() == checks["max_batch_size"]
    # float32 values survive the base64 path bit for bit
    col = remote.create_collection("b64")
    col.add(ids=["x"], embeddings=[EMBEDDINGS[0]])
    assert np.array_equal(col.get(include=["embeddings"])["embeddings"][0], EMBEDDINGS[0])


def test_heartbeat_and_version(remote: Any) -> None:
    assert remote.heartbeat() > 0
    assert isinstance(remote.get_version(), str)


def test_data_persists_under_path_across_restarts(tmp_path: Path) -> None:
    first = RunningServer(tmp_path)
    try:
        client = chromadb.HttpClient(host="127.0.0.1", port=first.port)
        client.create_collection("kept").add(ids=["k"], embeddings=[[1.0, 0.0]])
    finally:
        assert first.stop()[0] == 0
    second = RunningServer(tmp_path, port=first.port, allow_reset=False)
    try:
        client = chromadb.HttpClient(host="127.0.0.1", port=second.port)
        assert client.get_collection("kept").get()["ids"] == ["k"]
        assert "Reset is disabled" in error_of(client.reset)[1]  # no --allow-reset this time
    finally:
        second.stop()


def test_flags_beat_the_environment_which_beats_defaults() -> None:
    parser = argparse.ArgumentParser()
    add_run_parser(parser.add_subparsers())
    args = parser.parse_args(["run", "--bucket", "flag-bucket", "--path", "/data"])
    environ = {"CHROMALAKE_BUCKET": "env-bucket", "CHROMALAKE_TABLE": "env-table"}
    settings = chromalake.Settings.from_env(environ, **run_overrides(args))
    assert settings.chromalake_bucket == "flag-bucket"
    assert settings.chromalake_table == "env-table"
    assert settings.persist_directory == "/data"
    assert settings.allow_reset is False
    assert settings.chromalake_prefix == ""  # the default
    reset = parser.parse_args(["run"])
    assert chromalake.Settings.from_env({"ALLOW_RESET": "1"}, **run_overrides(reset)).allow_reset
    # host and port are settings too (CHROMALAKE_HOST, CHROMALAKE_PORT, --config)
    assert (settings.chromalake_host, settings.chromalake_port) == ("127.0.0.1", 8000)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stops_cleanly(sig: int, tmp_path: Path) -> None:
    running = RunningServer(tmp_path)
    httpx.get(f"{running.url}/api/v2/heartbeat")
    code, out, err = running.stop(sig)
    assert code == 0, err
    assert "Traceback" not in err + out
    assert f"listening on {running.url}" in out


def test_service_path_on_s3_and_dynamodb(moto_aws: MotoAws, tmp_path: Path) -> None:
    """``chromalake run`` with collections in S3 and the catalog in DynamoDB (a moto server)
    answers the official client exactly as the in-process client does on local disk."""
    table = moto_aws.new_table()
    storage = ["--bucket", moto_aws.bucket, "--prefix", "run-test", "--table", table]
    storage += ["--region", REGION, "--s3-endpoint", moto_aws.endpoint]
    storage += ["--dynamodb-endpoint", moto_aws.endpoint]
    running = RunningServer(tmp_path, extra=storage)
    try:
        remote = chromadb.HttpClient(host="127.0.0.1", port=running.port)
        local = chromalake.PersistentClient(
            str(tmp_path / "local"), settings=chromalake.Settings(allow_reset=True)
        )
        for scenario in (collections_scenario, records_scenario, records_errors_scenario):
            remote.reset()
            local.reset()
            assert plain(scenario(remote)) == plain(scenario(local)), scenario.__name__
            if scenario is records_scenario:
                assert moto_aws.keys(moto_aws.bucket, "run-test/"), "collections live in S3"
        assert not (tmp_path / "data").exists(), "nothing was written to local disk"
    finally:
        code, _, err = running.stop()
    assert code == 0 and "Traceback" not in err


def test_fifty_threads_get_or_create_at_once(server: RunningServer) -> None:
    """Chroma's own ``test_multithreaded_get_or_create``, a few rounds: 50 threads of one
    official client create (or get) one collection at once, half of them then delete it.
    Every call succeeds or fails as Chroma's does; no connection is refused or reset."""
    client = server.official_client()

    def create_maybe_delete(name: str, i: int) -> None:
        try:
            assert client.get_or_create_collection(name).name == name
        except chromadb.errors.ChromaError as e:
            if "concurrent" not in e.message():
                raise
        if i % 2 == 0:
            try:
                client.delete_collection(name)
            except chromadb.errors.ChromaError as e:
                if "does not exist" not in e.message():
                    raise

    for _ in range(10):  # one round fails now and then with a small backlog
        name = str(uuid.uuid4())
        with ThreadPoolExecutor(max_workers=50) as pool:
            for done in [pool.submit(create_maybe_delete, name, i) for i in range(50)]:
                done.result()  # raises what the thread raised (a reset: httpx.ReadError)


def test_a_body_that_is_not_utf8_is_chromas_400(server: RunningServer) -> None:
    answer = httpx.post(
        f"{server.url}{TENANT_PATH}/collections",
        content=b'{"name": "caf\xe9"}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400  # was a 500 InternalError (UnicodeDecodeError)
    assert answer.json() == {
        "error": "InvalidArgumentError",
        "message": "Failed to parse the request body as JSON: "
        "name: invalid unicode code point at line 1 column 15",
    }  # chroma run 1.5.9's answer to the same body
