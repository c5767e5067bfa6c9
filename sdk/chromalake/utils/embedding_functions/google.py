"""Google's embedding functions, each through the package chromadb's uses: Gemini through
``google-genai`` (``pip install chromalake[google]``), the Generative AI and PaLM APIs through
``google-generativeai``, Vertex AI through ``google-cloud-aiplatform``.
"""

from __future__ import annotations

import os
from typing import Any

from chromalake.types import Documents
from chromalake.utils.embedding_functions.support import (
    ConfigSchema,
    ConfiguredEmbeddingFunction,
    float32,
    require,
    resolve_api_key,
)

_CLIENT_HEADER = "x-goog-api-client"
_GENERATIVEAI = "Google Generative AI"


def _client_tag() -> str:
    from chromalake import __version__

    return f"chroma/{__version__}"


def _texts_only(input: Documents, provider: str) -> None:
    if not all(isinstance(item, str) for item in input):
        raise ValueError(f"{provider} only supports text documents, not images")


def _gemini_schema(name: str, key_types: tuple[str, ...]) -> ConfigSchema:
    return ConfigSchema(
        name,
        {
            "model_name": ("string",),
            "task_type": ("string",),
            "dimension": ("integer",),
            "api_key_env_var": key_types,
            "vertexai": ("boolean", "null"),
            "project": ("string", "null"),
            "location": ("string", "null"),
        },
        required=("model_name",),
    )


class GoogleGeminiEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Gemini embeddings (``models.embed_content``) with an API key, or Vertex AI."""

    schema = _gemini_schema("google_gemini", ("string", "null"))
    immutable = ("model_name", "dimension", "vertexai", "project", "location")

    def __init__(
        self,
        model_name: str = "gemini-embedding-001",
        task_type: str | None = None,
        dimension: int | None = None,
        api_key_env_var: str | None = "GEMINI_API_KEY",
        vertexai: bool | None = None,
        project: str | None = None,
        location: str | None = None,
    ) -> None:
        genai = require("google.genai", "google-genai")
        self.model_name = model_name
        self.task_type = task_type
        self.dimension = dimension
        self.api_key_env_var = api_key_env_var
        self.vertexai = vertexai
        self.project = project
        self.location = location
        self.api_key = os.getenv(api_key_env_var) if api_key_env_var else None
        if self.api_key and vertexai:
            raise ValueError(
                "Vertex AI and API key are mutually exclusive in the client initializer."
            )
        if not self.api_key and not vertexai:
            raise ValueError(
                f"The {api_key_env_var} environment variable must be set if vertexai is not "
                "enabled."
            )
        types = require("google.genai.types", "google-genai")
        self.client = genai.Client(
            api_key=self.api_key,
            vertexai=vertexai,
            project=project,
            location=location,
            http_options=types.HttpOptions(headers={_CLIENT_HEADER: _client_tag()}),
        )

    def __call__(self, input: Documents) -> Any:
        if not input:
            raise ValueError("Input documents cannot be empty")
        if not isinstance(input, (list, tuple)):
            raise ValueError("Input must be a list or tuple of documents")
        if not all(isinstance(doc, str) for doc in input):
            raise ValueError("All input documents must be strings")
        types = require("google.genai.types", "google-genai")
        config = types.EmbedContentConfig(
            task_type=self.task_type, output_dimensionality=self.dimension
        )
        try:
            reply = self.client.models.embed_content(
                model=self.model_name, contents=input, config=config
            )
        except Exception as exc:
            raise ValueError(f"Failed to generate embeddings: {exc}") from exc
        if not getattr(reply, "embeddings", None):
            raise ValueError("No embeddings returned from the API")
        for item in reply.embeddings:
            if not hasattr(item, "values"):
                raise ValueError("Malformed embedding response: missing 'values'")
        return float32([item.values for item in reply.embeddings])

    @staticmethod
    def name() -> str:
        return "google_gemini"

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "model_name": self.model_name,
            "api_key_env_var": self.api_key_env_var,
            "vertexai": self.vertexai,
            "project": self.project,
            "location": self.location,
        }
        if self.task_type is not None:
            config["task_type"] = self.task_type
        if self.dimension is not None:
            config["dimension"] = self.dimension
        return config

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> GoogleGeminiEmbeddingFunction:
        if config.get("model_name") is None:
            raise ValueError("The model name is required.")
        return cls(
            model_name=config["model_name"],
            task_type=config.get("task_type"),
            dimension=config.get("dimension"),
            api_key_env_var=config.get("api_key_env_var", "GEMINI_API_KEY"),
            vertexai=config.get("vertexai"),
            project=config.get("project"),
            location=config.get("location"),
        )


#: chromadb's older name for the Gemini function (its registry also knows "google_genai").
GoogleGenaiEmbeddingFunction = GoogleGeminiEmbeddingFunction


class GoogleGenerativeAiEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """The Gemini API through the older ``google-generativeai`` package, one text a call."""

    schema = ConfigSchema(
        "google_generative_ai",
        {
            "model_name": ("string",),
            "task_type": ("string",),
            "api_key_env_var": ("string",),
            "dimension": ("integer",),
        },
        required=("api_key_env_var", "model_name", "task_type"),
    )
    immutable = ("model_name", "task_type", "dimension")

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "gemini-embedding-001",
        task_type: str = "RETRIEVAL_DOCUMENT",
        api_key_env_var: str = "GEMINI_API_KEY",
        dimension: int | None = None,
    ) -> None:
        genai = require("google.generativeai", "google-generativeai", label=_GENERATIVEAI)
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "GOOGLE_API_KEY"
        )
        self.model_name = model_name
        self.task_type = task_type
        self.dimension = dimension
        genai.configure(
            api_key=self.api_key, client_options={"headers": {_CLIENT_HEADER: _client_tag()}}
        )
        self._genai = genai

    def __call__(self, input: Documents) -> Any:
        _texts_only(input, "Google Generative AI")
        vectors = []
        for text in input:
            kwargs: dict[str, Any] = {
                "model": self.model_name,
                "content": text,
                "task_type": self.task_type,
            }
            if self.dimension is not None:
                kwargs["output_dimensionality"] = self.dimension
            vectors.append(self._genai.embed_content(**kwargs)["embedding"])
        return float32(vectors)

    @staticmethod
    def name() -> str:
        return "google_generative_ai"

    def get_config(self) -> dict[str, Any]:
        config = {key: getattr(self, key) for key in ("api_key_env_var", "model_name", "task_type")}
        if self.dimension is not None:
            config["dimension"] = self.dimension
        return config


class GooglePalmEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """The PaLM API's ``generate_embeddings`` through ``google-generativeai``."""

    schema = ConfigSchema(
        "google_palm",
        {"model_name": ("string",), "api_key_env_var": ("string",)},
        required=("api_key_env_var", "model_name"),
    )

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "models/embedding-gecko-001",
        api_key_env_var: str = "CHROMA_GOOGLE_PALM_API_KEY",
    ) -> None:
        palm = require("google.generativeai", "google-generativeai", label=_GENERATIVEAI)
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "GOOGLE_API_KEY"
        )
        self.model_name = model_name
        palm.configure(
            api_key=self.api_key, client_options={"headers": {_CLIENT_HEADER: _client_tag()}}
        )
        self._palm = palm

    def __call__(self, input: Documents) -> Any:
        _texts_only(input, "Google PaLM")
        return float32(
            [
                self._palm.generate_embeddings(model=self.model_name, text=text)["embedding"]
                for text in input
            ]
        )

    @staticmethod
    def name() -> str:
        return "google_palm"


class GoogleVertexEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Vertex AI's text-embedding models through ``google-cloud-aiplatform``."""

    schema = ConfigSchema(
        "google_vertex",
        {
            "model_name": ("string",),
            "project_id": ("string",),
            "region": ("string",),
            "api_key_env_var": ("string",),
        },
        required=("api_key_env_var", "model_name", "project_id", "region"),
    )
    immutable = ("model_name", "project_id", "region")

    def __init__(
        self,
        api_key: str | None = None,
        model_name: str = "textembedding-gecko",
        project_id: str = "cloud-large-language-models",
        region: str = "us-central1",
        api_key_env_var: str = "CHROMA_GOOGLE_VERTEX_API_KEY",
    ) -> None:
        vertexai = require("vertexai", "google-cloud-aiplatform", label="vertexai")
        models = require("vertexai.language_models", "google-cloud-aiplatform", label="vertexai")
        self.api_key_env_var, self.api_key = resolve_api_key(
            api_key, api_key_env_var, "GOOGLE_API_KEY"
        )
        self.model_name = model_name
        self.project_id = project_id
        self.region = region
        vertexai.init(
            project=project_id,
            location=region,
            request_metadata=[(_CLIENT_HEADER, _client_tag())],
        )
        self._model = models.TextEmbeddingModel.from_pretrained(model_name)

    def __call__(self, input: Documents) -> Any:
        _texts_only(input, "Google Vertex")
        return float32([self._model.get_embeddings([text])[0].values for text in input])

    @staticmethod
    def name() -> str:
        return "google_vertex"
