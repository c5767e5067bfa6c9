"""Reads: get (ids, limit/offset, include), peek, and how input types are stored."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from .dataset import seeded
from .harness import ALL_GET_INCLUDE, Side, conform, steps

INCLUDE_SUBSETS = [
    list(combo)
    for n in range(len(ALL_GET_INCLUDE) + 1)
    for combo in itertools.combinations(ALL_GET_INCLUDE, n)
]


@pytest.mark.parametrize("include", INCLUDE_SUBSETS, ids=lambda inc: "+".join(inc) or "none")
def test_get_include_combinations(oracle: Side, subject: Side, include: list[str]) -> None:
    """Exactly the included fields are lists; the others are None; included echoes the order."""
    conform(oracle, subject, lambda s: seeded(s).get(include=include))


def test_get_default_include(oracle: Side, subject: Side) -> None:
    """get() defaults to metadatas and documents."""
    conform(oracle, subject, lambda s: seeded(s).get())


def test_get_include_order_is_echoed(oracle: Side, subject: Side) -> None:
    """included echoes the caller's list in the caller's order."""
    conform(oracle, subject, lambda s: seeded(s).get(include=["uris", "embeddings", "documents"]))


def test_get_by_ids_returns_insertion_order(oracle: Side, subject: Side) -> None:
    """get(ids) returns records in insertion order, not in the requested order; unknown ids
    are dropped."""
    conform(oracle, subject, lambda s: seeded(s).get(ids=["r09", "nope", "r01", "r05", "r00"]))


def test_get_by_unknown_ids(oracle: Side, subject: Side) -> None:
    """get of ids that do not exist returns empty lists."""
    conform(oracle, subject, lambda s: seeded(s).get(ids=["x", "y"], include=ALL_GET_INCLUDE))


@pytest.mark.parametrize(
    ("limit", "offset"),
    [(None, None), (3, None), (None, 4), (3, 4), (0, None), (100, None), (5, 100), (1, 11)],
)
def test_get_limit_offset(oracle: Side, subject: Side, limit: Any, offset: Any) -> None:
    """limit/offset page through insertion order."""
    conform(oracle, subject, lambda s: seeded(s).get(limit=limit, offset=offset, include=[]))


def test_get_limit_offset_after_filter(oracle: Side, subject: Side) -> None:
    """limit and offset apply after where/ids filtering."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return (
            col.get(where={"str": {"$ne": "beta"}}, limit=3, offset=2, include=[]),
            col.get(ids=["r11", "r02", "r05", "r07", "r00"], limit=2, offset=1, include=[]),
            col.get(where_document={"$contains": "quick"}, limit=1, offset=1, include=[]),
        )

    conform(oracle, subject, scenario)


def test_get_bad_paging(oracle: Side, subject: Side) -> None:
    """Negative or non-integer limit/offset are refused as in Chroma."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return steps(
            neg_limit=lambda: col.get(limit=-1),
            neg_offset=lambda: col.get(offset=-1),
            float_limit=lambda: col.get(limit=1.5),
            str_offset=lambda: col.get(offset="2"),
        )

    conform(oracle, subject, scenario)


def test_get_empty_collection(oracle: Side, subject: Side) -> None:
    """get on an empty collection returns empty lists for included fields."""
    conform(oracle, subject, lambda s: s.collection("empty").get(include=ALL_GET_INCLUDE))


def test_peek(oracle: Side, subject: Side) -> None:
    """peek(limit) returns the first records in insertion order with embeddings."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return col.peek(), col.peek(limit=3), col.peek(limit=50)

    conform(oracle, subject, scenario)


def test_peek_empty(oracle: Side, subject: Side) -> None:
    """peek on an empty collection."""
    conform(oracle, subject, lambda s: s.collection("empty").peek())


def test_count(oracle: Side, subject: Side) -> None:
    """count() is an int equal to the number of records."""
    conform(oracle, subject, lambda s: seeded(s).count())


EMBEDDING_INPUTS: dict[str, Any] = {
    "list_of_float_lists": [[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]],
    "list_of_int_lists": [[1, 2, 3], [4, 5, 6]],
    "ndarray_float32": np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]], dtype=np.float32),
    "ndarray_float16": np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]], dtype=np.float16),
    "ndarray_float64": np.array([[0.1, 0.2, 0.3], [1.0, -1.0, 0.5]], dtype=np.float64),
    "ndarray_int32": np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32),
    "ndarray_int64": np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int64),
    "list_of_ndarrays": [np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0, 0.5])],
    "precise_float64": [[1 / 3, 2 / 3, 1e-8], [123456.789, -0.000123, 7.0]],
}


@pytest.mark.parametrize("name", list(EMBEDDING_INPUTS))
def test_embedding_input_types(oracle: Side, subject: Side, name: str) -> None:
    """Embeddings given as lists, ndarrays of float16/32/64 or int32/64 are stored as float32;
    get and query return the same values."""
    value = EMBEDDING_INPUTS[name]

    def scenario(side: Side) -> Any:
        col = side.collection("dtypes")
        col.add(ids=["a", "b"], embeddings=value)
        got = col.get(include=["embeddings"])
        hit = col.query(query_embeddings=value, n_results=2, include=["embeddings", "distances"])
        return got, hit

    conform(oracle, subject, scenario, dim=3)


def test_bad_embedding_input_types(oracle: Side, subject: Side) -> None:
    """Non-numeric embeddings are refused on the client side with Chroma's messages."""

    def scenario(side: Side) -> Any:
        col = side.collection("baddtypes")
        return steps(
            strings=lambda: col.add(ids=["a"], embeddings=[["x", "y"]]),
            bools=lambda: col.add(ids=["a"], embeddings=[[True, False]]),
            nested=lambda: col.add(ids=["a"], embeddings=[[[1.0]]]),
            complex_=lambda: col.add(ids=["a"], embeddings=np.array([[1 + 2j]])),
            none_item=lambda: col.add(ids=["a", "b"], embeddings=[[1.0], None]),
            count=col.count,
        )

    conform(oracle, subject, scenario)


METADATA_VALUES: dict[str, Any] = {
    "str": "text",
    "empty_str": "",
    "unicode": "zażółć gęślą jaźń ✓",
    "int": 42,
    "zero": 0,
    "negative": -17,
    "int64_max": 2**63 - 1,
    "int64_min": -(2**63),
    "float": 3.14159,
    "float_whole": 2.0,
    "float_tiny": 1e-300,
    "float_huge": 1.7e308,
    "bool_true": True,
    "bool_false": False,
    "str_list": ["a", "b", "a"],
    "int_list": [1, -2, 3],
    "float_list": [0.5, -1.5],
    "bool_list": [True, False, True],
    "single_list": ["only"],
    "numpy_int": np.int64(5),
    "numpy_float": np.float64(2.5),
}


@pytest.mark.parametrize("key", list(METADATA_VALUES))
def test_metadata_value_round_trip(oracle: Side, subject: Side, key: str) -> None:
    """Each metadata value type reads back with the same type and value (ints stay ints,
    floats stay floats, bools stay bools)."""
    value = METADATA_VALUES[key]

    def scenario(side: Side) -> Any:
        col = side.collection("metavals")
        col.add(ids=["a"], embeddings=[[1.0]], metadatas=[{key: value}])
        return col.get(include=["metadatas"])

    conform(oracle, subject, scenario)


def test_metadata_keys_round_trip(oracle: Side, subject: Side) -> None:
    """Unusual but legal metadata keys are kept verbatim."""

    def scenario(side: Side) -> Any:
        col = side.collection("metakeys")
        metadata = {
            "with space": 1,
            "dotted.key": 2,
            "colon:key": 3,
            "UPPER": 4,
            "ключ": 5,
            "a" * 200: 6,
            "quote'\"": 7,
            "hnsw:space": "not special on records",
        }
        col.add(ids=["a"], embeddings=[[1.0]], metadatas=[metadata])
        return col.get(include=["metadatas"])

    conform(oracle, subject, scenario)


def test_documents_round_trip(oracle: Side, subject: Side) -> None:
    """Documents of any content (empty, long, unicode, control characters) read back as given."""

    def scenario(side: Side) -> Any:
        col = side.collection("docs")
        docs = ["", "x" * 100_000, "tab\tnew\nline\r\n", "emoji 🐢 and \u0000 nul", "'\"%_\\"]
        col.add(
            ids=[str(i) for i in range(len(docs))], embeddings=[[1.0]] * len(docs), documents=docs
        )
        return col.get(include=["documents"])

    conform(oracle, subject, scenario)


def test_ids_round_trip(oracle: Side, subject: Side) -> None:
    """Ids of any characters are kept verbatim."""

    def scenario(side: Side) -> Any:
        col = side.collection("idchars")
        ids = [" ", "with space", "ünï", "a/b", "x" * 1000, "'; drop table", "%", "0"]
        col.add(ids=ids, embeddings=[[float(i)] for i in range(len(ids))])
        return col.get(include=[]), col.get(ids=["%", "0"], include=[])

    conform(oracle, subject, scenario)
