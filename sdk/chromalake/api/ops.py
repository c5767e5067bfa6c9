"""Every client, admin and collection method, written once for every backend.

An operation is a generator: it validates and prepares a call exactly as chromadb's client
does, yields each engine operation it needs (:class:`EngineCall`: a method name of
:class:`~chromalake.engine.engine.Engine` and its arguments) and receives the result. A backend
answers those calls: the in-process engine, or a Chroma API v2 server over HTTP, blocking or
with asyncio (:mod:`chromalake.api.backends`). So ``Client`` and ``AsyncClient``,
``Collection`` and ``AsyncCollection`` are thin shells that run the same operations, and an
embedded client and a remote one cannot drift apart.

A backend's failure is thrown back into the operation at its ``yield``, so an operation's
``with`` blocks see it (that is how the embedded dialect rewords the engine's errors).
"""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import numpy as np

from chromalake import validation
from chromalake.api import records
from chromalake.api.binding import embedded_errors, prefixed, same, unterminated
from chromalake.api.embedding_choice import (
    check_conflict_on_create,
    check_conflict_on_get,
    has_embedding_function,
    resolve,
    with_default_space,
)
from chromalake.api.searches import embed_text_queries, search_payload, search_result
from chromalake.api.sparse_embedding import (
    returned_metadata,
    sparse_targets,
    with_sparse_vectors,
)
from chromalake.embeddings import embed, embedding_function_config
from chromalake.errors import ChromaAuthError, ChromaError, InvalidArgumentError
from chromalake.records import CollectionRecord, DatabaseRecord, Records
from chromalake.search.builder import SearchResult
from chromalake.types import (
    DEFAULT_DATABASE,
    DEFAULT_TENANT,
    Database,
    GetResult,
    Include,
    IndexingStatus,
    QueryResult,
    Tenant,
    UserIdentity,
)

T = TypeVar("T")


@dataclass(frozen=True)
class EngineCall:
    """One engine operation an API operation needs answered."""

    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


Op = Generator[EngineCall, Any, T]


def call(method: str, *args: Any, **kwargs: Any) -> EngineCall:
    return EngineCall(method, args, kwargs)


def drive(op: Op[T], perform: Callable[[EngineCall], Any]) -> T:
    """Run an operation to its end, answering its calls with ``perform``."""
    try:
        pending = next(op)
        while True:
            try:
                result = perform(pending)
            except Exception as error:
                pending = op.throw(error)
            else:
                pending = op.send(result)
    except StopIteration as stop:
        return cast(T, stop.value)


async def drive_async(op: Op[T], perform: Callable[[EngineCall], Any]) -> T:
    """:func:`drive` for an asyncio backend (``perform`` returns awaitables)."""
    try:
        pending = next(op)
        while True:
            try:
                result = await perform(pending)
            except Exception as error:
                pending = op.throw(error)
            else:
                pending = op.send(result)
    except StopIteration as stop:
        return cast(T, stop.value)


# -- dialects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dialect:
    """Where chromadb's embedded client and its HTTP client behave differently.

    The embedded one talks to Rust bindings: they word some errors their own way, refuse an
    oversized batch after embedding (an InternalError), and convert arguments as PyO3 does.
    The HTTP one checks the batch size itself (a ValueError) and passes the server's errors
    through as the server words them.
    """

    embedded: bool
    # Whether an exception means the server could not be reached (HTTP only).
    unreachable: Callable[[Exception], bool] = lambda _: False

    def errors(self, missing: Callable[[str], str] = same) -> AbstractContextManager[None]:
        return embedded_errors(missing) if self.embedded else nullcontext()

    def client_batch_limit(self, max_batch_size: int) -> int:
        return sys.maxsize if self.embedded else max_batch_size

    def check_engine_batch(self, size: int, max_batch_size: int) -> None:
        if self.embedded:
            validation.check_engine_batch_size(size, max_batch_size)

    def u32(self, value: Any, name: str) -> Any:
        return validation.check_u32_argument(value, name) if self.embedded else value


EMBEDDED = Dialect(embedded=True)


@contextmanager
def _connecting(dialect: Dialect, otherwise: str | None = None) -> Iterator[None]:
    """chromadb's wording when a client cannot reach the server or the tenant."""
    try:
        yield
    except ChromaError:
        raise
    except Exception as error:
        if dialect.unreachable(error):
            raise ValueError(
                "Could not connect to a Chroma server. Are you sure it is running?"
            ) from error
        if otherwise is None:
            raise
        raise ValueError(otherwise) from error


# -- system and admin ------------------------------------------------------------------------


def simple(method: str, *args: Any, **kwargs: Any) -> Op[Any]:
    """An operation that is one engine call, its result returned as it is."""
    return (yield call(method, *args, **kwargs))


def reset(dialect: Dialect) -> Op[bool]:
    with dialect.errors():
        return bool((yield call("reset")))


def create_tenant(dialect: Dialect, name: str) -> Op[None]:
    with dialect.errors():
        yield call("create_tenant", name)


def get_tenant(name: str) -> Op[Tenant]:
    found = yield call("get_tenant", name)
    return {"name": found["name"]}


def create_database(dialect: Dialect, name: str, tenant: str) -> Op[None]:
    with dialect.errors():
        yield call("create_database", name, tenant)


def _database(record: DatabaseRecord, dialect: Dialect) -> Database:
    # chromadb's embedded client returns the id as a UUID, its HTTP client as the JSON string.
    database_id: Any = uuid.UUID(record.id) if dialect.embedded else record.id
    return {"id": database_id, "name": record.name, "tenant": record.tenant}


def get_database(dialect: Dialect, name: str, tenant: str) -> Op[Database]:
    return _database((yield call("get_database", name, tenant)), dialect)


def list_databases(
    dialect: Dialect, limit: int | None, offset: int | None, tenant: str
) -> Op[list[Database]]:
    found = yield call("list_databases", limit, offset, tenant)
    return [_database(d, dialect) for d in found]


# -- API keys (chromalake's admin routes; a server keeps the keys) ------------------------------

NO_KEY_STORE = (
    "API keys are kept by a chromalake server: use an AdminClient whose settings name the "
    "server (and an admin key), or the `chromalake keys` command"
)


def _remote_only(dialect: Dialect) -> None:
    if dialect.embedded:
        raise NotImplementedError(NO_KEY_STORE)


def create_api_key(
    dialect: Dialect, tenant: str, role: str, name: str, databases: Sequence[str] | None
) -> Op[dict[str, Any]]:
    _remote_only(dialect)
    return cast(
        dict[str, Any], (yield call("create_api_key", tenant, role, name, databases=databases))
    )


def list_api_keys(dialect: Dialect, tenant: str | None) -> Op[list[dict[str, Any]]]:
    _remote_only(dialect)
    return cast(list[dict[str, Any]], (yield call("list_api_keys", tenant)))


def revoke_api_key(dialect: Dialect, key_id: str) -> Op[dict[str, Any]]:
    _remote_only(dialect)
    return cast(dict[str, Any], (yield call("revoke_api_key", key_id)))


# -- the client's scope ----------------------------------------------------------------------


@dataclass
class Scope:
    """A client's tenant and database, and how its backend speaks."""

    dialect: Dialect
    tenant: str = DEFAULT_TENANT
    database: str = DEFAULT_DATABASE

    @property
    def kwargs(self) -> dict[str, str]:
        return {"tenant": self.tenant, "database": self.database}


def get_user_identity(scope: Scope) -> Op[UserIdentity]:
    with _connecting(scope.dialect):
        return cast(UserIdentity, (yield call("get_user_identity")))


def set_tenant(scope: Scope, tenant: str, database: str) -> Op[None]:
    """Check that the tenant and database exist, then switch to them (chromadb's order)."""
    with _connecting(
        scope.dialect, f"Could not connect to tenant {tenant}. Are you sure it exists?"
    ):
        yield call("get_tenant", tenant)
    with _connecting(scope.dialect):
        yield call("get_database", database, tenant)
    scope.tenant, scope.database = tenant, database


def connect(scope: Scope, tenant: str, database: str, from_identity: bool) -> Op[None]:
    """A client's first requests: who am I, then does my tenant and database exist.

    With ``from_identity`` (CloudClient), a key scoped to one tenant, or to one database,
    decides them unless the caller named different ones, which is an error.
    """
    identity = yield from get_user_identity(scope)
    if from_identity:
        tenant, database = _resolved(identity, tenant, database)
    yield from set_tenant(scope, tenant, database)


def _resolved(identity: UserIdentity, tenant: str, database: str) -> tuple[str, str]:
    own_tenant = identity.tenant if identity.tenant and identity.tenant != "*" else None
    databases = set(identity.databases or [])
    own_database = next(iter(databases)) if len(databases) == 1 and "*" not in databases else None
    if tenant != DEFAULT_TENANT and own_tenant and own_tenant != tenant:
        raise ChromaAuthError(
            f"Tenant {tenant} does not match {own_tenant} from the server. "
            "Are you sure the tenant is correct?"
        )
    if database != DEFAULT_DATABASE and own_database and own_database != database:
        raise ChromaAuthError(
            f"Database {database} does not match {own_database} from the server. "
            "Are you sure the database is correct?"
        )
    return (
        own_tenant if tenant == DEFAULT_TENANT and own_tenant else tenant,
        own_database if database == DEFAULT_DATABASE and own_database else database,
    )


# -- collections -----------------------------------------------------------------------------


def list_collections(
    scope: Scope, limit: int | None, offset: int | None
) -> Op[list[CollectionRecord]]:
    limit = scope.dialect.u32(limit, "limit")
    offset = scope.dialect.u32(offset, "offset")
    return cast(
        list[CollectionRecord], (yield call("list_collections", limit, offset, **scope.kwargs))
    )


def create_collection(
    scope: Scope,
    name: str,
    schema: Any,
    configuration: dict[str, Any] | None,
    metadata: Any,
    embedding_function: Any,
    get_or_create: bool,
) -> Op[CollectionRecord]:
    if scope.dialect.embedded:
        validation.check_collection_metadata_convertible(metadata)
    if configuration and configuration.get("hnsw") and configuration.get("spann"):
        raise ValueError("hnsw and spann cannot both be provided")
    check_conflict_on_create(embedding_function, (configuration or {}).get("embedding_function"))
    wire_config = _wire_configuration(configuration, embedding_function, metadata)
    with scope.dialect.errors():
        record = yield call(
            "create_collection",
            name,
            wire_config,
            dict(metadata) if metadata is not None else None,
            _serialized_schema(schema),
            get_or_create,
            **scope.kwargs,
        )
    return cast(CollectionRecord, record)


def get_or_create_collection(
    scope: Scope,
    name: str,
    schema: Any,
    configuration: dict[str, Any] | None,
    metadata: Any,
    embedding_function: Any,
) -> Op[CollectionRecord]:
    record = yield from create_collection(
        scope, name, schema, configuration, metadata, embedding_function, True
    )
    # As chromadb: an existing collection's persisted function must not conflict.
    check_conflict_on_get(embedding_function, record.configuration.get("embedding_function"))
    return record


def get_collection(scope: Scope, name: str, embedding_function: Any) -> Op[CollectionRecord]:
    record: CollectionRecord = yield call("get_collection", name, **scope.kwargs)
    check_conflict_on_get(embedding_function, record.configuration.get("embedding_function"))
    return record


def get_collection_by_id(
    scope: Scope, collection_id: str, embedding_function: Any
) -> Op[CollectionRecord]:
    record: CollectionRecord = yield call("get_collection_by_id", collection_id, **scope.kwargs)
    check_conflict_on_get(embedding_function, record.configuration.get("embedding_function"))
    return record


def _wire_configuration(
    configuration: dict[str, Any] | None, embedding_function: Any, metadata: Any = None
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


# -- records ---------------------------------------------------------------------------------


@dataclass
class CollectionState:
    """What a Collection object holds: its model (refreshed by writes and modify), its
    embedding function and data loader, and the scope of the client that made it."""

    model: CollectionRecord
    scope: Scope
    embedding_function: Any = None
    data_loader: Any = None
    # A read-only view of the collection as it was at this version (chromalake extension).
    version: int | None = None

    @property
    def kwargs(self) -> dict[str, str]:
        return {"tenant": self.model.tenant, "database": self.model.database}

    @property
    def read_kwargs(self) -> dict[str, Any]:
        """A read's scope; a view adds its version (so unpinned calls stay Chroma's)."""
        pinned = {} if self.version is None else {"version": self.version}
        return {**self.kwargs, **pinned}

    def writable(self) -> None:
        """Refuse a write through a read-only view of an old version."""
        if self.version is not None:
            raise InvalidArgumentError(
                f"Collection {self.model.name} at version {self.version} is a read-only view; "
                "write to the collection itself (or restore_version to go back to it)"
            )

    @property
    def dialect(self) -> Dialect:
        return self.scope.dialect

    def embedder(self, query: bool = False) -> records.EmbedFn | None:
        """How this collection embeds documents (None: it has no function), in chromadb's
        order: a function passed in, the one its configuration names, its schema's."""
        model = self.model
        if not has_embedding_function(self.embedding_function, model.configuration, model.schema):
            return None
        ef = resolve(self.embedding_function, model.configuration, model.schema)
        return lambda inputs: embed(ef, inputs, query=query)


def count(c: CollectionState) -> Op[int]:
    return cast(int, (yield call("count", c.model.id, **c.read_kwargs)))


def write(
    c: CollectionState, method: str, fields: tuple[Any, ...], embeddings_required: bool
) -> Op[None]:
    """add, update or upsert: prepare the batch as chromadb does, then send it."""
    c.writable()
    max_batch_size = yield call("max_batch_size")
    prepare = {
        "add": records.prepare_add,
        "update": records.prepare_update,
        "upsert": records.prepare_upsert,
    }[method]
    batch = prepare(
        *fields,
        embed=c.embedder(),
        max_batch_size=c.dialect.client_batch_limit(max_batch_size),
        data_loader=c.data_loader,
        binding=c.dialect.embedded,
    )
    # As chromadb's client: the schema's sparse indexes with a source key fill their keys.
    targets = sparse_targets(c.model.schema)
    if targets:
        batch = replace(
            batch, metadatas=with_sparse_vectors(batch.metadatas, batch.documents, targets)
        )
    # The embedded binding refuses an oversized batch only now, after embedding.
    c.dialect.check_engine_batch(len(batch.ids), max_batch_size)
    if embeddings_required and batch.embeddings is None:
        # Preparation embeds documents or refuses the call, so this is a broken invariant.
        raise ValueError("Expected embeddings, or documents/uris and an embedding function")
    with c.dialect.errors(prefixed):
        yield call(
            method,
            c.model.id,
            batch.ids,
            batch.embeddings,
            batch.metadatas,
            batch.documents,
            batch.uris,
            **c.kwargs,
        )
    if c.dialect.embedded and c.model.dimension is None:
        # chromadb's embedded model learns the dimension the first write fixed.
        c.model = yield call("get_collection_by_id", c.model.id, **c.kwargs)


def delete(
    c: CollectionState, ids: Any, where: Any, where_document: Any, limit: Any
) -> Op[dict[str, int]]:
    c.writable()
    request = records.prepare_delete(ids, where, where_document, limit, binding=c.dialect.embedded)
    deleted = yield call(
        "delete",
        c.model.id,
        request.ids,
        request.where,
        request.where_document,
        request.limit,
        **c.kwargs,
    )
    return {"deleted": int(deleted)}


def get(
    c: CollectionState,
    ids: Any,
    where: Any,
    limit: Any,
    offset: Any,
    where_document: Any,
    include: Any,
) -> Op[GetResult]:
    request = records.prepare_get(
        ids,
        where,
        limit,
        offset,
        where_document,
        include,
        has_data_loader=c.data_loader is not None,
        binding=c.dialect.embedded,
    )
    found = yield call(
        "get",
        c.model.id,
        request.ids,
        request.where,
        request.where_document,
        request.limit,
        request.offset,
        _engine_include(request.include),
        **c.read_kwargs,
    )
    return _get_result(c, found, request.include)


def query(
    c: CollectionState,
    query_embeddings: Any,
    query_texts: Any,
    query_images: Any,
    query_uris: Any,
    ids: Any,
    n_results: Any,
    where: Any,
    where_document: Any,
    include: Any,
    max_distance: Any = None,
) -> Op[QueryResult]:
    validation.validate_max_distance(max_distance)
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
        embed_query=c.embedder(query=True),
        data_loader=c.data_loader,
        binding=c.dialect.embedded,
    )
    included = list(request.include)
    if "data" in included and "uris" not in included:
        included.append("uris")  # chromadb appends it to the caller's list
    wanted = _engine_include(included)
    if "data" in included and c.dialect.embedded:
        wanted.append("metadatas")  # chromadb's binding answers "data" with metadatas too
    # chromalake's extension, sent only when used: Chroma's call is unchanged otherwise.
    beyond = {} if max_distance is None else {"max_distance": max_distance}
    with c.dialect.errors(prefixed):
        found = yield call(
            "query",
            c.model.id,
            request.query_embeddings,
            request.n_results,
            request.ids,
            request.where,
            request.where_document,
            wanted,
            **c.read_kwargs,
            **beyond,
        )
    return _query_result(c, found, included)


def search(c: CollectionState, searches: Any, read_level: Any) -> Op[SearchResult]:
    """Chroma's Search API: payloads from any builder (``to_dict``) or dicts; text queries on
    ``#embedding`` embedded here with the collection's function, as chromadb does."""
    if c.version is not None:
        raise InvalidArgumentError(
            f"Collection {c.model.name} at version {c.version} is a view for get, query and "
            "count; search reads the latest version, so call it on the collection itself"
        )
    listed = list(searches) if isinstance(searches, list | tuple) else [searches]
    payloads = [
        embed_text_queries(search_payload(s), c.embedder(query=True), c.model.schema)
        for s in listed
    ]
    with c.dialect.errors(prefixed):
        level = str(getattr(read_level, "value", read_level))  # chromadb's ReadLevel too
        found = yield call("search", c.model.id, payloads, level, **c.kwargs)
    return search_result(found)


def modify(c: CollectionState, name: Any, metadata: Any, configuration: Any) -> Op[None]:
    c.writable()
    validation.validate_modify(name, metadata, configuration)
    with c.dialect.errors(unterminated):
        updated = yield call(
            "update_collection", c.model.id, name, metadata, configuration, **c.kwargs
        )
    if updated is None:  # a server answers {}: read the collection as it is now
        updated = yield call("get_collection_by_id", c.model.id, **c.kwargs)
    c.model = updated
    if configuration is not None and c.model.configuration.get("embedding_function") is None:
        # chromadb's client updates its local copy from the configuration it sent, where a
        # missing embedding function is written as legacy; the stored one stays null.
        local = {**c.model.configuration, "embedding_function": {"type": "legacy"}}
        c.model = c.model.with_changes(configuration=local)


# -- forks and versions ----------------------------------------------------------------------


def fork(c: CollectionState, new_name: str) -> Op[CollectionRecord]:
    """Chroma Cloud's fork: a copy-on-write copy of the collection named ``new_name``."""
    c.writable()
    with c.dialect.errors():  # a taken name: as create_collection reports it
        forked = yield call("fork", c.model.id, new_name, **c.kwargs)
    return cast(CollectionRecord, forked)


def fork_count(c: CollectionState) -> Op[int]:
    return cast(int, (yield call("fork_count", c.model.id, **c.kwargs)))


def indexing_status(c: CollectionState) -> Op[IndexingStatus]:
    return cast(IndexingStatus, (yield call("indexing_status", c.model.id, **c.kwargs)))


def list_versions(c: CollectionState) -> Op[list[dict[str, Any]]]:
    found = yield call("list_versions", c.model.id, **c.kwargs)
    return cast(list[dict[str, Any]], found)


def restore_version(c: CollectionState, version: int) -> Op[int]:
    c.writable()
    return cast(int, (yield call("restore_version", c.model.id, int(version), **c.kwargs)))


def at_version(c: CollectionState, version: int) -> CollectionState:
    """The state of a read-only view of ``version`` (same model, scope and functions)."""
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidArgumentError(f"Expected a version number >= 1, got {version!r}")
    return replace(c, version=version)


# -- results ---------------------------------------------------------------------------------


def _engine_include(include: Sequence[str]) -> list[str]:
    """What the engine must read: "data" is the client's, and needs the uris."""
    wanted: list[str] = [i for i in include if i != "data"]
    if "data" in include and "uris" not in wanted:
        wanted.append("uris")
    return wanted


def _as_array(embeddings: list[Any]) -> Any:
    """Embeddings as Chroma returns them: float64, holding the stored float32 values."""
    return np.array(embeddings, dtype=np.float64)


def _data(c: CollectionState, uris: list[Any] | None, include: Sequence[str]) -> Any:
    if "data" not in include or c.data_loader is None:
        return None
    return c.data_loader(uris or [])


def _with_sparse_vectors(metadatas: list[Any] | None) -> Any:
    """Metadatas as chromadb's client returns them: stored sparse vectors as SparseVector."""
    return None if metadatas is None else [returned_metadata(m) for m in metadatas]


def _get_result(c: CollectionState, found: Records, include: Sequence[str]) -> GetResult:
    return {
        "ids": found.ids,
        "embeddings": None if found.embeddings is None else _as_array(found.embeddings),
        "documents": found.documents,
        "uris": found.uris if "uris" in include else None,
        "data": _data(c, found.uris, include),
        "metadatas": _with_sparse_vectors(found.metadatas),
        "included": cast(Include, list(include)),
    }


def _query_result(c: CollectionState, found: list[Records], include: Sequence[str]) -> QueryResult:
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
            [_data(c, u, include) for u in uris]
            if uris is not None and "data" in include and c.data_loader is not None
            else None
        ),
        "metadatas": (
            None
            if per_query("metadatas") is None
            else [_with_sparse_vectors(m) for m in per_query("metadatas")]
        ),
        "distances": per_query("distances"),
        "included": cast(Include, list(include)),
    }
