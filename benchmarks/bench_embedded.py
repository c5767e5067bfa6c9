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


def _queries(col: Any, queries: np.ndarray, truth: list[set[int]]) -> dict[str, Any]:
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


def _filtered(col: Any, queries: np.ndarray, truths: dict[str, list[set[int]]]) -> dict[str, Any]:
    out = {}
    for pct in SELECTIVITIES:
        truth = truths[f"{pct}%"]
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


def prepare(args: argparse.Namespace, n: int, directory: Path) -> None:
    """Data, queries and exact answers, computed here so the measured process holds only the
    data: its peak RSS is the system's plus the same vectors for both systems."""
    data, queries = load(args.dataset, n, args.dim, args.queries)
    filtered = queries[: max(50, args.queries // 4)]
    truths = {"all": exact_top(data, queries, K)}
    for pct in SELECTIVITIES:
        allowed = np.flatnonzero(np.arange(n) % 100 < pct)
        truths[f"{pct}%"] = exact_top(data, filtered, K, allowed)
    np.save(directory / "data.npy", data)
    np.save(directory / "queries.npy", queries)
    answers = {key: [sorted(t) for t in sets] for key, sets in truths.items()}
    (directory / "truth.json").write_text(json.dumps(answers))


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def run_one(system: str, directory: Path, batch: int) -> dict[str, Any]:
    """Measure one system in this process (main runs it in a subprocess)."""
    data, queries = np.load(directory / "data.npy"), np.load(directory / "queries.npy")
    answers = json.loads((directory / "truth.json").read_text())
    truths = {key: [set(t) for t in sets] for key, sets in answers.items()}
    baseline = _peak_mb()
    module = __import__(system)
    with tempfile.TemporaryDirectory() as path:
        client = module.PersistentClient(path)
        col = client.create_collection("bench", embedding_function=None)
        result: dict[str, Any] = _ingest(system, col, data, batch)
        result.update(_queries(col, queries, truths["all"]))
        result["filtered"] = _filtered(col, queries[: max(50, len(queries) // 4)], truths)
        result.update(_gets(col, len(data), 200))
    result["rss_mb"] = _peak_mb()
    result["data_rss_mb"] = baseline  # the benchmark's own vectors, before the system loads
    return result


def measure(system: str, args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    command = [
        sys.executable, __file__, "--one", system, "--data", str(directory),
        "--batch", str(args.batch),
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
    p.add_argument("--data", help=argparse.SUPPRESS)
    return p


def main() -> dict[str, Any]:
    args = parser().parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, Path(args.data), args.batch)))
        return {}
    results: dict[str, Any] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as directory:
            prepare(args, n, Path(directory))
            results[str(n)] = {}
            for system in SYSTEMS:
                results[str(n)][system] = measure(system, args, Path(directory))
                # Progress on stderr: a run stopped halfway still leaves what it measured.
                print(json.dumps({n: {system: results[str(n)][system]}}), file=sys.stderr)
        print(json.dumps({n: results[str(n)]}), flush=True)
    return results


if __name__ == "__main__":
    main()
