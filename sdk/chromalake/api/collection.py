"""``Collection``: Chroma's collection object; ``CollectionCommon`` holds what the async one shares.

Every method runs an operation of :mod:`chromalake.api.ops` on the client's backend.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any, Protocol, Self, TypeVar, cast

from chromalake.api import ops
from chromalake.api.interop import pass_as
from chromalake.embeddings import embedding_function_from_config
from chromalake.records import CollectionRecord
from chromalake.schema import Schema
from chromalake.search.builder import SearchResult
from chromalake.types import (
    DEFAULT_GET_INCLUDE,
    DEFAULT_QUERY_INCLUDE,
    GetResult,
    Include,
    IndexingStatus,
    OneOrMany,
    QueryResult,
    ReadLevel,
    Where,
    WhereDocument,
)

T = TypeVar("T")


class Runner(Protocol):
    """Runs an operation to its result: a blocking backend (the engine's, or HTTP)."""

    def run(self, op: ops.Op[T]) -> T: ...


class CollectionClient(Protocol):
    """What a ``Collection`` needs of the ``Client`` that made it: the backend its calls run on
    and the tenant and database they are scoped to. ``Client`` has both; naming this protocol
    rather than ``Client`` keeps this module from importing ``client.py``, which imports it.
    """

    @property
    def _backend(self) -> Runner: ...

    @property
    def _scope(self) -> ops.Scope: ...


def fork_name(new_name: str | None, name: str | None) -> str:
    """The name a fork gets from ``fork(new_name)`` or ``fork(name=...)``, not both.

    Example:
        >>> fork_name(None, "copy"), fork_name("copy", None)
        ('copy', 'copy')
    """
    if new_name is not None and name is not None:
        raise TypeError("fork() takes new_name or name, not both")
    chosen = new_name if new_name is not None else name
    if chosen is None:
        raise TypeError("fork() missing 1 required argument: 'new_name'")
    return chosen


class CollectionCommon:
    """A collection's properties, the same for ``Collection`` and ``AsyncCollection``."""

    def __init__(
        self,
        client: Any,
        model: CollectionRecord,
        embedding_function: Any = None,
        data_loader: Any = None,
    ) -> None:
        self._client = client
        self._state = ops.CollectionState(model, client._scope, embedding_function, data_loader)

    @property
    def _model(self) -> CollectionRecord:
        return self._state.model

    # -- properties --------------------------------------------------------------------------

    @property
    def id(self) -> uuid.UUID:
        return uuid.UUID(self._model.id)

    @property
    def name(self) -> str:
        return self._model.name

    @property
    def metadata(self) -> dict[str, Any] | None:
        return self._model.metadata

    @property
    def tenant(self) -> str:
        return self._model.tenant

    @property
    def database(self) -> str:
        return self._model.database

    @property
    def configuration_json(self) -> dict[str, Any]:
        return self._model.configuration

    @property
    def configuration(self) -> dict[str, Any]:
        """The configuration, with its embedding function built from ``configuration_json``."""
        config = self._model.configuration
        ef = embedding_function_from_config(config.get("embedding_function"))
        return {**config, "embedding_function": ef}

    @property
    def schema(self) -> Schema:
        """The collection's indexes as chromadb's ``Schema`` (functions rebuilt by name)."""
        return Schema.deserialize_from_json(self._model.schema or {})

    @property
    def embedding_function(self) -> Any:
        return self._state.embedding_function

    @property
    def data_loader(self) -> Any:
        return self._state.data_loader

    def get_model(self) -> CollectionRecord:
        return self._model

    @property
    def version(self) -> int | None:
        """The version a read-only view reads (:meth:`at_version`); None for the collection."""
        return self._state.version

    def at_version(self, version: int) -> Self:
        """A read-only view of the collection as it was at ``version`` (chromalake extension).

        ``count``, ``get``, ``peek`` and ``query`` read that version; writes raise. Version
        numbers come from ``list_versions()``.

        Example:
            >>> import chromalake
            >>> c = chromalake.EphemeralClient().create_collection("at-version-doc")
            >>> c.add(ids=["a"], embeddings=[[1.0, 2.0]])
            >>> c.add(ids=["b"], embeddings=[[3.0, 4.0]])
            >>> c.at_version(2).get()["ids"], c.get()["ids"]
            (['a'], ['a', 'b'])
        """
        view = copy.copy(self)
        view._state = ops.at_version(self._state, version)
        return view

    def __repr__(self) -> str:
        return f"Collection(name={self.name})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CollectionCommon) and other._model == self._model

    def __hash__(self) -> int:
        return hash(self._model.id)


class Collection(CollectionCommon):
    """A named set of records with embeddings, documents, metadata and uris.

    Example:
        >>> import chromalake
        >>> client = chromalake.EphemeralClient()
        >>> col = client.get_or_create_collection("doctest-col", embedding_function=None)
        >>> col.add(ids=["a"], embeddings=[[1.0, 2.0]])
        >>> col.count()
        1
    """

    _client: CollectionClient

    def _run(self, op: ops.Op[Any]) -> Any:
        return self._client._backend.run(op)

    def count(self, read_level: ReadLevel | str = ReadLevel.INDEX_AND_WAL) -> int:
        """The number of records.

        Example:
            >>> col.count()
            2
        """
        return int(self._run(ops.count(self._state)))

    def add(
        self,
        ids: OneOrMany,
        embeddings: Any = None,
        metadatas: Any = None,
        documents: Any = None,
        images: Any = None,
        uris: Any = None,
    ) -> None:
        """Add records; ids that already exist are left as they are.

        Example:
            >>> col.add(ids=["c", "a"], embeddings=[[5, 6], [9, 9]], documents=["z", "ignored"])
            >>> col.get(include=["documents"])["documents"]
            ['x', 'y', 'z']
        """
        fields = (ids, embeddings, metadatas, documents, images, uris)
        self._run(ops.write(self._state, "add", fields, True))

    def update(
        self,
        ids: OneOrMany,
        embeddings: Any = None,
        metadatas: Any = None,
        documents: Any = None,
        images: Any = None,
        uris: Any = None,
    ) -> None:
        """Change existing records; metadata is merged key by key and None deletes a key.

        Example:
            >>> col.update(ids="a", metadatas={"year": 2021, "source": None})
            >>> col.get(ids="a")["metadatas"]
            [{'year': 2021}]
        """
        fields = (ids, embeddings, metadatas, documents, images, uris)
        self._run(ops.write(self._state, "update", fields, False))

    def upsert(
        self,
        ids: OneOrMany,
        embeddings: Any = None,
        metadatas: Any = None,
        documents: Any = None,
        images: Any = None,
        uris: Any = None,
    ) -> None:
        """Update the records that exist and add the others.

        Example:
            >>> col.upsert(ids=["a", "z"], embeddings=[[0, 1], [1, 0]], documents=["new", None])
            >>> col.get()["documents"]
            ['new', 'y', None]
        """
        fields = (ids, embeddings, metadatas, documents, images, uris)
        self._run(ops.write(self._state, "upsert", fields, True))

    def delete(
        self,
        ids: OneOrMany | None = None,
        where: Where | None = None,
        where_document: WhereDocument | None = None,
        limit: int | None = None,
    ) -> dict[str, int]:
        """Delete records by id and/or filter; returns ``{"deleted": n}``.

        Example:
            >>> col.delete(where={"source": "old"})
            {'deleted': 1}
        """
        result: dict[str, int] = self._run(
            ops.delete(self._state, ids, where, where_document, limit)
        )
        return result

    def get(
        self,
        ids: OneOrMany | None = None,
        where: Where | None = None,
        limit: int | None = None,
        offset: int | None = None,
        where_document: WhereDocument | None = None,
        include: Include = DEFAULT_GET_INCLUDE,
    ) -> GetResult:
        """Records by id and/or filter, in insertion order.

        Example:
            >>> col.get(where={"year": {"$gte": 2022}}, limit=10)["ids"]
            ['b']
        """
        result: GetResult = self._run(
            ops.get(self._state, ids, where, limit, offset, where_document, include)
        )
        return result

    def peek(self, limit: int = 10) -> GetResult:
        """The first ``limit`` records, with their embeddings.

        Example:
            >>> col.peek(1)["embeddings"]
            array([[1., 2.]])
        """
        return self.get(limit=limit, include=["metadatas", "documents", "embeddings"])

    def query(
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
        """The nearest records to each query, nearest first.

        ``max_distance`` (a chromalake extension) drops results farther than that from
        their query, so a query row may return fewer than ``n_results``.

        Example:
            >>> hits = col.query(query_embeddings=[[3, 3]], n_results=1)
            >>> hits["ids"], hits["distances"], hits["documents"]
            ([['b']], [[1.0]], [['y']])
            >>> col.query(query_embeddings=[[3, 3]], n_results=2, max_distance=1.0)["ids"]
            [['b']]
        """
        result: QueryResult = self._run(
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

    def search(
        self,
        searches: Any,
        read_level: ReadLevel | str = ReadLevel.INDEX_AND_WAL,
    ) -> SearchResult:
        """Chroma's Search API: filter, rank (knn, full text, arithmetic, RRF), group, page.

        ``searches``: one Search or a list (chromalake's builder, chromadb's, or dicts).
        A ``Knn`` text query on ``#embedding`` is embedded with the collection's embedding
        function; on ``#document`` it ranks documents by BM25 (a chromalake extension).
        Every read sees every committed write, whatever ``read_level``.

        Example:
            >>> from chromalake import K, Knn, Search
            >>> found = col.search(Search().rank(Knn(query=[3, 3], limit=1)).select(K.SCORE))
            >>> found["ids"], found["scores"]
            ([['b']], [[1.0]])
        """
        result: SearchResult = self._run(ops.search(self._state, searches, read_level))
        return result

    def modify(
        self,
        name: str | None = None,
        metadata: dict[str, Any] | None = None,
        configuration: dict[str, Any] | None = None,
    ) -> None:
        """Rename the collection, replace its metadata, or change its configuration.

        Example:
            >>> col.modify(metadata={"topic": "cats"})
            >>> col.metadata
            {'topic': 'cats'}
        """
        self._run(ops.modify(self._state, name, metadata, configuration))

    def fork(self, new_name: str | None = None, *, name: str | None = None) -> Collection:
        """A copy-on-write copy of this collection named ``new_name`` (as Chroma Cloud's).

        It holds the same records, metadata, configuration and schema; writes to either
        collection never show in the other. ``name=`` is accepted too, as Chroma's docs write
        it (chromadb 1.5.9 itself takes only ``new_name``).

        Example:
            >>> copy = col.fork("doctest-col-copy")
            >>> copy.add(ids=["only-in-copy"], embeddings=[[0, 0]])
            >>> copy.count() - col.count()
            1
            >>> col.fork(name="doctest-col-copy-2").name
            'doctest-col-copy-2'
        """
        model = self._run(ops.fork(self._state, fork_name(new_name, name)))
        return Collection(self._client, model, self.embedding_function, self.data_loader)

    def fork_count(self) -> int:
        """How many forks this collection's lineage holds (the same for all its members).

        Example:
            >>> col.fork_count()
            0
            >>> _ = col.fork("examples-copy")
            >>> col.fork_count(), client.get_collection("examples-copy").fork_count()
            (1, 1)
        """
        return int(self._run(ops.fork_count(self._state)))

    def get_indexing_status(self) -> IndexingStatus:
        """How many records the collection's index covers, as Chroma's distributed server
        reports it, and (chromalake) ``memory``: what the answering process holds for the
        collection, in bytes (its rows, their fields, its in-process index).

        Example:
            >>> status = col.get_indexing_status()
            >>> status.total_ops, status.op_indexing_progress, status.memory["index_bytes"]
            (2, 1.0, 0)
        """
        return cast(IndexingStatus, self._run(ops.indexing_status(self._state)))

    def list_versions(self) -> list[dict[str, Any]]:
        """The stored versions, oldest first: ``version``, UTC ``timestamp``, ``rows``
        (a chromalake extension; maintenance cleans old versions after its retention).

        Example:
            >>> col.list_versions()[-1]["rows"] == col.count()
            True
        """
        result: list[dict[str, Any]] = self._run(ops.list_versions(self._state))
        return result

    def restore_version(self, version: int) -> int:
        """Make the collection hold what it held at ``version``; returns the new version
        (a chromalake extension: the restore is a new version, history is kept).

        Example:
            >>> first = col.list_versions()[0]["version"]
            >>> _ = col.restore_version(first)
            >>> col.count()
            0
        """
        return int(self._run(ops.restore_version(self._state, version)))


# LlamaIndex and other integrations check isinstance(x, chromadb.Collection).
pass_as(Collection, "chromadb.api.models.Collection", "Collection")
