"""Building the key store, authenticator and key admin that Settings describe.

The keys live beside the catalog: in its DynamoDB table when ``chromalake_table`` is set,
otherwise in the local SQLite catalog file under ``persist_directory``. The catalog itself
is read for tenants' ids, to which keys are bound.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chromalake.auth.admin import KeyAdmin
from chromalake.auth.authenticator import Authenticator
from chromalake.auth.keys import KeyStore, Tenants
from chromalake.config import Settings


def build_key_store(settings: Settings) -> KeyStore:
    """Where these settings keep API keys.

    Example:
        >>> import tempfile
        >>> store = build_key_store(Settings(persist_directory=tempfile.mkdtemp()))
        >>> type(store).__name__, store.list_keys()
        ('SqliteKeyStore', [])
    """
    table = _dynamodb_table(settings)
    if table is not None:
        from chromalake.auth.dynamodb_store import DynamoDBKeyStore

        return DynamoDBKeyStore(**table)
    from chromalake.auth.sqlite_store import SqliteKeyStore

    return SqliteKeyStore(_sqlite_file(settings))


def build_tenants(settings: Settings) -> Tenants:
    """The catalog beside the keys these settings describe: where tenants' ids are read.

    Example:
        >>> import tempfile
        >>> type(build_tenants(Settings(persist_directory=tempfile.mkdtemp()))).__name__
        'SqliteCatalog'
    """
    table = _dynamodb_table(settings)
    if table is not None:
        # Not engine.factory.build_catalog: that imports the engine (pyarrow), and the
        # authorizer is a small function without it.
        from chromalake.engine.catalog.dynamodb import DynamoDBCatalog

        return DynamoDBCatalog(**table)
    from chromalake.engine.catalog import SqliteCatalog

    return SqliteCatalog(_sqlite_file(settings))


def _dynamodb_table(settings: Settings) -> dict[str, Any] | None:
    """The catalog's DynamoDB table and how to reach it (None: the local SQLite file)."""
    if settings.chromalake_table is None:
        return None
    return {
        "table": settings.chromalake_table,
        "region": settings.chromalake_region,
        "endpoint_url": settings.chromalake_dynamodb_endpoint,
    }


def _sqlite_file(settings: Settings) -> Path:
    from chromalake.engine.factory import SQLITE_FILE, persist_root

    return persist_root(settings) / SQLITE_FILE


def build_authenticator(
    settings: Settings, store: KeyStore, tenants: Tenants | None = None
) -> Authenticator:
    """The authenticator over ``store``; ``tenants`` defaults to the catalog beside it."""
    return Authenticator(
        store,
        tenants if tenants is not None else build_tenants(settings),
        pepper=settings.chromalake_key_pepper,
        cache_seconds=settings.chromalake_auth_cache_seconds,
        miss_seconds=settings.chromalake_auth_miss_seconds,
        lookups_per_second=settings.chromalake_auth_lookups_per_second,
        client_lookups_per_second=settings.chromalake_auth_client_lookups_per_second,
    )


def build_key_admin(settings: Settings, authenticator: Authenticator | None = None) -> KeyAdmin:
    if authenticator is not None:
        store, tenants = authenticator.store, authenticator.tenants
    else:
        store, tenants = build_key_store(settings), build_tenants(settings)
    return KeyAdmin(store, tenants, settings.chromalake_key_pepper, authenticator)
