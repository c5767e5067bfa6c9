"""Doctest fixtures: docstring examples in sdk/ run against a real embedded client.

Every example gets an empty ``client`` and a collection ``col`` holding two records:
``a`` ([1, 2], "x", {"year": 2020, "source": "old"}) and ``b`` ([3, 4], "y", {"year": 2024}).
"""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _doctest_examples(request: pytest.FixtureRequest) -> None:
    if not isinstance(request.node, pytest.DoctestItem):
        return
    import chromalake

    client = chromalake.EphemeralClient(settings=chromalake.Settings(allow_reset=True))
    client.reset()
    col = client.create_collection("examples", embedding_function=None)
    col.add(
        ids=["a", "b"],
        embeddings=[[1, 2], [3, 4]],
        documents=["x", "y"],
        metadatas=[{"year": 2020, "source": "old"}, {"year": 2024}],
    )
    namespace: dict[str, Any] = request.getfixturevalue("doctest_namespace")
    namespace.update(client=client, col=col)
