"""Fixtures for the conformance suite: ``oracle`` (chromadb) and ``subject`` (chromalake).

``subject`` is parametrised over chromalake's embedded clients, ``ephemeral`` and
``persistent``. Set ``CONFORMANCE_SUBJECT=chromadb`` to run the suite with chromadb's own
``PersistentClient`` as the subject, which checks that every scenario is deterministic.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import chromadb
import pytest

from .harness import DEFAULT_DATABASE, DEFAULT_TENANT, Side
from .kinds import (
    FULL_REMOTE,
    KNOWN_REMOTE_DIFFERENCES,
    REMOTE_KINDS,
    SHELL_FILES,
    SHELL_KINDS,
    SUBJECT_KINDS,
    SUBJECT_PACKAGE,
    oracle_key,
    remote_name,
)
from .remote import EventLoop, Servers, async_side, cloud_side, http_side, servers_of


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the known differences of the remote kinds, and (unless CONFORMANCE_FULL=1)
    leave the shell kinds to the client-level files."""
    kept, dropped = [], []
    for item in items:
        kind = getattr(item, "callspec", None) and item.callspec.params.get("kind")
        if kind in REMOTE_KINDS and remote_name(item.name) in KNOWN_REMOTE_DIFFERENCES:
            reason = KNOWN_REMOTE_DIFFERENCES[remote_name(item.name)]
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
        shell_only = kind in SHELL_KINDS and item.path.name not in SHELL_FILES
        (dropped if shell_only and not FULL_REMOTE else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


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

    return Side(label, module, new_client, new_client, admin)


def _ephemeral_side(label: str, module: ModuleType) -> Side:
    """A side backed by ``module.EphemeralClient``, reset so that each test starts empty."""

    def settings() -> Any:
        return module.Settings(allow_reset=True)

    def new_client(tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> Any:
        return module.EphemeralClient(settings=settings(), tenant=tenant, database=database)

    def admin() -> Any:
        return module.AdminClient(settings())

    def connect() -> Any:
        client = new_client()
        client.reset()
        return client

    return Side(label, module, connect, new_client, admin)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    """Chroma's server and chromalake's, started when a remote side first needs them."""
    yield from servers_of(tmp_path_factory.mktemp("servers"))


@pytest.fixture(scope="session")
def event_loop_thread() -> Iterator[EventLoop]:
    loop = EventLoop()
    yield loop
    loop.close()


@pytest.fixture(params=SUBJECT_KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Which of chromalake's clients the test runs on (the oracle follows: see ``oracle``)."""
    return str(request.param)


@pytest.fixture
def oracle(kind: str, request: pytest.FixtureRequest) -> Side:
    """chromadb 1.5.9: its EphemeralClient for the embedded kinds; for the remote ones, its
    HttpClient (or CloudClient) of Chroma's own server. Reset before its first scenario."""
    if kind in REMOTE_KINDS:
        servers: Servers = request.getfixturevalue("servers")
        if kind == "cloud":
            side = cloud_side("chromadb-cloud", chromadb, servers.chroma_port)
        else:
            side = http_side("chromadb-http", chromadb, servers.chroma_port)
        # The kinds that share an oracle compute its outcomes once.
        side.memo_key = oracle_key(request.node.nodeid)
        return side
    return _ephemeral_side("chromadb", chromadb)


@pytest.fixture
def subject(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Side:
    """chromalake's client of this kind (chromadb persistent for a self-check)."""
    module = importlib.import_module(SUBJECT_PACKAGE)
    label = f"{SUBJECT_PACKAGE}-{kind}"
    if kind in REMOTE_KINDS:
        port = request.getfixturevalue("servers").chromalake_port
        if kind == "http":
            return http_side(label, module, port)
        if kind == "cloud":
            return cloud_side(label, module, port)
        return async_side(label, module, port, request.getfixturevalue("event_loop_thread"))
    if kind == "persistent" or SUBJECT_PACKAGE == "chromadb":
        return _persistent_side(label, module, tmp_path / f"{kind}-store")
    return _ephemeral_side(label, module)
