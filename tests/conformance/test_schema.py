"""Collection schemas (Chroma 1.5's ``Schema``) on every client, against chromadb.

Each scenario builds its schema with its side's own classes (``chromalake.Schema`` on the
subject, ``chromadb.Schema`` on the oracle), so the names and constructors are checked too.
"""

from __future__ import annotations

from typing import Any

from .harness import Side, conform, steps


def _described(collection: Any) -> dict[str, Any]:
    schema = collection.schema
    return {
        "type": type(schema).__name__,
        "schema": schema.serialize_to_json(),
        "configuration": collection.configuration_json,
    }


def test_the_schema_s_space_is_searched(oracle: Side, subject: Side) -> None:
    """Issue 17's probe: a cosine vector index in the schema gives cosine distances."""

    def scenario(side: Side) -> Any:
        m = side.module
        schema = m.Schema().create_index(config=m.VectorIndexConfig(space="cosine"))
        collection = side.collection("spaced", schema=schema)
        collection.add(ids=["1", "2"], embeddings=[[1.0, 0.0], [1.0, 0.1]])
        found = collection.query(query_embeddings=[[2.0, 0.0]], n_results=2)
        return steps(query=lambda: found, described=lambda: _described(collection))

    conform(oracle, subject, scenario)


def test_schemas_reconcile_as_chroma(oracle: Side, subject: Side) -> None:
    """Defaults filled in, SPANN kept as HNSW, key overrides kept, conflicts refused; read
    back the same through get_collection."""

    def scenario(side: Side) -> Any:
        m = side.module

        def make(name: str, schema: Any, **kwargs: Any) -> Any:
            created = side.collection(name, schema=schema, **kwargs)
            return _described(created), _described(side.client.get_collection(name))

        return steps(
            spann=lambda: make(
                "spann",
                m.Schema().create_index(
                    config=m.VectorIndexConfig(
                        space="ip", spann=m.SpannIndexConfig(search_nprobe=16)
                    )
                ),
            ),
            hnsw=lambda: make(
                "hnsw",
                m.Schema().create_index(
                    config=m.VectorIndexConfig(hnsw=m.HnswIndexConfig(ef_construction=50))
                ),
            ),
            keys=lambda: make(
                "keys",
                m.Schema()
                .create_index(key="title", config=m.StringInvertedIndexConfig())
                .delete_index(key="year", config=m.IntInvertedIndexConfig()),
            ),
            conflict=lambda: make(
                "conflict",
                m.Schema().create_index(config=m.VectorIndexConfig(space="ip")),
                configuration={"hnsw": {"space": "cosine"}},
            ),
            default=lambda: make("default", m.Schema(), metadata={"hnsw:space": "cosine"}),
        )

    conform(oracle, subject, scenario)


def test_disabled_index_refuses_filters(oracle: Side, subject: Side) -> None:
    """A key whose inverted index the schema disables cannot be filtered on."""

    def scenario(side: Side) -> Any:
        m = side.module
        schema = m.Schema().delete_index(key="tag", config=m.StringInvertedIndexConfig())
        collection = side.collection("disabled", schema=schema)
        collection.add(ids=["a"], embeddings=[[1.0, 2.0]], metadatas=[{"tag": "x", "n": 1}])
        return steps(
            tag=lambda: collection.get(where={"tag": "x"}),
            n=lambda: collection.get(where={"n": 1}),
            schema=lambda: _described(side.client.get_collection("disabled")),
        )

    conform(oracle, subject, scenario)
