"""``Collection.get_indexing_status`` through every client, with chromalake's memory report.

Chroma's single node raises for it; its distributed server reports how much of the collection
its index covers. chromalake reports that everywhere, plus ``memory``: what the answering
process holds for the collection (engine/memory.py). The official client reads the fields it
knows and ignores the rest.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import chromadb
import numpy as np
from running_server import RunningServer

import chromalake

N = 300
KEYS = {"snapshot_rows", "matrix_bytes", "fields_bytes", "index_bytes", "index_mapped_bytes"}


def _fill(collection: object) -> None:
    rows = np.random.default_rng(0).standard_normal((N, 8)).astype(np.float32)
    ids = [f"r{i}" for i in range(N)]
    collection.add(ids=ids, embeddings=rows.tolist(), documents=ids)  # type: ignore[attr-defined]
    collection.query(query_embeddings=rows[:1].tolist(), n_results=3)  # type: ignore[attr-defined]


def _checked(status: chromalake.IndexingStatus) -> dict[str, int]:
    assert (status.total_ops, status.num_indexed_ops, status.op_indexing_progress) == (N, N, 1.0)
    assert status.memory is not None and set(status.memory) == KEYS
    return status.memory


def test_the_embedded_client_reports_what_it_holds(tmp_path: Path) -> None:
    client = chromalake.PersistentClient(path=str(tmp_path))
    collection = client.create_collection("status", embedding_function=None)
    _fill(collection)
    memory = _checked(collection.get_indexing_status())
    # Searched exactly (300 rows): the matrix and the fields are held, no index.
    assert memory["snapshot_rows"] == N and memory["matrix_bytes"] == N * 8 * 4
    assert memory["fields_bytes"] > 0 and memory["index_bytes"] == 0


def test_the_remote_clients_report_it_and_chromadb_reads_it(tmp_path: Path) -> None:
    server = RunningServer(tmp_path)
    try:
        client = chromalake.HttpClient(host="127.0.0.1", port=server.port)
        collection = client.create_collection("status", embedding_function=None)
        _fill(collection)
        memory = _checked(collection.get_indexing_status())
        assert memory["snapshot_rows"] == N and memory["matrix_bytes"] == N * 8 * 4

        async def from_async() -> chromalake.IndexingStatus:
            remote = await chromalake.AsyncHttpClient(host="127.0.0.1", port=server.port)
            return await (await remote.get_collection("status")).get_indexing_status()

        assert _checked(asyncio.run(from_async())) == memory
        official = chromadb.HttpClient(host="127.0.0.1", port=server.port)
        status = official.get_collection("status").get_indexing_status()
        assert (status.total_ops, status.op_indexing_progress) == (N, 1.0)
    finally:
        server.stop()
