"""The comparison harness itself: what it treats as equal and what it reports."""

from __future__ import annotations

from typing import Any

import numpy as np

from .harness import Raised, Tolerance, attempt, canonical_message, diff, diff_query, normalize


def _query(ids: list[list[str]], distances: list[list[float]], **extra: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ids": ids,
        "distances": distances,
        "embeddings": None,
        "documents": extra.get("documents"),
        "metadatas": extra.get("metadatas"),
        "uris": None,
        "data": None,
        "included": extra.get("included", ["distances"]),
    }
    return result


def _diff(a: Any, b: Any, dim: int = 1) -> list[str]:
    return diff(normalize(a), normalize(b), "r", Tolerance(dim))


def test_attempt_captures_exceptions() -> None:
    """attempt() turns an exception into a Raised with class name, message and kinds."""
    outcome = attempt(lambda: int("x"))
    assert isinstance(outcome, Raised)
    assert outcome.kind == "ValueError" and "ValueError" in outcome.builtins


def test_uuids_in_messages_are_masked() -> None:
    """Random collection ids in error messages do not make outcomes differ."""
    a = Raised.of(KeyError("Collection [0038a8e7-df14-4e99-a91b-42c814ffd7e5] missing"))
    b = Raised.of(KeyError("Collection [6dc99f63-d2c1-4c9a-a758-161d4b8f2bf6] missing"))
    assert a == b


def test_types_are_strict() -> None:
    """1, 1.0 and True are different metadata values."""
    assert _diff({"m": 1}, {"m": 1.0})
    assert _diff({"m": 1}, {"m": True})
    assert not _diff({"m": [1, 2]}, {"m": [1, 2]})


def test_exception_class_and_message_must_match() -> None:
    """A different class or message is a difference."""
    assert _diff(Raised("ValueError", "x", ("ValueError",)), Raised("TypeError", "x", ()))
    assert _diff(Raised("ValueError", "x", ("ValueError",)), Raised("ValueError", "y", ()))


def test_embeddings_compare_at_float32_precision() -> None:
    """Embeddings compare approximately, but container kind and shape must agree."""
    a = {"ids": ["a"], "embeddings": np.array([[0.1, 0.2]]), "included": ["embeddings"]}
    b = {"ids": ["a"], "embeddings": np.array([[0.1000000015, 0.2]]), "included": ["embeddings"]}
    assert not _diff(a, b)
    c = {"ids": ["a"], "embeddings": [[0.1, 0.2]], "included": ["embeddings"]}
    assert _diff(a, c)
    d = {"ids": ["a"], "embeddings": np.array([[0.1, 0.3]]), "included": ["embeddings"]}
    assert _diff(a, d)


def test_query_ties_compare_as_sets() -> None:
    """Candidates at equal distance may come back in any order."""
    expected = _query([["a", "b", "c"]], [[0.5, 1.0, 1.0]])
    got = _query([["a", "c", "b"]], [[0.5, 1.0, 1.0]])
    assert not _diff(expected, got)


def test_query_order_matters_without_ties() -> None:
    """Different distances fix the order."""
    expected = _query([["a", "b"]], [[0.5, 1.0]])
    got = _query([["b", "a"]], [[0.5, 1.0]])
    assert _diff(expected, got)


def test_query_distances_use_dimension_scaled_tolerance() -> None:
    """atol is 1e-6 * 10**floor(log10(dim)): 1e-4 at dim 384."""
    expected = _query([["a"]], [[0.5]])
    got = _query([["a"]], [[0.50005]])
    assert _diff(expected, got, dim=3)
    assert not _diff(expected, got, dim=384)


def test_truncated_tie_checked_against_pool() -> None:
    """A tie cut by n_results may hold other members, if they are candidates at that distance."""
    expected = normalize(_query([["a", "b"]], [[0.5, 1.0]]))
    got = normalize(_query([["a", "c"]], [[0.5, 1.0]]))
    pool = normalize(_query([["a", "b", "c", "d"]], [[0.5, 1.0, 1.0, 2.0]]))
    assert diff_query(expected, got, "q", Tolerance())
    assert not diff_query(expected, got, "q", Tolerance(), pool=pool)
    wrong = normalize(_query([["a", "d"]], [[0.5, 1.0]]))
    assert diff_query(expected, wrong, "q", Tolerance(), pool=pool)


def test_record_fields_follow_ids_within_ties() -> None:
    """Within a tie, each id's document must match that id's document on the other side."""
    expected = _query([["a", "b"]], [[1.0, 1.0]], documents=[["doc a", "doc b"]])
    swapped = _query([["b", "a"]], [[1.0, 1.0]], documents=[["doc b", "doc a"]])
    wrong = _query([["b", "a"]], [[1.0, 1.0]], documents=[["doc a", "doc b"]])
    assert not _diff(expected, swapped)
    assert _diff(expected, wrong)


def test_set_ordered_messages_are_canonical() -> None:
    """Chroma joins Python sets into some messages; their order must not matter."""
    assert canonical_message("Exactly one of uris, documents, images must be provided in add.") == (
        "Exactly one of documents, images, uris must be provided in add."
    )
    assert canonical_message("Expected IDs to be unique, found duplicates of: b, a in add.") == (
        "Expected IDs to be unique, found duplicates of: a, b in add."
    )
    assert canonical_message(
        "Expected IDs to be unique, found 11 duplicated IDs: d3, d5, ..., d0, d4 in add."
    ) == ("Expected IDs to be unique, found 11 duplicated IDs: <sample> in add.")


def test_metadata_floats_allow_a_few_ulps() -> None:
    """Chroma's own float64 round trip is off by an ulp at times; more is a difference."""
    assert not _diff({"m": 36.408512115478516}, {"m": 36.40851211547851})
    assert _diff({"m": 36.4085121154785}, {"m": 36.4085121154786})
