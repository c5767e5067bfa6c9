"""``Client`` and ``AdminClient``: Chroma's client API over an engine or a server.

The settings choose the backend as chromadb's do: ``chroma_api_impl`` naming an HTTP client
(``chromadb.api.fastapi.FastAPI``, or what ``HttpClient`` sets) talks to a server at
``chroma_server_host``; anything else runs the engine in-process. Every method is an
operation of :mod:`chromalake.api.ops`; this module only wraps results in objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from chromalake.api import ops
from chromalake.api.backends import EngineBackend, HttpBackend
from chromalake.api.collection import Collection
from chromalake.api.embedded import clear_system_cache, engine_for
from chromalake.api.embedding_choice import DEFAULT_EMBEDDING_FUNCTION
from chromalake.config import Settings, get_settings
from chromalake.http.endpoint import endpoint_for
from chromalake.records import CollectionRecord
from chromalake.types import (
    DEFAULT_DATABASE,
    DEFAULT_TENANT,
    CollectionMetadata,
    Database,
    Tenant,
    UserIdentity,
)

# What HttpClient writes into the settings; chromadb's own value is accepted too.
HTTP_IMPL = "chromalake.api.client.HttpClient"
ASYNC_HTTP_IMPL = "chromalake.api.async_client.AsyncHttpClient"


def is_http(settings: Settings) -> bool:
    """Whether these settings name a remote server rather than the in-process engine."""
    impl = settings.chroma_api_impl.lower()
    return "fastapi" in impl or "http" in impl


def backend_for(settings: Settings) -> EngineBackend | HttpBackend:
    if is_http(settings):
        return HttpBackend(endpoint_for(settings))
    return EngineBackend(engine_for(settings))


class AdminClient:
    """Tenants and databases.

    Example:
        >>> import chromalake
        >>> admin = chromalake.AdminClient()
        >>> admin.get_tenant("default_tenant")
        {'name': 'default_tenant'}
    """

    def __init__(self, settings: Settings | None = None) -> None:
        # As chromadb.Client(): no settings means those of chromalake.configure(...).
        self._settings = settings or get_settings()
        self._backend = backend_for(self._settings)

    def create_tenant(self, name: str) -> None:
        self._backend.run(ops.create_tenant(self._backend.dialect, name))

    def get_tenant(self, name: str) -> Tenant:
        return self._backend.run(ops.get_tenant(name))

    def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        self._backend.run(ops.create_database(self._backend.dialect, name, tenant))

    def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> Database:
        return self._backend.run(ops.get_database(self._backend.dialect, name, tenant))

    def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        self._backend.run(ops.simple("delete_database", name, tenant))

    def list_databases(
        self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT
    ) -> list[Database]:
        return self._backend.run(ops.list_databases(self._backend.dialect, limit, offset, tenant))

    def create_api_key(
        self, tenant: str, role: str, name: str, databases: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """A new API key (chromalake extension; needs an admin key). The reply's ``key`` is
        the key itself, shown this once.

        Example:
            >>> admin.create_api_key("acme", "read-only", "dashboards")["key"]  # doctest: +SKIP
            'clk_...'
        """
        return self._backend.run(
            ops.create_api_key(self._backend.dialect, tenant, role, name, databases)
        )

    def list_api_keys(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """The API keys of ``tenant`` (of every tenant for a root key): no keys, no hashes."""
        return self._backend.run(ops.list_api_keys(self._backend.dialect, tenant))

    def revoke_api_key(self, key_id: str) -> dict[str, Any]:
        """Revoke an API key by its id; the key's record as it now is."""
        return self._backend.run(ops.revoke_api_key(self._backend.dialect, key_id))


class Client:
    """A client of one tenant and database.

    Example:
        >>> import chromalake
        >>> client = chromalake.EphemeralClient()
        >>> col = client.get_or_create_collection("doctest-client", embedding_function=None)
        >>> col.name
        'doctest-client'
    """

    def __init__(
        self,
        settings: Settings | None = None,
        tenant: str = DEFAULT_TENANT,
        database: str = DEFAULT_DATABASE,
    ) -> None:
        self._settings = settings or Settings()
        self._backend = backend_for(self._settings)
        self._scope = ops.Scope(self._backend.dialect)
        from_identity = self._settings.chroma_overwrite_singleton_tenant_database_access_from_auth
        try:
            self._run(ops.connect(self._scope, tenant, database, from_identity))
        except BaseException:
            self._backend.close()
            raise

    def _run(self, op: ops.Op[Any]) -> Any:
        return self._backend.run(op)

    @property
    def tenant(self) -> str:
        return self._scope.tenant

    @property
    def database(self) -> str:
        return self._scope.database

    # -- system ------------------------------------------------------------------------------

    def heartbeat(self) -> int:
        """Nanoseconds since the epoch; proves the server (or engine) is alive.

        Example:
            >>> client.heartbeat() > 0
            True
        """
        return int(self._run(ops.simple("heartbeat")))

    def get_version(self) -> str:
        return str(self._run(ops.simple("version")))

    def get_settings(self) -> Settings:
        return self._settings

    def get_max_batch_size(self) -> int:
        return int(self._run(ops.simple("max_batch_size")))

    def get_user_identity(self) -> UserIdentity:
        result: UserIdentity = self._run(ops.get_user_identity(self._scope))
        return result

    def reset(self) -> bool:
        """Delete everything; only when the server allows it (``allow_reset=True``)."""
        return bool(self._run(ops.reset(self._backend.dialect)))

    def set_tenant(self, tenant: str, database: str = DEFAULT_DATABASE) -> None:
        """Switch to another tenant and database, which must exist."""
        self._run(ops.set_tenant(self._scope, tenant, database))

    def set_database(self, database: str) -> None:
        self.set_tenant(self.tenant, database)

    @staticmethod
    def clear_system_cache() -> None:
        clear_system_cache()

    def close(self) -> None:
        """Release the connection pool of a remote client (embedded engines are shared)."""
        self._backend.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- collections -------------------------------------------------------------------------

    def _wrap(
        self, model: CollectionRecord, embedding_function: Any, data_loader: Any
    ) -> Collection:
        return Collection(self, model, embedding_function, data_loader)

    def list_collections(
        self, limit: int | None = None, offset: int | None = None
    ) -> list[Collection]:
        """The collections of this database, ordered by id."""
        models = self._run(ops.list_collections(self._scope, limit, offset))
        return [self._wrap(m, DEFAULT_EMBEDDING_FUNCTION, None) for m in models]

    def count_collections(self) -> int:
        return int(self._run(ops.simple("count_collections", **self._scope.kwargs)))

    def create_collection(
        self,
        name: str,
        schema: Any = None,
        configuration: dict[str, Any] | None = None,
        metadata: CollectionMetadata | None = None,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
        get_or_create: bool = False,
    ) -> Collection:
        """Create a collection (or return the existing one with ``get_or_create=True``).

        Example:
            >>> client.create_collection("docs", metadata={"hnsw:space": "cosine"}).metadata
            {'hnsw:space': 'cosine'}
        """
        model = self._run(
            ops.create_collection(
                self._scope,
                name,
                schema,
                configuration,
                metadata,
                embedding_function,
                get_or_create,
            )
        )
        return self._wrap(model, embedding_function, data_loader)

    def get_collection(
        self,
        name: str,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
    ) -> Collection:
        """The collection named ``name``; NotFoundError if there is none."""
        model = self._run(ops.get_collection(self._scope, name, embedding_function))
        return self._wrap(model, embedding_function, data_loader)

    def get_collection_by_id(
        self,
        id: uuid.UUID | str,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
    ) -> Collection:
        model = self._run(ops.get_collection_by_id(self._scope, str(id), embedding_function))
        return self._wrap(model, embedding_function, data_loader)

    def get_or_create_collection(
        self,
        name: str,
        schema: Any = None,
        configuration: dict[str, Any] | None = None,
        metadata: CollectionMetadata | None = None,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
    ) -> Collection:
        model = self._run(
            ops.get_or_create_collection(
                self._scope, name, schema, configuration, metadata, embedding_function
            )
        )
        return self._wrap(model, embedding_function, data_loader)

    def delete_collection(self, name: str) -> None:
        self._run(ops.simple("delete_collection", name, **self._scope.kwargs))


def EphemeralClient(
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> Client:
    """An in-memory client; its data lives as long as the process.

    Example:
        >>> import chromalake
        >>> chromalake.EphemeralClient().heartbeat() > 0
        True
    """
    settings = (settings or Settings()).model_copy(update={"is_persistent": False})
    return Client(settings, tenant, database)


def PersistentClient(
    path: str | Path = "./chroma",
    settings: Settings | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> Client:
    """A client whose data is stored under ``path`` (a SQLite catalog and Lance datasets).

    Example:
        >>> import chromalake, tempfile
        >>> client = chromalake.PersistentClient(tempfile.mkdtemp())
        >>> client.count_collections()
        0
    """
    settings = (settings or Settings()).model_copy(
        update={"is_persistent": True, "persist_directory": str(path)}
    )
    return Client(settings, tenant, database)
