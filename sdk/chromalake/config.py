"""Settings: one frozen object, the only reader of the environment.

Explicit argument > environment variable (same name, any case, as Chroma's pydantic-settings)
> default. Fields Chroma has but chromalake does not use are accepted, so ``Settings(...)`` calls
written for chromadb keep working.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict

from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT

__all__ = [
    "DEFAULT_DATABASE",
    "DEFAULT_TENANT",
    "APIVersion",
    "Settings",
    "TokenTransportHeader",
    "configure",
    "get_class",
    "get_fqn",
    "get_settings",
    "is_thin_client",
]

logger = logging.getLogger(__name__)
#: chromadb's flag for its client-only package; chromalake's slim install still embeds.
is_thin_client = False
C = TypeVar("C")


class TokenTransportHeader(str, Enum):  # noqa: UP042 - chromadb's class is a str Enum
    """The header that carries an API key (``chroma_auth_token_transport_header``)."""

    AUTHORIZATION = "Authorization"
    X_CHROMA_TOKEN = "X-Chroma-Token"


class APIVersion(str, Enum):  # noqa: UP042 - chromadb's class is a str Enum, not StrEnum
    V1 = "/api/v1"
    V2 = "/api/v2"


class Settings(BaseModel):
    """Client and server settings.

    Example:
        >>> Settings(allow_reset=True).allow_reset
        True
    """

    model_config = ConfigDict(frozen=True, extra="allow")

    allow_reset: bool = False
    is_persistent: bool = False
    persist_directory: str = "./chroma"
    anonymized_telemetry: bool = False

    chroma_api_impl: str = "chromalake.api.client.Client"
    chroma_server_host: str | None = None
    chroma_server_http_port: int | None = None
    chroma_server_ssl_enabled: bool | None = False
    chroma_server_ssl_verify: bool | str | None = None
    chroma_server_headers: dict[str, str] | None = None
    chroma_server_api_default_path: str = "/api/v2"
    chroma_client_auth_provider: str | None = None
    chroma_client_auth_credentials: str | None = None
    chroma_auth_token_transport_header: str | None = None
    chroma_overwrite_singleton_tenant_database_access_from_auth: bool = False
    chroma_http_keepalive_secs: float | None = 40.0
    chroma_http_max_connections: int | None = None
    chroma_http_max_keepalive_connections: int | None = None
    # CloudClient's fallbacks for its arguments (environment: CHROMA_API_KEY, ...).
    chroma_api_key: str | None = None
    chroma_tenant: str | None = None
    chroma_database: str | None = None

    # -- remote clients (environment: CHROMALAKE_*) ------------------------------------------
    # The API URL of a chromalake deployment (CloudClient connects there), e.g. the URL that
    # `sam deploy` prints: https://<id>.execute-api.<region>.amazonaws.com
    chromalake_url: str | None = None
    # Seconds to wait for a reply (None: as long as it takes, as chromadb's client does).
    chromalake_http_timeout: float | None = None
    # How often a failed request is resent when that is safe (see chromalake.http.endpoint).
    chromalake_http_retries: int = 3

    # -- where a server keeps its data (environment: CHROMALAKE_*) -------------------------
    # Local disk by default; S3 for collections when a bucket is named, DynamoDB for the
    # catalog when a table is named. Endpoints point both at moto or another stand-in.
    chromalake_bucket: str | None = None
    chromalake_prefix: str = ""
    chromalake_table: str | None = None
    chromalake_region: str | None = None
    chromalake_s3_endpoint: str | None = None
    chromalake_dynamodb_endpoint: str | None = None
    chromalake_max_batch_size: int | None = None
    # Local copies of S3 datasets that warm reads run on (engine/mirror.py): where, and how
    # many bytes at most (0: none, every read goes to S3; unset: three quarters of the free
    # space where they live, at most 8 GiB: on Lambda, of the function's ephemeral storage).
    chromalake_cache_dir: str | None = None
    chromalake_cache_bytes: int | None = None

    # -- `chromalake run`'s HTTP server (environment: CHROMALAKE_SERVER_*) -------------------
    # Requests resolved at once (more wait their turn; a connection waiting for its next
    # request holds none), and connections the kernel queues before they are accepted
    # (Chroma's server: 4096; Linux caps it at net.core.somaxconn).
    chromalake_server_workers: int = 32
    chromalake_server_backlog: int = 4096
    # The largest request body accepted (413 beyond it): Chroma's server's own limit, 40 MiB,
    # so what Chroma accepts is accepted. A batch of Chroma's max_batch_size (5,461) of
    # 384-dimension embeddings (chromadb sends them base64) with 1,000-character documents
    # is about 17 MB; at 1,536 dimensions without documents, 45 MB: over either server's limit.
    chromalake_max_body_bytes: int = 40 * 1024 * 1024

    # -- API keys (environment: CHROMALAKE_AUTH, ...; see chromalake.auth) -----------------
    # Require an API key on every route but the public ones (heartbeat, version, ...). The
    # API function also enforces keys whenever an authorizer context is present.
    chromalake_auth: bool = False
    # A server-side secret mixed into key hashes (HMAC-SHA256); None: plain SHA-256. Every
    # process that checks or creates keys of one store must use the same value.
    chromalake_key_pepper: str | None = None
    # How long a warm process trusts a key it looked up before it asks the store again (a
    # revoke or reset elsewhere takes this long to reach it), and how long it remembers a key
    # that was refused.
    chromalake_auth_cache_seconds: float = 30.0
    chromalake_auth_miss_seconds: float = 60.0
    # Store lookups of keys not in either cache, per second per process and per client
    # address (bursts of twice that); beyond either, requests with unknown keys get 429
    # without touching the store. Keys already accepted are checked again without a budget.
    chromalake_auth_lookups_per_second: float = 20.0
    chromalake_auth_client_lookups_per_second: float = 5.0

    # -- maintenance and search (environment: CHROMALAKE_*) ---------------------------------
    # Below this many rows a collection is searched exactly (numpy over a cached matrix is
    # faster than any index there); at or above it maintenance builds a Lance IVF_PQ index.
    chromalake_index_threshold: int = 50_000
    # IVF_SQ (default: trains in seconds, 1 byte per dimension) or IVF_PQ (slower to train,
    # a few bytes per vector: for collections whose SQ codes would not fit in memory).
    chromalake_index_type: str = "IVF_SQ"
    # Maintenance compacts once a collection has more data fragments than this (each write
    # makes one; every scan pays for each, lance-notes §5).
    chromalake_compact_fragments: int = 8
    # Versions older than this many seconds are deleted; readers and forks must not need them
    # longer. The default outlives any query or Lambda invocation by far.
    chromalake_version_retention_seconds: float = 3600.0
    # The index is retrained (new centroids) once the collection has grown this many times
    # past the size it was trained at; in between, new rows are added to it incrementally.
    chromalake_index_retrain_growth: float = 4.0
    # `chromalake run`: seconds a collection waits after its last write before the background
    # maintainer runs (writes in a burst share one run), and seconds between scheduled sweeps.
    chromalake_maintenance_delay_seconds: float = 2.0
    chromalake_maintenance_interval_seconds: float = 300.0
    # A `PersistentClient` maintains its collections in a background thread too (as
    # `chromalake run` does), so a notebook's big collection gets Lance's index unasked.
    chromalake_embedded_maintenance: bool = True
    # AWS: the queue the api function tells of written collections (one message per
    # collection per `chromalake_maintenance_delay_seconds` and warm instance at most).
    chromalake_maintenance_queue_url: str | None = None
    # AWS: the maintenance function the admin function hands `maintain` and `restore_version`
    # to (they need Lance, which the admin function's zip does not have).
    chromalake_maintenance_function: str | None = None

    # -- `chromalake run` (environment: CHROMALAKE_*; flags and --config set the same) ---------
    chromalake_host: str = "127.0.0.1"
    chromalake_port: int = 8000
    # One line per request and every warning and error with its cause, on stderr: DEBUG,
    # INFO, WARNING or ERROR; ``text`` for a terminal, ``json`` for a log pipeline.
    chromalake_log_level: str = "INFO"
    chromalake_log_format: str = "text"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from environment variables, with explicit ``overrides`` winning.

        Example:
            >>> Settings.from_env({"ALLOW_RESET": "true"}).allow_reset
            True
        """
        env = {k.lower(): v for k, v in (os.environ if environ is None else environ).items()}
        found = {name: env[name] for name in cls.model_fields if name in env}
        return cls.model_validate({**found, **overrides})


#: ``chromalake run``'s flags (and the keys of its ``--config`` file) and the field each sets;
#: a field's environment variable is its name in upper case.
RUN_FLAGS = {
    "host": "chromalake_host",
    "port": "chromalake_port",
    "path": "persist_directory",
    "allow_reset": "allow_reset",
    "auth": "chromalake_auth",
    "bucket": "chromalake_bucket",
    "prefix": "chromalake_prefix",
    "table": "chromalake_table",
    "region": "chromalake_region",
    "s3_endpoint": "chromalake_s3_endpoint",
    "dynamodb_endpoint": "chromalake_dynamodb_endpoint",
    "log_level": "chromalake_log_level",
    "log_format": "chromalake_log_format",
}


def load_config_file(path: str) -> dict[str, Any]:
    r"""Settings fields from a YAML file of ``key: value`` lines (``chromalake run --config``).

    A key is a flag of ``chromalake run`` (``port``, ``s3-endpoint``...), a field of
    :class:`Settings` or its environment variable (``CHROMALAKE_TABLE``), in any case.

    Example:
        >>> import pathlib, tempfile
        >>> file = pathlib.Path(tempfile.mkdtemp()) / "chromalake.yaml"
        >>> _ = file.write_text("port: 9000\nallow-reset: true\nCHROMALAKE_TABLE: t\n")
        >>> load_config_file(str(file))
        {'chromalake_port': 9000, 'allow_reset': True, 'chromalake_table': 't'}
    """
    try:
        import yaml  # type: ignore[import-untyped]
    except ModuleNotFoundError as error:
        from chromalake.extras import missing_extra

        raise missing_extra(error) from None
    try:
        with open(path, encoding="utf-8") as file:
            data = yaml.safe_load(file) or {}
    except OSError as error:
        raise ValueError(f"cannot read {path}: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ValueError(f"{path} is not YAML: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold `key: value` lines")
    fields: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key).lower().replace("-", "_")
        field = RUN_FLAGS.get(name, name)
        if field not in Settings.model_fields:
            known = ", ".join(sorted(RUN_FLAGS))
            raise ValueError(
                f"{path}: unknown setting {key!r} (flags: {known}; or Settings fields)"
            )
        fields[field] = value
    return fields


_configured = Settings()


def get_settings() -> Settings:
    """The settings ``chromalake.Client()`` uses when given none (see :func:`configure`).

    Example:
        >>> get_settings().allow_reset
        False
    """
    return _configured


def configure(**kwargs: Any) -> None:
    """Replace the default settings of ``chromalake.Client()``, as ``chromadb.configure``."""
    global _configured
    _configured = Settings(**kwargs)


def get_fqn(cls: type[object]) -> str:
    """A class's dotted path, as chromadb's settings name implementations.

    Example:
        >>> get_fqn(Settings)
        'chromalake.config.Settings'
    """
    return f"{cls.__module__}.{cls.__name__}"


def get_class(fqn: str, type: type[C]) -> type[C]:
    """The class a dotted path names."""
    module_name, class_name = fqn.rsplit(".", 1)
    return getattr(importlib.import_module(module_name), class_name)  # type: ignore[no-any-return]
