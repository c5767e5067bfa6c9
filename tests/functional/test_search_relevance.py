"""Hybrid search on real text: the default model (all-MiniLM-L6-v2, offline) plus BM25.

A document whose only link to the query is a rare identifier sits low in a pure vector
search; full-text ranking on ``#document`` finds it, and RRF of the two puts it on top.
"""

from __future__ import annotations

from typing import Any

import pytest

import chromalake

DOCS = {
    "pay-1": "The payment gateway rejected the customer's card during checkout.",
    "pay-2": "Checkout fails when the payment provider times out.",
    "pay-3": "Refunds are processed by the payment gateway within five days.",
    "pay-4": "Card declines at checkout are usually caused by the issuing bank.",
    "pay-5": "The gateway returns an error when the billing address does not match.",
    "pay-6": "Payment errors spiked after the gateway certificate expired.",
    "pay-7": "Customers reported failed payments on the mobile checkout page.",
    "pay-8": "Retry failed card payments with exponential backoff.",
    "pay-9": "A declined transaction shows a generic error message to the shopper.",
    "pay-10": "Fraud checks can block a payment before it reaches the bank.",
    "ops-1": "Rotate the database credentials every ninety days.",
    "ops-2": "The nightly backup job copies snapshots to another region.",
    "kb-1": "Garden club minutes: tulips, compost and the spring fair were discussed; "
    "filed under zq4471.",
    "food-1": "Knead the dough and let it rise for two hours before baking.",
}
TARGET = "kb-1"


pytestmark = pytest.mark.usefixtures("offline_packaged_model")


@pytest.fixture
def col(offline_packaged_model: None) -> Any:
    client = chromalake.EphemeralClient(settings=chromalake.Settings(allow_reset=True))
    client.reset()
    collection = client.create_collection("relevance")  # the default embedding function
    collection.add(ids=list(DOCS), documents=list(DOCS.values()))
    return collection


def _dense(query: str) -> Any:
    return chromalake.Knn(query=query, limit=len(DOCS), return_rank=True)


def _text(query: str) -> Any:
    return chromalake.Knn(
        query=query, key=chromalake.K.DOCUMENT, limit=len(DOCS), return_rank=True, default=1e3
    )


@pytest.mark.parametrize(("query", "top"), [("what is zq4471", 1), ("zq4471 declined", 3)])
def test_hybrid_finds_the_rare_identifier_vector_search_ranks_low(
    col: Any, query: str, top: int
) -> None:
    search = chromalake.Search()
    dense = col.search(search.rank(_dense(query)))["ids"][0]
    assert dense.index(TARGET) >= 5, dense  # vector search alone: below the first five
    text = col.search(search.rank(_text(query)))["ids"][0]
    assert text[0] == TARGET, text  # BM25: the identifier is the rarest term
    hybrid = col.search(search.rank(chromalake.Rrf([_dense(query), _text(query)])).limit(top))
    assert TARGET in hybrid["ids"][0], (dense, text, hybrid["ids"][0])
