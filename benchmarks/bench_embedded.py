"""Embedded benchmark: chromalake's PersistentClient against chromadb's, on the same data.

For each size, each system runs in its own subprocess (so peak RSS is its own):

1. ingest: ``add`` in batches; chromalake then runs its maintenance (the index build that
   ``chromalake run`` or the maintenance Lambda would run in the background), timed apart;
2. queries at rising ``ef_search`` (100, 200, 400, 800; chromadb's HNSW and chromalake's
   refine factor both follow it) until recall@10 >= 0.95 against exact search: p50, p99, QPS;
3. filtered queries at 1%, 10% and 50% selectivity at that setting (recall against exact
   search among the matching rows);
4. ``get`` by 10 random ids; 5. peak RSS.

    python benchmarks/bench_embedded.py --sizes 10000,100000
    python benchmarks/bench_embedded.py --sizes 2000 --queries 50     # a quick look
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.data import exact_top, load, metadatas

SYSTEMS = ("chromalake", "chromadb")
EF_SEARCH = (100, 200, 400, 800)
SELECTIVITIES = (1, 10, 50)
TARGET_RECALL = 0.95
K = 10


def _latencies(run: Any, queries: np.ndarray) -> tuple[list[list[str]], np.ndarray]:
    found, times = [], []
    for q in queries:
        start = time.perf_counter()
        found.append(run(q))
        times.append(time.perf_counter() - start)
    return found, np.asarray(times)


def _stats(found: list[list[str]], times: np.ndarray, truth: list[set[int]]) -> dict[str, float]:
    recall = np.mean(
        [
            len({int(i[2:]) for i in f} & t) / max(1, min(K, len(t)))
            for f, t in zip(found, truth, strict=True)
        ]
    )
    return {
        "recall": float(recall),
        "p50_ms": float(np.percentile(times, 50) * 1000),
        "p99_ms": float(np.percentile(times, 99) * 1000),
        "qps": float(len(times) / times.sum()),
    }


def _set_ef(col: Any, ef: int) -> Any:
    col.modify(configuration={"hnsw": {"ef_search": ef}})
    return col


def _ingest(system: str, col: Any, data: np.ndarray, batch: int) -> dict[str, float]:
    n = len(data)
    ids, metas = [f"id{i}" for i in range(n)], metadatas(n)
    start = time.perf_counter()
    for i in range(0, n, batch):
        col.add(
            ids=ids[i : i + batch], embeddings=data[i : i + batch], metadatas=metas[i : i + batch]
        )
    ingest = time.perf_counter() - start
    index = 0.0
    if system == "chromalake":
        from chromalake.api.client import engine_for
        from chromalake.engine.maintenance import maintain

        start = time.perf_counter()
        maintain(engine_for(col._client.get_settings()), col.id)
        index = time.perf_counter() - start
    assert col.count() == n
    return {"ingest_rps": n / ingest, "index_s": index, "ingest_indexed_rps": n / (ingest + index)}


def _queries(col: Any, data: np.ndarray, queries: np.ndarray) -> dict[str, Any]:
    truth = exact_top(data, queries, K)
    sweep = []
    for ef in EF_SEARCH:
        _set_ef(col, ef)
        found, times = _latencies(
            lambda q: col.query(query_embeddings=[q], n_results=K, include=[])["ids"][0], queries
        )
        sweep.append({"ef_search": ef, **_stats(found, times, truth)})
        if sweep[-1]["recall"] >= TARGET_RECALL:
            break
    chosen = next(
        (s for s in sweep if s["recall"] >= TARGET_RECALL), max(sweep, key=lambda s: s["recall"])
    )
    _set_ef(col, int(chosen["ef_search"]))
    return {"sweep": sweep, "query": chosen}


def _filtered(col: Any, data: np.ndarray, queries: np.ndarray) -> dict[str, Any]:
    out = {}
    for pct in SELECTIVITIES:
        allowed = np.flatnonzero(np.arange(len(data)) % 100 < pct)
        truth = exact_top(data, queries, K, allowed)
        where = {"sel": {"$lt": pct}}
        found, times = _latencies(
            lambda q, w=where: col.query(query_embeddings=[q], n_results=K, where=w, include=[])[
                "ids"
            ][0],
            queries,
        )
        out[f"{pct}%"] = _stats(found, times, truth)
    return out


def _gets(col: Any, n: int, calls: int) -> dict[str, float]:
    rng = np.random.default_rng(3)
    batches = [[f"id{i}" for i in rng.choice(n, 10, replace=False)] for _ in range(calls)]
    start = time.perf_counter()
    for ids in batches:
        col.get(ids=ids)
    elapsed = time.perf_counter() - start
    return {"get_ops": calls / elapsed, "get_ms": elapsed / calls * 1000}


def run_one(
    system: str, dataset: str, n: int, dim: int, n_queries: int, batch: int
) -> dict[str, Any]:
    """Measure one system at one size in this process (main runs it in a subprocess)."""
    module = __import__(system)
    data, queries = load(dataset, n, dim, n_queries)
    with tempfile.TemporaryDirectory() as path:
        client = module.PersistentClient(path)
        col = client.create_collection("bench", embedding_function=None)
        result: dict[str, Any] = _ingest(system, col, data, batch)
        result.update(_queries(col, data, queries))
        result["filtered"] = _filtered(col, data, queries[: max(50, n_queries // 4)])
        result.update(_gets(col, n, 200))
    result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def measure(system: str, args: argparse.Namespace, n: int) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--one", system, "--sizes", str(n), "--dim", str(args.dim),
        "--queries", str(args.queries), "--batch", str(args.batch), "--dataset", args.dataset,
    ]  # fmt: skip
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--batch", type=int, default=5000)
    p.add_argument("--dataset", default="clustered", help="a registered name or npy:<path>")
    p.add_argument("--one", choices=SYSTEMS, help=argparse.SUPPRESS)
    return p


def main() -> dict[str, Any]:
    args = parser().parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.one:
        print(
            json.dumps(
                run_one(args.one, args.dataset, sizes[0], args.dim, args.queries, args.batch)
            )
        )
        return {}
    results: dict[str, Any] = {}
    for n in sizes:
        results[str(n)] = {system: measure(system, args, n) for system in SYSTEMS}
        print(json.dumps({n: results[str(n)]}), flush=True)
    return results


if __name__ == "__main__":
    main()
