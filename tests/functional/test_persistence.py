"""PersistentClient across processes: what one process wrote, another reads back; two
processes writing at once lose nothing.

Every client runs in its own ``python -c`` subprocess, so nothing is shared but the directory.
The package under test is chromalake (``CONFORMANCE_SUBJECT=chromadb`` checks the test
itself against Chroma); the write/read scenario also runs on chromadb, and both must read back
the same data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

SUBJECT = os.environ.get("CONFORMANCE_SUBJECT", "chromalake")
SDK = Path(__file__).resolve().parents[2] / "sdk"
TIMEOUT = 90

# A JSON dump of everything a client can see in one database.
DUMP = """
def dump(client):
    out = []
    for col in sorted(client.list_collections(), key=lambda c: c.name):
        col = client.get_collection(col.name)
        got = col.get(include=["embeddings", "metadatas", "documents", "uris"])
        hit = col.query(query_embeddings=[[0.5, 0.4, 0.3]], n_results=3,
                        include=["distances"]) if col.count() else None
        out.append({
            "name": col.name,
            "id": str(col.id),
            "metadata": col.metadata,
            "configuration_json": col.configuration_json,
            "count": col.count(),
            "ids": got["ids"],
            "embeddings": [[float(x) for x in e] for e in got["embeddings"]],
            "metadatas": got["metadatas"],
            "documents": got["documents"],
            "uris": got["uris"],
            "query_ids": hit and hit["ids"],
            "query_distances": hit and hit["distances"],
        })
    return out

def everything(pkg, path):
    admin = pkg.AdminClient(pkg.Settings(is_persistent=True, persist_directory=path))
    return {
        "default": dump(pkg.PersistentClient(path=path)),
        "acme/sales": dump(pkg.PersistentClient(path=path, tenant="acme", database="sales")),
        "tenant": admin.get_tenant("acme"),
        "databases": [
            {"id": str(d["id"]), "name": d["name"], "tenant": d["tenant"]}
            for d in admin.list_databases(tenant="acme")
        ],
    }
"""

WRITER = """
import json, sys
pkg = __import__(sys.argv[1])
client = pkg.PersistentClient(path=sys.argv[2])
plain = client.create_collection("plain", embedding_function=None)
plain.add(
    ids=["a", "b", "c", "d"],
    embeddings=[[0.1, 0.2, 0.3], [1.0, 0.0, -1.0], [0.5, 0.5, 0.5], [2.0, 2.0, 2.0]],
    metadatas=[{"int": 1, "float": 1.5, "bool": True, "str": "x", "list": [1, 2]},
               None, {"str": "zoë"}, {"tags": ["p", "q"]}],
    documents=["doc a", None, "doc c", "doc d"],
    uris=["s3://a", None, None, "file:///d"],
)
plain.update(ids=["a"], metadatas=[{"int": 2, "str": None}])
plain.upsert(ids=["e", "b"], embeddings=[[3.0, 1.0, 0.0], [1.0, 1.0, -1.0]],
             documents=["doc e", "doc b"])
plain.delete(ids=["d"])
client.create_collection(
    "cosine-meta", embedding_function=None,
    metadata={"hnsw:space": "cosine", "hnsw:M": 8, "owner": "me"},
).add(ids=["x", "y"], embeddings=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
client.create_collection(
    "ip-config", embedding_function=None,
    configuration={"hnsw": {"space": "ip", "ef_search": 50}},
).add(ids=["p"], embeddings=[[0.5, -0.5, 2.0]])
client.create_collection("empty", embedding_function=None, metadata={"k": "v"})
renamed = client.create_collection("before-rename", embedding_function=None)
renamed.modify(name="after-rename", metadata={"replaced": True})
client.create_collection("deleted", embedding_function=None)
client.delete_collection("deleted")
admin = pkg.AdminClient(pkg.Settings(is_persistent=True, persist_directory=sys.argv[2]))
admin.create_tenant("acme")
admin.create_database("sales", tenant="acme")
admin.create_database("gone", tenant="acme")
admin.delete_database("gone", tenant="acme")
sales = pkg.PersistentClient(path=sys.argv[2], tenant="acme", database="sales")
sales.create_collection("in-sales", embedding_function=None).add(
    ids=["s1"], embeddings=[[1.0, 1.0, 1.0]], metadatas=[{"tenant": "acme"}])
print(json.dumps(everything(pkg, sys.argv[2])))
"""

READER = """
import json, sys
pkg = __import__(sys.argv[1])
print(json.dumps(everything(pkg, sys.argv[2])))
"""

CONCURRENT_WRITER = """
import json, os, sys, time
pkg = __import__(sys.argv[1])
path, worker, go = sys.argv[2], sys.argv[3], sys.argv[4]
client = pkg.PersistentClient(path=path)
shared = client.get_collection("shared")
deadline = time.time() + 30
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.01)
acked, own, errors = [], [], []
for batch in range(12):
    ids = [f"{worker}-{batch}-{i}" for i in range(8)]
    vectors = [[float(batch), float(i), float(len(worker))] for i in range(8)]
    try:
        shared.add(ids=ids, embeddings=vectors, metadatas=[{"worker": worker}] * 8)
        acked += ids
    except Exception as exc:
        errors.append(f"add {batch}: {type(exc).__name__}: {exc}")
    if batch % 4 == 0:
        name = f"own-{worker}-{batch}"
        try:
            client.create_collection(name, embedding_function=None).add(
                ids=["only"], embeddings=[[1.0, 2.0, 3.0]])
            own.append(name)
        except Exception as exc:
            errors.append(f"create {name}: {type(exc).__name__}: {exc}")
print(json.dumps({"acked": acked, "own": own, "errors": errors}))
"""

SETUP_SHARED = """
import sys
pkg = __import__(sys.argv[1])
pkg.PersistentClient(path=sys.argv[2]).create_collection("shared", embedding_function=None)
"""

INVENTORY = """
import json, sys
pkg = __import__(sys.argv[1])
client = pkg.PersistentClient(path=sys.argv[2])
out = {}
for col in client.list_collections():
    col = client.get_collection(col.name)
    out[col.name] = {"count": col.count(), "ids": col.get(include=[])["ids"]}
print(json.dumps(out))
"""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SDK), env.get("PYTHONPATH")]))
    return env


def _code(body: str) -> str:
    return textwrap.dedent(DUMP) + textwrap.dedent(body)


def _run(body: str, *args: str) -> Any:
    """Run ``body`` in a fresh interpreter; return its stdout parsed as JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", _code(body), *args],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=_env(),
        check=False,
    )
    assert proc.returncode == 0, f"subprocess failed ({proc.returncode}):\n{proc.stderr[-4000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _comparable(everything: dict[str, Any]) -> dict[str, Any]:
    """A dump without random ids, embeddings rounded to float32."""
    out = dict(everything)
    out["databases"] = [{k: v for k, v in d.items() if k != "id"} for d in out["databases"]]
    for key in ("default", "acme/sales"):
        out[key] = _comparable_collections(out[key])
    return out


def _distances(everything: dict[str, Any]) -> list[float]:
    """Pop the query distances out of a comparable dump (they compare approximately)."""
    found: list[float] = []
    for key in ("default", "acme/sales"):
        for col in everything[key]:
            found += [d for row in col.pop("query_distances") or [] for d in row]
    return found


def _comparable_collections(dump: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for col in dump:
        col = {k: v for k, v in col.items() if k != "id"}
        col["embeddings"] = np.asarray(col["embeddings"], dtype=np.float32).tolist()
        out.append(col)
    return out


def test_reopened_store_reads_back_everything(tmp_path: Path) -> None:
    """A second process reads exactly what the first wrote and read: tenants, databases,
    collections (with ids, metadata and configuration), records (ids, embeddings, metadatas,
    documents, uris) and query results; and all of it matches what chromadb reads back after
    the same writes."""
    path = str(tmp_path / "subject")
    written = _run(WRITER, SUBJECT, path)
    reread = _run(READER, SUBJECT, path)
    assert reread == written

    chroma_path = str(tmp_path / "oracle")
    _run(WRITER, "chromadb", chroma_path)
    chroma = _run(READER, "chromadb", chroma_path)
    ours, theirs = _comparable(reread), _comparable(chroma)
    assert _distances(ours) == pytest.approx(_distances(theirs), abs=1e-5)
    assert ours == theirs


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    """Two processes add to one collection and create collections at the same time: both
    exit cleanly, every acknowledged record is there exactly once, every created collection
    exists."""
    path = str(tmp_path / "store")
    go = tmp_path / "go"
    _run(SETUP_SHARED + "\nprint('{}')", SUBJECT, path)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _code(CONCURRENT_WRITER), SUBJECT, path, worker, str(go)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for worker in ("w0", "w1")
    ]
    time.sleep(0.5)
    go.touch()
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=TIMEOUT)
        assert proc.returncode == 0, f"writer crashed ({proc.returncode}):\n{err[-4000:]}"
        reports.append(json.loads(out.strip().splitlines()[-1]))

    inventory = _run(INVENTORY, SUBJECT, path)
    errors = [e for r in reports for e in r["errors"]]
    assert not errors, f"writes were refused: {errors}"
    acked = [i for r in reports for i in r["acked"]]
    shared = inventory["shared"]
    assert len(shared["ids"]) == len(set(shared["ids"])), "duplicate ids after concurrent adds"
    missing = set(acked) - set(shared["ids"])
    assert not missing, f"{len(missing)} acknowledged ids lost, e.g. {sorted(missing)[:5]}"
    assert shared["count"] == len(shared["ids"]) == len(acked) == 2 * 12 * 8
    for name in (n for r in reports for n in r["own"]):
        assert inventory.get(name) == {"count": 1, "ids": ["only"]}, name
    assert sorted(inventory) == sorted(["shared", *(n for r in reports for n in r["own"])])
