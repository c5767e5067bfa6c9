"""Where and how the remote clients reach a server: URL, headers, timeout, TLS and retries.

The retry decision is pure (:class:`RetryPolicy`) so that the sync and async transports make
the same one: a request that never reached the server (connection refused) is always sent
again; a timeout, a dropped connection or a gateway 502/504 only when the request is
``retry_safe``; a 429 or 503 (API Gateway or Lambda throttling: nothing ran) always, after
``Retry-After`` when the server gives one.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlparse, urlunparse

import httpx

from chromalake import __version__
from chromalake.config import Settings

# Throttled: the request was refused before anything ran, so any request may be sent again.
_THROTTLED = frozenset({429, 503})
# The gateway gave up waiting: the request may have run, so only a retry-safe one is resent.
_GATEWAY_FAILED = frozenset({502, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to resend a request.

    Example:
        >>> policy = RetryPolicy(retries=2)
        >>> throttled, timed_out = httpx.Response(503), httpx.Response(504)
        >>> policy.wait(throttled, attempt=0, retry_safe=False) is not None
        True
        >>> policy.wait(timed_out, attempt=0, retry_safe=False) is None
        True
        >>> policy.wait(throttled, attempt=2, retry_safe=True) is None
        True
    """

    retries: int = 3
    backoff: float = 0.25
    max_delay: float = 8.0

    def wait(
        self, outcome: httpx.Response | Exception, attempt: int, retry_safe: bool
    ) -> float | None:
        """Seconds to wait before sending the request again, or None to stop here."""
        if attempt >= self.retries:
            return None
        if isinstance(outcome, httpx.Response):
            status = outcome.status_code
            if status in _THROTTLED or (retry_safe and status in _GATEWAY_FAILED):
                return self._delay(attempt, outcome.headers.get("retry-after"))
            return None
        if isinstance(outcome, httpx.ConnectError | httpx.ConnectTimeout):
            return self._delay(attempt)  # never reached the server
        if retry_safe and isinstance(outcome, httpx.TimeoutException | httpx.NetworkError):
            return self._delay(attempt)
        return None

    def _delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Exponential backoff with full jitter, or the server's ``Retry-After`` seconds."""
        if retry_after is not None:
            try:
                return min(float(retry_after), self.max_delay)
            except ValueError:
                pass
        return random.uniform(0, min(self.max_delay, self.backoff * 2**attempt))


@dataclass(frozen=True)
class Endpoint:
    """Where and how to reach a server: the API root URL, headers, timeout, TLS, retries."""

    base_url: str
    headers: dict[str, str]
    timeout: float | None = None
    verify: bool | str = True
    policy: RetryPolicy = RetryPolicy()

    def client_options(self) -> dict[str, Any]:
        # Plain http needs no certificates: not loading them saves ~0.2 s per client.
        tls = self.base_url.startswith("https")
        return {
            "base_url": self.base_url,
            "headers": self.headers,
            "timeout": self.timeout,
            "verify": self.verify if tls else False,
        }


def resolve_url(host: str, port: int | None, ssl: bool | None, api_path: str) -> str:
    """The API root URL, built from host and port as chromadb's client builds it.

    ``host`` may be a full URL (then its scheme, port and path are used as given).

    Example:
        >>> resolve_url("localhost", 8000, False, "/api/v2")
        'http://localhost:8000/api/v2'
        >>> resolve_url("https://abc.execute-api.eu-west-1.amazonaws.com/prod", 8000, False, "/api/v2")
        'https://abc.execute-api.eu-west-1.amazonaws.com/prod/api/v2'
    """  # noqa: E501
    # chromadb's checks, in its order (so a host with a path and no scheme gets the first).
    if "/" in host and urlparse(host).scheme not in {"http", "https"}:
        raise ValueError(f"Invalid URL. Unrecognized protocol - {urlparse(host).scheme}.")
    if "/" in host and not host.startswith("http"):
        raise ValueError(
            "Invalid URL. Seems that you are trying to pass URL as a host but without "
            "specifying the protocol. Please add http:// or https:// to the host."
        )
    full_url = host.startswith("http")
    parsed = urlparse(host)
    scheme = "https" if ssl else parsed.scheme or "http"
    net_loc = parsed.netloc or parsed.hostname or host
    port_part = "" if full_url else ":" + str(parsed.port or port or 8000)
    path = parsed.path if full_url else ""
    if not path.endswith(api_path):
        path = path.rstrip("/") + api_path
    return urlunparse((scheme, f"{net_loc}{port_part}", quote(path.replace("//", "/")), "", "", ""))


def auth_headers(
    provider: str | None, credentials: str | None, header: str | None
) -> dict[str, str]:
    """The headers of chromadb's client auth providers (token or basic), by provider name.

    Example:
        >>> auth_headers("chromadb.auth.token_authn.TokenAuthClientProvider", "k", "X-Chroma-Token")
        {'X-Chroma-Token': 'k'}
        >>> auth_headers("token", "k", None)
        {'Authorization': 'Bearer k'}
    """
    if not provider or credentials is None:
        return {}
    if "basic" in provider.lower():
        encoded = base64.b64encode(credentials.encode()).decode()
        return {"Authorization": f"Basic {encoded}"}
    if header is None or header.lower() == "authorization":
        return {"Authorization": f"Bearer {credentials}"}
    return {header: credentials}


def default_headers(extra: Mapping[str, str] | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"chromalake/{__version__} (Chroma API v2 client)",
    }
    headers.update(extra or {})
    return headers


def endpoint_for(settings: Settings) -> Endpoint:
    """The endpoint a client with these settings talks to."""
    if not settings.chroma_server_host:
        raise ValueError("Missing required config value 'chroma_server_host'")
    headers = default_headers(settings.chroma_server_headers)
    headers.update(
        auth_headers(
            settings.chroma_client_auth_provider,
            settings.chroma_client_auth_credentials,
            settings.chroma_auth_token_transport_header,
        )
    )
    return Endpoint(
        base_url=resolve_url(
            settings.chroma_server_host,
            settings.chroma_server_http_port,
            settings.chroma_server_ssl_enabled,
            settings.chroma_server_api_default_path,
        ),
        headers=headers,
        timeout=settings.chromalake_http_timeout,
        verify=True
        if settings.chroma_server_ssl_verify is None
        else settings.chroma_server_ssl_verify,
        policy=RetryPolicy(retries=settings.chromalake_http_retries),
    )
