"""Bodies of the wrong shape get serde's exact message, as from Chroma's own server.

chromadb's clients show these messages to users (``configuration.hnsw.space: unknown variant
...at line 1 column 58``), so each body below goes to ``chroma run`` and to the app, and the
status and the whole error body must be equal, position included.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from server_events import ChromaServer, Reply
from test_server_events import App

T = "/api/v2/tenants/default_tenant/databases/default_database"
CREATE = T + "/collections"
RECORDS = T + "/collections/{id}/"

# (route, raw body); {id} is a collection with 2-dimensional records.
BODIES: list[tuple[str, str]] = [
    (CREATE, '{"name":"abc","configuration":{"hnsw":{"unknown_key":1}}}'),
    (CREATE, '{"name":"abc","configuration":{"hnsw":{"space":"manhattan"}}}'),
    (CREATE, '{"name":"abc","configuration":{"spann":{"ef_search":1,"bogus":2}}}'),
    (CREATE, '{"name":"abc","configuration":{"hnsw":{"ef_search":"x"}}}'),
    (CREATE, '{"name":"abc","configuration":{"hnsw":{"ef_search":-1}}}'),
    (CREATE, '{"name":"abc","configuration":{"hnsw":{"ef_search":1.5}}}'),
    (CREATE, '{"name":"abc","configuration":{"hnsw":{"space":"l2","ef_search":true}}}'),
    (CREATE, '{"name":"abc","configuration":{"embedding_function":{"type":"weird"}}}'),
    (CREATE, '{"name":"abc","metadata":{"none":null}}'),
    (CREATE, '{"name":"abc","metadata":{"nested":{"a":1}}}'),
    (CREATE, '{"name":"abc","metadata":{"a":1,"nested":{"a":[1,2]} ,"b":2}}'),
    (CREATE, '{"name":"abc","metadata":{"a":[1,"x"]}}'),
    (CREATE, '{"name":5}'),
    (CREATE, '{"nome":"abc"}'),
    (CREATE, '{"name":"abc",\n "get_or_create":"yes"}'),
    (RECORDS + "add", '{"ids":["a"],"embeddings":[[1,2]],"metadatas":[{"k":[true,1]}]}'),
    (RECORDS + "add", '{"ids":["a"],"embeddings":[[1,2]],"metadatas":[{"k":{"a":1}}]}'),
    (RECORDS + "upsert", '{"ids":["a"],"embeddings":[[1,2]],"metadatas":[{"k":{"a":1}}]}'),
    (RECORDS + "add", '{"ids":[1],"embeddings":[[1,2]]}'),
    (RECORDS + "add", '{"embeddings":[[1,2]]}'),
    (RECORDS + "get", '{"limit":-1}'),
    (RECORDS + "get", '{"limit":"ten"}'),
    (RECORDS + "get", '{"offset":4294967296}'),
    (RECORDS + "get", '{"include":["everything"]}'),
    (RECORDS + "query", '{"query_embeddings":[[1,2]],"n_results":1.5}'),
    (RECORDS + "query", '{"query_embeddings":[[null,2]]}'),
    (RECORDS + "add", '{"ids":["a"],"embeddings":[[1,"x"]]}'),
    (RECORDS + "update", '{"ids":["a"],"embeddings":[[1,"x"]]}'),
    (RECORDS + "upsert", '{"ids":["a"],"embeddings":[[1,"x"]]}'),
    (RECORDS + "update", '{"ids":["a"],"metadatas":[{"k":{"a":1}}]}'),
    (CREATE, "null"),
    (CREATE, "5"),
    (RECORDS + "query", '"x"'),
    (RECORDS + "get", "null"),
]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ChromaServer, App]]:
    if not ChromaServer.available():
        pytest.skip("chromadb's `chroma` binary is not installed")
    chroma = ChromaServer(Path(tmp_path_factory.mktemp("chroma")))
    yield chroma, App()
    chroma.close()


def _collection(send: object) -> str:
    reply: Reply = send("POST", CREATE, {"name": "records", "get_or_create": True})  # type: ignore[operator]
    collection_id = str(reply.body["id"])
    send("POST", RECORDS.format(id=collection_id) + "add", {"ids": ["x"], "embeddings": [[1, 2]]})  # type: ignore[operator]
    return collection_id


@pytest.mark.parametrize(("route", "body"), BODIES)
def test_wrong_shape_is_worded_as_serde_words_it(
    servers: tuple[ChromaServer, App], route: str, body: str
) -> None:
    chroma, app = servers
    theirs = chroma.send("POST", route.format(id=_collection(chroma.send)), raw=body)
    ours = app.send("POST", route.format(id=_collection(app.send)), raw=body)
    assert (ours.status, ours.body) == (theirs.status, theirs.body)
