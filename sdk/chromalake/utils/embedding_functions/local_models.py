"""Functions that run a model in this process through its own library, imported when the
function is made: sentence-transformers, InstructorEmbedding, text2vec and OpenCLIP (each
with torch; chromalake installs none of them). Also LangChain embeddings wrapped as a Chroma
function, and Amazon Bedrock through boto3.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import numpy as np

from chromalake.types import Documents, Embeddable
from chromalake.utils.embedding_functions.support import (
    ConfigSchema,
    ConfiguredEmbeddingFunction,
    check_primitive_kwargs,
    float32,
    is_document,
    is_image,
    require,
)

_ST = "sentence_transformers"


class SentenceTransformerEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """A sentence-transformers model, loaded once per model name and process (as chromadb's).

    Example:
        >>> SentenceTransformerEmbeddingFunction.name()
        'sentence_transformer'
    """

    schema = ConfigSchema(
        "sentence_transformer",
        {
            "model_name": ("string",),
            "device": ("string",),
            "normalize_embeddings": ("boolean",),
            "kwargs": ("object",),
        },
        required=("model_name", "device", "normalize_embeddings"),
    )
    immutable = ()
    models: ClassVar[dict[str, Any]] = {}

    def __init__(
        self,
        model_name: str = "all-MiniLM-L6-v2",
        device: str = "cpu",
        normalize_embeddings: bool = False,
        **kwargs: Any,
    ) -> None:
        library = require(_ST, _ST)
        self.model_name = model_name
        self.device = device
        self.normalize_embeddings = normalize_embeddings
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        if model_name not in self.models:
            self.models[model_name] = library.SentenceTransformer(
                model_name_or_path=model_name, device=device, **kwargs
            )
        self._model = self.models[model_name]

    def __call__(self, input: Documents) -> Any:
        vectors = self._model.encode(
            list(input), convert_to_numpy=True, normalize_embeddings=self.normalize_embeddings
        )
        return float32(vectors)

    @staticmethod
    def name() -> str:
        return "sentence_transformer"


class InstructorEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """An INSTRUCTOR model; with ``instruction`` each text is sent as ``[instruction, text]``."""

    schema = ConfigSchema(
        "instructor",
        {"model_name": ("string",), "device": ("string",), "instruction": ("string", "null")},
        required=("model_name", "device"),
    )
    immutable = ()

    def __init__(
        self,
        model_name: str = "hkunlp/instructor-base",
        device: str = "cpu",
        instruction: str | None = None,
    ) -> None:
        library = require("InstructorEmbedding", "InstructorEmbedding")
        self.model_name = model_name
        self.device = device
        self.instruction = instruction
        self._model = library.INSTRUCTOR(model_name_or_path=model_name, device=device)

    def __call__(self, input: Documents) -> Any:
        if not all(isinstance(item, str) for item in input):
            raise ValueError("Instructor only supports text documents, not images")
        texts: Any = input if self.instruction is None else [[self.instruction, t] for t in input]
        return float32(self._model.encode(texts, convert_to_numpy=True))

    @staticmethod
    def name() -> str:
        return "instructor"


class Text2VecEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """A text2vec ``SentenceModel`` (Chinese sentence vectors by default)."""

    schema = ConfigSchema("text2vec", {"model_name": ("string",)}, required=("model_name",))
    immutable = ()

    def __init__(self, model_name: str = "shibing624/text2vec-base-chinese") -> None:
        library = require("text2vec", "text2vec")
        self.model_name = model_name
        self._model = library.SentenceModel(model_name_or_path=model_name)

    def __call__(self, input: Documents) -> Any:
        if not all(isinstance(item, str) for item in input):
            raise ValueError("Text2Vec only supports text documents, not images")
        return float32(self._model.encode(list(input), convert_to_numpy=True))

    @staticmethod
    def name() -> str:
        return "text2vec"


class OpenCLIPEmbeddingFunction(ConfiguredEmbeddingFunction[Embeddable]):
    """An OpenCLIP model for texts and images, each vector scaled to unit length."""

    schema = ConfigSchema(
        "open_clip",
        {"model_name": ("string",), "checkpoint": ("string",), "device": ("string", "null")},
        required=("model_name", "checkpoint", "device"),
    )
    immutable = ("model_name", "checkpoint")

    def __init__(
        self,
        model_name: str = "ViT-B-32",
        checkpoint: str = "laion2b_s34b_b79k",
        device: str | None = "cpu",
    ) -> None:
        open_clip = require(
            "open_clip",
            "open-clip-torch",
            label="open_clip",
            note=". https://github.com/mlfoundations/open_clip",
        )
        self._torch = require("torch", "torch")
        self._pil = require("PIL.Image", "pillow", label="PIL")
        self.model_name = model_name
        self.checkpoint = checkpoint
        self.device = device
        model, _, preprocess = open_clip.create_model_and_transforms(
            model_name=model_name, pretrained=checkpoint
        )
        self._model = model
        self._model.to(device)
        self._preprocess = preprocess
        self._tokenizer = open_clip.get_tokenizer(model_name=model_name)

    def _unit(self, features: Any) -> Any:
        features /= features.norm(dim=-1, keepdim=True)
        return features.squeeze().cpu().numpy()

    def _encode(self, item: Any) -> Any:
        with self._torch.no_grad():
            if is_image(item):
                pixels = self._preprocess(self._pil.fromarray(item)).unsqueeze(0)
                return self._unit(self._model.encode_image(pixels.to(self.device)))
            return self._unit(self._model.encode_text(self._tokenizer(item).to(self.device)))

    def __call__(self, input: Embeddable) -> Any:
        return float32([self._encode(i) for i in input if is_image(i) or is_document(i)])

    @staticmethod
    def name() -> str:
        return "open_clip"


class ChromaLangchainEmbeddingFunction(ConfiguredEmbeddingFunction[Embeddable]):
    """A LangChain ``Embeddings`` object as a Chroma function (``("images", uris)`` input
    embeds images when the object can). Its config only names the class: it cannot be
    rebuilt from it, as in chromadb."""

    schema = ConfigSchema("chroma_langchain", {"embedding_function": ("string",)})

    def __init__(self, embedding_function: Any) -> None:
        core = require("langchain_core.embeddings", "langchain-core", label="langchain_core")
        if not isinstance(embedding_function, core.Embeddings):
            raise ValueError(
                "The embedding_function must implement the Embeddings interface from "
                "langchain_core."
            )
        self.embedding_function = embedding_function
        self._embedding_function_class = type(embedding_function).__name__

    def embed_documents(self, documents: Any) -> list[list[float]]:
        return list(self.embedding_function.embed_documents(list(documents)))

    def embed_query(self, query: Any) -> Any:
        return self.embedding_function.embed_query(query)

    def embed_image(self, uris: list[str]) -> list[list[float]]:
        if not hasattr(self.embedding_function, "embed_image"):
            raise ValueError("The provided embedding function does not support image embeddings.")
        return list(self.embedding_function.embed_image(uris))

    def __call__(self, input: Any) -> Any:
        if isinstance(input, tuple) and len(input) == 2 and input[0] == "images":
            return float32(self.embed_image(list(input[1])))
        return float32(self.embed_documents(input))

    @staticmethod
    def name() -> str:
        return "langchain"

    def default_space(self) -> str:
        return "l2"  # chromadb's base default: this function names no space of its own

    def get_config(self) -> dict[str, Any]:
        return {
            "embedding_function_class": self._embedding_function_class,
            "note": "This is a placeholder config. You will need to recreate the langchain "
            "embedding function.",
        }

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> ChromaLangchainEmbeddingFunction:
        raise NotImplementedError(
            "Building a ChromaLangchainEmbeddingFunction from config is not supported. Please "
            "recreate the langchain embedding function and pass it to create_langchain_embedding."
        )

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        raise NotImplementedError(
            "Updating a ChromaLangchainEmbeddingFunction config is not supported. Please "
            "recreate the langchain embedding function and pass it to create_langchain_embedding."
        )


def create_langchain_embedding(langchain_embedding_fn: Any) -> ChromaLangchainEmbeddingFunction:
    """chromadb's helper: a LangChain ``Embeddings`` object as a Chroma function."""
    return ChromaLangchainEmbeddingFunction(embedding_function=langchain_embedding_fn)


class AmazonBedrockEmbeddingFunction(ConfiguredEmbeddingFunction[Documents]):
    """Amazon Bedrock's ``InvokeModel`` (Titan's ``{"inputText": ...}`` body), one text per
    call, through the boto3 ``session`` given; ``**kwargs`` go to ``session.client`` (e.g.
    ``endpoint_url``) and are persisted, with the session's region and profile."""

    schema = ConfigSchema(
        "amazon_bedrock",
        {"session_args": ("object",), "model_name": ("string",), "kwargs": ("object",)},
        required=("session_args", "model_name", "kwargs"),
    )

    def __init__(
        self, session: Any, model_name: str = "amazon.titan-embed-text-v1", **kwargs: Any
    ) -> None:
        self.model_name = model_name
        check_primitive_kwargs(kwargs)
        self.kwargs = kwargs
        self._session_args: dict[str, str] = {}
        for key in ("region_name", "profile_name"):
            if getattr(session, key, None):
                self._session_args[key] = getattr(session, key)
        self._client = session.client(service_name="bedrock-runtime", **kwargs)

    def __call__(self, input: Documents) -> Any:
        vectors = []
        for text in input:
            reply = self._client.invoke_model(
                body=json.dumps({"inputText": text}),
                modelId=self.model_name,
                accept="application/json",
                contentType="application/json",
            )
            vectors.append(json.loads(reply.get("body").read()).get("embedding"))
        return [np.array(v, dtype=np.float32) for v in vectors]

    @staticmethod
    def name() -> str:
        return "amazon_bedrock"

    def default_space(self) -> str:
        return "l2"  # chromadb's base default: this function names no space of its own

    def get_config(self) -> dict[str, Any]:
        return {
            "model_name": self.model_name,
            "session_args": self._session_args,
            "kwargs": self.kwargs,
        }

    @classmethod
    def build_from_config(cls, config: dict[str, Any]) -> AmazonBedrockEmbeddingFunction:
        boto3 = require("boto3", "boto3")
        if config.get("model_name") is None:
            raise ValueError("Missing 'model_name' in configuration for " + cls.__name__)
        session = boto3.Session(**(config.get("session_args") or {}))
        return cls(session=session, model_name=config["model_name"], **config.get("kwargs", {}))
