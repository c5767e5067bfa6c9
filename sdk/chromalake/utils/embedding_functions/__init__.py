"""Embedding functions at chromadb's import path, each with chromadb's class name, registry
name, constructor and config, and the same request to its provider.

Importing this module loads no model and no provider package: a function imports what it
needs when it is made, and says which package to ``pip install`` when that is missing.
"""

from __future__ import annotations

from typing import Any

from chromalake.embeddings import (
    EmbeddingFunction,
    SparseEmbeddingFunction,
    config_to_embedding_function,
    known_embedding_functions,
    register_embedding_function,
    register_sparse_embedding_function,
    sparse_known_embedding_functions,
)
from chromalake.utils.embedding_functions.default import DefaultEmbeddingFunction
from chromalake.utils.embedding_functions.google import (
    GoogleGeminiEmbeddingFunction,
    GoogleGenaiEmbeddingFunction,
    GoogleGenerativeAiEmbeddingFunction,
    GooglePalmEmbeddingFunction,
    GoogleVertexEmbeddingFunction,
)
from chromalake.utils.embedding_functions.http_apis import (
    ChromaCloudQwenEmbeddingFunction,
    CloudflareWorkersAIEmbeddingFunction,
    HuggingFaceEmbeddingFunction,
    HuggingFaceEmbeddingServer,
    JinaEmbeddingFunction,
    JinaQueryConfig,
    RoboflowEmbeddingFunction,
    TogetherAIEmbeddingFunction,
)
from chromalake.utils.embedding_functions.local_models import (
    AmazonBedrockEmbeddingFunction,
    ChromaLangchainEmbeddingFunction,
    InstructorEmbeddingFunction,
    OpenCLIPEmbeddingFunction,
    SentenceTransformerEmbeddingFunction,
    Text2VecEmbeddingFunction,
)
from chromalake.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2
from chromalake.utils.embedding_functions.openai_compatible import (
    BasetenEmbeddingFunction,
    MorphEmbeddingFunction,
    OpenAIEmbeddingFunction,
)
from chromalake.utils.embedding_functions.provider_sdks import (
    CohereEmbeddingFunction,
    MistralEmbeddingFunction,
    NomicEmbeddingFunction,
    NomicQueryConfig,
    OllamaEmbeddingFunction,
    PerplexityEmbeddingFunction,
    VoyageAIEmbeddingFunction,
)
from chromalake.utils.embedding_functions.sparse import (
    Bm25EmbeddingFunction,
    ChromaBm25EmbeddingFunction,
    ChromaCloudSpladeEmbeddingFunction,
    FastembedSparseEmbeddingFunction,
    HuggingFaceSparseEmbeddingFunction,
)

# chromadb's registry, name for name: "google_genai" is the Gemini function's older name, and
# "chroma_langchain" is registered though that function calls itself "langchain".
_DENSE: dict[str, type[Any]] = {
    "cohere": CohereEmbeddingFunction,
    "openai": OpenAIEmbeddingFunction,
    "huggingface": HuggingFaceEmbeddingFunction,
    "huggingface_server": HuggingFaceEmbeddingServer,
    "sentence_transformer": SentenceTransformerEmbeddingFunction,
    "google_palm": GooglePalmEmbeddingFunction,
    "google_generative_ai": GoogleGenerativeAiEmbeddingFunction,
    "google_vertex": GoogleVertexEmbeddingFunction,
    "google_gemini": GoogleGeminiEmbeddingFunction,
    "google_genai": GoogleGeminiEmbeddingFunction,
    "ollama": OllamaEmbeddingFunction,
    "instructor": InstructorEmbeddingFunction,
    "jina": JinaEmbeddingFunction,
    "mistral": MistralEmbeddingFunction,
    "morph": MorphEmbeddingFunction,
    "nomic": NomicEmbeddingFunction,
    "voyageai": VoyageAIEmbeddingFunction,
    "onnx_mini_lm_l6_v2": ONNXMiniLM_L6_V2,
    "open_clip": OpenCLIPEmbeddingFunction,
    "roboflow": RoboflowEmbeddingFunction,
    "text2vec": Text2VecEmbeddingFunction,
    "amazon_bedrock": AmazonBedrockEmbeddingFunction,
    "chroma_langchain": ChromaLangchainEmbeddingFunction,
    "baseten": BasetenEmbeddingFunction,
    "default": DefaultEmbeddingFunction,
    "cloudflare_workers_ai": CloudflareWorkersAIEmbeddingFunction,
    "together_ai": TogetherAIEmbeddingFunction,
    "chroma-cloud-qwen": ChromaCloudQwenEmbeddingFunction,
    "perplexity": PerplexityEmbeddingFunction,
}
_SPARSE: dict[str, type[Any]] = {
    "huggingface_sparse": HuggingFaceSparseEmbeddingFunction,
    "fastembed_sparse": FastembedSparseEmbeddingFunction,
    "bm25": Bm25EmbeddingFunction,
    "chroma-cloud-splade": ChromaCloudSpladeEmbeddingFunction,
    "chroma_bm25": ChromaBm25EmbeddingFunction,
}
# setdefault: a function the user registered under one of these names before stays theirs.
for _name, _cls in _DENSE.items():
    known_embedding_functions.setdefault(_name, _cls)
for _name, _cls in _SPARSE.items():
    sparse_known_embedding_functions.setdefault(_name, _cls)


def get_builtins() -> set[str]:
    """The class names of the built-in functions (chromadb's helper of that name)."""
    return {cls.__name__ for cls in (*_DENSE.values(), *_SPARSE.values())} | {
        "GoogleGenaiEmbeddingFunction"
    }


__all__ = [
    "AmazonBedrockEmbeddingFunction",
    "BasetenEmbeddingFunction",
    "Bm25EmbeddingFunction",
    "ChromaBm25EmbeddingFunction",
    "ChromaCloudQwenEmbeddingFunction",
    "ChromaCloudSpladeEmbeddingFunction",
    "ChromaLangchainEmbeddingFunction",
    "CloudflareWorkersAIEmbeddingFunction",
    "CohereEmbeddingFunction",
    "DefaultEmbeddingFunction",
    "EmbeddingFunction",
    "FastembedSparseEmbeddingFunction",
    "GoogleGeminiEmbeddingFunction",
    "GoogleGenaiEmbeddingFunction",
    "GoogleGenerativeAiEmbeddingFunction",
    "GooglePalmEmbeddingFunction",
    "GoogleVertexEmbeddingFunction",
    "HuggingFaceEmbeddingFunction",
    "HuggingFaceEmbeddingServer",
    "HuggingFaceSparseEmbeddingFunction",
    "InstructorEmbeddingFunction",
    "JinaEmbeddingFunction",
    "JinaQueryConfig",
    "MistralEmbeddingFunction",
    "MorphEmbeddingFunction",
    "NomicEmbeddingFunction",
    "NomicQueryConfig",
    "ONNXMiniLM_L6_V2",
    "OllamaEmbeddingFunction",
    "OpenAIEmbeddingFunction",
    "OpenCLIPEmbeddingFunction",
    "PerplexityEmbeddingFunction",
    "RoboflowEmbeddingFunction",
    "SentenceTransformerEmbeddingFunction",
    "SparseEmbeddingFunction",
    "Text2VecEmbeddingFunction",
    "TogetherAIEmbeddingFunction",
    "VoyageAIEmbeddingFunction",
    "config_to_embedding_function",
    "get_builtins",
    "known_embedding_functions",
    "register_embedding_function",
    "register_sparse_embedding_function",
    "sparse_known_embedding_functions",
]
