"""Who answers an operation's engine calls: the in-process engine, or a server over HTTP.

A backend has a :class:`~chromalake.api.ops.Dialect` (how chromadb's client of that kind
behaves) and runs operations (:mod:`chromalake.api.ops`). The engine and the HTTP layer are
imported only by the backend that needs them, so the slim install (remote clients) never
imports Lance, and the embedded clients never build an HTTP client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from chromalake.api.ops import EMBEDDED, Dialect, EngineCall, Op, drive, drive_async
from chromalake.http import calls
from chromalake.http.endpoint import Endpoint
from chromalake.http.transport import AsyncTransport, Transport
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT, UserIdentity

if TYPE_CHECKING:
    from chromalake.engine.engine import Engine

T = TypeVar("T")

HTTP = Dialect(embedded=False, unreachable=lambda e: isinstance(e, httpx.ConnectError))


class EngineBackend:
    """Operations answered by an in-process engine (EphemeralClient, PersistentClient)."""

    dialect = EMBEDDED

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def perform(self, c: EngineCall) -> Any:
        if c.method == "get_user_identity":
            # chromadb's embedded bindings answer with the defaults, whatever the client uses.
            return UserIdentity(user_id="", tenant=DEFAULT_TENANT, databases=[DEFAULT_DATABASE])
        return getattr(self.engine, c.method)(*c.args, **c.kwargs)

    def run(self, op: Op[T]) -> T:
        return drive(op, self.perform)

    def close(self) -> None:
        """Nothing to release: engines are shared and live as long as the process."""


class _HttpCalls:
    """What the blocking and the asyncio HTTP backends share: engine call -> HTTP call.

    The server's pre-flight checks (max batch size, base64 embeddings) are read once, on
    the first call that needs them, as chromadb's client does.
    """

    dialect = HTTP
    _NEEDS_PRE_FLIGHT = frozenset({"max_batch_size"} | calls.BASE64_WRITES)

    def __init__(self) -> None:
        self.pre_flight: dict[str, Any] | None = None

    def needs_pre_flight(self, c: EngineCall) -> bool:
        return self.pre_flight is None and c.method in self._NEEDS_PRE_FLIGHT

    def max_batch_size(self) -> int:
        return int((self.pre_flight or {}).get("max_batch_size", -1))

    def http_call(self, c: EngineCall) -> calls.Call[Any]:
        kwargs = dict(c.kwargs)
        if c.method in calls.BASE64_WRITES:
            supported = (self.pre_flight or {}).get("supports_base64_encoding", False)
            kwargs["base64"] = bool(supported)
        return calls.CALLS[c.method](*c.args, **kwargs)


class HttpBackend(_HttpCalls):
    """Operations answered by a Chroma API v2 server (HttpClient, CloudClient)."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__()
        self.transport = Transport(endpoint)

    def perform(self, c: EngineCall) -> Any:
        if self.needs_pre_flight(c):
            self.pre_flight = self.transport.send(calls.pre_flight_checks().request)
        if c.method == "max_batch_size":
            return self.max_batch_size()
        http = self.http_call(c)
        return http.parse(self.transport.send(http.request))

    def run(self, op: Op[T]) -> T:
        return drive(op, self.perform)

    def close(self) -> None:
        self.transport.close()


class AsyncHttpBackend(_HttpCalls):
    """Operations answered by a Chroma API v2 server, with asyncio (AsyncHttpClient)."""

    def __init__(self, endpoint: Endpoint) -> None:
        super().__init__()
        self.transport = AsyncTransport(endpoint)

    async def perform(self, c: EngineCall) -> Any:
        if self.needs_pre_flight(c):
            self.pre_flight = await self.transport.send(calls.pre_flight_checks().request)
        if c.method == "max_batch_size":
            return self.max_batch_size()
        http = self.http_call(c)
        return http.parse(await self.transport.send(http.request))

    async def run(self, op: Op[T]) -> T:
        return await drive_async(op, self.perform)

    async def close(self) -> None:
        await self.transport.close()
