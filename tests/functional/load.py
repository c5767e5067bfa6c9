"""A bounded load on ``chromalake run`` over loopback: mixed writes and queries, timed.

``run_load`` starts ``clients`` threads, each with its own HTTP connection, that send adds,
upserts, queries and gets to one collection for ``seconds``, while a sampler reads the
server's resident memory (``VmRSS`` in ``/proc``) every ``sample_every`` seconds. It stops by
itself; it only ever talks to the 127.0.0.1 URL it is given.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

DIMENSION = 32
BATCH = 10
# Of every 20 requests: 8 adds, 2 upserts, 8 queries, 2 gets.
MIX = ["add"] * 8 + ["upsert"] * 2 + ["query"] * 8 + ["get"] * 2
# Steady state: the same requests, but every write rewrites one of POOL batches of the
# client's ids, so the collection stops growing once they are all written and any memory
# the server keeps gaining is not data.
STEADY_MIX = ["upsert"] * 10 + ["query"] * 8 + ["get"] * 2
POOL = 100


@dataclass
class LoadResult:
    seconds: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    added: set[str] = field(default_factory=set)  # ids whose add was acknowledged
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (seconds, MiB)

    def summary(self) -> dict[str, Any]:
        requests = sum(len(v) for v in self.latencies.values())
        return {
            "seconds": round(self.seconds, 1),
            "requests": requests,
            "throughput_rps": round(requests / self.seconds, 1),
            "errors": dict(self.errors),
            "latency_ms": {
                op: {
                    f"p{q}": round(float(np.percentile(values, q)) * 1000, 1) for q in (50, 95, 99)
                }
                for op, values in sorted(self.latencies.items())
            },
            "records_acknowledged": len(self.added),
            "rss_mib": [round(mb, 1) for _, mb in self.rss_mb],
            "rss_sample_seconds": (
                round(self.rss_mb[1][0] - self.rss_mb[0][0], 1) if len(self.rss_mb) > 1 else 0
            ),
        }


def rss_mib(pid: int) -> float:
    """The resident memory of process ``pid`` in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _records(rng: random.Random, prefix: str, n: int) -> dict[str, Any]:
    ids = [f"{prefix}-{n}-{k}" for k in range(BATCH)]
    return {
        "ids": ids,
        "embeddings": [[rng.random() for _ in range(DIMENSION)] for _ in ids],
        "documents": [f"document {i}" for i in ids],
        "metadatas": [{"n": n, "k": k, "even": k % 2 == 0} for k in range(BATCH)],
    }


def _client(
    url: str, root: str, number: int, stop: float, result: LoadResult, lock: Any, steady: bool
) -> None:
    rng = random.Random(number)
    mix = STEADY_MIX if steady else MIX
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    added: set[str] = set()
    n = 0
    with httpx.Client(base_url=url, timeout=30) as http:
        while time.monotonic() < stop:
            op = rng.choice(mix)
            n += 1
            if op in ("add", "upsert"):
                batch = rng.randrange(POOL) if steady else n
                body = _records(rng, f"c{number}{op[0]}", batch)
            elif op == "query":
                vector = [rng.random() for _ in range(DIMENSION)]
                body = {"query_embeddings": [vector], "n_results": 5, "where": {"even": True}}
            else:
                body = {"limit": 20, "offset": rng.randrange(100), "include": ["metadatas"]}
            start = time.perf_counter()
            try:
                reply = http.post(f"{root}/{op}", json=body)
            except httpx.HTTPError as e:
                errors[f"{op}: {type(e).__name__}"] += 1
                continue
            latencies[op].append(time.perf_counter() - start)
            if reply.status_code >= 400:
                errors[f"{op}: {reply.status_code}"] += 1
            elif op in ("add", "upsert"):
                added.update(body["ids"])
    with lock:
        for op, values in latencies.items():
            result.latencies[op].extend(values)
        result.errors.update(errors)
        result.added |= added


def run_load(
    url: str,
    collection_id: str,
    pid: int,
    clients: int,
    seconds: float,
    sample_every: float,
    steady: bool = False,
) -> LoadResult:
    """Load ``collection_id`` (dimension 32) on the server at ``url`` for ``seconds``; with
    ``steady``, writes rewrite a fixed pool of ids (``STEADY_MIX``, ``POOL``)."""
    root = f"/api/v2/tenants/default_tenant/databases/default_database/collections/{collection_id}"
    result, lock = LoadResult(seconds=seconds), threading.Lock()
    begin = time.monotonic()
    stop = begin + seconds
    threads = [
        threading.Thread(target=_client, args=(url, root, n, stop, result, lock, steady))
        for n in range(clients)
    ]
    for t in threads:
        t.start()
    while time.monotonic() < stop:
        result.rss_mb.append((time.monotonic() - begin, rss_mib(pid)))
        time.sleep(min(sample_every, max(0.0, stop - time.monotonic())))
    for t in threads:
        t.join()
    result.rss_mb.append((time.monotonic() - begin, rss_mib(pid)))
    result.seconds = time.monotonic() - begin
    return result
