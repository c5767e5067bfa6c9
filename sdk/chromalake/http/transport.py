"""Sending :class:`~chromalake.http.calls.Request` s with httpx, blocking or with asyncio.

Both transports resend a request when the endpoint's retry policy says so, so they
make the same decision; see :mod:`chromalake.http.endpoint`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

import httpx

from chromalake.http.calls import Request, error_for
from chromalake.http.endpoint import Endpoint


def _reply(outcome: httpx.Response | Exception) -> Any:
    """The JSON of a successful reply; otherwise the exception chromadb's client raises."""
    if isinstance(outcome, Exception):
        raise outcome
    if outcome.is_success:
        return json.loads(outcome.text) if outcome.text else None
    raise error_for(outcome.status_code, outcome.text, outcome.headers.get("chroma-trace-id"))


class Transport:
    """A blocking httpx client that sends requests below the endpoint's API root."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.policy = endpoint.policy
        self._http = httpx.Client(**endpoint.client_options())

    def send(self, request: Request) -> Any:
        for attempt in itertools.count():
            try:
                outcome: httpx.Response | Exception = self._http.request(
                    request.method, request.path, params=request.params, content=request.content()
                )
            except httpx.HTTPError as e:
                outcome = e
            wait = self.policy.wait(outcome, attempt, request.retry_safe)
            if wait is None:
                return _reply(outcome)
            time.sleep(wait)

    def close(self) -> None:
        self._http.close()


class AsyncTransport:
    """The asyncio twin of :class:`Transport` (the same retries)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.policy = endpoint.policy
        self._http = httpx.AsyncClient(**endpoint.client_options())

    async def send(self, request: Request) -> Any:
        for attempt in itertools.count():
            try:
                outcome: httpx.Response | Exception = await self._http.request(
                    request.method, request.path, params=request.params, content=request.content()
                )
            except httpx.HTTPError as e:
                outcome = e
            wait = self.policy.wait(outcome, attempt, request.retry_safe)
            if wait is None:
                return _reply(outcome)
            await asyncio.sleep(wait)

    async def close(self) -> None:
        await self._http.aclose()
