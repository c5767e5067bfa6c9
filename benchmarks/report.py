"""Turn the benchmarks' JSON results into the README's table and a PNG plot.

python benchmarks/report.py            # reads benchmarks/results/*.json
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"
GOALS = {  # metric -> (wanted ratio chromalake / chromadb, higher is better)
    "ingest": (3.0, True),
    "query QPS": (1.0, True),
    "filtered QPS": (2.0, True),
    "peak RSS": (0.5, False),  # at 1M; <= 1x below (issue 21)
}
FULL_SIZE = 1_000_000


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    with open("/proc/cpuinfo") as f:
        names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{len(names)} x {names[0] if names else cpu}, {memory:.0f} GiB RAM, local SSD, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def _row(label: str, lake: float, chroma: float, fmt: str, goal: str = "") -> str:
    ratio = lake / chroma if chroma else float("nan")
    return f"| {label} | {fmt.format(lake)} | {fmt.format(chroma)} | {ratio:.2f}x | {goal} |"


def _goal(name: str, lake: float, chroma: float, wanted: float | None = None) -> str:
    wanted, higher = (wanted or GOALS[name][0]), GOALS[name][1]
    ratio = lake / chroma
    met = ratio >= wanted if higher else ratio <= wanted
    return f"{'met' if met else 'missed'} ({'>=' if higher else '<='} {wanted}x)"


def embedded_table(results: dict[str, Any]) -> list[str]:
    lines = [
        "| metric | chromalake | chromadb 1.5.9 | ratio | goal |",
        "| --- | --- | --- | --- | --- |",
    ]
    for n, pair in results.items():
        lake, chroma = pair["chromalake"], pair["chromadb"]
        size = f"{int(n):,}"
        q, cq = lake["query"], chroma["query"]
        lines += [
            _row(f"{size}: ingest, records/s (add only)", lake["ingest_rps"], chroma["ingest_rps"],
                 "{:,.0f}", _goal("ingest", lake["ingest_rps"], chroma["ingest_rps"])),
            _row(f"{size}: ingest incl. index build, records/s",
                 lake["ingest_indexed_rps"],
                 chroma["ingest_indexed_rps"], "{:,.0f}"),
            _row(f"{size}: query QPS at recall >= 0.95", q["qps"], cq["qps"],
                 "{:,.0f}", _goal("query QPS", q["qps"], cq["qps"])),
            _row(f"{size}: query p50 ms", q["p50_ms"], cq["p50_ms"], "{:.2f}"),
            _row(f"{size}: query p99 ms", q["p99_ms"], cq["p99_ms"], "{:.2f}"),
            _row(f"{size}: recall@10 (ef_search, the fastest reaching 0.95 in a fresh "
                 f"process: {q['ef_search']} / {cq['ef_search']})", q["recall"],
                 cq["recall"], "{:.3f}"),
        ]  # fmt: skip
        if "after_ingest" in lake and "after_ingest" in chroma:
            lines += _after_ingest_rows(size, lake, chroma)
        for pct, lf in lake["filtered"].items():
            cf = chroma["filtered"][pct]
            lines.append(
                _row(f"{size}: filtered {pct} QPS (recall {lf['recall']:.2f} / {cf['recall']:.2f})",
                     lf["qps"], cf["qps"], "{:,.0f}", _goal("filtered QPS", lf["qps"], cf["qps"]))
            )  # fmt: skip
        lines += [
            _row(f"{size}: get 10 ids, calls/s", lake["get_ops"], chroma["get_ops"], "{:,.0f}"),
            _row(f"{size}: serving process (fresh, reopens the store): first query s",
                 q.get("first_query_s", float("nan")), cq.get("first_query_s", float("nan")),
                 "{:.2f}"),
            _row(f"{size}: serving process: peak RSS MB", lake["rss_mb"], chroma["rss_mb"],
                 "{:,.0f}", _goal("peak RSS", lake["rss_mb"], chroma["rss_mb"],
                                  None if int(n) >= FULL_SIZE else 1.0)),
            _row(f"{size}: serving process: peak RSS above the queries and answers, MB",
                 lake["rss_mb"] - lake["data_rss_mb"], chroma["rss_mb"] - chroma["data_rss_mb"],
                 "{:,.0f}"),
        ]  # fmt: skip
        if "ingest_rss_mb" in lake and "ingest_rss_mb" in chroma:
            lines.append(
                _row(f"{size}: ingest process (incl. index build): peak RSS MB",
                     lake["ingest_rss_mb"], chroma["ingest_rss_mb"], "{:,.0f}")
            )  # fmt: skip
    return lines


def _after_ingest_rows(size: str, lake: dict[str, Any], chroma: dict[str, Any]) -> list[str]:
    """The process that wrote the rows, querying right after its last add (chromalake's index
    built by its client's own maintainer; chromadb at ef_search 100, the only setting that
    applies in the process that built its HNSW)."""
    a, ca = lake["after_ingest"], chroma["after_ingest"]
    return [
        _row(f"{size}: right after ingest, same process: query QPS (ef_search {a['ef_search']} "
             f"/ {ca['ef_search']}, recall {a['recall']:.3f} / {ca['recall']:.3f})",
             a["qps"], ca["qps"], "{:,.0f}", _goal("query QPS", a["qps"], ca["qps"])),
        f"| {size}: right after ingest: s from the last add until the index answers and is "
        f"stored (chromalake's own maintainer) | {lake['index_s']:.1f} | (built by add) | | |",
    ]  # fmt: skip


def service_table(results: dict[str, Any]) -> list[str]:
    lines = [
        f"| server ({results['n']:,} x 384) | ingest records/s | query QPS | p50 ms | p99 ms "
        "| recall@10 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for kind in ("chromalake-disk", "chromalake-s3", "chromadb"):
        r = results[kind]
        lines.append(
            f"| {kind} | {r['ingest_rps']:,.0f} | {r['qps']:,.0f} | {r['p50_ms']:.2f} | "
            f"{r['p99_ms']:.2f} | {r['recall']:.3f} |"
        )
    return lines


def cold_table(results: dict[str, Any]) -> list[str]:
    lines = [
        f"| cold start ({results['n']:,} x 384 stored) | import s | import + first query s "
        "| goal |",
        "| --- | --- | --- | --- |",
    ]
    for kind in ("chromalake", "chromalake-lambda", "chromadb"):
        r = results[kind]
        goal = (
            ""
            if kind == "chromadb"
            else ("met" if r["first_query_s"] <= 1.5 else "missed") + " (<= 1.5 s)"
        )
        lines.append(f"| {kind} | {r['import_s']:.2f} | {r['first_query_s']:.2f} | {goal} |")
    return lines


def plot(embedded: dict[str, Any], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(embedded)
    panels = [
        ("ingest records/s", lambda r: r["ingest_rps"]),
        ("query QPS (recall >= 0.95)", lambda r: r["query"]["qps"]),
        ("filtered 1% QPS", lambda r: r["filtered"]["1%"]["qps"]),
        ("filtered 50% QPS", lambda r: r["filtered"]["50%"]["qps"]),
        ("get 10 ids, calls/s", lambda r: r["get_ops"]),
        ("serving peak RSS MB", lambda r: r["rss_mb"]),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(13, 7))
    width = 0.38
    for ax, (title, value) in zip(axes.flat, panels, strict=True):
        for k, system in enumerate(("chromalake", "chromadb")):
            xs = [i + (k - 0.5) * width for i in range(len(sizes))]
            ax.bar(xs, [value(embedded[n][system]) for n in sizes], width, label=system)
        ax.set_xticks(range(len(sizes)), [f"{int(n):,}" for n in sizes])
        ax.set_title(title)
        ax.set_xlabel("records x 384")
    axes.flat[0].legend()
    fig.suptitle(
        f"chromalake vs chromadb 1.5.9 (embedded clients, one process each) -- {machine()}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(target, dpi=90)


def main() -> None:
    embedded = json.loads((RESULTS / "embedded.json").read_text())
    lines = [f"Machine: {machine()}.", "", *embedded_table(embedded)]
    for name, table in (("service", service_table), ("coldstart", cold_table)):
        path = RESULTS / f"{name}.json"
        if path.exists():
            lines += ["", *table(json.loads(path.read_text()))]
    text = "\n".join(lines) + "\n"
    (RESULTS / "tables.md").write_text(text)
    print(text)
    plot(embedded, RESULTS / "benchmarks.png")


if __name__ == "__main__":
    main()
