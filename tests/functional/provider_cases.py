"""The embedding functions that call an HTTP provider, each as a case: how to make chromadb's
or chromalake's function (by registry name) pointed at a fake of its provider, the fake's
reply, the environment it needs, and the headers that carry its key. Shared by the provider
tests and the interop tests.
"""

from __future__ import annotations

import base64
import importlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from fake_provider import FakeProvider, Request, openai_reply, serve, vector_for


def registry(side: str) -> dict[str, Any]:
    module = importlib.import_module(f"{side}.utils.embedding_functions")
    return {**module.known_embedding_functions, **module.sparse_known_embedding_functions}


def ef_class(side: str, name: str) -> Any:
    return registry(side)[name]


def sibling(side: str, name: str, attribute: str) -> Any:
    """A name from the module that defines the ``name`` function (its enums, constants)."""
    return getattr(sys.modules[ef_class(side, name).__module__], attribute)


def vectors_reply(key: str) -> Callable[[Request], tuple[int, Any]]:
    def reply(request: Request) -> tuple[int, Any]:
        texts = request.body[key]
        return 200, {
            "data": [{"index": i, "embedding": vector_for(t)} for i, t in enumerate(texts)]
        }

    return reply


def list_reply(key: str) -> Callable[[Request], tuple[int, Any]]:
    return lambda request: (200, [vector_for(t) for t in request.body[key]])


def cohere_reply(request: Request) -> tuple[int, Any]:
    texts = request.body["texts"]
    return 200, {
        "response_type": "embeddings_floats",
        "id": "fake",
        "embeddings": [vector_for(t) for t in texts],
        "texts": texts,
        "meta": {"api_version": {"version": "1"}},
    }


def voyage_reply(request: Request) -> tuple[int, Any]:
    data = [
        {"object": "embedding", "index": i, "embedding": vector_for(t)}
        for i, t in enumerate(request.body["input"])
    ]
    return 200, {"object": "list", "data": data, "model": "m", "usage": {"total_tokens": 1}}


def perplexity_reply(request: Request) -> tuple[int, Any]:
    def int8(text: str) -> str:
        return base64.b64encode(np.array([len(text), 1, -2], dtype=np.int8).tobytes()).decode()

    data = [
        {"object": "embedding", "index": i, "embedding": int8(t)}
        for i, t in enumerate(request.body["input"])
    ]
    usage = {"prompt_tokens": 1, "total_tokens": 1}
    return 200, {"object": "list", "data": data, "model": request.body["model"], "usage": usage}


def gemini_reply(request: Request) -> tuple[int, Any]:
    texts = [r["content"]["parts"][0]["text"] for r in request.body["requests"]]
    return 200, {"embeddings": [{"values": vector_for(t)} for t in texts]}


def text_reply(request: Request) -> tuple[int, Any]:
    text = request.body.get("text") or "image"
    return 200, {"embeddings": [vector_for(text)]}


def bedrock_reply(request: Request) -> tuple[int, Any]:
    return 200, {"embedding": vector_for(request.body["inputText"]), "inputTextTokenCount": 1}


def splade_reply(request: Request) -> tuple[int, Any]:
    vectors = [
        {"indices": [len(t), 1], "values": [0.5, 0.25], "labels": [t, "x"]}
        for t in request.body["texts"]
    ]
    return 200, {"embeddings": vectors}


@dataclass
class Case:
    name: str
    reply: Callable[[Request], tuple[int, Any]]
    make: Callable[[str, str, pytest.MonkeyPatch], Any]
    env: dict[str, str] = field(default_factory=dict)
    headers: tuple[str, ...] = ("authorization",)


def _openai(side: str, url: str, mp: pytest.MonkeyPatch) -> Any:
    return ef_class(side, "openai")(model_name="text-embedding-3-small", dimensions=3, api_base=url)


def _voyage(side: str, url: str, mp: pytest.MonkeyPatch) -> Any:
    import voyageai

    ef = ef_class(side, "voyageai")(model_name="voyage-3", input_type="document")
    ef._client = voyageai.Client(api_key=ef.api_key, base_url=url + "/v1", max_retries=0)
    return ef


def _cohere(side: str, url: str, mp: pytest.MonkeyPatch) -> Any:
    import cohere

    ef = ef_class(side, "cohere")(model_name="embed-english-v3.0")
    # cohere reads CO_API_URL once, at import (a default argument): whichever test imported
    # it first decides, so the fake's URL is given to the client itself.
    ef.client = cohere.Client(ef.api_key, base_url=url)
    return ef


def _redirected(name: str, path: str, **kwargs: Any) -> Callable[..., Any]:
    """Made with ``kwargs``, then pointed at the fake (chromadb keeps the URL in _api_url)."""

    def make(side: str, url: str, mp: pytest.MonkeyPatch) -> Any:
        ef = ef_class(side, name)(**kwargs)
        ef._api_url = url + path
        return ef

    return make


def _together(side: str, url: str, mp: pytest.MonkeyPatch) -> Any:
    ef = ef_class(side, "together_ai")(model_name="togethercomputer/m2-bert")
    if side == "chromadb":  # chromadb reads its endpoint from a module constant
        mp.setattr(sys.modules[type(ef).__module__], "ENDPOINT", url + "/v1/embeddings")
    else:
        ef._api_url = url + "/v1/embeddings"
    return ef


def _qwen(side: str, url: str, mp: pytest.MonkeyPatch) -> Any:
    model = sibling(side, "chroma-cloud-qwen", "ChromaCloudQwenEmbeddingModel")
    return ef_class(side, "chroma-cloud-qwen")(model=model.QWEN3_EMBEDDING_0p6B, task="nl_to_code")


def _bedrock(side: str, url: str, mp: pytest.MonkeyPatch) -> Any:
    session = boto3.Session(
        region_name="us-east-1", aws_access_key_id="AKIDFAKE", aws_secret_access_key="secret"
    )
    return ef_class(side, "amazon_bedrock")(session=session, endpoint_url=url)


CASES = [
    Case("openai", openai_reply, _openai, {"CHROMA_OPENAI_API_KEY": "sk-test"}),
    Case(
        "baseten",
        openai_reply,
        lambda side, url, mp: ef_class(side, "baseten")(api_key=None, api_base=url),
        {"CHROMA_BASETEN_API_KEY": "bt-test"},
    ),
    Case(
        "morph",
        openai_reply,
        lambda side, url, mp: ef_class(side, "morph")(api_base=url),
        {"MORPH_API_KEY": "morph-test"},
    ),
    Case(
        "cohere",
        cohere_reply,
        _cohere,
        {"CHROMA_COHERE_API_KEY": "co-test", "CO_API_URL": "{url}"},
    ),
    Case("voyageai", voyage_reply, _voyage, {"CHROMA_VOYAGE_API_KEY": "pa-test"}),
    Case(
        "ollama",
        lambda r: (200, {"model": "m", "embeddings": [vector_for(t) for t in r.body["input"]]}),
        lambda side, url, mp: ef_class(side, "ollama")(url=url, model_name="nomic-embed-text"),
        headers=(),
    ),
    Case(
        "perplexity",
        perplexity_reply,
        lambda side, url, mp: ef_class(side, "perplexity")(dimensions=3),
        {"PERPLEXITY_API_KEY": "pplx-test", "PERPLEXITY_BASE_URL": "{url}"},
    ),
    Case(
        "google_gemini",
        gemini_reply,
        lambda side, url, mp: ef_class(side, "google_gemini")(task_type="RETRIEVAL_DOCUMENT"),
        {"GEMINI_API_KEY": "g-test", "GOOGLE_GEMINI_BASE_URL": "{url}"},
        headers=("x-goog-api-key",),
    ),
    Case(
        "jina",
        vectors_reply("input"),
        _redirected(
            "jina",
            "/v1/embeddings",
            task="retrieval.passage",
            dimensions=4,
            query_config={"task": "retrieval.query"},
        ),
        {"CHROMA_JINA_API_KEY": "jina-test"},
    ),
    Case("together_ai", vectors_reply("input"), _together, {"CHROMA_TOGETHER_AI_API_KEY": "t-k"}),
    Case(
        "cloudflare_workers_ai",
        lambda r: (200, {"result": {"data": [vector_for(t) for t in r.body["text"]]}}),
        _redirected(
            "cloudflare_workers_ai",
            "/accounts/acc/ai/run/@cf/baai/bge",
            model_name="@cf/baai/bge",
            account_id="acc",
        ),
        {"CHROMA_CLOUDFLARE_API_KEY": "cf-test"},
    ),
    Case(
        "huggingface",
        list_reply("inputs"),
        _redirected("huggingface", "/pipeline/feature-extraction/m", model_name="m"),
        {"CHROMA_HUGGINGFACE_API_KEY": "hf-test"},
    ),
    Case(
        "huggingface_server",
        list_reply("inputs"),
        lambda side, url, mp: ef_class(side, "huggingface_server")(
            url=url + "/embed", api_key_env_var="TEI_KEY"
        ),
        {"TEI_KEY": "tei-test"},
    ),
    Case(
        "roboflow",
        text_reply,
        lambda side, url, mp: ef_class(side, "roboflow")(api_url=url),
        {"CHROMA_ROBOFLOW_API_KEY": "rf-test"},
        headers=(),
    ),
    Case(
        "chroma-cloud-qwen",
        lambda r: (200, {"embeddings": [vector_for(t) for t in r.body["texts"]]}),
        _qwen,
        {"CHROMA_API_KEY": "ck-test", "CHROMA_EMBED_URL": "{url}"},
        headers=("x-chroma-token", "x-chroma-embedding-model"),
    ),
    Case(
        "chroma-cloud-splade",
        splade_reply,
        lambda side, url, mp: ef_class(side, "chroma-cloud-splade")(include_tokens=True),
        {"CHROMA_API_KEY": "ck-test", "CHROMA_EMBED_URL": "{url}"},
        headers=("x-chroma-token", "x-chroma-embedding-model"),
    ),
    Case("amazon_bedrock", bedrock_reply, _bedrock, headers=()),
]
# Cleared for every case: a provider's own variable would override api_key_env_var.
PROVIDER_ENV = [
    "OPENAI_API_KEY",
    "COHERE_API_KEY",
    "VOYAGE_API_KEY",
    "JINA_API_KEY",
    "TOGETHER_API_KEY",
    "CLOUDFLARE_API_KEY",
    "HUGGINGFACE_API_KEY",
    "ROBOFLOW_API_KEY",
    "BASETEN_API_KEY",
    "GOOGLE_API_KEY",
    "OPENAI_BASE_URL",
]
PROVIDER_KEY_VARIABLES = [name for name in PROVIDER_ENV if name.endswith("_API_KEY")]


def provider_environment(
    case: Case, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[FakeProvider]:
    """A fake of the case's provider, with the environment its functions need."""
    for name in PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    # Bedrock's config names the session's profile ("default"); a rebuilt session needs it.
    (tmp_path / "aws_config").write_text("[default]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws_config"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFAKE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    for fake in serve(case.reply):
        for name, value in case.env.items():
            monkeypatch.setenv(name, value.format(url=fake.url))
        yield fake
