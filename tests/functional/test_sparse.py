"""Sparse vectors and hybrid search as Chroma Cloud serves them, on every way in.

Single-node Chroma refuses sparse indexes, so the expected rankings are computed by hand here
from Chroma's definitions: a sparse ``Knn`` measures ``1 - query . vector`` over the records
sharing a dimension with the query, and ``Rrf`` scores ``-sum(w_i / (k + rank_i))``.

The data: dense l2 from [1, 0] ranks a (0), b (0.08), d (0.5), c (2); the sparse query
{1: 1.0, 2: 0.25} measures a 1 - 1.0 = 0, c 1 - 0.625 = 0.375, b 1 - 0.5 = 0.5, and d (no
sparse vector) not at all.
"""

from __future__ import annotations

import json
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import chromadb
import pytest
from lambda_units import cold_start
from moto_server import MotoAws
from running_server import RunningServer

import chromalake
from chromalake.api.embedded import clear_system_cache
from chromalake.search import builder
from chromalake.server.gateway import LambdaContext

IDS = ["a", "b", "c", "d"]
EMBEDDINGS = [[1.0, 0.0], [0.8, 0.2], [0.0, 1.0], [0.5, 0.5]]
SPARSE = {"a": ([1, 3], [1.0, 0.5]), "b": ([2], [2.0]), "c": ([1, 2], [0.5, 0.5])}
QUERY = ([1, 2], [1.0, 0.25])

SPARSE_ORDER = ["a", "c", "b"]
SPARSE_SCORES = [0.0, 0.375, 0.5]
# Rrf(weights 0.7 dense / 0.3 sparse, k=60); d has no sparse rank, so no fused score.
HYBRID_ORDER = ["a", "b", "c"]
HYBRID_SCORES = [-(0.7 / 60 + 0.3 / 60), -(0.7 / 61 + 0.3 / 62), -(0.7 / 63 + 0.3 / 61)]


def _fill(module: ModuleType, client: Any, name: str | None = None) -> Any:
    """A collection with a sparse index on "sparse", built with ``module``'s own classes."""
    schema = module.Schema().create_index(key="sparse", config=module.SparseVectorIndexConfig())
    name = name or f"sparse_{uuid.uuid4().hex[:8]}"  # ephemeral clients share one system
    collection = client.create_collection(name, schema=schema, embedding_function=None)
    metadatas = [
        {"sparse": module.SparseVector(indices=SPARSE[i][0], values=SPARSE[i][1]), "n": n}
        if i in SPARSE
        else {"n": n}
        for n, i in enumerate(IDS)
    ]
    collection.add(ids=IDS, embeddings=EMBEDDINGS, metadatas=metadatas)
    return collection


def _check(module: ModuleType, collection: Any) -> None:
    K, Knn, Rrf, Search = module.K, module.Knn, module.Rrf, module.Search
    query = module.SparseVector(indices=QUERY[0], values=QUERY[1])

    sparse = collection.search(
        Search().rank(Knn(query=query, key="sparse", limit=10)).select(K.SCORE, "sparse")
    )
    assert sparse["ids"] == [SPARSE_ORDER]
    assert isinstance(sparse["metadatas"][0][0]["sparse"], module.SparseVector)
    assert sparse["scores"][0] == pytest.approx(SPARSE_SCORES, abs=1e-6)

    hybrid = Rrf(
        ranks=[
            Knn(query=[1.0, 0.0], return_rank=True, limit=10),
            Knn(query=query, key="sparse", return_rank=True, limit=10),
        ],
        weights=[0.7, 0.3],
        k=60,
    )
    fused = collection.search(Search().rank(hybrid).limit(10).select(K.SCORE))
    assert fused["ids"] == [HYBRID_ORDER]
    assert fused["scores"][0] == pytest.approx(HYBRID_SCORES, rel=1e-6)

    filtered = collection.search(
        Search().where(K("n") >= 1).rank(Knn(query=query, key="sparse")).select(K.SCORE)
    )
    assert filtered["ids"] == [["c", "b"]]

    stored = collection.get(ids=["a"], include=["metadatas"])["metadatas"][0]["sparse"]
    assert isinstance(stored, module.SparseVector)
    assert (stored.indices, stored.values) == (SPARSE["a"][0], SPARSE["a"][1])


def _ephemeral() -> Any:
    return chromalake.EphemeralClient(settings=chromalake.Settings(allow_reset=True))


def test_embedded_client() -> None:
    _check(chromalake, _fill(chromalake, _ephemeral()))


def test_persistent_client_keeps_the_index(tmp_path: Path) -> None:
    _fill(chromalake, chromalake.PersistentClient(path=str(tmp_path)), "sparse_demo")
    reopened = chromalake.PersistentClient(path=str(tmp_path)).get_collection("sparse_demo")
    _check(chromalake, reopened)
    index = reopened.schema.keys["sparse"].sparse_vector.sparse_vector_index
    assert index is not None and index.enabled


def test_forks_and_versions_keep_sparse_vectors() -> None:
    source = _fill(chromalake, _ephemeral())
    _check(chromalake, source.fork("sparse_fork"))
    view = source.at_version(source.list_versions()[-1]["version"])  # a view reads with get
    stored = view.get(ids=["a"], include=["metadatas"])["metadatas"][0]["sparse"]
    assert (stored.indices, stored.values) == (SPARSE["a"][0], SPARSE["a"][1])
    assert view.schema.keys["sparse"].sparse_vector.sparse_vector_index.enabled


def test_s3_and_dynamodb_keep_the_index(moto_aws: MotoAws) -> None:
    settings = moto_aws.settings("sparse", is_persistent=True)
    clear_system_cache()
    try:
        _fill(chromalake, chromalake.Client(settings=settings), "sparse_demo")
        clear_system_cache()  # a new engine: the schema comes back from DynamoDB
        _check(chromalake, chromalake.Client(settings=settings).get_collection("sparse_demo"))
    finally:
        clear_system_cache()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path_factory.mktemp("sparse-run"))
    yield running
    running.stop(signal.SIGKILL)


def test_chromadb_s_own_client_against_chromalake_run(server: RunningServer) -> None:
    _check(chromadb, _fill(chromadb, server.official_client()))


def test_chromalake_http_client(server: RunningServer) -> None:
    client = chromalake.HttpClient(host="127.0.0.1", port=server.port)
    client.reset()
    _check(chromalake, _fill(chromalake, client))


def test_a_key_without_a_sparse_index_is_refused() -> None:
    client = _ephemeral()
    collection = client.create_collection("plain_sparse", embedding_function=None)
    collection.add(ids=["a"], embeddings=[[1.0, 0.0]])
    query = chromalake.SparseVector(indices=[1], values=[1.0])
    with pytest.raises(chromalake.errors.InvalidArgumentError, match="with type 'SparseVector'"):
        collection.search(chromalake.Search().rank(chromalake.Knn(query=query, key="sparse")))


@pytest.mark.parametrize("module", [chromalake, chromadb], ids=["chromalake", "chromadb"])
def test_bm25_from_documents_and_text_queries(module: ModuleType, server: RunningServer) -> None:
    """Chroma's docs' recipe: BM25 computed by the client from #document, queried by text."""
    client = _ephemeral() if module is chromalake else server.official_client()
    bm25 = module.utils.embedding_functions.ChromaBm25EmbeddingFunction()
    schema = module.Schema().create_index(
        key="sparse_embedding",
        config=module.SparseVectorIndexConfig(
            source_key=module.K.DOCUMENT, embedding_function=bm25
        ),
    )
    name = f"bm25_{uuid.uuid4().hex[:8]}"
    collection = client.create_collection(name, schema=schema, embedding_function=None)
    documents = ["the cat sat on the mat", "dogs bark at cats", "stock markets fell today"]
    collection.add(ids=["1", "2", "3"], embeddings=[[1.0], [2.0], [3.0]], documents=documents)
    stored = collection.get(ids=["1"], include=["metadatas"])["metadatas"][0]
    assert stored["sparse_embedding"] == bm25(["the cat sat on the mat"])[0]
    found = collection.search(
        module.Search().rank(module.Knn(query="cat", key="sparse_embedding")).select(module.K.SCORE)
    )
    # "cat" is in document 1 only ("cats" stems to "cat" too: document 2 shares it).
    query = bm25.embed_query(["cat"])[0]
    expected = sorted(
        (1.0 - sum(v for i, v in zip(d.indices, d.values, strict=True) if i in query.indices), n)
        for n, d in enumerate(bm25(documents))
        if set(d.indices) & set(query.indices)
    )
    assert found["ids"] == [[str(n + 1) for _, n in expected]]


def _invoke(app: ModuleType, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    event = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"},
            "requestId": "sparse-test",
            "routeKey": "$default",
            "stage": "$default",
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
    result = app.handler(event, LambdaContext())
    text = result.get("body") or ""
    return result["statusCode"], json.loads(text) if text else None


def test_lambda_handler(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("IS_PERSISTENT", "PERSIST_DIRECTORY", "CHROMALAKE_BUCKET", "CHROMALAKE_TABLE"):
        monkeypatch.delenv(name, raising=False)
    app = cold_start("api", monkeypatch, {})
    base = "/api/v2/tenants/default_tenant/databases/default_database/collections"
    schema = chromalake.Schema().create_index(
        key="sparse", config=chromalake.SparseVectorIndexConfig()
    )
    status, created = _invoke(
        app, "POST", base, {"name": "sparse_demo", "schema": schema.serialize_to_json()}
    )
    assert status == 200, created
    metadatas = [
        {"sparse": {"indices": SPARSE[i][0], "values": SPARSE[i][1]}} if i in SPARSE else None
        for i in IDS
    ]
    body = {"ids": IDS, "embeddings": EMBEDDINGS, "metadatas": metadatas}
    assert _invoke(app, "POST", f"{base}/{created['id']}/add", body)[0] == 201
    sparse_knn = {
        "$knn": {
            "query": {"indices": QUERY[0], "values": QUERY[1]},
            "key": "sparse",
            "return_rank": True,
        }
    }
    dense_knn = {"$knn": {"query": [1.0, 0.0], "return_rank": True}}
    fused = chromalake.Rrf(
        ranks=[
            builder._RawRank(dense_knn),
            builder._RawRank(sparse_knn),
        ],
        weights=[0.7, 0.3],
    ).to_dict()
    searches = [
        {
            "rank": {"$knn": {**sparse_knn["$knn"], "return_rank": False}},
            "select": {"keys": ["#score"]},
        },
        {"rank": fused, "select": {"keys": ["#score"]}},
    ]
    status, found = _invoke(app, "POST", f"{base}/{created['id']}/search", {"searches": searches})
    assert status == 200, found
    assert found["ids"] == [SPARSE_ORDER, HYBRID_ORDER]
    assert found["scores"][0] == pytest.approx(SPARSE_SCORES, abs=1e-6)
    assert found["scores"][1] == pytest.approx(HYBRID_SCORES, rel=1e-6)
