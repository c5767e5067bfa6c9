"""Embedded benchmark: chromalake's PersistentClient against chromadb's, in one run.

Adds N records of D dimensions in batches, then runs Q single-vector queries (n_results=10),
for each system in its own subprocess (so peak RSS belongs to one system), on the same
deterministic clustered data. Prints a table of records/s, queries/s, recall@10 against exact
search, and peak RSS, with chromalake/chromadb ratios; writes the same as JSON.

    python benchmarks/bench_embedded.py                 # 100,000 x 384, 1,000 queries
    python benchmarks/bench_embedded.py --n 20000       # a quicker look
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SYSTEMS = ("chromalake", "chromadb")
RESULTS = Path(__file__).parent / "results"


def clustered(n: int, dim: int, seed: int, clusters: int = 1000) -> np.ndarray:
    """Gaussian clusters: closer to real embeddings than uniform noise, and deterministic."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dim)).astype(np.float32)
    labels = rng.integers(0, clusters, n)
    return centres[labels] + 0.3 * rng.standard_normal((n, dim)).astype(np.float32)


def exact_top10(data: np.ndarray, queries: np.ndarray) -> list[set[str]]:
    sq = np.einsum("ij,ij->i", data, data)
    truth = []
    for q in queries:
        d = sq - 2.0 * data @ q
        truth.append({f"id{i}" for i in np.argpartition(d, 10)[:10]})
    return truth


def run_one(system: str, n: int, dim: int, n_queries: int, batch: int) -> dict[str, float]:
    """Measure one system in this process (called in a subprocess by main)."""
    module = __import__(system)
    data = clustered(n, dim, seed=1)
    queries = clustered(n_queries, dim, seed=2)
    ids = [f"id{i}" for i in range(n)]
    metas = [{"cluster": i % 100, "even": i % 2 == 0} for i in range(n)]
    with tempfile.TemporaryDirectory() as path:
        client = module.PersistentClient(path)
        col = client.create_collection("bench", embedding_function=None)
        start = time.perf_counter()
        for i in range(0, n, batch):
            col.add(
                ids=ids[i : i + batch],
                embeddings=data[i : i + batch],
                metadatas=metas[i : i + batch],
            )
        ingest = time.perf_counter() - start
        start = time.perf_counter()
        found = [
            col.query(query_embeddings=[q], n_results=10, include=[])["ids"][0] for q in queries
        ]
        query = time.perf_counter() - start
        truth = exact_top10(data, queries)
        recall = float(np.mean([len(set(f) & t) / 10 for f, t in zip(found, truth, strict=True)]))
        assert col.count() == n
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"ingest_rps": n / ingest, "qps": n_queries / query, "recall": recall, "rss_mb": rss_mb}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--one", choices=SYSTEMS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.n, args.dim, args.queries, args.batch)))
        return
    results = {}
    for system in SYSTEMS:
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                system,
                "--n",
                str(args.n),
                "--dim",
                str(args.dim),
                "--queries",
                str(args.queries),
                "--batch",
                str(args.batch),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results[system] = json.loads(out.stdout.strip().splitlines()[-1])
    report(args, results)


def report(args: argparse.Namespace, results: dict[str, dict[str, float]]) -> None:
    lake, chroma = results["chromalake"], results["chromadb"]
    print(
        f"{args.n:,} x {args.dim} records, batches of {args.batch}, {args.queries} queries "
        f"(n_results=10) on {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}"
    )
    print("| metric | chromalake | chromadb 1.5.9 | ratio |")
    print("| --- | --- | --- | --- |")
    for key, label, fmt in [
        ("ingest_rps", "ingest (records/s)", "{:,.0f}"),
        ("qps", "query (queries/s)", "{:,.1f}"),
        ("recall", "recall@10", "{:.3f}"),
        ("rss_mb", "peak RSS (MB)", "{:,.0f}"),
    ]:
        print(
            f"| {label} | {fmt.format(lake[key])} | {fmt.format(chroma[key])} | "
            f"{lake[key] / chroma[key]:.2f}x |"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "embedded.json").write_text(json.dumps({"args": vars(args), **results}, indent=2))


if __name__ == "__main__":
    main()
