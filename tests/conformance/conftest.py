"""Fixtures for the conformance suite: ``oracle`` (chromadb) and ``subject`` (chromalake).

``subject`` is parametrised over chromalake's embedded clients, ``ephemeral`` and
``persistent``. Set ``CONFORMANCE_SUBJECT=chromadb`` to run the suite with chromadb's own
``PersistentClient`` as the subject, which checks that every scenario is deterministic.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from types import ModuleType
from typing import Any

import chromadb
import pytest

from .harness import DEFAULT_DATABASE, DEFAULT_TENANT, Side

SUBJECT_PACKAGE = os.environ.get("CONFORMANCE_SUBJECT", "chromalake")
SUBJECT_KINDS = ["ephemeral", "persistent"]


def _persistent_side(label: str, module: ModuleType, path: Path) -> Side:
    """A side backed by ``module.PersistentClient(path)`` with reset allowed."""
    location = str(path)

    def settings() -> Any:
        return module.Settings(allow_reset=True)

    def new_client(tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> Any:
        return module.PersistentClient(
            path=location, settings=settings(), tenant=tenant, database=database
        )

    def admin() -> Any:
        return module.AdminClient(
            module.Settings(allow_reset=True, is_persistent=True, persist_directory=location)
        )

    return Side(label, module, new_client(), new_client, admin)


def _ephemeral_side(label: str, module: ModuleType) -> Side:
    """A side backed by ``module.EphemeralClient``, reset so that each test starts empty."""

    def settings() -> Any:
        return module.Settings(allow_reset=True)

    def new_client(tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> Any:
        return module.EphemeralClient(settings=settings(), tenant=tenant, database=database)

    def admin() -> Any:
        return module.AdminClient(settings())

    client = new_client()
    client.reset()
    return Side(label, module, client, new_client, admin)


@pytest.fixture
def oracle() -> Side:
    """chromadb 1.5.9's EphemeralClient, reset before the test."""
    return _ephemeral_side("chromadb", chromadb)


@pytest.fixture(params=SUBJECT_KINDS)
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Side:
    """chromalake's ephemeral or persistent client (chromadb persistent for a self-check)."""
    kind: str = request.param
    module = importlib.import_module(SUBJECT_PACKAGE)
    label = f"{SUBJECT_PACKAGE}-{kind}"
    if kind == "persistent" or SUBJECT_PACKAGE == "chromadb":
        return _persistent_side(label, module, tmp_path / f"{kind}-store")
    return _ephemeral_side(label, module)
