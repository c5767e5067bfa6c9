"""Functions that speak OpenAI's embeddings API through the ``openai`` package, as chromadb's:
OpenAI (and Azure OpenAI), Baseten and Morph. ``pip install chromalake[openai]``.
"""

from __future__ import annotations

from typing import Any

from chromalake.types import Documents
from chromalake.utils.embedding_functions.support import (
    ConfigSchema,
    ConfiguredEmbeddingFunction,
    float32,
    require,
    resolve_api_key,
)

_STRING_OR_NULL = ("string", "null")


class OpenAIEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """OpenAI's embeddings (``POST {api_base}/embeddings``); Azure OpenAI with
    ``api_type="azure"``. The key comes from ``OPENAI_API_KEY`` when set, else
    ``api_key_env_var``.

    Example:
        >>> import os; os.environ["CHROMA_OPENAI_API_KEY"] = "sk-doc"
        >>> ef = OpenAIEmbeddingFunction(model_name="text-embedding-3-small")
        >>> ef.name(), ef.default_space(), ef.get_config()["api_key_env_var"]
        ('openai', 'cosine', 'CHROMA_OPENAI_API_KEY')
    """

    schema = ConfigSchema(
        "openai",
        {
            "model_name": ("string",),
            "organization_id": _STRING_OR_NULL,
            "api_base": _STRING_OR_NULL,
            "api_type": _STRING_OR_NULL,
            "api_version": _STRING_OR_NULL,
            "deployment_id": _STRING_OR_NULL,
            "default_headers": ("object", "null"),
            "dimensions": ("integer", "null"),
            "api_key_env_var": ("string",),
        },
        required=("api_key_env_var", "model_name"),
    )

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "text-embedding-ada-002",
        organization_id: str | None = None,
        api_base: str | None = None,
        api_type: str | None = None,
        api_version: str | None = None,
        deployment_id: str | None = None,
        default_headers: dict[str, str] | None = None,
        dimensions: int | None = None,
        api_key_env_var: str = "CHROMA_OPENAI_API_KEY",
    ) -> None:
        openai = require("openai", "openai")
        self.api_key_env_var, self.api_key = _openai_key(api_key, api_key_env_var)
        self.model_name = model_name
        self.organization_id = organization_id
        self.api_base = api_base
        self.api_type = api_type
        self.api_version = api_version
        self.deployment_id = deployment_id
        self.default_headers = default_headers
        self.dimensions = dimensions
        params: dict[str, Any] = {"api_key": self.api_key}
        if organization_id is not None:
            params["organization"] = organization_id
        if api_base is not None:
            params["base_url"] = api_base
        if default_headers is not None:
            params["default_headers"] = default_headers
        self.client = openai.OpenAI(**params)
        if api_type == "azure":
            self.client = self._azure_client(openai)

    def _azure_client(self, openai: Any) -> Any:
        for key in ("api_version", "deployment_id", "api_base"):
            if getattr(self, key) is None:
                raise ValueError(f"{key} must be specified for Azure OpenAI")
        return openai.AzureOpenAI(
            api_key=self.api_key,
            api_version=self.api_version,
            azure_endpoint=self.api_base,
            azure_deployment=self.deployment_id,
            default_headers=self.default_headers,
        )

    def _request(self, input: Documents) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model_name, "input": input}
        # OpenAI takes `dimensions` from its text-embedding-3 models on only.
        if self.dimensions is not None and "text-embedding-3" in self.model_name:
            params["dimensions"] = self.dimensions
        return params

    def __call__(self, input: Documents) -> Any:
        if not input:
            return []
        response = self.client.embeddings.create(**self._request(input))
        return float32([data.embedding for data in response.data])

    @staticmethod
    def name() -> str:
        return "openai"


def _openai_key(given: str | None, env_var: str) -> tuple[str, str]:
    return resolve_api_key(given, env_var, "OPENAI_API_KEY")


class BasetenEmbeddingFunction(OpenAIEmbeddingFunction):
    """A Baseten deployment's OpenAI-compatible embeddings at ``api_base``."""

    schema = ConfigSchema(
        "baseten",
        {"api_base": ("string",), "api_key_env_var": ("string",)},
        required=("api_base", "api_key_env_var"),
    )
    immutable = ()

    def __init__(
        self,
        api_key: str | None,
        api_base: str,
        api_key_env_var: str = "CHROMA_BASETEN_API_KEY",
    ) -> None:
        openai = require("openai", "openai")
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key,
            api_key_env_var,
            "BASETEN_API_KEY",
            warn=False,
            missing="API key not provided and {env_var} environment variable is not set.",
        )
        if not api_base:
            raise ValueError("The api_base argument must be provided.")
        self.api_base = api_base
        self.model_name = "baseten-embedding-model"
        self.dimensions = None
        self.client = openai.OpenAI(api_key=self.api_key, base_url=self.api_base)

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> BasetenEmbeddingFunction:
        if config.get("api_key_env_var") is None or config.get("api_base") is None:
            raise ValueError(
                "Missing 'api_key_env_var' or 'api_base' in configuration for "
                "BasetenEmbeddingFunction."
            )
        return cls(None, config["api_base"], config["api_key_env_var"])

    @staticmethod
    def name() -> str:
        return "baseten"


class MorphEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Morph's embeddings through its OpenAI-compatible API."""

    schema = ConfigSchema(
        "morph",
        {
            "model_name": ("string",),
            "api_key_env_var": ("string",),
            "api_base": _STRING_OR_NULL,
            "encoding_format": _STRING_OR_NULL,
        },
        required=("api_key_env_var", "model_name"),
    )

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "morph-embedding-v2",
        api_base: str = "https://api.morphllm.com/v1",
        encoding_format: str = "float",
        api_key_env_var: str = "MORPH_API_KEY",
    ) -> None:
        note = ". Note: Morph uses the OpenAI client library for API communication."
        openai = require("openai", "openai", note=note)
        self.api_key_env_var, self.api_key = resolve_api_key(api_key, api_key_env_var, warn=False)
        self.model_name = model_name
        self.api_base = api_base or "https://api.morphllm.com/v1"
        self.encoding_format = encoding_format or "float"
        self.client = openai.OpenAI(api_key=self.api_key, base_url=self.api_base)

    def __call__(self, input: Documents) -> Any:
        if not input:
            return []
        response = self.client.embeddings.create(
            model=self.model_name, input=input, encoding_format=self.encoding_format
        )
        return float32([data.embedding for data in response.data])

    @staticmethod
    def name() -> str:
        return "morph"
