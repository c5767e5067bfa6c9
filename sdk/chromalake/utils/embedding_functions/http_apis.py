"""Functions that call their provider's HTTP API with httpx, as chromadb's do: Jina, Together
AI, Cloudflare Workers AI, Hugging Face (inference API and a text-embeddings-inference server),
Roboflow and Chroma Cloud's Qwen model. Each sends the request chromadb's sends, to the same
URL (kept in ``_api_url``, as chromadb keeps it).
"""

from __future__ import annotations

import os
from enum import Enum
from typing import Any, TypedDict

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

DEFAULT_CHROMA_EMBED_URL = "https://embed.trychroma.com"


def http_session(headers: dict[str, str]) -> Any:
    """An ``httpx.Client`` with ``headers`` on every request (httpx imported on first use)."""
    httpx = require("httpx", "httpx")
    session = httpx.Client()
    session.headers.update(headers)
    return session


def get_chroma_embed_url() -> str:
    """Chroma Cloud's embedding service: ``CHROMA_EMBED_URL``, else Chroma's address."""
    return (os.environ.get("CHROMA_EMBED_URL") or DEFAULT_CHROMA_EMBED_URL).rstrip("/")


class JinaQueryConfig(TypedDict):
    task: str


class JinaEmbeddingFunction(ConfiguredEmbeddingFunction[Embeddable]):
    """Jina AI's embeddings (``POST https://api.jina.ai/v1/embeddings``) for texts and images;
    ``query_config`` adds fields to the requests of ``embed_query``."""

    schema = ConfigSchema(
        "jina",
        {
            **MODEL_AND_KEY,
            "task": ("string", "null"),
            "late_chunking": ("boolean", "null"),
            "truncate": ("boolean", "null"),
            "dimensions": ("integer", "null"),
            "embedding_type": ("string", "null"),
            "normalized": ("boolean", "null"),
            "query_config": ("object", "null"),
        },
        required=("api_key_env_var", "model_name"),
    )
    _OPTIONS = ("task", "late_chunking", "truncate", "dimensions", "embedding_type", "normalized")

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "jina-embeddings-v2-base-en",
        api_key_env_var: str = "CHROMA_JINA_API_KEY",
        task: str | None = None,
        late_chunking: bool | None = None,
        truncate: bool | None = None,
        dimensions: int | None = None,
        embedding_type: str | None = None,
        normalized: bool | None = None,
        query_config: JinaQueryConfig | None = None,
    ) -> None:
        require("httpx", "httpx")
        require("PIL.Image", "pillow", label="PIL")
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "JINA_API_KEY"
        )
        self.model_name = model_name
        self.task = task
        self.late_chunking = late_chunking
        self.truncate = truncate
        self.dimensions = dimensions
        self.embedding_type = embedding_type
        self.normalized = normalized
        self.query_config = query_config
        self._api_url = "https://api.jina.ai/v1/embeddings"
        self._session = http_session(
            {"Authorization": f"Bearer {self.api_key}", "Accept-Encoding": "identity"}
        )

    def _payload(self, input: Embeddable, is_query: bool) -> dict[str, Any]:
        if all(is_document(item) for item in input):
            items: list[Any] = list(input)
        else:
            items = [
                {"text": item} if is_document(item) else {"image": image_base64(item)}
                for item in input
                if is_document(item) or is_image(item)
            ]
        payload: dict[str, Any] = {"input": items, "model": self.model_name}
        for key in self._OPTIONS:
            if getattr(self, key) is not None:
                payload[key] = getattr(self, key)
        if is_query and self.query_config is not None:
            payload.update(self.query_config)
        return payload

    def _embed(self, input: Embeddable, is_query: bool) -> Any:
        reply = self._session.post(
            self._api_url, json=self._payload(input, is_query), timeout=60
        ).json()
        if "data" not in reply:
            raise RuntimeError(reply.get("detail", "Unknown error"))
        return float32([item["embedding"] for item in sorted(reply["data"], key=_index)])

    def __call__(self, input: Embeddable) -> Any:
        return self._embed(input, is_query=False)

    def embed_query(self, input: Embeddable) -> Any:
        return self._embed(input, is_query=True)

    @staticmethod
    def name() -> str:
        return "jina"


def _index(item: dict[str, Any]) -> int:
    return int(item["index"])


class TogetherAIEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Together AI's embeddings (``POST https://api.together.xyz/v1/embeddings``)."""

    schema = ConfigSchema("together_ai", MODEL_AND_KEY, required=("api_key_env_var", "model_name"))

    def __init__(
        self,
        model_name: str,
        api_key: str | None = None,
        api_key_env_var: str = "CHROMA_TOGETHER_AI_API_KEY",
    ) -> None:
        self.model_name = model_name
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "TOGETHER_API_KEY"
        )
        self._api_url = "https://api.together.xyz/v1/embeddings"
        self._session = http_session(
            {
                "Authorization": f"Bearer {self.api_key}",
                "Content-Type": "application/json",
                "accept": "application/json",
            }
        )

    def __call__(self, input: Documents) -> Any:
        if not input:
            raise ValueError("Input is required")
        if not isinstance(input, list):
            raise ValueError("Input must be a list")
        if not all(isinstance(item, str) for item in input):
            raise ValueError("All items in input must be strings")
        response = self._session.post(
            self._api_url, json={"model": self.model_name, "input": input}
        )
        response.raise_for_status()
        return [item["embedding"] for item in response.json()["data"]]

    @staticmethod
    def name() -> str:
        return "together_ai"


class CloudflareWorkersAIEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """A Workers AI model of a Cloudflare account, directly or through an AI Gateway."""

    schema = ConfigSchema(
        "cloudflare_workers_ai",
        {**MODEL_AND_KEY, "account_id": ("string",), "gateway_id": ("string", "null")},
        required=("api_key_env_var", "model_name", "account_id"),
    )

    def __init__(
        self,
        model_name: str,
        account_id: str,
        api_key: str | None = None,
        api_key_env_var: str = "CHROMA_CLOUDFLARE_API_KEY",
        gateway_id: str | None = None,
    ) -> None:
        require("httpx", "httpx")
        self.model_name = model_name
        self.account_id = account_id
        self.gateway_id = gateway_id
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "CLOUDFLARE_API_KEY", warn=False
        )
        if gateway_id:
            self._api_url = (
                f"https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}"
                f"/workers-ai/{model_name}"
            )
        else:
            self._api_url = (
                f"https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/run/{model_name}"
            )
        self._session = http_session(
            {"Authorization": f"Bearer {self.api_key}", "Accept-Encoding": "identity"}
        )

    def __call__(self, input: Documents) -> Any:
        if not all(isinstance(item, str) for item in input):
            raise ValueError("Cloudflare Workers AI only supports text documents, not images")
        reply = self._session.post(self._api_url, json={"text": input}).json()
        result = reply.get("result")
        if not isinstance(result, dict) or "data" not in result:
            raise RuntimeError(reply.get("detail", reply.get("errors", "Unknown error")))
        return result["data"]

    @staticmethod
    def name() -> str:
        return "cloudflare_workers_ai"


class HuggingFaceEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Hugging Face's inference API (feature extraction) for ``model_name``."""

    schema = ConfigSchema("huggingface", MODEL_AND_KEY, required=("api_key_env_var", "model_name"))

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "sentence-transformers/all-MiniLM-L6-v2",
        api_key_env_var: str = "CHROMA_HUGGINGFACE_API_KEY",
    ) -> None:
        require("httpx", "httpx")
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "HUGGINGFACE_API_KEY"
        )
        self.model_name = model_name
        self._api_url = (
            f"https://api-inference.huggingface.co/pipeline/feature-extraction/{model_name}"
        )
        self._session = http_session({"Authorization": f"Bearer {self.api_key}"})

    def __call__(self, input: Documents) -> Any:
        payload = {"inputs": input, "options": {"wait_for_model": True}}
        return float32(self._session.post(self._api_url, json=payload).json())

    @staticmethod
    def name() -> str:
        return "huggingface"


class HuggingFaceEmbeddingServer(ConfiguredEmbeddingFunction[Documents]):
    """A Hugging Face text-embeddings-inference server at ``url``; a key is optional."""

    schema = ConfigSchema(
        "huggingface_server",
        {"url": ("string",), "api_key_env_var": ("string", "null")},
        required=("url",),
    )
    immutable = ()

    def __init__(
        self, url: str, api_key_env_var: str | None = None, api_key: str | None = None
    ) -> None:
        require("httpx", "httpx")
        self.url = url
        self.api_key_env_var = api_key_env_var
        if os.getenv("HUGGINGFACE_API_KEY") is not None:
            self.api_key_env_var = "HUGGINGFACE_API_KEY"
        env_key = os.getenv(self.api_key_env_var) if self.api_key_env_var else None
        self.api_key = api_key or env_key
        self._api_url = url
        auth = {} if self.api_key is None else {"Authorization": f"Bearer {self.api_key}"}
        self._session = http_session(auth)

    def __call__(self, input: Documents) -> Any:
        return float32(self._session.post(self._api_url, json={"inputs": input}).json())

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        if "url" in new_config and new_config["url"] != self.url:
            raise ValueError(
                "The URL cannot be changed after the embedding function has been initialized."
            )

    @staticmethod
    def name() -> str:
        return "huggingface_server"


class RoboflowEmbeddingFunction(ConfiguredEmbeddingFunction[Embeddable]):
    """Roboflow's CLIP endpoints (``/clip/embed_text``, ``/clip/embed_image``), one request
    per item, the key in the query string."""

    schema = ConfigSchema(
        "roboflow",
        {"api_url": ("string",), "api_key_env_var": ("string",)},
        required=("api_key_env_var", "api_url"),
    )
    immutable = ()

    def __init__(
        self,
        api_key: str | None = None,
        api_url: str = "https://infer.roboflow.com",
        api_key_env_var: str = "CHROMA_ROBOFLOW_API_KEY",
    ) -> None:
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "ROBOFLOW_API_KEY"
        )
        self.api_url = api_url
        require("PIL.Image", "pillow", label="PIL")
        self._httpx = require("httpx", "httpx")

    def _post(self, route: str, payload: dict[str, Any]) -> Any:
        url = f"{self.api_url}/clip/{route}?api_key={self.api_key}"
        return self._httpx.post(url, json=payload).json()["embeddings"][0]

    def __call__(self, input: Embeddable) -> Any:
        vectors = []
        for item in input:
            if is_image(item):
                image = {"type": "base64", "value": image_base64(item, "JPEG")}
                vectors.append(self._post("embed_image", {"image": image}))
            elif is_document(item):
                vectors.append(self._post("embed_text", {"text": item}))
        return float32(vectors)

    @staticmethod
    def name() -> str:
        return "roboflow"


class ChromaCloudQwenEmbeddingModel(Enum):
    QWEN3_EMBEDDING_0p6B = "Qwen/Qwen3-Embedding-0.6B"


class ChromaCloudQwenEmbeddingTarget(Enum):
    DOCUMENTS = "documents"
    QUERY = "query"


ChromaCloudQwenEmbeddingInstructions = dict[str, dict[ChromaCloudQwenEmbeddingTarget, str]]
CHROMA_CLOUD_QWEN_DEFAULT_INSTRUCTIONS: ChromaCloudQwenEmbeddingInstructions = {
    "nl_to_code": {
        ChromaCloudQwenEmbeddingTarget.DOCUMENTS: "",
        ChromaCloudQwenEmbeddingTarget.QUERY: (
            "Given a question about coding, retrieval code or passage that can solve user's "
            "question"
        ),
    }
}


def chroma_cloud_session(api_key_env_var: str, model: Enum) -> tuple[str, Any]:
    """The key and session of a Chroma Cloud embedding model.

    chromadb also takes the key of a live Chroma Cloud client of the process; chromalake's
    clients never talk to Chroma Cloud, so the environment is the only source here.
    """
    key = os.getenv(api_key_env_var)
    if not key:
        raise ValueError(
            f"API key not found in environment variable {api_key_env_var} "
            "or in any existing client instances"
        )
    headers = {"x-chroma-token": key, "x-chroma-embedding-model": str(model.value)}
    return key, http_session(headers)


class ChromaCloudQwenEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Chroma Cloud's Qwen3 embedding model, with an instruction per task and target."""

    schema = ConfigSchema(
        "chroma-cloud-qwen",
        {
            "model": ("string",),
            "task": ("string", "null"),
            "instructions": ("object",),
            "api_key_env_var": ("string",),
        },
        required=("model", "task"),
    )
    immutable = ("model", "task", "instructions")

    def __init__(
        self,
        model: ChromaCloudQwenEmbeddingModel,
        task: str | None,
        instructions: ChromaCloudQwenEmbeddingInstructions = CHROMA_CLOUD_QWEN_DEFAULT_INSTRUCTIONS,
        api_key_env_var: str = "CHROMA_API_KEY",
    ) -> None:
        self.api_key_env_var = api_key_env_var
        self.api_key, self._session = chroma_cloud_session(api_key_env_var, model)
        self.model = model
        self.task = task
        self.instructions = instructions
        self._api_url = get_chroma_embed_url()

    def _embed(self, input: Documents, target: ChromaCloudQwenEmbeddingTarget) -> Any:
        if not input:
            return []
        instruction = ""
        if self.task and self.task in self.instructions:
            instruction = self.instructions[self.task][target]
        payload = {"instructions": instruction, "texts": input}
        reply = self._session.post(self._api_url, json=payload, timeout=60).json()
        if "embeddings" not in reply:
            raise RuntimeError(reply.get("error", "Unknown error"))
        return float32(reply["embeddings"])

    def __call__(self, input: Documents) -> Any:
        return self._embed(input, ChromaCloudQwenEmbeddingTarget.DOCUMENTS)

    def embed_query(self, input: Documents) -> Any:
        return self._embed(input, ChromaCloudQwenEmbeddingTarget.QUERY)

    @staticmethod
    def name() -> str:
        return "chroma-cloud-qwen"

    def get_config(self) -> dict[str, Any]:
        instructions = {
            task: {target.value: text for target, text in targets.items()}
            for task, targets in self.instructions.items()
        }
        return {
            "api_key_env_var": self.api_key_env_var,
            "model": self.model.value,
            "task": self.task,
            "instructions": instructions,
        }

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> ChromaCloudQwenEmbeddingFunction:
        if config.get("model") is None or config.get("task") is None:
            raise ValueError("Config is missing a required field")
        instructions = CHROMA_CLOUD_QWEN_DEFAULT_INSTRUCTIONS
        if config.get("instructions") is not None:
            instructions = {
                task: {ChromaCloudQwenEmbeddingTarget(t): text for t, text in targets.items()}
                for task, targets in config["instructions"].items()
            }
        return cls(
            model=ChromaCloudQwenEmbeddingModel(config["model"]),
            task=config["task"],
            instructions=instructions,
            api_key_env_var=config.get("api_key_env_var") or "CHROMA_API_KEY",
        )
