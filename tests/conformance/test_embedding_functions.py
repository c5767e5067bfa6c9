"""Embedding functions in collection configurations, against chromadb: what is persisted, what
comes back from ``get_collection``, and the conflicts chromadb refuses.

None of these scenarios runs a model (chromadb's needs a download this machine cannot make):
chromadb records and checks functions without calling them. ``tests/functional/
test_default_embedding.py`` runs chromalake's model.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from .harness import Side, attempt, conform, steps


def _ef_module(side: Side) -> Any:
    return importlib.import_module(f"{side.module.__name__}.utils.embedding_functions")


def _toy_class(side: Side, name: str, register: bool = True) -> Any:
    """A function named ``name`` (a vector of text lengths), built on the side's own base
    class, as a user would write it; registered unless ``register`` is False."""
    module = _ef_module(side)

    class Toy(module.EmbeddingFunction):  # type: ignore[misc, name-defined]
        def __init__(self, scale: float = 1.0) -> None:
            self.scale = scale

        def __call__(self, input: Any) -> Any:
            return [[len(t) * self.scale, 1.0] for t in input]

        @staticmethod
        def name() -> str:
            return name

        def get_config(self) -> dict[str, Any]:
            return {"scale": self.scale}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> Any:
            return Toy(config["scale"])

    if register:
        module.register_embedding_function(Toy)
    return Toy


def _legacy(side: Side) -> Any:
    module = _ef_module(side)

    class Legacy(module.EmbeddingFunction):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            pass

        def __call__(self, input: Any) -> Any:
            return [[1.0, 2.0] for _ in input]

    return Legacy()


def _ef_entry(col: Any) -> Any:
    return col.configuration_json.get("embedding_function")


def test_default_function_is_persisted_as_default(oracle: Side, subject: Side) -> None:
    """Without an embedding_function argument, the collection records Chroma's default."""

    def scenario(side: Side) -> Any:
        col = side.client.create_collection("plain")
        again = side.client.get_collection("plain")
        return col.configuration_json, type(again.configuration["embedding_function"]).__name__

    conform(oracle, subject, scenario)


def test_onnx_minilm_defaults_to_cosine(oracle: Side, subject: Side) -> None:
    """ONNXMiniLM_L6_V2's default space fills in a space nobody chose; a chosen one wins."""

    def scenario(side: Side) -> Any:
        ef = _ef_module(side).ONNXMiniLM_L6_V2()
        chosen = side.client.create_collection(
            "chosen", embedding_function=ef, metadata={"hnsw:space": "ip"}
        )
        plain = side.client.create_collection("plain", embedding_function=ef)
        return plain.configuration_json, chosen.configuration_json

    conform(oracle, subject, scenario)


def test_known_function_is_restored_from_configuration(oracle: Side, subject: Side) -> None:
    """A registered function is stored with its config and rebuilt by get_collection."""

    def scenario(side: Side) -> Any:
        toy = _toy_class(side, "toy_restored")
        side.client.create_collection("toys", embedding_function=toy(2.0))
        col = side.client.get_collection("toys")
        col.add(ids=["a"], documents=["four"])
        rebuilt = col.configuration["embedding_function"]
        return (
            _ef_entry(col),
            rebuilt.get_config(),
            col.get(include=["embeddings"])["embeddings"].tolist(),
            col.query(query_texts=["xy"], n_results=1, include=["distances"])["distances"],
        )

    conform(oracle, subject, scenario)


def test_legacy_function_is_persisted_as_legacy(oracle: Side, subject: Side) -> None:
    """A function that cannot describe itself is stored as legacy, and still embeds."""

    def scenario(side: Side) -> Any:
        col = side.client.create_collection("old", embedding_function=_legacy(side))
        col.add(ids=["a"], documents=["text"])
        return _ef_entry(col), col.get(include=["embeddings"])["embeddings"].tolist()

    conform(oracle, subject, scenario)


def test_conflicting_functions_are_refused(oracle: Side, subject: Side) -> None:
    """get / get_or_create with a function unlike the persisted one raise chromadb's
    ValueError; the default or the same name are accepted; create refuses two functions."""

    def scenario(side: Side) -> Any:
        toy, other = _toy_class(side, "toy_a"), _toy_class(side, "toy_b")
        side.client.create_collection("toys", embedding_function=toy())
        by_id = side.client.get_collection("toys").id
        return steps(
            get_other=lambda: side.client.get_collection("toys", embedding_function=other()),
            get_by_id_other=lambda: side.client.get_collection_by_id(
                by_id, embedding_function=other()
            ),
            get_or_create_other=lambda: side.client.get_or_create_collection(
                "toys", embedding_function=other()
            ),
            get_same=lambda: _ef_entry(
                side.client.get_collection("toys", embedding_function=toy(3.0))
            ),
            get_none=lambda: _ef_entry(side.client.get_collection("toys", embedding_function=None)),
            create_two=lambda: side.client.create_collection(
                "two", embedding_function=toy(), configuration={"embedding_function": other()}
            ),
        )

    conform(oracle, subject, scenario)


def test_query_texts_use_embed_query(oracle: Side, subject: Side) -> None:
    """query_texts go through embed_query, documents through __call__."""

    def scenario(side: Side) -> Any:
        toy = _toy_class(side, "toy_query")

        class Asymmetric(toy):  # type: ignore[misc, valid-type]
            def embed_query(self, input: Any) -> Any:
                return [[0.0, 0.0] for _ in input]

        col = side.client.create_collection("asym", embedding_function=Asymmetric())
        col.add(ids=["a", "b"], documents=["x", "xxx"])
        return attempt(lambda: col.query(query_texts=["xxx"], n_results=2, include=["distances"]))

    conform(oracle, subject, scenario)


def test_an_unregistered_function_is_rebuilt_in_the_process_that_stored_it(
    oracle: Side, subject: Side
) -> None:
    """chromadb registers the class of each function it stores: get_collection rebuilds it
    though nobody called register_embedding_function (in that process)."""

    def scenario(side: Side) -> Any:
        unregistered = _toy_class(side, f"unregistered_{side.module.__name__}", register=False)
        side.client.create_collection("loose", embedding_function=unregistered(3.0))
        col = side.client.get_collection("loose")
        col.add(ids=["a"], documents=["four"])
        rebuilt = col.configuration["embedding_function"]
        return (
            type(rebuilt).__name__,
            rebuilt.get_config(),
            col.get(include=["embeddings"])["embeddings"].tolist(),
        )

    conform(oracle, subject, scenario)


def test_a_function_that_cannot_be_rebuilt_is_stored_as_legacy(
    oracle: Side, subject: Side, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OpenAI function given its key directly, with no key in the environment, cannot be
    rebuilt from its config: chromadb stores it as legacy (no default space) and warns."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CHROMA_OPENAI_API_KEY", raising=False)

    def scenario(side: Side) -> Any:
        ef = _ef_module(side).OpenAIEmbeddingFunction(api_key="sk-direct")
        with pytest.warns(DeprecationWarning, match="legacy embedding function config"):
            col = side.client.create_collection("direct", embedding_function=ef)
        return col.configuration_json

    conform(oracle, subject, scenario)
