"""``ONNXMiniLM_L6_V2``: all-MiniLM-L6-v2 sentence vectors (384 numbers, unit length)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from chromalake.embeddings import EmbeddingFunction
from chromalake.minilm.embedder import MAX_TOKENS, shared_model
from chromalake.types import Documents


class ONNXMiniLM_L6_V2(EmbeddingFunction[Documents]):
    """all-MiniLM-L6-v2 as Chroma runs it; its collections default to the cosine space.

    The model is loaded on the first call (see :mod:`chromalake.minilm`).

    Example:
        >>> ef = ONNXMiniLM_L6_V2()
        >>> ef.name(), ef.default_space(), ef.get_config()
        ('onnx_mini_lm_l6_v2', 'cosine', {'preferred_providers': None})
    """

    def __init__(self, preferred_providers: list[str] | None = None) -> None:
        if preferred_providers is not None and not all(
            isinstance(p, str) for p in preferred_providers
        ):
            raise ValueError("Preferred providers must be a list of strings")
        if preferred_providers is not None and len(set(preferred_providers)) != len(
            preferred_providers
        ):
            raise ValueError("Preferred providers must be unique")
        self._preferred_providers = preferred_providers

    def __call__(self, input: Any) -> list[npt.NDArray[np.float32]]:
        """One unit vector of 384 float32 per text."""
        return shared_model(providers=self._preferred_providers)(list(input))

    def __repr__(self) -> str:
        return f"ONNXMiniLM_L6_V2(preferred_providers={self._preferred_providers!r})"

    @staticmethod
    def name() -> str:
        return "onnx_mini_lm_l6_v2"

    def default_space(self) -> str:
        return "cosine"

    def supported_spaces(self) -> list[str]:
        return ["cosine", "l2", "ip"]

    def max_tokens(self) -> int:
        return MAX_TOKENS

    def get_config(self) -> dict[str, Any]:
        return {"preferred_providers": self._preferred_providers}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ONNXMiniLM_L6_V2:
        return ONNXMiniLM_L6_V2(preferred_providers=config.get("preferred_providers"))
