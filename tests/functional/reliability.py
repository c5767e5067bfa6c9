"""Short or long runs of the reliability tests, and where their figures go.

``make test`` runs the short forms. ``make soak`` sets ``CHROMALAKE_SOAK=1`` for the long
forms and ``CHROMALAKE_RELIABILITY_OUT`` to a directory where each test leaves its figures
as JSON; ``benchmarks/reliability_report.py`` turns them into the table the README quotes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

SOAK = os.environ.get("CHROMALAKE_SOAK") == "1"
_OUT = os.environ.get("CHROMALAKE_RELIABILITY_OUT")


def scale(short: int, long: int) -> int:
    """``short`` in ``make test``, ``long`` in ``make soak``."""
    return long if SOAK else short


def record(name: str, figures: Any) -> None:
    """Keep a test's figures for the report (only when a directory was given)."""
    if _OUT:
        Path(_OUT).mkdir(parents=True, exist_ok=True)
        (Path(_OUT) / f"{name}.json").write_text(json.dumps(figures, indent=1, sort_keys=True))
