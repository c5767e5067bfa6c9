"""The remote clients' factories: ``HttpClient``, ``AsyncHttpClient`` and ``CloudClient``.

Same arguments and checks as chromadb's. They only need the slim install (httpx, numpy,
pydantic): nothing here imports Lance, pyarrow or boto3.
"""

from __future__ import annotations

from typing import Any

from chromalake.api.async_client import AsyncClient
from chromalake.api.client import ASYNC_HTTP_IMPL, HTTP_IMPL, Client
from chromalake.config import Settings
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT


def _server_settings(
    settings: Settings | None,
    impl: str,
    host: Any,
    port: Any,
    ssl: Any,
    headers: dict[str, str] | None,
) -> Settings:
    """The settings of a client of ``host:port``; they must not name another server."""
    settings = settings or Settings()
    host, port = str(host), int(port)
    if settings.chroma_server_host and settings.chroma_server_host != host:
        raise ValueError(
            f"Chroma server host provided in settings[{settings.chroma_server_host}] is "
            f"different to the one provided in HttpClient: [{host}]"
        )
    if settings.chroma_server_http_port and settings.chroma_server_http_port != port:
        raise ValueError(
            f"Chroma server http port provided in settings[{settings.chroma_server_http_port}] "
            f"is different to the one provided in HttpClient: [{port}]"
        )
    return settings.model_copy(
        update={
            "chroma_api_impl": impl,
            "chroma_server_host": host,
            "chroma_server_http_port": port,
            "chroma_server_ssl_enabled": bool(ssl),
            "chroma_server_headers": headers,
        }
    )


def HttpClient(
    host: str = "localhost",
    port: int = 8000,
    ssl: bool = False,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> Client:
    """A client of a Chroma API v2 server: ``chromalake run``, a deployment, or Chroma itself.

    ``host`` may also be a full URL (``https://<api-id>.execute-api.<region>.amazonaws.com``).

    Example (against a running server)::

        client = chromalake.HttpClient(host="localhost", port=8000)
        client.heartbeat() > 0
        # True
    """
    server = _server_settings(settings, HTTP_IMPL, host, port, ssl, headers)
    return Client(server, str(tenant), str(database))


async def AsyncHttpClient(
    host: str = "localhost",
    port: int = 8000,
    ssl: bool = False,
    headers: dict[str, str] | None = None,
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> AsyncClient:
    """The asyncio ``HttpClient``: ``client = await AsyncHttpClient(...)``.

    Example (against a running server)::

        client = await chromalake.AsyncHttpClient(port=8000)
        await client.heartbeat() > 0
        # True
    """
    server = _server_settings(settings, ASYNC_HTTP_IMPL, host, port, ssl, headers)
    return await AsyncClient.create(str(tenant), str(database), server)


def CloudClient(
    tenant: str | None = None,
    database: str | None = None,
    api_key: str | None = None,
    settings: Settings | None = None,
    *,
    cloud_host: str | None = None,
    cloud_port: int = 443,
    enable_ssl: bool = True,
) -> Client:
    """A client of a chromalake deployment, authenticated with an API key.

    The key, tenant and database default to ``CHROMA_API_KEY``, ``CHROMA_TENANT`` and
    ``CHROMA_DATABASE``; the deployment's API URL to ``CHROMALAKE_URL`` (or pass
    ``cloud_host``). Without a tenant or database, the key's own decide (a key scoped to one
    tenant and one database needs neither), as with Chroma Cloud.

    Example (against a running server)::

        client = chromalake.CloudClient(api_key="ck-...")
        client.tenant
        # 'acme'
    """
    env = Settings.from_env()
    api_key = api_key or env.chroma_api_key
    if not api_key:
        raise ValueError(
            "Missing required arguments: api_key. Please provide them or set the "
            "environment variables: CHROMA_API_KEY"
        )
    host, port, ssl = _cloud_location(cloud_host, cloud_port, enable_ssl, env.chromalake_url)
    base = (settings or Settings()).model_copy(
        update={
            "chroma_client_auth_provider": "chromadb.auth.token_authn.TokenAuthClientProvider",
            "chroma_client_auth_credentials": api_key,
            "chroma_auth_token_transport_header": "X-Chroma-Token",
            "chroma_overwrite_singleton_tenant_database_access_from_auth": True,
        }
    )
    server = _server_settings(base, HTTP_IMPL, host, port, ssl, base.chroma_server_headers)
    return Client(
        server,
        tenant or env.chroma_tenant or DEFAULT_TENANT,
        database or env.chroma_database or DEFAULT_DATABASE,
    )


def _cloud_location(
    host: str | None, port: int, ssl: bool, url: str | None
) -> tuple[str, int, bool]:
    """Where CloudClient connects: ``cloud_host``, else the ``CHROMALAKE_URL`` deployment."""
    if host:
        return host, port, ssl
    if url:
        # A full URL keeps its own scheme and port; the port argument is then unused.
        return url, port, url.startswith("https")
    raise ValueError(
        "CloudClient needs the API URL of your chromalake deployment: set CHROMALAKE_URL "
        "(the ApiUrl output of the stack) or pass cloud_host."
    )
