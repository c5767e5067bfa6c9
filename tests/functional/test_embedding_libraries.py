"""Embedding functions that run a local library (sentence-transformers, InstructorEmbedding,
text2vec, fastembed, nomic, google-generativeai, vertexai) against a recording stand-in of
that library, with chromadb's function as the oracle: the same calls, the same vectors, the
same config. None of these libraries (nor torch) is installed here, and every model would be
a download; the stand-ins check what chromalake asks of the library and does with its answer.

Also: without a key or a package, each function fails as chromadb's does, and Mistral (whose
chromadb function cannot import mistralai 2+) against a fake Mistral API.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from fake_provider import FakeProvider, Request, serve, vector_for

CALLS: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []


def record(name: str, *args: Any, **kwargs: Any) -> None:
    CALLS.append((name, args, kwargs))


def dense(texts: Any) -> np.ndarray:
    return np.array([vector_for(str(t)) for t in texts], dtype=np.float32)


class _Model:
    """A stand-in model class: records how it is made and every encode call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        record(type(self).__name__, *args, **kwargs)

    def encode(self, texts: Any, **kwargs: Any) -> np.ndarray:
        record("encode", texts, **kwargs)
        return dense(t[1] if isinstance(t, list) else t for t in texts)


class _SparseModel(_Model):
    def _sparse(self, texts: list[str]) -> list[np.ndarray]:
        return [np.array([0.0, len(t), 0.0, 0.5]) for t in texts]

    def encode_document(self, texts: list[str]) -> list[np.ndarray]:
        record("encode_document", texts)
        return self._sparse(texts)

    def encode_query(self, texts: list[str]) -> list[np.ndarray]:
        record("encode_query", texts)
        return self._sparse(texts)


class _FastembedModel(_Model):
    def _sparse(self, texts: list[str]) -> Iterator[Any]:
        for t in texts:
            yield types.SimpleNamespace(
                indices=np.array([len(t) + 3, 2]), values=np.array([1.5, 0.25])
            )

    def embed(self, texts: list[str]) -> Iterator[Any]:
        record("embed", texts)
        return self._sparse(texts)

    def query_embed(self, texts: list[str]) -> Iterator[Any]:
        record("query_embed", texts)
        return self._sparse(texts)


def _module(name: str, **attributes: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attributes)
    return module


def _genai_embed_content(**kwargs: Any) -> dict[str, Any]:
    record("embed_content", **kwargs)
    return {"embedding": vector_for(kwargs["content"])}


def _palm_generate(**kwargs: Any) -> dict[str, Any]:
    record("generate_embeddings", **kwargs)
    return {"embedding": vector_for(kwargs["text"])}


def _nomic_text(**kwargs: Any) -> Any:
    record("embed.text", **kwargs)
    rows = [types.SimpleNamespace(embedding=vector_for(t)) for t in kwargs["texts"]]
    return types.SimpleNamespace(data=rows)


class _VertexModel:
    @classmethod
    def from_pretrained(cls, name: str) -> _VertexModel:
        record("from_pretrained", name)
        return cls()

    def get_embeddings(self, texts: list[str]) -> list[Any]:
        record("get_embeddings", texts)
        return [types.SimpleNamespace(values=vector_for(t)) for t in texts]


STAND_INS: dict[str, Callable[[], dict[str, types.ModuleType]]] = {
    "sentence_transformer": lambda: {
        "sentence_transformers": _module(
            "sentence_transformers", SentenceTransformer=type("SentenceTransformer", (_Model,), {})
        )
    },
    "huggingface_sparse": lambda: {
        "sentence_transformers": _module(
            "sentence_transformers", SparseEncoder=type("SparseEncoder", (_SparseModel,), {})
        )
    },
    "instructor": lambda: {
        "InstructorEmbedding": _module(
            "InstructorEmbedding", INSTRUCTOR=type("INSTRUCTOR", (_Model,), {})
        )
    },
    "text2vec": lambda: {
        "text2vec": _module("text2vec", SentenceModel=type("SentenceModel", (_Model,), {}))
    },
    "fastembed_sparse": lambda: {
        "fastembed": _module(
            "fastembed", SparseTextEmbedding=type("SparseTextEmbedding", (_FastembedModel,), {})
        )
    },
    "bm25": lambda: {
        "fastembed": _module("fastembed"),
        "fastembed.sparse": _module("fastembed.sparse"),
        "fastembed.sparse.bm25": _module(
            "fastembed.sparse.bm25", Bm25=type("Bm25", (_FastembedModel,), {})
        ),
    },
    "nomic": lambda: {
        "nomic": _module("nomic", embed=_module("nomic.embed", text=_nomic_text)),
        "nomic.embed": _module("nomic.embed", text=_nomic_text),
    },
    "google_generative_ai": lambda: {
        "google.generativeai": _module(
            "google.generativeai",
            configure=lambda **kw: record("configure", **kw),
            embed_content=_genai_embed_content,
        )
    },
    "google_palm": lambda: {
        "google.generativeai": _module(
            "google.generativeai",
            configure=lambda **kw: record("configure", **kw),
            generate_embeddings=_palm_generate,
        )
    },
    "google_vertex": lambda: {
        "vertexai": _module("vertexai", init=lambda **kw: record("init", **kw)),
        "vertexai.language_models": _module(
            "vertexai.language_models", TextEmbeddingModel=_VertexModel
        ),
    },
}

KWARGS: dict[str, dict[str, Any]] = {
    "sentence_transformer": {"model_name": "tiny", "normalize_embeddings": True, "trust": True},
    "huggingface_sparse": {
        "model_name": "splade",
        "device": "cpu",
        "query_config": {"task": "query"},
    },
    "instructor": {"instruction": "Represent the document:"},
    "text2vec": {},
    "fastembed_sparse": {
        "model_name": "prithivida/Splade_PP_en_v1",
        "threads": 2,
        "query_config": {"task": "query"},
    },
    "bm25": {"k": 1.1, "language": "english", "query_config": {"task": "query"}},
    "nomic": {
        "model": "nomic-embed-text-v1.5",
        "task_type": "search_document",
        "query_config": {"task_type": "search_query"},
    },
    "google_generative_ai": {"dimension": 3},
    "google_palm": {},
    "google_vertex": {},
}
ENV = {
    "NOMIC_API_KEY": "nk",
    "GEMINI_API_KEY": "gk",
    "CHROMA_GOOGLE_PALM_API_KEY": "pk",
    "CHROMA_GOOGLE_VERTEX_API_KEY": "vk",
}


def ef_class(side: str, name: str) -> Any:
    module = importlib.import_module(f"{side}.utils.embedding_functions")
    return {**module.known_embedding_functions, **module.sparse_known_embedding_functions}[name]


@pytest.fixture
def stand_in(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    name: str = request.param
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    for module_name, module in STAND_INS[name]().items():
        monkeypatch.setitem(sys.modules, module_name, module)
    for side in ("chromadb", "chromalake"):  # per-class model caches start empty
        if hasattr(ef_class(side, name), "models"):
            monkeypatch.setattr(ef_class(side, name), "models", {})
    return name


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
