"""``DefaultEmbeddingFunction``: what a collection embeds with when it is given no function."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from chromalake.embeddings import EmbeddingFunction
from chromalake.minilm.embedder import MAX_TOKENS
from chromalake.types import Documents
from chromalake.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2


class DefaultEmbeddingFunction(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 under the name ``default``; unlike ``ONNXMiniLM_L6_V2`` it keeps the
    base default space, ``l2``, as chromadb's does.

    Example:
        >>> ef = DefaultEmbeddingFunction()
        >>> ef.name(), ef.get_config(), ef.default_space(), ef.is_legacy()
        ('default', {}, 'l2', False)
    """

    def __init__(self) -> None:
        self._model = ONNXMiniLM_L6_V2()

    def __call__(self, input: Any) -> list[npt.NDArray[np.float32]]:
        """One unit vector of 384 float32 per text."""
        return self._model(input)

    def __repr__(self) -> str:
        return "DefaultEmbeddingFunction()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DefaultEmbeddingFunction)

    def __hash__(self) -> int:
        return hash(DefaultEmbeddingFunction)

    @staticmethod
    def name() -> str:
        return "default"

    def max_tokens(self) -> int:
        return MAX_TOKENS

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> DefaultEmbeddingFunction:
        return DefaultEmbeddingFunction()
