"""Fork cost on local disk: time, and bytes the fork adds, for a large collection.

Fills a ``PersistentClient`` collection with ``--n`` random records of ``--dim`` float32
(default 100k x 384), compacted as maintenance leaves it, then forks it ``--forks`` times
and reports for each fork the wall time of ``collection.fork`` and how many bytes the data
directory grew by. A fork is a shallow Lance clone (a manifest naming the source's files),
so neither should grow with the collection. It also times the first query and a write on
the fork, and a full export to Parquet for comparison. Results land in
``results/fork.json``.

    python benchmarks/bench_fork.py                  # 100k x 384
    python benchmarks/bench_fork.py --n 10000        # a quicker look
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

RESULTS = Path(__file__).parent / "results"
BATCH = 5000


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def filled(client: Any, n: int, dim: int) -> Any:
    from chromalake.engine.maintenance import maintain

    rng = np.random.default_rng(0)
    col = client.create_collection("source", embedding_function=None)
    for start in range(0, n, BATCH):
        size = min(BATCH, n - start)
        col.add(
            ids=[f"id-{i}" for i in range(start, start + size)],
            embeddings=rng.standard_normal((size, dim), dtype=np.float32),
            documents=[f"document {i}" for i in range(start, start + size)],
            metadatas=[{"i": i, "even": i % 2 == 0} for i in range(start, start + size)],
        )
    # Compact (and index, past the threshold) as maintenance would before anyone forks.
    maintain(client._backend.engine, str(col.id), force=True)
    return col


def measure(n: int, dim: int, forks: int) -> dict[str, Any]:
    import chromalake
    from chromalake.utils.backup import export_collection

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        client = chromalake.PersistentClient(path=str(root))
        start = time.perf_counter()
        col = filled(client, n, dim)
        fill_seconds = time.perf_counter() - start
        source_bytes = tree_bytes(root)
        times, added = [], []
        for k in range(forks):
            before = tree_bytes(root)
            start = time.perf_counter()
            fork = col.fork(f"fork-{k}")
            times.append(time.perf_counter() - start)
            added.append(tree_bytes(root) - before)
        query = np.random.default_rng(1).standard_normal((1, dim), dtype=np.float32)
        start = time.perf_counter()
        fork.query(query_embeddings=query, n_results=10)
        first_query = time.perf_counter() - start
        start = time.perf_counter()
        fork.add(ids=["new"], embeddings=query)
        write = time.perf_counter() - start
        start = time.perf_counter()
        export_collection(col, Path(tmp) / "export.parquet", page_size=BATCH)
        export_seconds = time.perf_counter() - start
        return {
            "records": n,
            "dimension": dim,
            "fill_seconds": round(fill_seconds, 1),
            "source_bytes": source_bytes,
            "fork_ms": [round(t * 1000, 1) for t in times],
            "fork_ms_median": round(statistics.median(times) * 1000, 1),
            "fork_bytes_added": added,
            "fork_first_query_ms": round(first_query * 1000, 1),
            "fork_first_write_ms": round(write * 1000, 1),
            "export_parquet_seconds": round(export_seconds, 1),
            "export_bytes": (Path(tmp) / "export.parquet").stat().st_size,
            "machine": f"{platform.machine()}, {platform.python_version()}",
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--forks", type=int, default=5)
    args = parser.parse_args()
    result = measure(args.n, args.dim, args.forks)
    print(json.dumps(result, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fork.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
