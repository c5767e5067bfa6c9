"""Schemas reconciled at create exactly as chromadb 1.5.9 does, checked against its
``EphemeralClient`` (the oracle): the same schema, configuration and metadata must give the same
``configuration_json`` and schema, or the same error; and the space a schema names must be the
space the collection searches in.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from typing import Any

import chromadb
import pytest
from chromadb import Schema, VectorIndexConfig
from chromadb.api.types import (
    EmbeddingFunction,
    FtsIndexConfig,
    HnswIndexConfig,
    IntInvertedIndexConfig,
    SpannIndexConfig,
    StringInvertedIndexConfig,
)
from chromadb.utils.embedding_functions import register_embedding_function

import chromalake


class _FixedEF(EmbeddingFunction[list[str]]):
    """A function with a config and a non-default space (cosine), as a user's own would be."""

    def __init__(self, dim: int = 4) -> None:
        self.dim = dim

    def __call__(self, input: list[str]) -> Any:
        return [[float(i) for i in range(self.dim)] for _ in input]

    @staticmethod
    def name() -> str:
        return "fixed_schema_test_ef"

    def get_config(self) -> dict[str, Any]:
        return {"dim": self.dim}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _FixedEF:
        return _FixedEF(config["dim"])

    def default_space(self) -> Any:
        return "cosine"


register_embedding_function(_FixedEF)


def _bad_key_schema() -> Schema:
    schema = Schema()
    schema.keys["#bad"] = schema.keys["#document"]  # past the client's own check
    return schema


def _vector(**kwargs: Any) -> Schema:
    return Schema().create_index(config=VectorIndexConfig(**kwargs))


CASES: dict[str, Callable[[], dict[str, Any]]] = {
    "nothing": lambda: {},
    "no function": lambda: {"embedding_function": None},
    "space from schema": lambda: {"schema": _vector(space="cosine")},
    "spann becomes hnsw": lambda: {
        "schema": _vector(space="ip", spann=SpannIndexConfig(search_nprobe=16))
    },
    "hnsw fields merged": lambda: {
        "schema": _vector(hnsw=HnswIndexConfig(ef_construction=50, batch_size=7))
    },
    "schema and hnsw metadata conflict": lambda: {
        "schema": _vector(space="ip"),
        "metadata": {"hnsw:space": "cosine"},
    },
    "default schema and hnsw metadata": lambda: {
        "schema": Schema(),
        "metadata": {"hnsw:space": "cosine"},
    },
    "schema and configuration conflict": lambda: {
        "schema": _vector(space="ip"),
        "configuration": {"hnsw": {"space": "cosine"}},
    },
    "schema and a default configuration": lambda: {
        "schema": _vector(space="ip"),
        "configuration": {"hnsw": {"ef_construction": 100}},
    },
    "key overrides": lambda: {
        "schema": Schema()
        .create_index(key="title", config=StringInvertedIndexConfig())
        .delete_index(key="n", config=IntInvertedIndexConfig())
    },
    "defaults disabled": lambda: {
        "schema": Schema().delete_index(config=StringInvertedIndexConfig())
    },
    "fts off": lambda: {"schema": Schema().delete_index(key="#document", config=FtsIndexConfig())},
    "function from schema": lambda: {"schema": _vector(embedding_function=_FixedEF(6))},
    "function argument": lambda: {"embedding_function": _FixedEF(8)},
    "function argument, default schema": lambda: {
        "embedding_function": _FixedEF(8),
        "schema": Schema(),
    },
    "two functions": lambda: {
        "embedding_function": _FixedEF(4),
        "schema": _vector(embedding_function=_FixedEF(6)),
    },
    "legacy function in schema": lambda: {"schema": _vector(embedding_function=None)},
    "hnsw out of range": lambda: {
        "schema": _vector(hnsw=HnswIndexConfig(sync_threshold=1)),
    },
    "legacy metadata": lambda: {"metadata": {"hnsw:space": "ip", "hnsw:M": 8}},
    "default hnsw yields to metadata": lambda: {
        "configuration": {"hnsw": {"ef_search": 100}},
        "metadata": {"hnsw:space": "ip"},
    },
    "num_threads": lambda: {"configuration": {"hnsw": {"num_threads": 7}}},
    "reserved key": lambda: {"schema": _bad_key_schema()},
}


def _outcome(client: Any, name: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            created = client.create_collection(name, **kwargs)
    except Exception as error:
        # Chroma prints a validator's parameters from a hash map: their order varies.
        message = re.sub(r"\{(.*?)\}", lambda m: str(sorted(m[1].split(", "))), str(error))
        return {"error": f"{type(error).__name__}: {message}"}
    model = created._model
    schema = getattr(model, "serialized_schema", None) or getattr(model, "schema", None)
    fetched = client.get_collection(name, embedding_function=kwargs.get("embedding_function"))
    return {
        "configuration": json.loads(json.dumps(created.configuration_json, sort_keys=True)),
        "schema": json.loads(json.dumps(schema, sort_keys=True)),
        "read back": fetched.configuration_json == created.configuration_json,
    }


@pytest.fixture(scope="module")
def clients() -> tuple[Any, Any]:
    return chromadb.EphemeralClient(), chromalake.EphemeralClient()


@pytest.mark.parametrize("case", sorted(CASES))
def test_create_reconciles_as_chroma(clients: tuple[Any, Any], case: str) -> None:
    chroma, lake = clients
    name = "c" + "".join(ch if ch.isalnum() else "_" for ch in case)
    assert _outcome(lake, name, CASES[case]()) == _outcome(chroma, name, CASES[case]())


@pytest.mark.parametrize("module", [chromadb, chromalake], ids=["chromadb", "chromalake"])
def test_the_schema_s_space_is_searched(module: Any) -> None:
    """Issue 17's probe: a cosine schema answers cosine distances (not l2's [1.0, 65.0])."""
    client = module.EphemeralClient()
    collection = client.create_collection("probe", schema=_vector(space="cosine"))
    collection.add(ids=["1", "2"], embeddings=[[1.0, 0.0], [1.0, 0.1]])
    found = collection.query(query_embeddings=[[2.0, 0.0]], n_results=2)
    assert found["distances"] is not None
    assert found["distances"][0] == pytest.approx([0.0, 0.0049628], abs=1e-6)
