"""Fairness of ``chromalake run``: a small tenant's latency beside a big tenant's big reads.

One server on local disk, two tenants: ``big`` holds ``--n`` records of ``--dim`` dimensions,
``small`` holds 100. The small tenant sends one query at a time (n_results 5) for
``--seconds``, first alone, then while ``--big-clients`` threads of the big tenant each
fetch its whole collection with embeddings (``get(include=["embeddings"])``) in a loop,
each in its own process.
Reported: the small tenant's p50/p99/max in each phase, and the big gets' durations. All
requests go through the official ``chromadb.HttpClient``; results go to
``benchmarks/results/fairness.json`` (``--out``).

    python benchmarks/bench_fairness.py --n 20000 --dim 384 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_service import serve
from benchmarks.data import clustered

SMALL_RECORDS = 100
LOAD_BATCH = 2000


def _client(port: int, tenant: str) -> Any:
    import chromadb

    return chromadb.HttpClient(
        host="127.0.0.1",
        port=port,
        tenant=tenant,
        settings=chromadb.Settings(anonymized_telemetry=False),
    )


def _collection(port: int, tenant: str, data: np.ndarray) -> Any:
    import chromadb

    admin = chromadb.AdminClient(
        chromadb.Settings(
            chroma_api_impl="chromadb.api.fastapi.FastAPI",
            chroma_server_host="127.0.0.1",
            chroma_server_http_port=port,
            anonymized_telemetry=False,
        )
    )
    admin.create_tenant(tenant)
    admin.create_database("default_database", tenant)
    col = _client(port, tenant).create_collection("records", embedding_function=None)
    for i in range(0, len(data), LOAD_BATCH):
        chunk = data[i : i + LOAD_BATCH]
        col.add(ids=[f"id{i + k}" for k in range(len(chunk))], embeddings=chunk)
    return col


def _percentiles(seconds: list[float]) -> dict[str, float]:
    lat = np.asarray(seconds) * 1000
    return {
        "requests": len(seconds),
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
        "max_ms": round(float(lat.max()), 1),
    }


def _small_latencies(col: Any, dim: int, seconds: float) -> list[float]:
    rng = np.random.default_rng(7)
    out: list[float] = []
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        query = rng.standard_normal(dim).astype(np.float32)
        start = time.perf_counter()
        col.query(query_embeddings=[query], n_results=5, include=[])
        out.append(time.perf_counter() - start)
    return out


def _big_reader(port: int, n: int, done: Any, times: Any) -> None:
    """Get the whole big collection with embeddings until ``done``; put the durations."""
    col = _client(port, "big").get_collection("records")
    durations: list[float] = []
    while not done.is_set():
        start = time.perf_counter()
        got = col.get(include=["embeddings"])
        durations.append(time.perf_counter() - start)
        assert len(got["ids"]) == n
    times.put(durations)


def measure(n: int, dim: int, seconds: float, big_clients: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as path, serve("chromalake-disk", path) as port:
        big = _collection(port, "big", clustered(n, dim, seed=1))
        small = _collection(port, "small", clustered(SMALL_RECORDS, dim, seed=2))
        small.query(query_embeddings=[np.zeros(dim, np.float32)], n_results=5)  # warm
        alone = _small_latencies(small, dim, seconds)

        # The big readers run in their own processes: parsing their replies must not hold
        # this process's GIL while it times the small tenant.
        context = multiprocessing.get_context("spawn")
        done, times = context.Event(), context.Queue()
        readers = [
            context.Process(target=_big_reader, args=(port, n, done, times))
            for _ in range(big_clients)
        ]
        for reader in readers:
            reader.start()
        time.sleep(5.0)  # the big gets are under way
        beside = _small_latencies(small, dim, seconds)
        done.set()
        big_times = [times.get(timeout=600) for _ in readers]
        for reader in readers:
            reader.join()
        del big
    return {
        "n": n,
        "dim": dim,
        "big_clients": big_clients,
        "small_alone": _percentiles(alone),
        "small_beside_big": _percentiles(beside),
        "big_get": _percentiles([t for durations in big_times for t in durations]),
    }


def main() -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=20_000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--big-clients", type=int, default=2)
    p.add_argument("--label", default="current", help="key of this run in the output file")
    p.add_argument("--out", default="benchmarks/results/fairness.json")
    args = p.parse_args()
    result = measure(args.n, args.dim, args.seconds, args.big_clients)
    out = Path(args.out)
    runs = json.loads(out.read_text()) if out.exists() else {}
    runs[args.label] = result
    out.write_text(json.dumps(runs, indent=2) + "\n")
    print(json.dumps({args.label: result}), flush=True)
    return result


if __name__ == "__main__":
    main()
