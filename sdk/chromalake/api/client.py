"""Embedded clients: ``Client`` and ``AdminClient`` over an in-process engine.

As in Chroma, clients built with the same settings share one engine (one in-memory database
for every ``EphemeralClient()``, one per path for ``PersistentClient``) until
``clear_system_cache()``.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

from chromalake import validation
from chromalake.api.binding import embedded_errors
from chromalake.api.collection import Collection
from chromalake.api.embedding_choice import (
    DEFAULT_EMBEDDING_FUNCTION,
    check_conflict_on_create,
    check_conflict_on_get,
    with_default_space,
)
from chromalake.config import Settings
from chromalake.embeddings import embedding_function_config
from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine, storage_root
from chromalake.types import (
    DEFAULT_DATABASE,
    DEFAULT_TENANT,
    CollectionMetadata,
    Database,
    Tenant,
    UserIdentity,
)

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def _engine_key(settings: Settings) -> str:
    """Clients share an engine when they share storage: the catalog and the collections' root."""
    return f"{settings.chromalake_table or ''}|{storage_root(settings)}"


def engine_for(settings: Settings) -> Engine:
    """The engine shared by every client with these settings' storage."""
    key = _engine_key(settings)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _engines[key] = build_engine(settings)
        # The latest client's allow_reset decides, as Chroma's per-system settings do.
        engine.allow_reset = settings.allow_reset
        return engine


def clear_system_cache() -> None:
    """Forget every shared engine (ephemeral data is dropped)."""
    with _engines_lock:
        _engines.clear()


def _database(record: Any) -> Database:
    return {"id": uuid.UUID(record.id), "name": record.name, "tenant": record.tenant}  # type: ignore[typeddict-item]


class AdminClient:
    """Tenants and databases.

    Example:
        >>> import chromalake
        >>> admin = chromalake.AdminClient()
        >>> admin.get_tenant("default_tenant")
        {'name': 'default_tenant'}
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or Settings()
        self._engine = engine_for(self._settings)

    def create_tenant(self, name: str) -> None:
        with embedded_errors():
            self._engine.create_tenant(name)

    def get_tenant(self, name: str) -> Tenant:
        return {"name": self._engine.get_tenant(name)["name"]}

    def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        with embedded_errors():
            self._engine.create_database(name, tenant)

    def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> Database:
        return _database(self._engine.get_database(name, tenant))

    def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        self._engine.delete_database(name, tenant)

    def list_databases(
        self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT
    ) -> list[Database]:
        return [_database(d) for d in self._engine.list_databases(limit, offset, tenant)]


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
        self._engine = engine_for(self._settings)
        self._admin = AdminClient(self._settings)
        self.tenant = tenant
        self.database = database
        self.set_tenant(tenant, database)

    # -- system ------------------------------------------------------------------------------

    def heartbeat(self) -> int:
        """Nanoseconds since the epoch; proves the engine is alive."""
        return self._engine.heartbeat()

    def get_version(self) -> str:
        return self._engine.version()

    def get_settings(self) -> Settings:
        return self._settings

    def get_max_batch_size(self) -> int:
        return self._engine.max_batch_size()

    def get_user_identity(self) -> UserIdentity:
        return UserIdentity(user_id="", tenant=self.tenant, databases=[self.database])

    def reset(self) -> bool:
        """Delete everything; only when the settings allow it (``allow_reset=True``)."""
        with embedded_errors():
            return self._engine.reset()

    def set_tenant(self, tenant: str, database: str = DEFAULT_DATABASE) -> None:
        """Switch to another tenant and database, which must exist."""
        self._admin.get_tenant(tenant)
        self._admin.get_database(database, tenant)
        self.tenant, self.database = tenant, database

    def set_database(self, database: str) -> None:
        self.set_tenant(self.tenant, database)

    @staticmethod
    def clear_system_cache() -> None:
        clear_system_cache()

    def close(self) -> None:
        """Nothing to release: engines are shared and live as long as the process."""

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- collections -------------------------------------------------------------------------

    @property
    def _scope(self) -> dict[str, str]:
        return {"tenant": self.tenant, "database": self.database}

    def _wrap(
        self, model: CollectionRecord, embedding_function: Any, data_loader: Any
    ) -> Collection:
        return Collection(self, model, embedding_function, data_loader)

    def list_collections(
        self, limit: int | None = None, offset: int | None = None
    ) -> list[Collection]:
        """The collections of this database, ordered by id."""
        limit = validation.check_u32_argument(limit, "limit")
        offset = validation.check_u32_argument(offset, "offset")
        models = self._engine.list_collections(limit, offset, **self._scope)
        return [self._wrap(m, DEFAULT_EMBEDDING_FUNCTION, None) for m in models]

    def count_collections(self) -> int:
        return self._engine.count_collections(**self._scope)

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
        validation.check_collection_metadata_convertible(metadata)
        if configuration and configuration.get("hnsw") and configuration.get("spann"):
            raise ValueError("hnsw and spann cannot both be provided")
        check_conflict_on_create(
            embedding_function, (configuration or {}).get("embedding_function")
        )
        wire_config = _wire_configuration(configuration, embedding_function, metadata)
        with embedded_errors():
            model = self._engine.create_collection(
                name,
                wire_config,
                dict(metadata) if metadata is not None else None,
                _serialized_schema(schema),
                get_or_create,
                **self._scope,
            )
        return self._wrap(model, embedding_function, data_loader)

    def get_collection(
        self,
        name: str,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
    ) -> Collection:
        """The collection named ``name``; NotFoundError if there is none."""
        model = self._engine.get_collection(name, **self._scope)
        check_conflict_on_get(embedding_function, model.configuration.get("embedding_function"))
        return self._wrap(model, embedding_function, data_loader)

    def get_collection_by_id(
        self,
        id: uuid.UUID | str,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
    ) -> Collection:
        model = self._engine.get_collection_by_id(str(id), **self._scope)
        check_conflict_on_get(embedding_function, model.configuration.get("embedding_function"))
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
        collection = self.create_collection(
            name,
            schema,
            configuration,
            metadata,
            embedding_function,
            data_loader,
            get_or_create=True,
        )
        # As chromadb: an existing collection's persisted function must not conflict.
        persisted = collection.configuration_json.get("embedding_function")
        check_conflict_on_get(embedding_function, persisted)
        return collection

    def delete_collection(self, name: str) -> None:
        self._engine.delete_collection(name, **self._scope)


def _wire_configuration(
    configuration: dict[str, Any] | None,
    embedding_function: Any,
    metadata: CollectionMetadata | None = None,
) -> dict[str, Any] | None:
    """The configuration the client sends: an embedding function is recorded in it, and its
    default space fills in a space nobody chose.

    Chroma records ``legacy`` when a configuration is given without a function.
    """
    ef_config = embedding_function_config(embedding_function)
    if configuration is None and ef_config is None:
        return None
    config = dict(configuration or {})
    ef = config.get("embedding_function") or embedding_function
    config = with_default_space(config, dict(metadata) if metadata else None, ef)
    if config.get("embedding_function") is not None:
        config["embedding_function"] = embedding_function_config(config["embedding_function"])
    else:
        config["embedding_function"] = ef_config or {"type": "legacy"}
    return config


def _serialized_schema(schema: Any) -> dict[str, Any] | None:
    if schema is None or isinstance(schema, dict):
        return schema
    serialize = getattr(schema, "serialize_to_json", None)
    return serialize() if callable(serialize) else None


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
