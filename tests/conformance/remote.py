"""The remote sides of the conformance suite: clients of live servers on 127.0.0.1.

chromalake's HttpClient, AsyncHttpClient and CloudClient talk to ``chromalake run``; their
oracle is chromadb's own HttpClient talking to Chroma's own server (``chroma run``, shipped in
the chromadb wheel), because chromadb's HTTP client words some errors differently from its
embedded one. Each test starts from a reset server.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

from running_server import RunningServer
from server_events import ChromaServer

from .harness import DEFAULT_DATABASE, DEFAULT_TENANT, Side


class Servers:
    """One ``chroma run`` and one ``chromalake run`` per test process, started on demand."""

    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._chroma: ChromaServer | None = None
        self._chromalake: RunningServer | None = None

    @property
    def chroma_port(self) -> int:
        if self._chroma is None:
            path = self._workdir / "chroma"
            path.mkdir(exist_ok=True)
            self._chroma = ChromaServer(path)
        return self._chroma.port

    @property
    def chromalake_port(self) -> int:
        if self._chromalake is None:
            self._chromalake = RunningServer(self._workdir / "chromalake")
        return self._chromalake.port

    def close(self) -> None:
        if self._chroma is not None:
            self._chroma.close()
        if self._chromalake is not None:
            self._chromalake.stop()


def http_side(label: str, module: Any, port: int) -> Side:
    """``module.HttpClient`` of the server on ``port``; the server is reset first."""

    def new_client(tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> Any:
        settings = module.Settings(allow_reset=True, anonymized_telemetry=False)
        return module.HttpClient(
            host="127.0.0.1", port=port, settings=settings, tenant=tenant, database=database
        )

    return _reset_side(label, module, new_client, _http_admin(module, port))


def cloud_side(label: str, module: Any, port: int) -> Side:
    """``module.CloudClient`` (an API key, a host) of the server on ``port``; without auth
    the server's identity is the default tenant and database, so a client of another
    tenant is refused, by Chroma's and chromalake's CloudClient alike."""

    def new_client(tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> Any:
        return module.CloudClient(
            tenant=tenant,
            database=database,
            api_key="conformance-key",
            settings=module.Settings(allow_reset=True),
            cloud_host="127.0.0.1",
            cloud_port=port,
            enable_ssl=False,
        )

    return _reset_side(label, module, new_client, _http_admin(module, port))


def async_side(label: str, module: Any, port: int, loop: EventLoop) -> Side:
    """chromalake's ``AsyncHttpClient``, driven through blocking facades on ``loop``."""

    def new_client(tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> Any:
        settings = module.Settings(allow_reset=True)
        client = loop.run(
            module.AsyncHttpClient(
                host="127.0.0.1", port=port, settings=settings, tenant=tenant, database=database
            )
        )
        return Blocking(client, loop)

    def admin() -> Any:
        return Blocking(module.AsyncAdminClient(_server_settings(module, port)), loop)

    return _reset_side(label, module, new_client, admin)


def _server_settings(module: Any, port: int) -> Any:
    return module.Settings(
        chroma_api_impl="chromadb.api.fastapi.FastAPI",
        chroma_server_host="127.0.0.1",
        chroma_server_http_port=port,
        allow_reset=True,
        anonymized_telemetry=False,
    )


def _http_admin(module: Any, port: int) -> Callable[[], Any]:
    return lambda: module.AdminClient(_server_settings(module, port))


def _reset_side(
    label: str, module: Any, new_client: Callable[..., Any], admin: Callable[[], Any]
) -> Side:
    def connect() -> Any:
        client = new_client()
        client.reset()
        return client

    return Side(label, module, connect, new_client, admin)


class EventLoop:
    """An asyncio loop on a thread of its own, so blocking tests can await coroutines."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def close(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()


class Blocking:
    """A blocking view of an async client or collection: coroutines are run to their end,
    and async collections (alone or in lists) come back as blocking views too."""

    def __init__(self, target: Any, loop: EventLoop) -> None:
        self._target = target
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            result = value(*args, **kwargs)
            if inspect.isawaitable(result):
                result = self._loop.run(result)
            return self._wrap(result)

        return call

    def _wrap(self, value: Any) -> Any:
        if type(value).__name__ == "AsyncCollection":
            return Blocking(value, self._loop)
        if isinstance(value, list) and value and type(value[0]).__name__ == "AsyncCollection":
            return [Blocking(v, self._loop) for v in value]
        return value

    def __eq__(self, other: object) -> bool:
        return bool(self._target == getattr(other, "_target", other))

    def __hash__(self) -> int:
        return hash(self._target)

    def __repr__(self) -> str:
        return repr(self._target)


def servers_of(workdir: Path) -> Iterator[Servers]:
    servers = Servers(workdir)
    yield servers
    servers.close()
