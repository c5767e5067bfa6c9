"""``Collection``: Chroma's collection object over the embedded engine."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from chromalake import validation
from chromalake.api import records
from chromalake.api.binding import embedded_errors, prefixed, unterminated
from chromalake.api.embedding_choice import has_embedding_function, resolve
from chromalake.embeddings import embed, embedding_function_from_config
from chromalake.engine.catalog import CollectionRecord
from chromalake.engine.engine import Records
from chromalake.types import (
    DEFAULT_GET_INCLUDE,
    DEFAULT_QUERY_INCLUDE,
    GetResult,
    Include,
    OneOrMany,
    QueryResult,
    ReadLevel,
    Where,
    WhereDocument,
)

if TYPE_CHECKING:
    from chromalake.api.client import Client


class Collection:
    """A named set of records with embeddings, documents, metadata and uris.

    Example:
        >>> import chromalake
        >>> client = chromalake.EphemeralClient()
        >>> col = client.get_or_create_collection("doctest-col", embedding_function=None)
        >>> col.add(ids=["a"], embeddings=[[1.0, 2.0]])
        >>> col.count()
        1
    """

    def __init__(
        self,
        client: Client,
        model: CollectionRecord,
        embedding_function: Any = None,
        data_loader: Any = None,
    ) -> None:
        self._client = client
        self._model = model
        self._embedding_function = embedding_function
        self._data_loader = data_loader

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
    def schema(self) -> dict[str, Any] | None:
        return self._model.schema

    @property
    def embedding_function(self) -> Any:
        return self._embedding_function

    @property
    def data_loader(self) -> Any:
        return self._data_loader

    def get_model(self) -> CollectionRecord:
        return self._model

    def __repr__(self) -> str:
        return f"Collection(name={self.name})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Collection) and other._model == self._model

    def __hash__(self) -> int:
        return hash(self._model.id)

    # -- plumbing ----------------------------------------------------------------------------

    @property
    def _engine_scope(self) -> dict[str, Any]:
        return {"tenant": self.tenant, "database": self.database}

    def _chosen_embedding_function(self) -> Any:
        return resolve(self._embedding_function, self._model.configuration, self.schema)

    def _embed(self, inputs: list[Any]) -> list[np.ndarray]:
        return embed(self._chosen_embedding_function(), inputs)

    def _embed_query(self, inputs: list[Any]) -> list[np.ndarray]:
        return embed(self._chosen_embedding_function(), inputs, query=True)

    @property
    def _can_embed(self) -> bool:
        return has_embedding_function(
            self._embedding_function, self._model.configuration, self.schema
        )

    @property
    def _embedder(self) -> Any:
        return self._embed if self._can_embed else None

    @property
    def _query_embedder(self) -> Any:
        return self._embed_query if self._can_embed else None

    # -- records -----------------------------------------------------------------------------

    def count(self, read_level: ReadLevel | str = ReadLevel.INDEX_AND_WAL) -> int:
        """The number of records.

        Example:
            >>> col.count()
            2
        """
        return self._client._engine.count(self._model.id, **self._engine_scope)

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
        self._write(records.prepare_add, self._client._engine.add, fields, True)

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
        self._write(records.prepare_update, self._client._engine.update, fields, False)

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
        self._write(records.prepare_upsert, self._client._engine.upsert, fields, True)

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
        request = records.prepare_delete(ids, where, where_document, limit)
        deleted = self._client._engine.delete(
            self._model.id,
            request.ids,
            request.where,
            request.where_document,
            request.limit,
            **self._engine_scope,
        )
        return {"deleted": deleted}

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
        request = records.prepare_get(
            ids,
            where,
            limit,
            offset,
            where_document,
            include,
            has_data_loader=self._data_loader is not None,
        )
        found = self._client._engine.get(
            self._model.id,
            request.ids,
            request.where,
            request.where_document,
            request.limit,
            request.offset,
            _engine_include(request.include),
            **self._engine_scope,
        )
        return self._get_result(found, request.include)

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
    ) -> QueryResult:
        """The nearest records to each query, nearest first.

        Example:
            >>> hits = col.query(query_embeddings=[[3, 3]], n_results=1)
            >>> hits["ids"], hits["distances"], hits["documents"]
            ([['b']], [[1.0]], [['y']])
        """
        request = records.prepare_query(
            query_embeddings,
            query_texts,
            query_images,
            query_uris,
            ids,
            n_results,
            where,
            where_document,
            include,
            embed_query=self._query_embedder,
            data_loader=self._data_loader,
        )
        included = list(request.include)
        if "data" in included and "uris" not in included:
            included.append("uris")  # chromadb appends it to the caller's list
        wanted = _engine_include(included)
        if "data" in included:
            wanted.append("metadatas")  # chromadb's binding answers "data" with metadatas too
        with embedded_errors(prefixed):
            found = self._client._engine.query(
                self._model.id,
                request.query_embeddings,
                request.n_results,
                request.ids,
                request.where,
                request.where_document,
                wanted,
                **self._engine_scope,
            )
        return self._query_result(found, included)

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
        validation.validate_modify(name, metadata, configuration)
        with embedded_errors(unterminated):
            self._model = self._client._engine.update_collection(
                self._model.id, name, metadata, configuration, **self._engine_scope
            )
        if configuration is not None and self._model.configuration["embedding_function"] is None:
            # chromadb's client updates its local copy from the configuration it sent, where a
            # missing embedding function is written as legacy; the stored one stays null.
            local = {**self._model.configuration, "embedding_function": {"type": "legacy"}}
            self._model = self._model.with_changes(configuration=local)

    def _write(
        self, prepare: Any, apply: Any, fields: tuple[Any, ...], embeddings_required: bool
    ) -> None:
        """Prepare a write batch as chromadb does and hand it to the engine."""
        batch = self._prepared(prepare, *fields)
        if embeddings_required and batch.embeddings is None:
            # Preparation embeds documents or refuses the call, so this is a broken invariant.
            raise ValueError("Expected embeddings, or documents/uris and an embedding function")
        with embedded_errors(prefixed):
            apply(
                self._model.id,
                batch.ids,
                batch.embeddings,
                batch.metadatas,
                batch.documents,
                batch.uris,
                **self._engine_scope,
            )
        self._refresh_dimension()

    def _prepared(self, prepare: Any, *fields: Any) -> records.RecordBatch:
        """A write batch checked as chromadb's embedded client checks it.

        Its binding, not its Python layer, refuses oversized batches, after embedding and
        with its own wording (an InternalError), so the HTTP-style check is not used here.
        """
        batch: records.RecordBatch = prepare(
            *fields,
            embed=self._embedder,
            max_batch_size=sys.maxsize,
            data_loader=self._data_loader,
        )
        validation.check_engine_batch_size(len(batch.ids), self._client.get_max_batch_size())
        return batch

    def _refresh_dimension(self) -> None:
        if self._model.dimension is None:
            self._model = self._client._engine.get_collection_by_id(self._model.id)

    # -- results -----------------------------------------------------------------------------

    def _data(self, uris: list[Any] | None, include: Sequence[str]) -> Any:
        if "data" not in include or self._data_loader is None:
            return None
        return self._data_loader(uris or [])

    def _get_result(self, found: Records, include: Sequence[str]) -> GetResult:
        return {
            "ids": found.ids,
            "embeddings": None if found.embeddings is None else _as_array(found.embeddings),
            "documents": found.documents,
            "uris": found.uris if "uris" in include else None,
            "data": self._data(found.uris, include),
            "metadatas": found.metadatas,
            "included": cast(Include, list(include)),
        }

    def _query_result(self, found: list[Records], include: Sequence[str]) -> QueryResult:
        def per_query(name: str) -> Any:
            values = [getattr(r, name) for r in found]
            return None if any(v is None for v in values) else values

        embeddings = per_query("embeddings")
        uris = per_query("uris")
        return {
            "ids": [r.ids for r in found],
            "embeddings": None if embeddings is None else [_as_array(e) for e in embeddings],
            "documents": per_query("documents"),
            "uris": uris if "uris" in include else None,
            "data": (
                [self._data(u, include) for u in uris]
                if uris is not None and "data" in include and self._data_loader is not None
                else None
            ),
            "metadatas": per_query("metadatas"),
            "distances": per_query("distances"),
            "included": cast(Include, list(include)),
        }


def _as_array(embeddings: list[Any]) -> Any:
    """Embeddings as Chroma returns them: float64, holding the stored float32 values."""
    return np.array(embeddings, dtype=np.float64)


def _engine_include(include: Sequence[str]) -> list[str]:
    """What the engine must read: "data" is the client's, and needs the uris."""
    wanted: list[str] = [i for i in include if i != "data"]
    if "data" in include and "uris" not in wanted:
        wanted.append("uris")
    return wanted
