"""Recording stand-ins for the local libraries of chromadb's embedding functions
(sentence-transformers, InstructorEmbedding, text2vec, fastembed, nomic, google-generativeai,
vertexai): each records how it is made and called, and returns vectors made from the text.
Shared by the library tests and the interop tests.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from fake_provider import vector_for

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


class _Tensor:
    """Just enough of a torch tensor for OpenCLIP's function: numpy underneath."""

    def __init__(self, values: Any) -> None:
        self.values = np.asarray(values, dtype=np.float32)

    def to(self, device: Any) -> _Tensor:
        record("to", device)
        return self

    def unsqueeze(self, dim: int) -> _Tensor:
        return _Tensor(np.expand_dims(self.values, dim))

    def norm(self, dim: int, keepdim: bool) -> _Tensor:
        return _Tensor(np.linalg.norm(self.values, axis=dim, keepdims=keepdim))

    def __itruediv__(self, other: _Tensor) -> _Tensor:
        self.values = self.values / other.values
        return self

    def squeeze(self) -> _Tensor:
        return _Tensor(self.values.squeeze())

    def cpu(self) -> _Tensor:
        return self

    def numpy(self) -> np.ndarray:
        return self.values


class _ClipModel:
    def to(self, device: Any) -> None:
        record("model.to", device)

    def encode_text(self, tokens: _Tensor) -> _Tensor:
        return _Tensor(tokens.values[None, :])

    def encode_image(self, pixels: _Tensor) -> _Tensor:
        return _Tensor(pixels.values.reshape(1, -1)[:, :4])


def _create_clip(**kwargs: Any) -> tuple[Any, None, Any]:
    record("create_model_and_transforms", **kwargs)
    preprocess = lambda image: _Tensor(np.asarray(image, dtype=np.float32).ravel()[:4] + 1)  # noqa: E731
    return _ClipModel(), None, preprocess


def _clip_tokenizer(**kwargs: Any) -> Callable[[str], _Tensor]:
    record("get_tokenizer", **kwargs)
    return lambda text: _Tensor(vector_for(text))


class _NoGrad:
    def __enter__(self) -> None:
        record("no_grad")

    def __exit__(self, *exc: object) -> None:
        pass


STAND_INS: dict[str, Callable[[], dict[str, types.ModuleType]]] = {
    "open_clip": lambda: {
        "open_clip": _module(
            "open_clip",
            create_model_and_transforms=_create_clip,
            get_tokenizer=_clip_tokenizer,
        ),
        "torch": _module("torch", no_grad=_NoGrad),
    },
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
    "open_clip": {"model_name": "ViT-B-32", "checkpoint": "laion2b", "device": "cpu"},
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


def install_stand_in(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Put the stand-in library of function ``name`` in place, with the keys it needs."""
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    for module_name, module in STAND_INS[name]().items():
        monkeypatch.setitem(sys.modules, module_name, module)
    for side in ("chromadb", "chromalake"):  # per-class model caches start empty
        if hasattr(ef_class(side, name), "models"):
            monkeypatch.setattr(ef_class(side, name), "models", {})
