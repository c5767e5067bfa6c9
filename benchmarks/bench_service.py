"""Service benchmark: the HTTP path, driven by the official ``chromadb.HttpClient``.

Servers: ``chromalake run`` on local disk, ``chromalake run`` on S3 + DynamoDB (a moto server
on 127.0.0.1), and ``chroma run`` (chromadb 1.5.9's own server) on local disk. Each gets the
same records (batches of 1,000) and the same single-vector queries; the chromalake servers
maintain collections in their background thread, as they do in use. Reported: ingest
records/s, query p50/p99/QPS, and recall@10 against exact search.

    python benchmarks/bench_service.py --n 10000
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.data import exact_top, load, metadatas

BIN = Path(sys.executable).parent
_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, process: subprocess.Popen[bytes], seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError("server did not start")


@contextmanager
def _moto() -> Iterator[dict[str, str]]:
    """A moto server with a bucket and a catalog table; the flags that point chromalake at it.

    A process of its own: in this one it would share the GIL with whatever the benchmark
    measures here (the api handler), and each of its answers would wait for the other.
    """
    import boto3

    for name, value in _CREDENTIALS.items():  # moto accepts any; boto3 and Lance need some
        os.environ.setdefault(name, value)
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _wait(port, server)
    endpoint = f"http://127.0.0.1:{port}"
    region = "us-east-1"
    boto3.client("s3", region_name=region, endpoint_url=endpoint).create_bucket(Bucket="bench-lake")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "functional"))
    from moto_server import catalog_table_definition

    boto3.client("dynamodb", region_name=region, endpoint_url=endpoint).create_table(
        TableName="bench-catalog", **catalog_table_definition()
    )
    try:
        yield {"--bucket": "bench-lake", "--table": "bench-catalog", "--region": region,
               "--s3-endpoint": endpoint, "--dynamodb-endpoint": endpoint}  # fmt: skip
    finally:
        server.terminate()
        server.wait(30)


@contextmanager
def serve(kind: str, path: str) -> Iterator[int]:
    port = _free_port()
    with _moto() if kind == "chromalake-s3" else _nothing() as flags:
        if kind == "chromadb":
            command = [str(BIN / "chroma"), "run", "--path", path, "--port", str(port)]
        else:
            command = [str(BIN / "chromalake"), "run", "--path", path, "--port", str(port)]
            command += [x for pair in (flags or {}).items() for x in pair]
        env = {**os.environ, **_CREDENTIALS}
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
        )
        try:
            _wait(port, process)
            yield port
        finally:
            process.terminate()
            process.wait(30)


@contextmanager
def _nothing() -> Iterator[None]:
    yield None


def measure(kind: str, data: np.ndarray, queries: np.ndarray, batch: int) -> dict[str, float]:
    import chromadb

    n = len(data)
    ids, metas = [f"id{i}" for i in range(n)], metadatas(n)
    with tempfile.TemporaryDirectory() as path, serve(kind, path) as port:
        client = chromadb.HttpClient(host="127.0.0.1", port=port)
        col = client.create_collection("bench", embedding_function=None)
        start = time.perf_counter()
        for i in range(0, n, batch):
            col.add(
                ids=ids[i : i + batch],
                embeddings=data[i : i + batch],
                metadatas=metas[i : i + batch],
            )
        ingest = time.perf_counter() - start
        col.modify(configuration={"hnsw": {"ef_search": 400}})  # recall >= 0.95 for both
        times, found = [], []
        for q in queries:
            t = time.perf_counter()
            found.append(col.query(query_embeddings=[q], n_results=10, include=[])["ids"][0])
            times.append(time.perf_counter() - t)
    truth = exact_top(data, queries, 10)
    recall = np.mean(
        [len({int(i[2:]) for i in f} & t) / 10 for f, t in zip(found, truth, strict=True)]
    )
    lat = np.asarray(times)
    return {
        "ingest_rps": n / ingest,
        "recall": float(recall),
        "p50_ms": float(np.percentile(lat, 50) * 1000),
        "p99_ms": float(np.percentile(lat, 99) * 1000),
        "qps": float(len(lat) / lat.sum()),
    }


def main() -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--queries", type=int, default=300)
    p.add_argument("--batch", type=int, default=1000)
    p.add_argument("--dataset", default="clustered")
    args = p.parse_args()
    data, queries = load(args.dataset, args.n, args.dim, args.queries)
    results = {
        kind: measure(kind, data, queries, args.batch)
        for kind in ("chromalake-disk", "chromalake-s3", "chromadb")
    }
    print(json.dumps({"n": args.n, **results}), flush=True)
    return results


if __name__ == "__main__":
    main()
