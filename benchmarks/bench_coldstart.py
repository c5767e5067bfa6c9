"""Cold start: a fresh process imports the library, opens a stored collection and queries it.

That is what a new Lambda instance pays before its first answer (plus the runtime's own
start). The collection is written once beforehand by the parent process; each child is timed
from its first line to its first query result, and the interpreter's own start-up is reported
apart. chromalake is measured twice: through its embedded client, and through the ``api``
Lambda handler answering an API Gateway query event.

    python benchmarks/bench_coldstart.py --n 10000 --runs 5
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.data import load  # noqa: E402

# Each child prints {"import_s", "first_query_s"}; time starts at the child's first line.
EMBEDDED = """
import json, sys, time; t0 = time.perf_counter()
import numpy as np
import {module} as lib
t1 = time.perf_counter()
col = lib.PersistentClient({path!r}).get_collection("cold")
ids = col.query(query_embeddings=[np.load({query!r})], n_results=10, include=[])["ids"][0]
t2 = time.perf_counter()
assert len(ids) == 10
print(json.dumps({{"import_s": t1 - t0, "first_query_s": t2 - t0}}))
"""

LAMBDA = """
import json, os, sys, time; t0 = time.perf_counter()
import importlib.util
spec = importlib.util.spec_from_file_location("app", {app!r})
app = importlib.util.module_from_spec(spec); spec.loader.exec_module(app)
t1 = time.perf_counter()
from chromalake.server.gateway import LambdaContext
result = app.handler(json.loads(open({event!r}).read()), LambdaContext())
t2 = time.perf_counter()
assert result["statusCode"] == 200, result
print(json.dumps({{"import_s": t1 - t0, "first_query_s": t2 - t0}}))
"""


def _query_event(path: Path, collection_id: str, query: np.ndarray) -> Path:
    database = "/api/v2/tenants/default_tenant/databases/default_database"
    route = f"{database}/collections/{collection_id}/query"
    body = json.dumps({"query_embeddings": [query.tolist()], "n_results": 10, "include": []})
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": route, "rawQueryString": "",
        "headers": {"content-type": "application/json"}, "body": body, "isBase64Encoded": False,
        "requestContext": {"http": {"method": "POST", "path": route, "protocol": "HTTP/1.1",
                                    "sourceIp": "127.0.0.1", "userAgent": "bench"},
                           "requestId": "cold", "routeKey": "$default", "stage": "$default"},
    }  # fmt: skip
    target = path / "event.json"
    target.write_text(json.dumps(event))
    return target


def _child(code: str, env: dict[str, str] | None = None) -> dict[str, float]:
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    total = time.perf_counter() - start
    return {**json.loads(out.stdout.strip().splitlines()[-1]), "process_s": total}


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: float(np.median([r[key] for r in runs])) for key in runs[0]}


def main() -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--dataset", default="clustered")
    args = p.parse_args()
    data, queries = load(args.dataset, args.n, args.dim, 1)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        query = Path(tmp) / "query.npy"
        np.save(query, queries[0])
        for module in ("chromalake", "chromadb"):
            path = str(Path(tmp) / module)
            col = (
                __import__(module)
                .PersistentClient(path)
                .create_collection("cold", embedding_function=None)
            )
            for i in range(0, args.n, 5000):
                col.add(
                    ids=[f"id{j}" for j in range(i, min(args.n, i + 5000))],
                    embeddings=data[i : i + 5000],
                )
            code = EMBEDDED.format(module=module, path=path, query=str(query))
            results[module] = _median([_child(code) for _ in range(args.runs)])
            if module == "chromalake":
                event = _query_event(Path(tmp), col.id, queries[0])
                env = {"IS_PERSISTENT": "true", "PERSIST_DIRECTORY": path, "PATH": ""}
                code = LAMBDA.format(app=str(ROOT / "functions/api/app.py"), event=str(event))
                results["chromalake-lambda"] = _median(
                    [_child(code, env) for _ in range(args.runs)]
                )
    results["python_startup_s"] = _python_startup()
    print(json.dumps({"n": args.n, **results}), flush=True)
    return results


def _python_startup() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
