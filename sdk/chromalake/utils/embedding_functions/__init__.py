"""Embedding functions, at chromadb's import path: ``DefaultEmbeddingFunction`` and
``ONNXMiniLM_L6_V2`` (all-MiniLM-L6-v2), the protocol and the registry.

Importing this module loads no model: the model loads on the first call.
"""

from chromalake.embeddings import (
    EmbeddingFunction,
    known_embedding_functions,
    register_embedding_function,
)
from chromalake.utils.embedding_functions.default import DefaultEmbeddingFunction
from chromalake.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

register_embedding_function(DefaultEmbeddingFunction)
register_embedding_function(ONNXMiniLM_L6_V2)

__all__ = [
    "DefaultEmbeddingFunction",
    "EmbeddingFunction",
    "ONNXMiniLM_L6_V2",
    "known_embedding_functions",
    "register_embedding_function",
]
