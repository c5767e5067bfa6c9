"""``make bench``: every benchmark, then the tables and the plot.

Each suite's JSON lands in ``benchmarks/results/``; ``report.py`` turns them into
``results/tables.md`` and ``results/benchmarks.png``.

    python benchmarks/run.py                          # 10k and 100k x 384
    python benchmarks/run.py --sizes 10000,100000,1000000
    python benchmarks/run.py --dataset npy:vectors.npy   # issue 8's real-text set, once built
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _last_json(command: list[str]) -> dict[str, object]:
    out = subprocess.run([sys.executable, *command], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _lines(command: list[str]) -> dict[str, object]:
    """A suite that prints one JSON object per size: merged into one."""
    out = subprocess.run([sys.executable, *command], check=True, capture_output=True, text=True)
    merged: dict[str, object] = {}
    for line in out.stdout.strip().splitlines():
        merged.update(json.loads(line))
    return merged


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="10000,100000")
    p.add_argument("--service-n", default="10000")
    p.add_argument("--dataset", default="clustered")
    args = p.parse_args()
    RESULTS.mkdir(exist_ok=True)
    data = ["--dataset", args.dataset]
    suites = {
        "embedded": lambda: _lines([str(HERE / "bench_embedded.py"), "--sizes", args.sizes, *data]),
        "service": lambda: _last_json(
            [str(HERE / "bench_service.py"), "--n", args.service_n, *data]
        ),
        "coldstart": lambda: _last_json([str(HERE / "bench_coldstart.py"), *data]),
        # S3 and DynamoDB requests per call, with injected latency; also its table (.md).
        "requests": lambda: _last_json(
            [
                str(HERE / "bench_requests.py"),
                "--sizes",
                args.sizes,
                "--out",
                str(RESULTS / "requests.json"),
            ]
        ),
    }
    for name, suite in suites.items():
        print(f"running {name} ...", flush=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(suite(), indent=2) + "\n")
    subprocess.run([sys.executable, str(HERE / "report.py")], check=True)


if __name__ == "__main__":
    main()
