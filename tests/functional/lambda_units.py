"""The Lambda units of ``functions/``, imported as a cold start imports them."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def cold_start(
    unit: str,
    monkeypatch: pytest.MonkeyPatch,
    env: Mapping[str, str],
    unset: Iterable[str] = (),
) -> ModuleType:
    """``functions/<unit>/app.py`` imported afresh, with ``env`` set and ``unset`` removed
    (its module-level code reads the settings once, as in a new Lambda instance)."""
    for name in unset:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "chromalake-test")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    path = FUNCTIONS / unit / "app.py"
    if not path.exists():
        raise FileNotFoundError(path)
    name = f"chromalake_{unit}_lambda_{uuid.uuid4().hex[:6]}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module
