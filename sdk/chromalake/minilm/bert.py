"""BERT's encoder as a numpy forward pass, for the safetensors weights (no torch needed).

It computes what ``transformers.BertModel`` computes for ``last_hidden_state`` in inference:
embeddings + LayerNorm, then per layer self-attention (padding masked out), a residual
LayerNorm, a GELU feed-forward and another residual LayerNorm. float32 throughout, as the
ONNX model and sentence-transformers compute.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from chromalake.minilm import safetensors

Array = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int64]

# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, far below float32 noise after a layer.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def erf(x: Array) -> Array:
    """The error function, vectorised (numpy has none).

    Example:
        >>> [round(float(v), 6) for v in erf(np.array([-1.0, 0.0, 0.5], np.float32))]
        [-0.842701, 0.0, 0.5205]
    """
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + _ERF_P * a)
    a1, a2, a3, a4, a5 = _ERF_A
    poly = ((((a5 * t + a4) * t + a3) * t + a2) * t + a1) * t
    return np.asarray(sign * (1.0 - poly * np.exp(-a * a)), dtype=np.float32)


def gelu(x: Array) -> Array:
    """BERT's exact (erf) GELU, not the tanh approximation."""
    return (0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))).astype(np.float32)


def layer_norm(x: Array, weight: Array, bias: Array, eps: float) -> Array:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return np.asarray((x - mean) / np.sqrt(var + eps) * weight + bias, dtype=np.float32)


@dataclass(frozen=True)
class Layer:
    """One encoder layer's weights, transposed for ``x @ w`` and Q, K, V fused into one."""

    qkv_w: Array
    qkv_b: Array
    out_w: Array
    out_b: Array
    ln1_w: Array
    ln1_b: Array
    ff_in_w: Array
    ff_in_b: Array
    ff_out_w: Array
    ff_out_b: Array
    ln2_w: Array
    ln2_b: Array


def _layer(t: dict[str, Array], i: int) -> Layer:
    p = f"encoder.layer.{i}."
    qkv = [t[f"{p}attention.self.{n}.weight"] for n in ("query", "key", "value")]
    qkv_b = [t[f"{p}attention.self.{n}.bias"] for n in ("query", "key", "value")]
    return Layer(
        qkv_w=np.ascontiguousarray(np.concatenate(qkv, axis=0).T),
        qkv_b=np.concatenate(qkv_b),
        out_w=np.ascontiguousarray(t[f"{p}attention.output.dense.weight"].T),
        out_b=t[f"{p}attention.output.dense.bias"],
        ln1_w=t[f"{p}attention.output.LayerNorm.weight"],
        ln1_b=t[f"{p}attention.output.LayerNorm.bias"],
        ff_in_w=np.ascontiguousarray(t[f"{p}intermediate.dense.weight"].T),
        ff_in_b=t[f"{p}intermediate.dense.bias"],
        ff_out_w=np.ascontiguousarray(t[f"{p}output.dense.weight"].T),
        ff_out_b=t[f"{p}output.dense.bias"],
        ln2_w=t[f"{p}output.LayerNorm.weight"],
        ln2_b=t[f"{p}output.LayerNorm.bias"],
    )


class BertEncoder:
    """``last_hidden_state`` of a BERT model stored as ``config.json`` + ``model.safetensors``."""

    def __init__(self, directory: Path) -> None:
        config = json.loads((directory / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        t = safetensors.load(directory / "model.safetensors")
        self.word = t["embeddings.word_embeddings.weight"]
        self.position = t["embeddings.position_embeddings.weight"]
        self.token_type = t["embeddings.token_type_embeddings.weight"]
        self.ln_w = t["embeddings.LayerNorm.weight"]
        self.ln_b = t["embeddings.LayerNorm.bias"]
        self.layers = [_layer(t, i) for i in range(int(config["num_hidden_layers"]))]

    def __call__(self, input_ids: IntArray, attention_mask: IntArray) -> Array:
        """Hidden states of shape (batch, tokens, hidden); token types are all 0, as Chroma's."""
        from threadpoolctl import threadpool_limits

        # Attention is many small matrix products: BLAS threads only add synchronisation to
        # them, and on a busy machine that costs 30x (measured here: 4 vs 126 texts/s).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._forward(input_ids, attention_mask)

    def _forward(self, input_ids: IntArray, attention_mask: IntArray) -> Array:
        tokens = input_ids.shape[1]
        x = self.word[input_ids] + self.position[:tokens] + self.token_type[0]
        x = layer_norm(x, self.ln_w, self.ln_b, self.eps)
        # Padding gets the most negative float, as transformers does, so softmax ignores it.
        bias = np.where(attention_mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min)
        bias = bias.astype(np.float32)
        for layer in self.layers:
            x = self._layer(x, layer, bias)
        return x

    def _layer(self, x: Array, w: Layer, bias: Array) -> Array:
        batch, tokens, hidden = x.shape
        size = hidden // self.heads
        qkv = x @ w.qkv_w + w.qkv_b
        # (batch, tokens, 3, heads, size) -> three (batch, heads, tokens, size)
        q, k, v = qkv.reshape(batch, tokens, 3, self.heads, size).transpose(2, 0, 3, 1, 4)
        scores = (q @ k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(size)) + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, tokens, hidden)
        x = layer_norm(context @ w.out_w + w.out_b + x, w.ln1_w, w.ln1_b, self.eps)
        ff = gelu(x @ w.ff_in_w + w.ff_in_b) @ w.ff_out_w + w.ff_out_b
        return layer_norm(ff + x, w.ln2_w, w.ln2_b, self.eps)
