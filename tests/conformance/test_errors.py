"""Error paths of record operations: each must raise Chroma's class with Chroma's message,
and leave the collection unchanged.

Documents or query texts without embeddings are left out: with ``embedding_function=None``
Chroma falls back to its default model, whose download depends on the network.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from .harness import ALL_GET_INCLUDE, Side, conform, steps

Write = Callable[[Any], Any]


def _existing(side: Side) -> Any:
    col = side.collection("errors")
    col.add(
        ids=["a", "b"],
        embeddings=[[1.0, 2.0], [3.0, 4.0]],
        metadatas=[{"k": 1}, {"k": 2}],
        documents=["doc a", "doc b"],
    )
    return col


def _after(side: Side, write: Write) -> Any:
    """Run a bad write on the seeded collection, then show that nothing changed."""
    col = _existing(side)
    return steps(
        write=lambda: write(col),
        state=lambda: col.get(include=ALL_GET_INCLUDE),
    )


BAD_ADDS: dict[str, Write] = {
    "wrong_dimension": lambda c: c.add(ids=["c"], embeddings=[[1.0, 2.0, 3.0]]),
    "mixed_dimensions": lambda c: c.add(ids=["c", "d"], embeddings=[[1.0, 2.0], [1.0]]),
    "empty_embedding": lambda c: c.add(ids=["c"], embeddings=[[]]),
    "nan": lambda c: c.add(ids=["c"], embeddings=[[math.nan, 1.0]]),
    "inf": lambda c: c.add(ids=["c"], embeddings=[[math.inf, 1.0]]),
    "neg_inf_numpy": lambda c: c.add(ids=["c"], embeddings=np.array([[-np.inf, 1.0]])),
    "float32_overflow": lambda c: c.add(ids=["c"], embeddings=[[1e39, 1.0]]),
    "duplicate_ids": lambda c: c.add(ids=["c", "c"], embeddings=[[1.0, 2.0], [3.0, 4.0]]),
    "two_duplicate_ids": lambda c: c.add(
        ids=["y", "x", "y", "x", "z"], embeddings=[[1.0, 2.0]] * 5
    ),
    "many_duplicate_ids": lambda c: c.add(
        ids=[f"d{i % 11}" for i in range(22)], embeddings=[[1.0, 2.0]] * 22
    ),
    "empty_ids": lambda c: c.add(ids=[], embeddings=[]),
    "empty_id": lambda c: c.add(ids=[""], embeddings=[[1.0, 2.0]]),
    "non_str_id": lambda c: c.add(ids=[1], embeddings=[[1.0, 2.0]]),
    "none_id": lambda c: c.add(ids=[None], embeddings=[[1.0, 2.0]]),
    "fewer_embeddings": lambda c: c.add(ids=["c", "d"], embeddings=[[1.0, 2.0]]),
    "more_embeddings": lambda c: c.add(ids=["c"], embeddings=[[1.0, 2.0], [3.0, 4.0]]),
    "fewer_metadatas": lambda c: c.add(
        ids=["c", "d"], embeddings=[[1.0, 2.0]] * 2, metadatas=[{"m": 1}]
    ),
    "fewer_documents": lambda c: c.add(
        ids=["c", "d"], embeddings=[[1.0, 2.0]] * 2, documents=["one"]
    ),
    "fewer_uris": lambda c: c.add(ids=["c", "d"], embeddings=[[1.0, 2.0]] * 2, uris=["u"]),
    "empty_metadata_list": lambda c: c.add(ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[]),
    "no_embeddings_no_documents": lambda c: c.add(ids=["c"]),
    "non_str_document": lambda c: c.add(ids=["c"], embeddings=[[1.0, 2.0]], documents=[5]),
    "empty_metadata_dict": lambda c: c.add(ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{}]),
    "none_metadata_value": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"m": None}]
    ),
    "dict_metadata_value": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"m": {"x": 1}}]
    ),
    "empty_list_metadata_value": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"m": []}]
    ),
    "mixed_list_metadata_value": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"m": [1, "a"]}]
    ),
    "none_in_list_metadata_value": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"m": [1, None]}]
    ),
    "nested_list_metadata_value": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"m": [[1]]}]
    ),
    "empty_metadata_key": lambda c: c.add(ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"": 1}]),
    "dollar_metadata_key": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"$m": 1}]
    ),
    "hash_metadata_key": lambda c: c.add(ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"#m": 1}]),
    "reserved_document_key": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{"chroma:document": "x"}]
    ),
    "non_str_metadata_key": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=[{1: "x"}]
    ),
    "metadata_not_a_dict": lambda c: c.add(
        ids=["c"], embeddings=[[1.0, 2.0]], metadatas=["not a dict"]
    ),
    "non_str_uri": lambda c: c.add(ids=["c"], embeddings=[[1.0, 2.0]], uris=[5]),
}


@pytest.mark.parametrize("case", list(BAD_ADDS))
def test_bad_add(oracle: Side, subject: Side, case: str) -> None:
    """Invalid adds raise exactly as in Chroma and write nothing."""
    conform(oracle, subject, lambda s: _after(s, BAD_ADDS[case]))


BAD_UPDATES: dict[str, Write] = {
    "wrong_dimension": lambda c: c.update(ids=["a"], embeddings=[[1.0, 2.0, 3.0]]),
    "wrong_dimension_missing_id": lambda c: c.update(ids=["zz"], embeddings=[[1.0]]),
    "nan": lambda c: c.update(ids=["a"], embeddings=[[math.nan, 1.0]]),
    "duplicate_ids": lambda c: c.update(ids=["a", "a"], metadatas=[{"m": 1}, {"m": 2}]),
    "empty_ids": lambda c: c.update(ids=[]),
    "empty_id": lambda c: c.update(ids=[""], metadatas=[{"m": 1}]),
    "unequal_lengths": lambda c: c.update(ids=["a", "b"], metadatas=[{"m": 1}]),
    "empty_metadata_dict": lambda c: c.update(ids=["a"], metadatas=[{}]),
    "bad_metadata_key": lambda c: c.update(ids=["a"], metadatas=[{"$bad": 1}]),
    "bad_metadata_value": lambda c: c.update(ids=["a"], metadatas=[{"m": {"x": 1}}]),
    "nothing_to_update": lambda c: c.update(ids=["a"]),
    "none_embedding_entry": lambda c: c.update(ids=["a", "b"], embeddings=[None, [5.0, 6.0]]),
}


@pytest.mark.parametrize("case", list(BAD_UPDATES))
def test_bad_update(oracle: Side, subject: Side, case: str) -> None:
    """Invalid updates raise exactly as in Chroma and change nothing."""
    conform(oracle, subject, lambda s: _after(s, BAD_UPDATES[case]))


BAD_UPSERTS: dict[str, Write] = {
    "wrong_dimension": lambda c: c.upsert(ids=["a"], embeddings=[[1.0, 2.0, 3.0]]),
    "wrong_dimension_new_id": lambda c: c.upsert(ids=["new"], embeddings=[[1.0]]),
    "inf": lambda c: c.upsert(ids=["a"], embeddings=[[math.inf, 1.0]]),
    "duplicate_ids": lambda c: c.upsert(ids=["x", "x"], embeddings=[[1.0, 2.0]] * 2),
    "empty_ids": lambda c: c.upsert(ids=[], embeddings=[]),
    "unequal_lengths": lambda c: c.upsert(ids=["a", "x"], embeddings=[[1.0, 2.0]]),
    "no_embeddings": lambda c: c.upsert(ids=["a"], metadatas=[{"m": 1}]),
    "bad_metadata_key": lambda c: c.upsert(
        ids=["x"], embeddings=[[1.0, 2.0]], metadatas=[{"#x": 1}]
    ),
}


@pytest.mark.parametrize("case", list(BAD_UPSERTS))
def test_bad_upsert(oracle: Side, subject: Side, case: str) -> None:
    """Invalid upserts raise exactly as in Chroma and change nothing."""
    conform(oracle, subject, lambda s: _after(s, BAD_UPSERTS[case]))


BAD_QUERIES: dict[str, Write] = {
    "wrong_dimension": lambda c: c.query(query_embeddings=[[1.0, 2.0, 3.0]]),
    "one_wrong_dimension": lambda c: c.query(query_embeddings=[[1.0, 2.0], [1.0]]),
    "nan": lambda c: c.query(query_embeddings=[[math.nan, 1.0]]),
    "empty_query_embedding": lambda c: c.query(query_embeddings=[[]]),
    "no_query_embeddings": lambda c: c.query(query_embeddings=[]),
    "nothing_to_query": lambda c: c.query(),
    "embeddings_and_texts": lambda c: c.query(query_embeddings=[[1.0, 2.0]], query_texts=["x"]),
    "n_results_zero": lambda c: c.query(query_embeddings=[[1.0, 2.0]], n_results=0),
    "n_results_negative": lambda c: c.query(query_embeddings=[[1.0, 2.0]], n_results=-1),
    "n_results_float": lambda c: c.query(query_embeddings=[[1.0, 2.0]], n_results=1.5),
    "n_results_str": lambda c: c.query(query_embeddings=[[1.0, 2.0]], n_results="2"),
    "include_bad_value": lambda c: c.query(query_embeddings=[[1.0, 2.0]], include=["bogus"]),
    "include_not_list": lambda c: c.query(query_embeddings=[[1.0, 2.0]], include="documents"),
    "include_data": lambda c: c.query(query_embeddings=[[1.0, 2.0]], include=["data"]),
    "string_embedding": lambda c: c.query(query_embeddings=[["a", "b"]]),
}


@pytest.mark.parametrize("case", list(BAD_QUERIES))
def test_bad_query(oracle: Side, subject: Side, case: str) -> None:
    """Invalid queries raise exactly as in Chroma."""
    conform(oracle, subject, lambda s: _after(s, BAD_QUERIES[case]))


BAD_GETS: dict[str, Write] = {
    "include_distances": lambda c: c.get(include=["distances"]),
    "include_bad_value": lambda c: c.get(include=["bogus"]),
    "include_not_list": lambda c: c.get(include="documents"),
    "include_none": lambda c: c.get(include=None),
    "include_data": lambda c: c.get(include=["data"]),
    "include_duplicates": lambda c: c.get(include=["documents", "documents"]),
    "empty_ids": lambda c: c.get(ids=[]),
    "non_str_ids": lambda c: c.get(ids=[1, 2]),
    "duplicate_ids": lambda c: c.get(ids=["a", "a"]),
}


@pytest.mark.parametrize("case", list(BAD_GETS))
def test_bad_get(oracle: Side, subject: Side, case: str) -> None:
    """Questionable gets raise, or answer, exactly as in Chroma."""
    conform(oracle, subject, lambda s: _after(s, BAD_GETS[case]))


def test_errors_are_chroma_error_subclasses(oracle: Side, subject: Side) -> None:
    """Server-side errors are ChromaError subclasses from the package's errors module, and
    none of them is a ValueError."""

    def scenario(side: Side) -> Any:
        col = _existing(side)
        errors = side.errors
        try:
            col.add(ids=["c"], embeddings=[[1.0, 2.0, 3.0]])
        except Exception as exc:
            return (
                isinstance(exc, errors.ChromaError),
                isinstance(exc, errors.InvalidArgumentError),
                isinstance(exc, ValueError),
                type(exc).__module__.split(".")[-1],
            )
        return "no error"

    conform(oracle, subject, scenario)


def test_not_found_error_class(oracle: Side, subject: Side) -> None:
    """A missing collection raises the package's errors.NotFoundError."""

    def scenario(side: Side) -> Any:
        try:
            side.client.get_collection("missing")
        except side.errors.NotFoundError as exc:
            return isinstance(exc, side.errors.ChromaError), str(exc)
        return "not raised"

    conform(oracle, subject, scenario)


def test_duplicate_id_error_class(oracle: Side, subject: Side) -> None:
    """Duplicate ids raise the package's errors.DuplicateIDError (not a ValueError)."""

    def scenario(side: Side) -> Any:
        col = _existing(side)
        try:
            col.add(ids=["x", "x"], embeddings=[[1.0, 2.0]] * 2)
        except side.errors.DuplicateIDError as exc:
            return isinstance(exc, ValueError), exc.name() if hasattr(exc, "name") else None
        return "not raised"

    conform(oracle, subject, scenario)
