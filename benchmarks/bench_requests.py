"""What one request costs in S3 and DynamoDB round trips, and how long it takes with them.

``chromalake run`` and the ``api`` Lambda handler, both on S3 + DynamoDB (a moto server on
127.0.0.1), reach storage through a proxy that counts each request by kind and adds a
latency per request: by default 30 ms per S3 request and 5 ms per DynamoDB request, about
what they cost inside AWS. The collection (``n`` x ``dim`` with metadata and documents) is
written and maintained beforehand by another engine, straight to moto. Then, per target:

- warm ``query`` (10 results with documents and metadata), warm filtered ``query``, ``get``
  of 10 ids, ``count``, ``add`` of one record: requests per call and p50/p99 latency, the
  instance warm (its local copy complete) and the collection unchanged between calls;
- ``after a write``: the first query after another instance added a record;
- ``cold``: the first query of a new ``chromalake run`` process (timed from its first
  heartbeat answer, so the interpreter's start-up is not in it).

    python benchmarks/bench_requests.py --sizes 10000,100000
    python benchmarks/bench_requests.py --sizes 10000 --s3-ms 0 --dynamodb-ms 0

Prints one JSON object; ``--out`` also writes it, and the markdown table beside it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "functional"))

from benchmarks.bench_service import _CREDENTIALS, BIN, _free_port, _moto, _wait  # noqa: E402
from benchmarks.data import load  # noqa: E402
from fault_proxy import FaultProxy  # noqa: E402
from server_events import http_event  # noqa: E402

BASE = "/api/v2/tenants/default_tenant/databases/default_database/collections"
BATCH = 1000
# Reads of a query: what a Chroma user's query returns by default.
INCLUDE = ["documents", "metadatas", "distances"]

# Given to a warm instance to build its in-process index (engine/warm_index.py) before the
# warm figures are taken (100k x 384: ~3 s on one core).
WARM_INDEX_SECONDS = 15.0

Send = Callable[[str, str, Any], Any]


def _fill(flags: dict[str, str], name: str, data: np.ndarray) -> str:
    """Write the collection straight to moto and maintain it (index trained); its id."""
    from chromalake.engine.factory import build_engine
    from chromalake.engine.maintenance import maintain

    engine = build_engine(_settings(flags))
    coll = engine.create_collection(name)
    for start in range(0, len(data), BATCH):
        rows = range(start, min(start + BATCH, len(data)))
        engine.add(
            coll.id,
            ids=[f"id{i}" for i in rows],
            embeddings=list(data[start : start + len(rows)]),
            metadatas=[{"sel": i % 100, "group": f"g{i % 7}"} for i in rows],
            documents=[f"record {i} of the benchmark, group g{i % 7}" for i in rows],
        )
    maintain(engine, coll.id, force=True)
    return coll.id


def _settings(flags: dict[str, str], **changes: Any) -> Any:
    from chromalake.config import Settings

    return Settings(
        chromalake_bucket=flags["--bucket"],
        chromalake_table=flags["--table"],
        chromalake_region=flags["--region"],
        chromalake_s3_endpoint=flags["--s3-endpoint"],
        chromalake_dynamodb_endpoint=flags["--dynamodb-endpoint"],
        **changes,
    )


def _requests(cid: str, queries: np.ndarray, n: int) -> dict[str, Callable[[int], Any]]:
    """Each measured call, as (method, path, body) for the i-th repetition."""
    rng = np.random.default_rng(5)

    def query(i: int, where: Any = None) -> tuple[str, str, Any]:
        body = {"query_embeddings": [queries[i % len(queries)].tolist()], "n_results": 10}
        body |= {"include": INCLUDE} | ({"where": where} if where else {})
        return "POST", f"{BASE}/{cid}/query", body

    def get(i: int) -> tuple[str, str, Any]:
        ids = [f"id{j}" for j in rng.choice(n, 10, replace=False)]
        return "POST", f"{BASE}/{cid}/get", {"ids": ids, "include": ["documents", "metadatas"]}

    def add(i: int) -> tuple[str, str, Any]:
        body = {"ids": [f"new-{os.getpid()}-{i}-{time.time_ns()}"]}
        body |= {"embeddings": [queries[i % len(queries)].tolist()], "metadatas": [{"sel": 1}]}
        return "POST", f"{BASE}/{cid}/add", body | {"documents": ["a new record"]}

    return {
        "query": query,
        "filtered query": lambda i: query(i, {"sel": {"$lt": 10}}),
        "get 10 ids": get,
        "count": lambda i: ("GET", f"{BASE}/{cid}/count", None),
        "add 1": add,
    }


def _measure(proxy: FaultProxy, send: Send, request: Callable[[int], Any], repeat: int) -> dict:
    times, upstream, sent = [], [], Counter[str]()
    for i in range(repeat):
        proxy.reset()
        start = time.perf_counter()
        send(*request(i))
        times.append(time.perf_counter() - start)
        upstream.append(proxy.upstream_seconds)
        sent.update(proxy.counted())
    lat = np.asarray(times) * 1000
    return {
        "requests": {k: round(v / repeat, 2) for k, v in sorted(sent.items())},
        "p50_ms": round(float(np.percentile(lat, 50)), 1),
        "p99_ms": round(float(np.percentile(lat, 99)), 1),
        # moto's own time answering (summed over the call's requests): not part of the
        # injected latency, which already stands for a request's whole round trip in AWS.
        "moto_ms": round(float(np.percentile(np.asarray(upstream) * 1000, 50)), 1),
    }


def _until_warm(proxy: FaultProxy, send: Send, request: Any, seconds: float = 300.0) -> None:
    """Read until a read sends no S3 request (the instance's local copy is complete)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        proxy.reset()
        send(*request)
        if not any(k.startswith("S3") for k in proxy.counted()):
            return
        time.sleep(0.2)
    raise TimeoutError("the instance never served a read without S3")


def _target_results(
    proxy: FaultProxy, send: Send, flags: dict[str, str], cid: str, data: Any, repeat: int
) -> dict[str, Any]:
    queries, n = data
    calls = _requests(cid, queries, n)
    _until_warm(proxy, send, calls["query"](0))
    time.sleep(WARM_INDEX_SECONDS)  # the in-process index builds in the background
    reads = [name for name in calls if name != "add 1"]
    results = {name: _measure(proxy, send, calls[name], repeat) for name in reads}
    # Another instance (an engine of its own, straight to moto) writes one record; then the
    # first query here pays for what changed.
    from chromalake.engine.factory import build_engine

    other = build_engine(_settings(flags))
    other.add(cid, ids=[f"other-{time.time_ns()}"], embeddings=[queries[0]])
    results["query after another's write"] = _measure(proxy, send, calls["query"], 1)
    results["add 1"] = _measure(proxy, send, calls["add 1"], repeat)
    return results


@contextmanager
def _server(flags: dict[str, str], proxy: FaultProxy) -> Iterator[tuple[Send, float]]:
    """``chromalake run`` on S3 + DynamoDB through the proxy; its sender, and when it
    answered its first heartbeat."""
    import httpx

    port = _free_port()
    through = {**flags, "--s3-endpoint": proxy.endpoint, "--dynamodb-endpoint": proxy.endpoint}
    command = [str(BIN / "chromalake"), "run", "--port", str(port)]
    command += [x for pair in through.items() for x in pair]
    env = {**os.environ, **_CREDENTIALS, "CHROMALAKE_MAINTENANCE_DELAY_SECONDS": "86400"}
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    try:
        _wait(port, process)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120)
        client.get("/api/v2/heartbeat").raise_for_status()

        def send(method: str, path: str, body: Any) -> Any:
            answer = client.request(method, path, json=body)
            answer.raise_for_status()
            return answer.json()

        yield send, time.perf_counter()
    finally:
        process.terminate()
        process.wait(30)


@contextmanager
def _handler(flags: dict[str, str], proxy: FaultProxy) -> Iterator[Send]:
    """The ``api`` Lambda handler, imported in this process with its settings through the
    proxy; its sender."""
    from chromalake.server.gateway import LambdaContext

    saved = dict(os.environ)
    os.environ.update(
        CHROMALAKE_BUCKET=flags["--bucket"],
        CHROMALAKE_TABLE=flags["--table"],
        CHROMALAKE_REGION=flags["--region"],
        CHROMALAKE_S3_ENDPOINT=proxy.endpoint,
        CHROMALAKE_DYNAMODB_ENDPOINT=proxy.endpoint,
        POWERTOOLS_METRICS_NAMESPACE="bench",
    )
    try:
        spec = importlib.util.spec_from_file_location(
            "bench_api_app", ROOT / "functions/api/app.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        context = LambdaContext()

        def send(method: str, path: str, body: Any) -> Any:
            answer = module.handler(http_event(method, path, body), context)
            if answer["statusCode"] >= 400:
                raise RuntimeError(f"{method} {path}: {answer['statusCode']} {answer['body']}")
            return json.loads(answer["body"])

        yield send
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _cold(flags: dict[str, str], proxy: FaultProxy, cid: str, queries: np.ndarray) -> dict:
    """The first query of a new ``chromalake run`` process (from its first heartbeat)."""
    with _server(flags, proxy) as (send, ready):
        proxy.reset()
        del ready
        start = time.perf_counter()
        send(*_requests(cid, queries, 1)["query"](0))
        elapsed = time.perf_counter() - start
        return {
            "requests": dict(sorted(proxy.counted().items())),
            "p50_ms": round(elapsed * 1000, 1),
            "p99_ms": round(elapsed * 1000, 1),
        }


def measure(flags: dict[str, str], n: int, args: argparse.Namespace) -> dict[str, Any]:
    data, queries = load(args.dataset, n, args.dim, 200)
    cid = _fill(flags, f"bench-{n}", data)
    latency = {"S3": args.s3_ms / 1000, "DynamoDB": args.dynamodb_ms / 1000}
    proxy = FaultProxy(flags["--s3-endpoint"], latency).start()
    try:
        out: dict[str, Any] = {"cold first query": _cold(flags, proxy, cid, queries)}
        with _server(flags, proxy) as (send, _):
            out["chromalake run"] = _target_results(
                proxy, send, flags, cid, (queries, n), args.repeat
            )
        with _handler(flags, proxy) as send:
            out["api handler"] = _target_results(proxy, send, flags, cid, (queries, n), args.repeat)
        return out
    finally:
        proxy.stop()


def table(results: dict[str, Any]) -> str:
    """The markdown table of the results: one row per size, target and call."""
    head = f"Injected latency: {results['s3_ms']} ms per S3 request, "
    head += f"{results['dynamodb_ms']} ms per DynamoDB request, added to moto's own time "
    head += "answering (last column, p50; the injected figure stands for the whole round trip "
    head += "inside AWS, so a call's latency there is about p50 minus that).\n\n"
    lines = [
        "| n x dim | target | call | S3 requests | DynamoDB requests | p50 ms | p99 ms "
        "| of which moto, ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for size, per_target in results["sizes"].items():
        cold = per_target["cold first query"]
        rows = [("chromalake run", "cold first query (new process)", cold)]
        for target in ("chromalake run", "api handler"):
            rows += [(target, call, r) for call, r in per_target[target].items()]
        for target, call, r in rows:
            s3 = _kinds(r["requests"], "S3") or "0"
            ddb = _kinds(r["requests"], "DynamoDB") or "0"
            lines.append(
                f"| {size} x {results['dim']} | {target} | {call} | {s3} | {ddb} "
                f"| {r['p50_ms']} | {r['p99_ms']} | {r.get('moto_ms', '-')} |"
            )
    return head + "\n".join(lines) + "\n"


def _kinds(requests: dict[str, float], service: str) -> str:
    return ", ".join(
        f"{n:g} {k.removeprefix(service).strip()}"
        for k, n in requests.items()
        if k.startswith(service)
    )


def main() -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--repeat", type=int, default=50, help="calls measured per kind")
    p.add_argument("--s3-ms", type=float, default=30.0)
    p.add_argument("--dynamodb-ms", type=float, default=5.0)
    p.add_argument("--dataset", default="clustered")
    p.add_argument("--out", type=Path, help="write the JSON here and the table beside it (.md)")
    args = p.parse_args()
    results: dict[str, Any] = {"dim": args.dim, "s3_ms": args.s3_ms}
    results |= {"dynamodb_ms": args.dynamodb_ms, "sizes": {}}
    with _moto() as flags:
        for n in (int(s) for s in args.sizes.split(",")):
            results["sizes"][str(n)] = measure(flags, n, args)
            print(f"{n}: done", file=sys.stderr, flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=2) + "\n")
        args.out.with_suffix(".md").write_text(table(results))
    print(json.dumps(results), flush=True)
    return results


if __name__ == "__main__":
    main()
