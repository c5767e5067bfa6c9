"""Settings: one frozen object, the only reader of the environment.

Explicit argument > environment variable (same name, any case, as Chroma's pydantic-settings)
> default. Fields Chroma has but chromalake does not use are accepted, so ``Settings(...)`` calls
written for chromadb keep working.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


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
    # The SQS queue a deployed API sends maintenance requests to after writes (template.yaml's
    # MaintenanceQueue); None: no maintenance requests (local servers, tests).
    chromalake_maintenance_queue_url: str | None = None

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
