"""Shared test configuration: make ``sdk/`` importable when chromalake is not installed."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SDK = Path(__file__).resolve().parent.parent / "sdk"

if importlib.util.find_spec("chromalake") is None:
    sys.path.insert(0, str(SDK))
