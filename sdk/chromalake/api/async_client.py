"""``AsyncClient``, ``AsyncAdminClient`` and ``AsyncCollection``: the asyncio twins.

They run the same operations (:mod:`chromalake.api.ops`) as the blocking classes, on an
asyncio HTTP backend; a test checks that each pair has the same methods and signatures.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from chromalake.api import ops
from chromalake.api.backends import AsyncHttpBackend
from chromalake.api.collection import CollectionCommon, fork_name
from chromalake.api.embedded import clear_system_cache
from chromalake.api.embedding_choice import DEFAULT_EMBEDDING_FUNCTION
from chromalake.api.interop import pass_as
from chromalake.config import Settings
from chromalake.http.endpoint import endpoint_for
from chromalake.records import CollectionRecord
from chromalake.search.builder import SearchResult
from chromalake.types import (
    DEFAULT_DATABASE,
    DEFAULT_GET_INCLUDE,
    DEFAULT_QUERY_INCLUDE,
    DEFAULT_TENANT,
    CollectionMetadata,
    Database,
    GetResult,
    Include,
    IndexingStatus,
    OneOrMany,
    QueryResult,
    ReadLevel,
    Tenant,
    UserIdentity,
    Where,
    WhereDocument,
)


class AsyncAdminClient:
    """Tenants and databases of a server, with asyncio.

    Example (against a running server)::

        admin = AsyncAdminClient(server_settings)
        await admin.get_tenant("default_tenant")
        # {'name': 'default_tenant'}
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings or Settings()
        self._backend = AsyncHttpBackend(endpoint_for(self._settings))

    async def create_tenant(self, name: str) -> None:
        await self._backend.run(ops.create_tenant(self._backend.dialect, name))

    async def get_tenant(self, name: str) -> Tenant:
        return await self._backend.run(ops.get_tenant(name))

    async def create_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        await self._backend.run(ops.create_database(self._backend.dialect, name, tenant))

    async def get_database(self, name: str, tenant: str = DEFAULT_TENANT) -> Database:
        return await self._backend.run(ops.get_database(self._backend.dialect, name, tenant))

    async def delete_database(self, name: str, tenant: str = DEFAULT_TENANT) -> None:
        await self._backend.run(ops.simple("delete_database", name, tenant))

    async def list_databases(
        self, limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT
    ) -> list[Database]:
        dialect = self._backend.dialect
        return await self._backend.run(ops.list_databases(dialect, limit, offset, tenant))

    async def create_api_key(
        self, tenant: str, role: str, name: str, databases: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """A new API key (chromalake extension; needs an admin key). The reply's ``key`` is
        the key itself, shown this once.

        Example:
            >>> (await admin.create_api_key("acme", "read-only", "ci"))["key"]  # doctest: +SKIP
            'clk_...'
        """
        return await self._backend.run(
            ops.create_api_key(self._backend.dialect, tenant, role, name, databases)
        )

    async def list_api_keys(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """The API keys of ``tenant`` (of every tenant for a root key): no keys, no hashes."""
        return await self._backend.run(ops.list_api_keys(self._backend.dialect, tenant))

    async def revoke_api_key(self, key_id: str) -> dict[str, Any]:
        """Revoke an API key by its id; the key's record as it now is."""
        return await self._backend.run(ops.revoke_api_key(self._backend.dialect, key_id))


class AsyncClient:
    """A client of one tenant and database of a server, with asyncio.

    Build it with ``await AsyncHttpClient(...)`` (or ``await AsyncClient.create(settings)``):
    construction talks to the server.

    Example (against a running server)::

        client = await chromalake.AsyncHttpClient(port=8000)
        col = await client.get_or_create_collection("docs")
        await col.count()
        # 0
    """

    def __init__(self, settings: Settings, backend: AsyncHttpBackend) -> None:
        self._settings = settings
        self._backend = backend
        self._scope = ops.Scope(backend.dialect)

    @classmethod
    async def create(
        cls,
        tenant: str = DEFAULT_TENANT,
        database: str = DEFAULT_DATABASE,
        settings: Settings | None = None,
    ) -> AsyncClient:
        """Connect: check the identity, the tenant and the database, as chromadb does."""
        settings = settings or Settings()
        client = cls(settings, AsyncHttpBackend(endpoint_for(settings)))
        from_identity = settings.chroma_overwrite_singleton_tenant_database_access_from_auth
        try:
            await client._run(ops.connect(client._scope, tenant, database, from_identity))
        except BaseException:
            await client._backend.close()
            raise
        return client

    async def _run(self, op: ops.Op[Any]) -> Any:
        return await self._backend.run(op)

    @property
    def tenant(self) -> str:
        return self._scope.tenant

    @property
    def database(self) -> str:
        return self._scope.database

    # -- system ------------------------------------------------------------------------------

    async def heartbeat(self) -> int:
        return int(await self._run(ops.simple("heartbeat")))

    async def get_version(self) -> str:
        return str(await self._run(ops.simple("version")))

    def get_settings(self) -> Settings:
        return self._settings

    async def get_max_batch_size(self) -> int:
        return int(await self._run(ops.simple("max_batch_size")))

    async def get_user_identity(self) -> UserIdentity:
        result: UserIdentity = await self._run(ops.get_user_identity(self._scope))
        return result

    async def reset(self) -> bool:
        return bool(await self._run(ops.reset(self._backend.dialect)))

    async def set_tenant(self, tenant: str, database: str = DEFAULT_DATABASE) -> None:
        await self._run(ops.set_tenant(self._scope, tenant, database))

    async def set_database(self, database: str) -> None:
        await self.set_tenant(self.tenant, database)

    @staticmethod
    def clear_system_cache() -> None:
        clear_system_cache()

    async def close(self) -> None:
        await self._backend.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- collections -------------------------------------------------------------------------

    def _wrap(
        self, model: CollectionRecord, embedding_function: Any, data_loader: Any
    ) -> AsyncCollection:
        return AsyncCollection(self, model, embedding_function, data_loader)

    async def list_collections(
        self, limit: int | None = None, offset: int | None = None
    ) -> list[AsyncCollection]:
        models = await self._run(ops.list_collections(self._scope, limit, offset))
        return [self._wrap(m, DEFAULT_EMBEDDING_FUNCTION, None) for m in models]

    async def count_collections(self) -> int:
        return int(await self._run(ops.simple("count_collections", **self._scope.kwargs)))

    async def create_collection(
        self,
        name: str,
        schema: Any = None,
        configuration: dict[str, Any] | None = None,
        metadata: CollectionMetadata | None = None,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
        get_or_create: bool = False,
    ) -> AsyncCollection:
        model = await self._run(
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

    async def get_collection(
        self,
        name: str,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
    ) -> AsyncCollection:
        model = await self._run(ops.get_collection(self._scope, name, embedding_function))
        return self._wrap(model, embedding_function, data_loader)

    async def get_collection_by_id(
        self,
        id: uuid.UUID | str,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
    ) -> AsyncCollection:
        model = await self._run(ops.get_collection_by_id(self._scope, str(id), embedding_function))
        return self._wrap(model, embedding_function, data_loader)

    async def get_or_create_collection(
        self,
        name: str,
        schema: Any = None,
        configuration: dict[str, Any] | None = None,
        metadata: CollectionMetadata | None = None,
        embedding_function: Any = DEFAULT_EMBEDDING_FUNCTION,
        data_loader: Any = None,
    ) -> AsyncCollection:
        model = await self._run(
            ops.get_or_create_collection(
                self._scope, name, schema, configuration, metadata, embedding_function
            )
        )
        return self._wrap(model, embedding_function, data_loader)

    async def delete_collection(self, name: str) -> None:
        await self._run(ops.simple("delete_collection", name, **self._scope.kwargs))


class AsyncCollection(CollectionCommon):
    """A collection of an ``AsyncClient``: every record method is a coroutine."""

    _client: AsyncClient

    async def _run(self, op: ops.Op[Any]) -> Any:
        return await self._client._backend.run(op)

    async def count(self, read_level: ReadLevel | str = ReadLevel.INDEX_AND_WAL) -> int:
        return int(await self._run(ops.count(self._state)))

    async def add(
        self,
        ids: OneOrMany,
        embeddings: Any = None,
        metadatas: Any = None,
        documents: Any = None,
        images: Any = None,
        uris: Any = None,
    ) -> None:
        fields = (ids, embeddings, metadatas, documents, images, uris)
        await self._run(ops.write(self._state, "add", fields, True))

    async def update(
        self,
        ids: OneOrMany,
        embeddings: Any = None,
        metadatas: Any = None,
        documents: Any = None,
        images: Any = None,
        uris: Any = None,
    ) -> None:
        fields = (ids, embeddings, metadatas, documents, images, uris)
        await self._run(ops.write(self._state, "update", fields, False))

    async def upsert(
        self,
        ids: OneOrMany,
        embeddings: Any = None,
        metadatas: Any = None,
        documents: Any = None,
        images: Any = None,
        uris: Any = None,
    ) -> None:
        fields = (ids, embeddings, metadatas, documents, images, uris)
        await self._run(ops.write(self._state, "upsert", fields, True))

    async def delete(
        self,
        ids: OneOrMany | None = None,
        where: Where | None = None,
        where_document: WhereDocument | None = None,
        limit: int | None = None,
    ) -> dict[str, int]:
        result: dict[str, int] = await self._run(
            ops.delete(self._state, ids, where, where_document, limit)
        )
        return result

    async def get(
        self,
        ids: OneOrMany | None = None,
        where: Where | None = None,
        limit: int | None = None,
        offset: int | None = None,
        where_document: WhereDocument | None = None,
        include: Include = DEFAULT_GET_INCLUDE,
    ) -> GetResult:
        result: GetResult = await self._run(
            ops.get(self._state, ids, where, limit, offset, where_document, include)
        )
        return result

    async def peek(self, limit: int = 10) -> GetResult:
        return await self.get(limit=limit, include=["metadatas", "documents", "embeddings"])

    async def query(
        self,
        query_embeddings: Any = None,
        query_texts: Any = None,
        query_images: Any = None,
        query_uris: Any = None,
        ids: OneOrMany | None = None,
        n_results: int = 10,
        where: Where | None = None,
        where_document: WhereDocument | None = None,
        include: Include = DEFAULT_QUERY_INCLUDE,
        max_distance: float | None = None,
    ) -> QueryResult:
        result: QueryResult = await self._run(
            ops.query(
                self._state,
                query_embeddings,
                query_texts,
                query_images,
                query_uris,
                ids,
                n_results,
                where,
                where_document,
                include,
                max_distance,
            )
        )
        return result

    async def search(
        self,
        searches: Any,
        read_level: ReadLevel | str = ReadLevel.INDEX_AND_WAL,
    ) -> SearchResult:
        """Chroma's Search API: filter, rank (knn, full text, arithmetic, RRF), group, page.

        ``searches``: one Search or a list (chromalake's builder, chromadb's, or dicts).
        A ``Knn`` text query on ``#embedding`` is embedded with the collection's embedding
        function; on ``#document`` it ranks documents by BM25 (a chromalake extension).
        Every read sees every committed write, whatever ``read_level``.

        Example (as ``Collection.search``, awaited)::

            found = await col.search(Search().rank(Knn(query=[3, 3], limit=1)).select(K.SCORE))
            found["ids"], found["scores"]   # ([['b']], [[1.0]])
        """
        result: SearchResult = await self._run(ops.search(self._state, searches, read_level))
        return result

    async def modify(
        self,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        configuration: dict[str, Any] | None = None,
    ) -> None:
        await self._run(ops.modify(self._state, name, metadata, configuration))

    async def fork(
        self, new_name: str | None = None, *, name: str | None = None
    ) -> AsyncCollection:
        model = await self._run(ops.fork(self._state, fork_name(new_name, name)))
        return AsyncCollection(self._client, model, self.embedding_function, self.data_loader)

    async def fork_count(self) -> int:
        return int(await self._run(ops.fork_count(self._state)))

    async def get_indexing_status(self) -> IndexingStatus:
        return cast(IndexingStatus, await self._run(ops.indexing_status(self._state)))

    async def list_versions(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self._run(ops.list_versions(self._state))
        return result

    async def restore_version(self, version: int) -> int:
        return int(await self._run(ops.restore_version(self._state, version)))


pass_as(AsyncCollection, "chromadb.api.models.AsyncCollection", "AsyncCollection")
