"""``chromalake demo``: the embedded client in a temporary directory."""

from __future__ import annotations

import tempfile


def demo() -> int:
    """Walk through the embedded client: create, add, filter, query (no server needed).

    A PersistentClient in a temporary directory (deleted afterwards): a collection of three
    records, their nearest neighbours of a vector, and a metadata filter, printed as it goes.
    """
    import chromalake

    with tempfile.TemporaryDirectory() as path:
        client = chromalake.PersistentClient(path)
        col = client.create_collection("demo", metadata={"hnsw:space": "cosine"})
        col.add(
            ids=["cat", "dog", "car"],
            embeddings=[[0.9, 0.1, 0.0], [0.8, 0.2, 0.1], [0.0, 0.1, 0.9]],
            documents=["a cat sleeps", "a dog barks", "a car drives"],
            metadatas=[{"kind": "animal"}, {"kind": "animal"}, {"kind": "vehicle"}],
        )
        print(f"chromalake {chromalake.__version__}: {col.count()} records in {col!r}")
        hits = col.query(query_embeddings=[[1.0, 0.0, 0.0]], n_results=2)
        print(
            "nearest to [1, 0, 0]:", list(zip(hits["ids"][0], hits["distances"][0], strict=False))
        )
        animals = col.get(where={"kind": "animal"})
        print("where kind == animal:", animals["ids"])
    return 0
