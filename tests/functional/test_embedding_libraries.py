"""Embedding functions that run a local library (sentence-transformers, InstructorEmbedding,
text2vec, OpenCLIP with torch, fastembed, nomic, google-generativeai, vertexai) against a
recording stand-in of that library, with chromadb's function as the oracle: the same calls,
the same vectors, the same config. None of these libraries (nor torch) is installed here, and
every model would be a download; the stand-ins check what chromalake asks of the library and
does with its answer.

Also: without a key or a package, each function fails as chromadb's does, and Mistral (whose
chromadb function cannot import mistralai 2+) against a fake Mistral API.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fake_provider import FakeProvider, Request, serve, vector_for
from library_stand_ins import CALLS, KWARGS, STAND_INS, ef_class, install_stand_in


@pytest.fixture
def stand_in(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    install_stand_in(request.param, monkeypatch)
    return str(request.param)


def _normalized(result: Any) -> list[Any]:
    return [v.to_dict() if hasattr(v, "to_dict") else np.asarray(v).tolist() for v in result]


def _run(side: str, name: str) -> tuple[Any, list[Any], Any]:
    CALLS.clear()
    ef = ef_class(side, name)(**KWARGS[name])
    vectors = [_normalized(ef(["alpha", "be"])), _normalized(ef.embed_query(["query"]))]
    # The client tag names the library's version (chroma/1.5.9, chroma/0.1.0).
    calls = re.sub(r"chroma/[0-9.]+", "chroma/*", repr(CALLS))
    return ef, vectors, calls


@pytest.mark.parametrize("stand_in", sorted(STAND_INS), indirect=True)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_calls_the_library_as_chromadb_does(stand_in: str) -> None:
    theirs, their_vectors, their_calls = _run("chromadb", stand_in)
    ours, our_vectors, our_calls = _run("chromalake", stand_in)
    assert our_calls == their_calls
    assert _flat(our_vectors) == pytest.approx(_flat(their_vectors))
    assert ours.get_config() == theirs.get_config()
    theirs.validate_config(ours.get_config())
    rebuilt = ef_class("chromalake", stand_in).build_from_config(theirs.get_config())
    assert rebuilt.get_config() == theirs.get_config()


def _flat(vectors: list[Any]) -> list[float]:
    out: list[float] = []
    for batch in vectors:
        for item in batch:
            if isinstance(item, dict):
                out.extend([*item["indices"], *item["values"]])
            else:
                out.extend(item)
    return out


# -- failures without a key or a package ---------------------------------------------------

REQUIRED: dict[str, dict[str, Any]] = {
    "together_ai": {"model_name": "m"},
    "cloudflare_workers_ai": {"model_name": "m", "account_id": "a"},
    "nomic": {"model": "m", "task_type": "t", "query_config": None},
    "huggingface_server": {"url": "http://127.0.0.1:9"},
    "baseten": {"api_key": None, "api_base": "http://127.0.0.1:9"},
    "huggingface_sparse": {"model_name": "m", "device": "cpu"},
    "mistral": {"model": "m"},
    "fastembed_sparse": {"model_name": "m"},
    "chroma_langchain": {"embedding_function": object()},
}
# Made with a session or a model enum: not part of this check.
NOT_CHECKED = {"amazon_bedrock", "chroma-cloud-qwen"}
# Made without a key in both (a key is optional, or there is none).
KEYLESS = {"huggingface_server", "ollama", "default", "onnx_mini_lm_l6_v2"}


def _construction(side: str, name: str) -> tuple[str, str] | None:
    try:
        ef_class(side, name)(**REQUIRED.get(name, {}))
    except Exception as exc:
        return type(exc).__name__, str(exc)
    return None


def _registered() -> list[str]:
    theirs = importlib.import_module("chromadb.utils.embedding_functions")
    return sorted(set(theirs.known_embedding_functions) - NOT_CHECKED)


@pytest.mark.parametrize("name", _registered())
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_without_its_key_or_package_a_function_fails_as_chromadb_s(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The "pip install X" advice for a missing package, "The X environment variable is not
    set." for a missing key: the same exception and words as chromadb's."""
    for variable in [v for v in os.environ if v.endswith("API_KEY")]:
        monkeypatch.delenv(variable)
    theirs = _construction("chromadb", name)
    ours = _construction("chromalake", name)
    if name == "mistral":
        # chromadb's function imports `from mistralai import Mistral`, which mistralai 2+ no
        # longer has: it reports the package missing; ours uses it and wants the key.
        assert theirs is not None and "pip install mistralai" in theirs[1]
        assert ours == ("ValueError", "The MISTRAL_API_KEY environment variable is not set.")
    else:
        assert ours == theirs
        assert (ours is None) == (name in KEYLESS)


# -- Mistral against a fake of its API -----------------------------------------------------


def _mistral_reply(request: Request) -> tuple[int, Any]:
    data = [
        {"object": "embedding", "index": i, "embedding": vector_for(t)}
        for i, t in enumerate(request.body["input"])
    ]
    usage = {"prompt_tokens": 1, "total_tokens": 1, "completion_tokens": 0}
    return 200, {"id": "e", "object": "list", "model": "m", "data": data, "usage": usage}


@pytest.fixture
def mistral_api() -> Iterator[FakeProvider]:
    yield from serve(_mistral_reply)


def test_mistral_sends_its_texts_with_the_key(
    mistral_api: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mistralai.client import Mistral

    from chromalake.utils.embedding_functions import MistralEmbeddingFunction

    monkeypatch.setenv("MISTRAL_API_KEY", "mk-test")
    ef = MistralEmbeddingFunction(model="mistral-embed")
    ef.client = Mistral(api_key=ef.api_key, server_url=mistral_api.url)
    vectors = ef(["ab", "c"])
    request = mistral_api.last()
    assert (request.path, request.body) == (
        "/v1/embeddings",
        {"model": "mistral-embed", "input": ["ab", "c"]},
    )
    assert request.header("authorization") == "Bearer mk-test"
    np.testing.assert_allclose(vectors, [vector_for("ab"), vector_for("c")])
    assert ef.get_config() == {"model": "mistral-embed", "api_key_env_var": "MISTRAL_API_KEY"}


def test_a_langchain_embeddings_object_embeds_as_chromadb_s_wrapper_does() -> None:
    from langchain_core.embeddings import DeterministicFakeEmbedding

    lc = DeterministicFakeEmbedding(size=4)
    theirs = ef_class("chromadb", "chroma_langchain")(embedding_function=lc)
    ours = ef_class("chromalake", "chroma_langchain")(embedding_function=lc)
    np.testing.assert_allclose(ours(["a", "b"]), theirs(["a", "b"]))
    assert ours.embed_query("q") == theirs.embed_query("q")
    assert (ours.name(), ours.get_config()) == (theirs.name(), theirs.get_config())
    with pytest.raises(NotImplementedError, match="create_langchain_embedding"):
        type(ours).build_from_config(ours.get_config())
    with pytest.raises(ValueError, match="Embeddings interface from langchain_core"):
        type(ours)(embedding_function=object())


@pytest.mark.parametrize("stand_in", ["open_clip"], indirect=True)
def test_open_clip_embeds_images_as_chromadb_s_does(stand_in: str) -> None:
    """Images go through Pillow and the model's preprocessing, texts through its tokenizer;
    each vector scaled to unit length."""
    image = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    results = []
    for side in ("chromadb", "chromalake"):
        CALLS.clear()
        ef = ef_class(side, stand_in)(**KWARGS[stand_in])
        results.append((np.asarray(ef([image, "text"])).tolist(), repr(CALLS)))
    (ours, our_calls), (theirs, their_calls) = results[1], results[0]
    assert our_calls == their_calls
    np.testing.assert_allclose(ours, theirs)
    np.testing.assert_allclose(np.linalg.norm(ours, axis=1), [1.0, 1.0], rtol=1e-6)
