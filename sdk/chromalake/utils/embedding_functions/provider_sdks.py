"""Functions that call a provider through the provider's own package, as chromadb's do:
Cohere, Voyage AI, Mistral, Nomic, Perplexity and Ollama. Each package is imported when the
function is made (``pip install chromalake[<provider>]``), never at ``import chromalake``.
"""

from __future__ import annotations

import base64
from typing import Any, TypedDict
from urllib.parse import urlparse

import numpy as np

from chromalake.types import Documents, Embeddable
from chromalake.utils.embedding_functions.support import (
    MODEL_AND_KEY,
    ConfigSchema,
    ConfiguredEmbeddingFunction,
    float32,
    image_base64,
    is_document,
    is_image,
    require,
    resolve_api_key,
)


def _texts_only(input: Documents, provider: str, what: str = "documents") -> None:
    if not all(isinstance(item, str) for item in input):
        raise ValueError(f"{provider} only supports text {what}, not images")


class CohereEmbeddingFunction(ConfiguredEmbeddingFunction[Embeddable]):
    """Cohere's ``embed`` for texts (``search_document``) or images (PNG data URIs)."""

    schema = ConfigSchema("cohere", MODEL_AND_KEY, required=("api_key_env_var", "model_name"))

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "large",
        api_key_env_var: str = "CHROMA_COHERE_API_KEY",
    ) -> None:
        cohere = require("cohere", "cohere")
        require("PIL.Image", "pillow", label="PIL")
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "COHERE_API_KEY"
        )
        self.model_name = model_name
        self.client = cohere.Client(self.api_key)

    def __call__(self, input: Embeddable) -> Any:
        if all(is_document(item) for item in input):
            texts = [str(item) for item in input]
            reply = self.client.embed(
                texts=texts, model=self.model_name, input_type="search_document"
            )
        elif all(is_image(item) for item in input):
            images = [f"data:image/png;base64,{image_base64(item)}" for item in input]
            reply = self.client.embed(images=images, model=self.model_name, input_type="image")
        elif any(is_document(i) for i in input) and any(is_image(i) for i in input):
            raise ValueError(
                "Input contains a mix of text documents and images, which is not supported. "
                "Provide either all texts or all images."
            )
        else:
            raise ValueError(
                "Input must be a list of text documents (str) or a list of images (numpy arrays)."
            )
        return float32(reply.embeddings)

    @staticmethod
    def name() -> str:
        return "cohere"

    def default_space(self) -> str:
        return "ip" if self.model_name == "embed-multilingual-v2.0" else "cosine"

    def supported_spaces(self) -> list[str]:
        if self.model_name in ("embed-english-v2.0", "embed-english-light-v2.0"):
            return ["cosine"]
        if self.model_name == "embed-multilingual-v2.0":
            return ["ip"]
        return ["cosine", "l2", "ip"]


class VoyageAIEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Voyage AI's embeddings through the ``voyageai`` client."""

    schema = ConfigSchema(
        "voyageai",
        {**MODEL_AND_KEY, "input_type": ("string", "null"), "truncation": ("boolean",)},
        required=("api_key_env_var", "model_name"),
    )

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "voyage-large-2",
        api_key_env_var: str = "CHROMA_VOYAGE_API_KEY",
        input_type: str | None = None,
        truncation: bool = True,
    ) -> None:
        voyageai = require("voyageai", "voyageai")
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "VOYAGE_API_KEY"
        )
        self.model_name = model_name
        self.input_type = input_type
        self.truncation = True if truncation is None else truncation
        self._client = voyageai.Client(api_key=self.api_key)

    def __call__(self, input: Documents) -> Any:
        reply = self._client.embed(
            texts=input,
            model=self.model_name,
            input_type=self.input_type,
            truncation=self.truncation,
        )
        return float32(reply.embeddings)

    @staticmethod
    def name() -> str:
        return "voyageai"


class MistralEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Mistral's embeddings through the ``mistralai`` client."""

    schema = ConfigSchema(
        "mistral",
        {"model": ("string",), "api_key_env_var": ("string",)},
        required=("api_key_env_var", "model"),
    )
    immutable = ("model",)

    def __init__(self, model: str, api_key_env_var: str = "MISTRAL_API_KEY") -> None:
        mistralai = require("mistralai", "mistralai")
        # mistralai 2+ keeps its client in mistralai.client; 1.x exported it at the top.
        client_class = getattr(mistralai, "Mistral", None)
        if client_class is None:
            client_class = require("mistralai.client", "mistralai").Mistral
        self.model = model
        self.api_key_env_var, self.api_key = resolve_api_key(None, api_key_env_var)
        self.client = client_class(api_key=self.api_key)

    def __call__(self, input: Documents) -> Any:
        _texts_only(input, "Mistral")
        output = self.client.embeddings.create(model=self.model, inputs=input)
        return [np.array(data.embedding) for data in output.data]

    @staticmethod
    def name() -> str:
        return "mistral"


class NomicQueryConfig(TypedDict):
    task_type: str


class NomicEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Nomic's embeddings through ``nomic.embed``; queries may use another ``task_type``."""

    schema = ConfigSchema(
        "nomic",
        {
            "model": ("string",),
            "api_key_env_var": ("string",),
            "task_type": ("string",),
            "query_config": ("object", "null"),
        },
        additional=True,
    )
    immutable = ("model",)

    def __init__(
        self,
        model: str,
        task_type: str,
        query_config: NomicQueryConfig | None,
        api_key_env_var: str = "NOMIC_API_KEY",
    ) -> None:
        self.embed = require("nomic.embed", "nomic")
        self.model = model
        self.task_type = task_type
        self.query_config = query_config
        self.api_key_env_var, self.api_key = resolve_api_key(None, api_key_env_var)

    def _embed(self, input: Documents, task_type: str) -> Any:
        output = self.embed.text(model=self.model, texts=input, task_type=task_type)
        return [np.array(data.embedding) for data in output.data]

    def __call__(self, input: Documents) -> Any:
        _texts_only(input, "Nomic")
        return self._embed(input, self.task_type)

    def embed_query(self, input: Documents) -> Any:
        _texts_only(input, "Nomic", "queries")
        task = self.query_config.get("task_type") if self.query_config else self.task_type
        return self._embed(input, str(task))

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> NomicEmbeddingFunction:
        for key in ("model", "api_key_env_var", "task_type"):
            if config.get(key) is None:
                raise ValueError(f"Missing '{key}' in configuration for {cls.__name__}")
        return cls(
            model=config["model"],
            task_type=config["task_type"],
            query_config=config.get("query_config"),
            api_key_env_var=config["api_key_env_var"],
        )

    @staticmethod
    def name() -> str:
        return "nomic"


def decode_embedding(b64: str) -> Any:
    """A base64-encoded int8 embedding (Perplexity's encoding) as float32."""
    return np.frombuffer(base64.b64decode(b64), dtype=np.int8).astype(np.float32)


class PerplexityEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Perplexity's embeddings (int8, base64) through the ``perplexityai`` client."""

    schema = ConfigSchema(
        "perplexity",
        {**MODEL_AND_KEY, "dimensions": ("number", "null")},
        required=("api_key_env_var", "model_name"),
    )

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "pplx-embed-v1-0.6b",
        api_key_env_var: str = "PERPLEXITY_API_KEY",
        dimensions: int | None = None,
    ) -> None:
        perplexity = require("perplexity", "perplexityai", label="perplexityai")
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "PERPLEXITY_API_KEY"
        )
        self.model_name = model_name
        self.dimensions = dimensions
        self._client = perplexity.Perplexity(api_key=self.api_key)

    def __call__(self, input: Documents) -> Any:
        reply = self._client.embeddings.create(
            input=input, model=self.model_name, dimensions=self.dimensions
        )
        return [decode_embedding(item.embedding) for item in reply.data]

    @staticmethod
    def name() -> str:
        return "perplexity"


class OllamaEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """A model served by Ollama (``/api/embed``) through the ``ollama`` client."""

    schema = ConfigSchema(
        "ollama",
        {"url": ("string",), "model_name": ("string",), "timeout": ("integer",)},
        required=("url", "model_name"),
    )

    def __init__(
        self,
        url: str = "http://localhost:11434",
        model_name: str = "chroma/all-minilm-l6-v2-f32",
        timeout: int = 60,
    ) -> None:
        ollama = require("ollama", "ollama")
        self.url = url
        self.model_name = model_name
        self.timeout = timeout
        base_url = url
        if base_url.endswith("/api/embeddings"):  # the older endpoint's full URL
            parsed = urlparse(url)
            base_url = f"{parsed.scheme}://{parsed.netloc}"
        self._client = ollama.Client(host=base_url, timeout=timeout)

    def __call__(self, input: Documents) -> Any:
        reply = self._client.embed(model=self.model_name, input=input)
        return float32(reply["embeddings"])

    @staticmethod
    def name() -> str:
        return "ollama"
