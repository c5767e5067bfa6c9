"""In-process ANN candidates for chromalake's vector index, measured on the benchmarks' data.

For each size and candidate, two processes (so each peak RSS is its own):

1. build: train and fill the index from the float32 rows, save it to a file; build time,
   file size, peak RSS;
2. serve (fresh, as a serving process would): import the library (timed), load the file
   (timed; mapped where the library can), then one query at a time, k = 10, at rising search
   settings until recall@10 >= 0.95 against exact search (p50, p99, QPS), then filtered
   queries at 1%, 10% and 50% of the rows at that setting (recall against exact search among
   the allowed rows), and 1,000 rows added after the load (ms a row); peak RSS above the
   queries' own memory. The serving process runs one OpenMP and one BLAS thread (as a
   process answering one query at a time should; ``--serve-threads 0`` keeps the defaults).

Candidates: ``vector_index`` (chromalake.engine.vector_index: faiss IVF-SQ8 with sqrt(rows)
lists mapped from the file, re-rank of 2k + 8 rows read from the file; ``vector_index-inmem``
loads lists and vectors into memory; ``vector_index-2sqrt`` has twice the lists), ``faiss-hnsw``
(IndexHNSWFlat M=32, filters through an IDSelector), ``hnswlib`` (M=16, ef_construction 100:
Chroma's defaults; filters through a Python callback), ``usearch`` (HNSW over float16, re-rank of
40 from the mapped float32 rows; no filter in its Python API). The libraries other than faiss
are optional: ``pip install hnswlib usearch`` to measure them.

    python benchmarks/bench_index.py --sizes 100000
    python benchmarks/bench_index.py --sizes 10000 --candidates vector_index --queries 100
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.data import exact_answers, load
from benchmarks.data import peak_rss_mb as _peak_mb

K = 10
TARGET_RECALL = 0.95
SELECTIVITIES = (1, 10, 50)
ADDED = 1000
# A serving process answers one query at a time: one thread each for OpenMP (faiss) and BLAS
# (numpy). On a busy 2-core machine their default pools cost 5-15 ms at p99 a query.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
Search = Callable[[np.ndarray, Any, np.ndarray | None], list[int]]


# -- candidates: build(data, path) saves a file; open(path) -> (index, settings, search, add) --


def _rerank(vectors: np.ndarray, query: np.ndarray, found: np.ndarray) -> list[int]:
    found = found[found >= 0]
    rows = vectors[np.sort(found)].astype(np.float64)
    distances = ((rows - query.astype(np.float64)) ** 2).sum(axis=1)
    return np.sort(found)[np.argsort(distances, kind="stable")[:K]].tolist()  # type: ignore[no-any-return]


class VectorIndexCandidate:
    """chromalake.engine.vector_index, settings = nprobe."""

    settings = (1, 2, 4, 8, 16, 32, 64)

    def __init__(self, mmap: bool = True, lists_per_sqrt: float | None = None) -> None:
        self.mmap, self.lists_per_sqrt = mmap, lists_per_sqrt

    def build(self, data: np.ndarray, path: Path) -> None:
        from chromalake.engine.vector_index import VectorIndex

        lists = None  # partitions_for(rows), the module's default
        if self.lists_per_sqrt:
            lists = 2 ** round(math.log2(self.lists_per_sqrt * math.sqrt(len(data))))
        VectorIndex.build(data, "l2", partitions=lists).save(path)

    def open(self, path: Path) -> tuple[Any, Search, Callable[[np.ndarray], None]]:
        from chromalake.engine.vector_index import VectorIndex

        index = VectorIndex.load(path, mmap=self.mmap)

        def search(query: np.ndarray, nprobe: Any, allowed: np.ndarray | None) -> list[int]:
            ((positions, _),) = index.search(query, K, allowed=allowed, nprobe=nprobe)
            return positions.tolist()  # type: ignore[no-any-return]

        def add(rows: np.ndarray) -> None:
            index.add(rows)

        return index, search, add


class FaissHnswCandidate:
    """faiss IndexHNSWFlat (float32, M=32), settings = efSearch."""

    settings = (16, 32, 64, 128, 256)

    def build(self, data: np.ndarray, path: Path) -> None:
        import faiss

        index = faiss.IndexHNSWFlat(data.shape[1], 32)
        index.hnsw.efConstruction = 100
        index.add(data)
        faiss.write_index(index, str(path))

    def open(self, path: Path) -> tuple[Any, Search, Callable[[np.ndarray], None]]:
        import faiss

        index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)

        def search(query: np.ndarray, ef: Any, allowed: np.ndarray | None) -> list[int]:
            selector = bitmap = None
            if allowed is not None:
                mask = np.zeros(index.ntotal, bool)
                mask[allowed] = True
                bitmap = np.packbits(mask, bitorder="little")
                selector = faiss.IDSelectorBitmap(index.ntotal, faiss.swig_ptr(bitmap))
            params = faiss.SearchParametersHNSW(efSearch=ef, sel=selector)
            _, found = index.search(query[None, :], K, params=params)
            del bitmap
            return [int(i) for i in found[0] if i >= 0]

        def add(rows: np.ndarray) -> None:
            try:
                index.add(rows)
            except RuntimeError:  # a mapped index is read-only: time an in-memory copy
                copy = faiss.read_index(str(path))
                start = time.perf_counter()
                copy.add(rows)
                raise _Timed(time.perf_counter() - start) from None

        return index, search, add


class _Timed(Exception):
    """An add that had to be timed on a copy (its own seconds)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


class HnswlibCandidate:
    """hnswlib (M=16, ef_construction=100, Chroma's defaults), settings = ef."""

    settings = (16, 32, 64, 128, 256)

    def build(self, data: np.ndarray, path: Path) -> None:
        import hnswlib

        index = hnswlib.Index(space="l2", dim=data.shape[1])
        index.init_index(max_elements=len(data) + ADDED, ef_construction=100, M=16)
        index.add_items(data, np.arange(len(data)))
        index.save_index(str(path))

    def open(self, path: Path) -> tuple[Any, Search, Callable[[np.ndarray], None]]:
        import hnswlib

        dim = json.loads(path.with_suffix(".json").read_text())["dim"]
        index = hnswlib.Index(space="l2", dim=dim)
        index.load_index(str(path), max_elements=0)
        index.set_num_threads(1)
        rows = index.get_current_count()

        def search(query: np.ndarray, ef: Any, allowed: np.ndarray | None) -> list[int]:
            index.set_ef(ef)
            member = None
            if allowed is not None:
                mask = np.zeros(rows + ADDED, bool)
                mask[allowed] = True
                member = mask.__getitem__
            found, _ = index.knn_query(query, k=K, filter=member)
            return [int(i) for i in found[0]]

        def add(new: np.ndarray) -> None:
            index.add_items(new, np.arange(rows, rows + len(new)))

        return index, search, add


class UsearchCandidate:
    """usearch HNSW over float16 (M=16), exact re-rank of 40 from mapped float32, settings = ef.

    (int8 clips this data: usearch quantizes [-1, 1] to int8, for unit vectors.)
    """

    settings = (16, 32, 64, 128, 256)

    def build(self, data: np.ndarray, path: Path) -> None:
        from usearch.index import Index

        index = Index(ndim=data.shape[1], metric="l2sq", dtype="f16", connectivity=16)
        index.add(np.arange(len(data)), data)
        index.save(str(path))
        np.save(path.with_suffix(".f32.npy"), data)

    def open(self, path: Path) -> tuple[Any, Search, Callable[[np.ndarray], None]]:
        from usearch.index import Index

        index = Index.restore(str(path), view=True)
        vectors = np.load(path.with_suffix(".f32.npy"), mmap_mode="r")

        def search(query: np.ndarray, ef: Any, allowed: np.ndarray | None) -> list[int]:
            if allowed is not None:
                raise NotImplementedError("usearch's Python API has no filter")
            index.expansion_search = ef
            found = index.search(query, 40, exact=False).keys
            return _rerank(vectors, query, np.asarray(found, np.int64))

        def add(rows: np.ndarray) -> None:
            copy = Index.restore(str(path))  # a view is read-only: time an in-memory copy
            start = time.perf_counter()
            copy.add(np.arange(index.size, index.size + len(rows)), rows)
            raise _Timed(time.perf_counter() - start)

        return index, search, add


CANDIDATES: dict[str, Callable[[], Any]] = {
    "vector_index": VectorIndexCandidate,
    "vector_index-inmem": lambda: VectorIndexCandidate(mmap=False),
    "vector_index-2sqrt": lambda: VectorIndexCandidate(lists_per_sqrt=2.0),
    "faiss-hnsw": FaissHnswCandidate,
    "hnswlib": HnswlibCandidate,
    "usearch": UsearchCandidate,
}
LIBRARY = {"faiss-hnsw": "faiss", "hnswlib": "hnswlib", "usearch": "usearch"}


# -- the two phases ---------------------------------------------------------------------------


def build_one(name: str, directory: Path, path: Path) -> dict[str, Any]:
    data = np.load(directory / "data.npy")
    candidate = CANDIDATES[name]()
    baseline = _peak_mb()
    start = time.perf_counter()
    candidate.build(data, path)
    seconds = time.perf_counter() - start
    path.with_suffix(".json").write_text(json.dumps({"dim": int(data.shape[1])}))
    files = [path, path.with_suffix(".f32.npy")]  # usearch keeps its vectors beside
    size = sum(p.stat().st_size for p in files if p.exists())
    return {
        "build_s": seconds,
        "file_mb": size / 2**20,
        "build_rss_mb": _peak_mb(),
        "build_rss_added_mb": _peak_mb() - baseline,
    }


def _measure(search: Search, queries: np.ndarray, setting: Any, allowed: Any, truth: Any) -> dict:
    times, hits = [], []
    for query, expected in zip(queries, truth, strict=True):
        start = time.perf_counter()
        found = search(query, setting, allowed)
        times.append(time.perf_counter() - start)
        hits.append(len(set(found) & expected) / max(1, min(K, len(expected))))
    t = np.asarray(times)
    return {
        "recall": float(np.mean(hits)),
        "p50_ms": float(np.percentile(t, 50) * 1000),
        "p99_ms": float(np.percentile(t, 99) * 1000),
        "qps": float(len(t) / t.sum()),
    }


def serve_one(name: str, directory: Path, path: Path) -> dict[str, Any]:
    queries = np.load(directory / "queries.npy")
    extra = np.load(directory / "extra.npy")
    answers = json.loads((directory / "truth.json").read_text())
    truths = {key: [set(t) for t in sets] for key, sets in answers.items()}
    n = int(json.loads((directory / "meta.json").read_text())["n"])
    baseline = _peak_mb()
    start = time.perf_counter()
    __import__(LIBRARY.get(name, "chromalake.engine.vector_index"))
    import_s = time.perf_counter() - start
    candidate = CANDIDATES[name]()
    start = time.perf_counter()
    index, search, add = candidate.open(path)
    load_s = time.perf_counter() - start
    result: dict[str, Any] = {"import_s": import_s, "load_s": load_s, "sweep": []}
    search(queries[0], candidate.settings[-1], None)  # first touch of the index, untimed
    for setting in candidate.settings:
        measured = _measure(search, queries, setting, None, truths["all"])
        result["sweep"].append({"setting": setting, **measured})
        if measured["recall"] >= TARGET_RECALL:
            break
    result["query"] = next(
        (s for s in result["sweep"] if s["recall"] >= TARGET_RECALL), result["sweep"][-1]
    )
    result["serve_rss_added_mb"] = _peak_mb() - baseline
    filtered_queries = queries[: max(50, len(queries) // 4)]
    result["filtered"] = {}
    for pct in SELECTIVITIES:
        allowed = np.flatnonzero(np.arange(n) % 100 < pct)
        try:
            result["filtered"][f"{pct}%"] = _measure(
                search, filtered_queries, result["query"]["setting"], allowed, truths[f"{pct}%"]
            )
        except NotImplementedError as e:
            result["filtered"][f"{pct}%"] = {"error": str(e)}
    start = time.perf_counter()
    try:
        add(extra)
        seconds = time.perf_counter() - start
    except _Timed as timed:
        seconds = timed.seconds
    result["add_ms_per_row"] = seconds / len(extra) * 1000
    result["rss_mb"] = _peak_mb()
    result["rss_added_mb"] = _peak_mb() - baseline
    if hasattr(index, "memory"):
        memory = index.memory()
        result["memory"] = {
            "resident_mb": memory.resident / 2**20,
            "mapped_mb": memory.mapped / 2**20,
        }
    return result


def prepare(args: argparse.Namespace, n: int, directory: Path) -> None:
    data, queries = load(args.dataset, n + ADDED, args.dim, args.queries)
    data, extra = data[:n], data[n:]
    np.save(directory / "data.npy", data)
    np.save(directory / "extra.npy", np.ascontiguousarray(extra))
    np.save(directory / "queries.npy", queries)
    (directory / "meta.json").write_text(json.dumps({"n": n}))
    answers = exact_answers(data, queries, K, SELECTIVITIES)
    (directory / "truth.json").write_text(json.dumps(answers))


def _child(*args: str, threads: int | None = None) -> dict[str, Any]:
    env = dict(os.environ)
    if threads:  # before numpy and faiss load: their thread pools read these once
        env.update({name: str(threads) for name in THREAD_VARIABLES})
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True, env=env
    )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="100000")
    p.add_argument("--dim", type=int, default=384)
    p.add_argument("--queries", type=int, default=500)
    p.add_argument("--dataset", default="clustered")
    p.add_argument("--candidates", default=",".join(CANDIDATES))
    p.add_argument("--out", help="write the results here as well (JSON, and a .md table)")
    p.add_argument(
        "--serve-threads",
        type=int,
        default=1,
        help="OpenMP and BLAS threads of the serving process (0: the libraries' default)",
    )
    p.add_argument("--phase", choices=("build", "serve"), help=argparse.SUPPRESS)
    p.add_argument("--one", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--path", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.phase:
        run = build_one if args.phase == "build" else serve_one
        print(json.dumps(run(args.one, Path(args.data), Path(args.path))))
        return
    results: dict[str, Any] = {}
    for n in (int(s) for s in args.sizes.split(",")):
        results[str(n)] = {}
        with tempfile.TemporaryDirectory() as directory:
            prepare(args, n, Path(directory))
            for name in args.candidates.split(","):
                if name in LIBRARY and not _importable(LIBRARY[name]):
                    print(f"{name}: {LIBRARY[name]} is not installed, skipped", file=sys.stderr)
                    continue
                path = Path(directory) / f"{name}.index"
                common = ["--one", name, "--data", directory, "--path", str(path)]
                result = _child("--phase", "build", *common)
                result.update(_child("--phase", "serve", *common, threads=args.serve_threads))
                results[str(n)][name] = result
                print(json.dumps({n: {name: result}}), file=sys.stderr, flush=True)
    print(json.dumps(results))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
        Path(args.out).with_suffix(".md").write_text(table(results))


def table(results: dict[str, Any]) -> str:
    """The results as the README's markdown table."""
    lines = [
        "| rows | candidate | build s | file MB | import s | load s | setting | p50 / p99 ms "
        "| QPS | recall@10 | serving RSS added MB | 1% filter QPS (recall) | 10% | 50% "
        "| add ms a row |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
        "| --- |",
    ]
    for n, by_name in results.items():
        for name, r in by_name.items():
            q = r["query"]
            filters = [
                f"{f['qps']:,.0f} ({f['recall']:.3f})" if "qps" in f else "no filter"
                for f in (r["filtered"][f"{pct}%"] for pct in SELECTIVITIES)
            ]
            lines.append(
                f"| {int(n):,} | {name} | {r['build_s']:.1f} | {r['file_mb']:.0f} "
                f"| {r['import_s']:.2f} | {r['load_s']:.3f} | {q['setting']} "
                f"| {q['p50_ms']:.3f} / {q['p99_ms']:.2f} | {q['qps']:,.0f} | {q['recall']:.3f} "
                f"| {r['rss_added_mb']:,.0f} | {' | '.join(filters)} "
                f"| {r['add_ms_per_row']:.3f} |"
            )
    return "\n".join(lines) + "\n"


def _importable(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


if __name__ == "__main__":
    main()
