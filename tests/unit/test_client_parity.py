"""The blocking and asyncio clients are the same API: same methods, same signatures.

Each async method is a coroutine function where chromadb's is (everything that talks to the
server); ``get_settings`` and ``clear_system_cache`` stay plain, as in chromadb.
"""

from __future__ import annotations

import inspect

import pytest

from chromalake.api.async_client import AsyncAdminClient, AsyncClient, AsyncCollection
from chromalake.api.client import AdminClient, Client
from chromalake.api.collection import Collection

PAIRS = [(Client, AsyncClient), (Collection, AsyncCollection), (AdminClient, AsyncAdminClient)]
PLAIN = {"get_settings", "clear_system_cache", "get_model", "at_version"}
SYNC_ONLY = {"__enter__", "__exit__"}
ASYNC_ONLY = {"__aenter__", "__aexit__", "create"}


def _methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_") or name in SYNC_ONLY | ASYNC_ONLY
    }


@pytest.mark.parametrize(("sync", "asynchronous"), PAIRS)
def test_pairs_have_the_same_methods_and_signatures(sync: type, asynchronous: type) -> None:
    blocking, awaited = _methods(sync), _methods(asynchronous)
    assert set(blocking) - SYNC_ONLY == set(awaited) - ASYNC_ONLY
    for name in set(blocking) - SYNC_ONLY:
        assert blocking[name].parameters == awaited[name].parameters, name


@pytest.mark.parametrize(("sync", "asynchronous"), PAIRS)
def test_async_methods_are_coroutines(sync: type, asynchronous: type) -> None:
    for name, member in inspect.getmembers(asynchronous, inspect.isfunction):
        if name.startswith("_") or name in PLAIN:
            continue
        assert inspect.iscoroutinefunction(member), f"{asynchronous.__name__}.{name}"


def test_properties_match() -> None:
    def properties(cls: type) -> set[str]:
        return {n for n, m in inspect.getmembers(cls) if isinstance(m, property)}

    assert properties(Collection) == properties(AsyncCollection)
    assert properties(Client) == properties(AsyncClient)
