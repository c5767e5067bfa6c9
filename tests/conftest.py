"""Shared test configuration: ``sdk/`` importable without an install, and the chromadb oracle."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

SDK = Path(__file__).resolve().parent.parent / "sdk"

if importlib.util.find_spec("chromalake") is None:
    sys.path.insert(0, str(SDK))
# The helpers that start real servers (moto, ``chromalake run``, Chroma's ``chroma run``) live
# beside the functional tests; the conformance suite starts servers with them too.
sys.path.insert(0, str(Path(__file__).resolve().parent / "functional"))


@pytest.fixture(scope="session")
def chroma_oracle() -> Any:
    """chromadb's embedded client: the oracle that chromalake's behaviour is compared with.

    chromadb keeps one in-process system per kind of client and refuses a second one with
    other settings, so every test that needs it builds it with these same settings (the
    conformance suite's, which resets between tests).
    """
    import chromadb

    return chromadb.EphemeralClient(settings=chromadb.Settings(allow_reset=True))
