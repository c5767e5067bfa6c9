"""A small, varied record set shared by the filter, read and query scenarios."""

from __future__ import annotations

from typing import Any

from .harness import Side

#: (id, embedding, metadata, document, uri). Embeddings are distinct points on a 3-d grid so
#: that no two records tie on distance from the query points used in the tests. No record has
#: a uri without metadata: that quirk (metadata reads back ``{}``) has its own test.
RECORDS: list[tuple[str, list[float], dict[str, Any] | None, str | None, str | None]] = [
    (
        "r00",
        [0.0, 0.0, 1.0],
        {"int": 1, "float": 1.0, "str": "alpha", "bool": True, "tags": ["red", "blue"]},
        "The quick brown fox",
        "s3://bucket/r00",
    ),
    (
        "r01",
        [1.0, 0.5, 0.25],
        {"int": 2, "float": 2.5, "str": "beta", "bool": False, "nums": [1, 2, 3]},
        "jumps over the lazy dog",
        None,
    ),
    (
        "r02",
        [2.0, 1.0, -1.0],
        {"int": 3, "float": -0.5, "str": "gamma", "tags": ["green"], "flags": [True, False]},
        "THE QUICK BROWN CAT",
        None,
    ),
    ("r03", [-1.0, 2.0, 0.5], {"int": -4, "str": "Alpha", "floats": [0.5, 1.5]}, None, None),
    ("r04", [3.0, -2.0, 0.0], None, "a document without metadata", None),
    (
        "r05",
        [0.5, 3.0, 2.0],
        {"int": 10, "float": 10.0, "str": "delta", "bool": True, "tags": ["blue"]},
        "100% match_with special %_ chars",
        "file:///tmp/r05",
    ),
    ("r06", [-2.0, -1.0, 3.0], {"float": 1.5, "str": "", "nums": [3, 4]}, "", None),
    (
        "r07",
        [4.0, 4.0, -3.0],
        {"int": 0, "bool": False, "str": "epsilon", "unicode": "żółw 🐢"},
        "Ünïcödé text with żółw",
        None,
    ),
    ("r08", [-3.0, 0.5, -2.0], {"int": 1, "float": 1.25, "str": "zeta"}, "cat Cat CAT", None),
    ("r09", [1.5, -3.0, 1.0], None, None, None),
    (
        "r10",
        [-0.5, -4.0, -0.5],
        {"big": 2**40, "neg_float": -1e6, "str": "eta", "int": 7},
        "line one\nline two",
        "http://example.com/r10",
    ),
    (
        "r11",
        [5.0, 1.0, 4.0],
        {"int": 2, "float": 2.0, "str": "beta", "bool": True, "tags": ["red"]},
        "the quick brown fox again",
        None,
    ),
]

DIM = 3


def seeded(side: Side, name: str = "dataset", **kwargs: Any) -> Any:
    """Create a collection on ``side`` holding :data:`RECORDS`, in that insertion order."""
    col = side.collection(name, **kwargs)
    col.add(
        ids=[r[0] for r in RECORDS],
        embeddings=[r[1] for r in RECORDS],
        metadatas=[r[2] for r in RECORDS],
        documents=[r[3] for r in RECORDS],
        uris=[r[4] for r in RECORDS],
    )
    return col
