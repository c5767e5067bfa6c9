"""Building the key store, authenticator and key admin that Settings describe.

The keys live beside the catalog: in its DynamoDB table when ``chromalake_table`` is set,
otherwise in the local SQLite catalog file under ``persist_directory``.
"""

from __future__ import annotations

from chromalake.auth.admin import KeyAdmin
from chromalake.auth.authenticator import Authenticator
from chromalake.auth.keys import KeyStore
from chromalake.config import Settings


def build_key_store(settings: Settings) -> KeyStore:
    """Where these settings keep API keys.

    Example:
        >>> import tempfile
        >>> store = build_key_store(Settings(persist_directory=tempfile.mkdtemp()))
        >>> type(store).__name__, store.list_keys()
        ('SqliteKeyStore', [])
    """
    if settings.chromalake_table is not None:
        from chromalake.auth.dynamodb_store import DynamoDBKeyStore

        return DynamoDBKeyStore(
            settings.chromalake_table,
            region=settings.chromalake_region,
            endpoint_url=settings.chromalake_dynamodb_endpoint,
        )
    from chromalake.auth.sqlite_store import SqliteKeyStore
    from chromalake.engine.factory import SQLITE_FILE, persist_root

    return SqliteKeyStore(persist_root(settings) / SQLITE_FILE)


def build_authenticator(settings: Settings, store: KeyStore) -> Authenticator:
    return Authenticator(
        store,
        pepper=settings.chromalake_key_pepper,
        cache_seconds=settings.chromalake_auth_cache_seconds,
        miss_seconds=settings.chromalake_auth_miss_seconds,
        lookups_per_second=settings.chromalake_auth_lookups_per_second,
    )


def build_key_admin(settings: Settings, authenticator: Authenticator | None = None) -> KeyAdmin:
    store = authenticator.store if authenticator is not None else build_key_store(settings)
    return KeyAdmin(store, settings.chromalake_key_pepper, authenticator)
