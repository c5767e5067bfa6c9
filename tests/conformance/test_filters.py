"""The where / where_document grammar: what matches, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest

from .dataset import seeded
from .harness import Side, attempt, conform, steps

WHERE_CLAUSES: list[Any] = [
    # equality shorthand and $eq / $ne for each type
    {"str": "beta"},
    {"str": {"$eq": "alpha"}},
    {"str": {"$ne": "beta"}},
    {"str": ""},
    {"int": 1},
    {"int": {"$eq": 1}},
    {"int": {"$ne": 1}},
    {"float": 1.5},
    {"float": {"$ne": 2.5}},
    {"bool": True},
    {"bool": {"$eq": False}},
    {"bool": {"$ne": True}},
    {"unicode": "żółw 🐢"},
    {"big": 2**40},
    # int and float compare across types; bool is its own type
    {"int": 1.0},
    {"float": 1},
    {"float": 10},
    {"int": {"$eq": 2.0}},
    {"int": True},
    {"bool": 1},
    # ordering operators
    {"int": {"$gt": 1}},
    {"int": {"$gte": 2}},
    {"int": {"$lt": 2}},
    {"int": {"$lte": 0}},
    {"float": {"$gt": 1.25}},
    {"float": {"$lte": -0.5}},
    {"int": {"$gte": 1.5}},
    {"int": {"$lt": 1.5}},
    {"int": {"$gt": -4.5}},
    {"float": {"$gt": 2}},
    {"neg_float": {"$lt": -999999.5}},
    # $in / $nin
    {"str": {"$in": ["alpha", "gamma", "missing"]}},
    {"str": {"$nin": ["alpha", "beta"]}},
    {"int": {"$in": [1, 3, 10]}},
    {"int": {"$nin": [1, 2]}},
    {"float": {"$in": [1.0, 2.5]}},
    {"int": {"$in": [1.0, 2.0]}},
    {"bool": {"$in": [False]}},
    {"bool": {"$nin": [True]}},
    # array membership with $contains / $not_contains
    {"tags": {"$contains": "red"}},
    {"tags": {"$not_contains": "red"}},
    {"nums": {"$contains": 3}},
    {"nums": {"$not_contains": 3}},
    {"flags": {"$contains": True}},
    {"floats": {"$contains": 1.5}},
    {"str": {"$contains": "alp"}},
    {"str": {"$contains": "alpha"}},
    # scalar operators on array fields match nothing; negations match everything
    {"tags": "red"},
    {"tags": {"$in": ["red"]}},
    {"tags": {"$nin": ["red"]}},
    {"tags": {"$ne": "red"}},
    {"nums": 3},
    {"nums": {"$gt": 2}},
    # missing keys
    {"absent": "x"},
    {"absent": {"$ne": "x"}},
    {"absent": {"$nin": ["x"]}},
    {"absent": {"$gt": 0}},
    # logical operators
    {"$and": [{"int": {"$gte": 1}}, {"bool": True}]},
    {"$or": [{"str": "alpha"}, {"str": "Alpha"}]},
    {"$and": [{"$or": [{"int": 1}, {"int": 2}]}, {"str": {"$ne": "zeta"}}]},
    {"$or": [{"$and": [{"bool": True}, {"int": {"$gt": 5}}]}, {"absent": {"$ne": 1}}]},
    {"$and": [{"int": {"$gt": 0}}, {"int": {"$lt": 3}}, {"float": {"$gte": 1.0}}]},
    # document predicates inside where
    {"#document": {"$contains": "quick"}},
    {"#document": {"$not_contains": "quick"}},
    {"#document": {"$regex": "^[a-z]+ "}},
    {"#document": {"$not_regex": "(?i)cat"}},
    {"$and": [{"#document": {"$contains": "the"}}, {"int": {"$gte": 2}}]},
]

WHERE_DOCUMENTS: list[Any] = [
    {"$contains": "quick"},
    {"$contains": "Quick"},
    {"$contains": "%"},
    {"$contains": "_"},
    {"$contains": "%_"},
    {"$contains": "żółw"},
    {"$contains": "\n"},
    {"$not_contains": "quick"},
    {"$not_contains": "the"},
    {"$regex": "cat"},
    {"$regex": "(?i)cat"},
    {"$regex": "(?i)c(?-i)at"},
    {"$regex": "^the"},
    {"$regex": "fox$"},
    {"$regex": "o{2}"},
    {"$regex": "line one\\nline"},
    {"$not_regex": "[A-Z]"},
    {"$and": [{"$contains": "quick"}, {"$not_contains": "again"}]},
    {"$or": [{"$contains": "dog"}, {"$regex": "CAT$"}]},
    {"$or": [{"$and": [{"$contains": "the"}, {"$contains": "fox"}]}, {"$contains": "%"}]},
]


@pytest.mark.parametrize("where", WHERE_CLAUSES, ids=repr)
def test_where_matches(oracle: Side, subject: Side, where: Any) -> None:
    """get(where=...) selects exactly the records Chroma selects, in insertion order."""
    conform(oracle, subject, lambda s: seeded(s).get(where=where, include=["metadatas"]))


@pytest.mark.parametrize("where_document", WHERE_DOCUMENTS, ids=repr)
def test_where_document_matches(oracle: Side, subject: Side, where_document: Any) -> None:
    """get(where_document=...) selects exactly the records Chroma selects (records without a
    document never match $contains and always match $not_contains)."""
    conform(
        oracle,
        subject,
        lambda s: seeded(s).get(where_document=where_document, include=["documents"]),
    )


def test_where_and_where_document_combine(oracle: Side, subject: Side) -> None:
    """where and where_document together select the intersection."""

    def scenario(side: Side) -> Any:
        return seeded(side).get(
            where={"int": {"$gte": 1}}, where_document={"$contains": "the"}, include=[]
        )

    conform(oracle, subject, scenario)


def test_where_with_ids(oracle: Side, subject: Side) -> None:
    """ids and where together select the intersection."""

    def scenario(side: Side) -> Any:
        return seeded(side).get(ids=["r00", "r01", "r02", "r99"], where={"int": {"$gt": 1}})

    conform(oracle, subject, scenario)


def test_delete_where_counts(oracle: Side, subject: Side) -> None:
    """delete with filters reports the number of records matched, then they are gone."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return steps(
            tags=lambda: col.delete(where={"tags": {"$contains": "blue"}}),
            docs=lambda: col.delete(where_document={"$regex": "(?i)cat"}),
            ne=lambda: col.delete(where={"str": {"$ne": "beta"}}, limit=3),
            left=lambda: col.get(include=[]),
        )

    conform(oracle, subject, scenario)


INVALID_WHERES: list[Any] = [
    {},
    {"a": 1, "b": 2},
    {"$and": [{"int": 1}]},
    {"$and": []},
    {"$or": {"int": 1}},
    {"$not": {"int": 1}},
    {"$contains": "x"},
    {"int": {"$gt": "1"}},
    {"int": {"$gt": True}},
    {"int": {"$in": []}},
    {"int": {"$in": [1, "a"]}},
    {"int": {"$in": 1}},
    {"int": {"$bogus": 1}},
    {"int": {"$gt": 1, "$lt": 5}},
    {"int": None},
    {"int": [1, 2]},
    {"int": {"$eq": [1]}},
    {"int": {"$eq": {"nested": 1}}},
    {"str": {"$regex": "a"}},
    {"#document": {"$contains": 1}},
    {"#document": "text"},
    {1: "x"},
    "not a dict",
]


@pytest.mark.parametrize("where", INVALID_WHERES, ids=repr)
def test_invalid_where(oracle: Side, subject: Side, where: Any) -> None:
    """Malformed where clauses are refused on get, query and delete with Chroma's errors."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return steps(
            get=lambda: col.get(where=where),
            query=lambda: col.query(query_embeddings=[[0.0, 0.0, 1.0]], where=where),
            delete=lambda: col.delete(where=where),
            count=col.count,
        )

    conform(oracle, subject, scenario, dim=3)


INVALID_WHERE_DOCUMENTS: list[Any] = [
    {},
    {"$contains": ""},
    {"$contains": 1},
    {"$contains": ["a"]},
    {"$bogus": "x"},
    {"$and": [{"$contains": "a"}]},
    {"$or": []},
    {"$contains": "a", "$not_contains": "b"},
    {"$regex": "("},
    {"$not_regex": "[unclosed"},
    {"contains": "a"},
    "quick",
]


@pytest.mark.parametrize("where_document", INVALID_WHERE_DOCUMENTS, ids=repr)
def test_invalid_where_document(oracle: Side, subject: Side, where_document: Any) -> None:
    """Malformed where_document clauses are refused with Chroma's errors."""

    def scenario(side: Side) -> Any:
        col = seeded(side)
        return steps(
            get=lambda: col.get(where_document=where_document),
            query=lambda: col.query(
                query_embeddings=[[0.0, 0.0, 1.0]], where_document=where_document
            ),
            delete=lambda: col.delete(where_document=where_document),
            count=col.count,
        )

    conform(oracle, subject, scenario, dim=3)


TRICKY_VALUES = ["it's", 'say "hi"', "back\\slash", "50%", "a_b", "", " ", "NULL", "ünï", "a\nb"]
TRICKY_KEYS = ["with space", "dotted.key", "quote'key", 'dq"key', "colon:key", "UPPER", "ключ"]


def _tricky(side: Side) -> Any:
    col = side.collection("tricky")
    n = len(TRICKY_VALUES)
    col.add(
        ids=[f"t{i}" for i in range(n)],
        embeddings=[[float(i)] for i in range(n)],
        metadatas=[
            {"v": value, TRICKY_KEYS[i % len(TRICKY_KEYS)]: i, "big": 2**62 + i}
            for i, value in enumerate(TRICKY_VALUES)
        ],
        documents=[f"doc {value} end" for value in TRICKY_VALUES],
    )
    return col


@pytest.mark.parametrize("value", TRICKY_VALUES, ids=repr)
def test_where_on_tricky_string_values(oracle: Side, subject: Side, value: str) -> None:
    """String operands with quotes, backslashes, LIKE wildcards or newlines match literally."""

    def scenario(side: Side) -> Any:
        col = _tricky(side)
        return (
            col.get(where={"v": value}, include=[]),
            col.get(where={"v": {"$ne": value}}, include=[]),
            col.get(where={"v": {"$in": [value, "zzz"]}}, include=[]),
            attempt(lambda: col.get(where_document={"$contains": value}, include=[])),
            attempt(lambda: col.get(where_document={"$not_contains": value}, include=[])),
        )

    conform(oracle, subject, scenario)


@pytest.mark.parametrize("key", TRICKY_KEYS, ids=repr)
def test_where_on_tricky_keys(oracle: Side, subject: Side, key: str) -> None:
    """Metadata keys with spaces, dots, quotes or non-ASCII characters filter correctly."""

    def scenario(side: Side) -> Any:
        col = _tricky(side)
        return (
            col.get(where={key: {"$gte": 0}}, include=["metadatas"]),
            col.get(where={key: {"$ne": 0}}, include=[]),
        )

    conform(oracle, subject, scenario)


def test_where_on_large_ints(oracle: Side, subject: Side) -> None:
    """Integers near 2**62 compare exactly (no float64 rounding)."""

    def scenario(side: Side) -> Any:
        col = _tricky(side)
        return (
            col.get(where={"big": 2**62 + 3}, include=[]),
            col.get(where={"big": {"$gt": 2**62 + 7}}, include=[]),
            col.get(where={"big": {"$in": [2**62, 2**62 + 9]}}, include=[]),
        )

    conform(oracle, subject, scenario)


def test_invalid_regex_on_a_collection_without_records(oracle: Side, subject: Side) -> None:
    """A bad $regex is refused even before any record exists (nothing to scan yet)."""

    def scenario(side: Side) -> Any:
        col = side.collection("emptyregex")
        return steps(
            get=lambda: col.get(where_document={"$regex": "(("}),
            query=lambda: col.query(query_embeddings=[[1.0]], where_document={"$regex": "(("}),
            delete=lambda: col.delete(where_document={"$regex": "[z-a]"}),
        )

    conform(oracle, subject, scenario)
