"""The reliability figures of ``make soak``, gathered into one JSON file and one table.

The tests write their figures as JSON into a directory (``CHROMALAKE_RELIABILITY_OUT``, see
``tests/functional/reliability.py``); this script reads them and writes
``benchmarks/results/reliability.json`` and ``benchmarks/results/reliability.md``, the table
the README's reliability section quotes.

    python benchmarks/reliability_report.py benchmarks/results/reliability
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def _load(directory: Path) -> dict[str, Any]:
    return {p.stem: json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))}


def _concurrency_rows(figures: dict[str, Any]) -> list[str]:
    rows = []
    for name, f in figures.items():
        if not name.startswith("concurrency-"):
            continue
        acked = ", ".join(f"{op} {n}" for op, n in sorted(f["acknowledged"].items()))
        rows.append(
            f"| {name.removeprefix('concurrency-')} | {f['processes']} x "
            f"{f['threads_per_process']} | {f['acknowledged_total']} ({acked}) | "
            f"{f['records_expected']} / {f['records_found']} | {f['lost_or_wrong']} | "
            f"{f['duplicates']} | {sum(f['errors'].values())} | {f['seconds']} |"
        )
    return rows


def _fault_lines(faults: list[dict[str, Any]]) -> list[str]:
    injected = sum(f["injected"] for f in faults)
    survived = sum(1 for f in faults if f["survived"])
    failed = sum(1 for f in faults if f["reported"] != "success")
    return [
        f"- Faults: {len(faults)} cases, {injected} faulty requests injected, "
        f"{survived} of {len(faults)} cases survived (completed or no trace, catalog and "
        f"datasets agree, retry succeeds); {failed} operations reported the failure, "
        f"{len(faults) - failed} completed despite it.",
    ]


def _load_lines(load: dict[str, Any], name: str) -> list[str]:
    latency = ", ".join(
        f"{op} p50/p95/p99 {v['p50']}/{v['p95']}/{v['p99']} ms"
        for op, v in load["latency_ms"].items()
    )
    return [
        f"- Load ({name}): {load['clients']} clients for {load['seconds']} s: "
        f"{load['requests']} requests, {load['throughput_rps']} requests/s, "
        f"{sum(load['errors'].values())} errors; {latency}; records acknowledged "
        f"{load['records_acknowledged']}, found {load['records_found']}, duplicates "
        f"{load['duplicates']}; server RSS warm {load['rss_warm_first_mib']} MiB, "
        f"max {load['rss_warm_max_mib']} MiB, last {load['rss_last_mib']} MiB.",
    ]


def _steady_lines(load: dict[str, Any], name: str) -> list[str]:
    rss = load["rss_mib"]
    return [
        f"- Steady load ({name}): {load['clients']} clients for {load['seconds']} s rewriting "
        f"{load['records']} records and querying them: {load['requests']} requests, "
        f"{load['throughput_rps']} requests/s, {sum(load['errors'].values())} errors; server "
        f"RSS {rss[0]} MiB at start, {load['rss_second_half_first_mib']} MiB halfway, "
        f"{load['rss_second_half_max_mib']} MiB at most after, {load['rss_last_mib']} MiB last.",
    ]


def report(figures: dict[str, Any]) -> str:
    lines = [
        "| writers | processes x threads | writes acknowledged | records expected / found "
        "| lost | duplicates | errors | seconds |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *_concurrency_rows(figures),
        "",
    ]
    if "faults" in figures:
        lines += _fault_lines(figures["faults"])
    fuzz = [figures[k] for k in ("fuzz-random", "fuzz-hostile") if k in figures]
    if fuzz:
        tried = sum(f["requests"] for f in fuzz)
        lines.append(
            f"- Fuzz: {tried} requests tried (random and hostile), "
            f"{sum(f['5xx'] for f in fuzz)} answered with a 5xx."
        )
    for name in ("load-soak", "load"):
        if name in figures:
            lines += _load_lines(figures[name], name)
    for name in ("load-steady-soak", "load-steady"):
        if name in figures:
            lines += _steady_lines(figures[name], name)
    return "\n".join(lines) + "\n"


def main(directory: str) -> None:
    figures = _load(Path(directory))
    (RESULTS / "reliability.json").write_text(json.dumps(figures, indent=1, sort_keys=True))
    (RESULTS / "reliability.md").write_text(report(figures))
    print(report(figures))


if __name__ == "__main__":
    main(sys.argv[1])
