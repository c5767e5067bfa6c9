"""Fixtures of the functional tests: S3 and DynamoDB on a moto server (``moto_server.py``), and
the default embedding model kept offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto_server import MotoAws, start_moto

from chromalake.minilm import download, files


@pytest.fixture(scope="session")
def moto_aws() -> Iterator[MotoAws]:
    """One moto server per test process (xdist workers each get their own)."""
    yield from start_moto()


@pytest.fixture
def offline_packaged_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No Chroma cache (an empty home) and no network: only the packaged model is found, as
    in CI."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def no_network(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the default embedding function tried to download the model")

    monkeypatch.setattr(download, "download_onnx", no_network)
    assert files.cached_onnx() is None
    assert files.packaged_safetensors() is not None
    yield
