"""Sans-I/O: each engine operation as an HTTP request to Chroma's API v2 and a parser of its reply.

A :class:`Call` is pure data: no sockets, no httpx. The builders are named after the
engine's methods and take the same arguments, so the API layer drives a remote server exactly
as it drives the embedded engine; the sync and async transports only send the requests.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import numpy as np

from chromalake import errors
from chromalake.http.payloads import encode_embedding
from chromalake.records import CollectionRecord, DatabaseRecord, Records, SearchHits
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT, IndexingStatus, UserIdentity

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    """One HTTP request below the API root (``/api/v2``).

    ``retry_safe``: sending it twice does no harm (reads, and writes that are idempotent:
    add ignores stored ids, upsert/update/delete converge), so a timeout or a gateway 5xx may
    be retried. Creates are not: a retry after an unseen success would fail as a duplicate.
    """

    method: str
    path: str
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    retry_safe: bool = True

    def content(self) -> bytes | None:
        """The JSON body as bytes (None for no body); NaN and infinities are null, as
        chromadb's orjson writes them (the server then refuses them in its own words)."""
        if self.body is None:
            return None
        # Compact, like the orjson of chromadb's client: serde reports error positions in it.
        text = json.dumps(
            _finite(self.body), default=_json_default, allow_nan=False, separators=(",", ":")
        )
        return text.encode()


@dataclass(frozen=True)
class Call(Generic[T]):
    """A request and what its successful reply's JSON becomes."""

    request: Request
    parse: Callable[[Any], T]


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, np.ndarray | np.generic):
        return _finite(value.tolist())
    return value


def _json_default(value: Any) -> Any:
    """numpy scalars and arrays in metadata, filters or embeddings, as JSON numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _path(*parts: str) -> str:
    # As chromadb's client: the path is escaped as a whole, "/" kept.
    return quote("/" + "/".join(parts), safe="/")


def _database_path(tenant: str | None, database: str | None) -> list[str]:
    return ["tenants", tenant or DEFAULT_TENANT, "databases", database or DEFAULT_DATABASE]


def _collection_path(
    collection_id: str, tenant: str | None, database: str | None, *rest: str
) -> str:
    return _path(*_database_path(tenant, database), "collections", str(collection_id), *rest)


def _clean(params: dict[str, Any]) -> dict[str, Any]:
    """Query parameters without the None ones (httpx would send them empty)."""
    return {k: v for k, v in params.items() if v is not None}


def _ignore(_: Any) -> None:
    return None


# -- replies -----------------------------------------------------------------------------------


def collection_record(body: dict[str, Any]) -> CollectionRecord:
    """A collection from create/get/list JSON.

    Example:
        >>> collection_record({"id": "c1", "name": "docs", "configuration_json": {},
        ...     "tenant": "t", "database": "d", "dimension": 3}).dimension
        3
    """
    return CollectionRecord(
        id=str(body["id"]),
        name=str(body["name"]),
        tenant=str(body["tenant"]),
        database=str(body["database"]),
        configuration=dict(body.get("configuration_json") or {}),
        metadata=body.get("metadata"),
        schema=body.get("schema"),
        dimension=body.get("dimension"),
    )


def database_record(body: dict[str, Any]) -> DatabaseRecord:
    return DatabaseRecord(id=str(body["id"]), name=str(body["name"]), tenant=str(body["tenant"]))


def _vectors(rows: Sequence[Sequence[float] | None] | None) -> list[Any] | None:
    if rows is None:
        return None
    return [None if r is None else np.asarray(r, dtype=np.float32) for r in rows]


def get_records(body: dict[str, Any]) -> Records:
    """A GetResponse as columnar records (a field is None unless it was included)."""
    return Records(
        ids=list(body["ids"]),
        embeddings=_vectors(body.get("embeddings")),
        documents=body.get("documents"),
        uris=body.get("uris"),
        metadatas=body.get("metadatas"),
    )


def query_records(body: dict[str, Any]) -> list[Records]:
    """A QueryResponse as one set of records per query embedding."""

    def nth(name: str, n: int) -> Any:
        column = body.get(name)
        return None if column is None else column[n]

    return [
        Records(
            ids=list(ids),
            embeddings=_vectors(nth("embeddings", n)),
            documents=nth("documents", n),
            uris=nth("uris", n),
            metadatas=nth("metadatas", n),
            distances=nth("distances", n),
        )
        for n, ids in enumerate(body["ids"])
    ]


def identity(body: dict[str, Any]) -> UserIdentity:
    return UserIdentity(
        user_id=str(body.get("user_id", "")),
        tenant=body.get("tenant"),
        databases=body.get("databases"),
    )


def error_for(status: int, text: str, trace_id: str | None) -> Exception:
    """The exception chromadb's client raises for a failed reply.

    A Chroma error body becomes its class (with the trace id); anything else (a proxy's
    HTML page, a gateway timeout) a plain Exception with the body, as chromadb does.

    Example:
        >>> error_for(404, '{"error": "NotFoundError", "message": "gone"}', "abc")
        NotFoundError('gone')
        >>> error_for(502, "Bad Gateway", None)
        Exception('Bad Gateway')
    """
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    error = errors.from_wire(body) if isinstance(body, dict) and "error" in body else None
    if error is not None:
        error.trace_id = trace_id
        return error
    return Exception(f"{text} (trace ID: {trace_id})" if trace_id else text)


# -- system ------------------------------------------------------------------------------------


def heartbeat() -> Call[int]:
    return Call(Request("GET", "/heartbeat"), lambda b: int(b["nanosecond heartbeat"]))


def version() -> Call[str]:
    return Call(Request("GET", "/version"), str)


def pre_flight_checks() -> Call[dict[str, Any]]:
    return Call(Request("GET", "/pre-flight-checks"), dict)


def reset() -> Call[bool]:
    return Call(Request("POST", "/reset", retry_safe=False), bool)


def get_user_identity() -> Call[UserIdentity]:
    return Call(Request("GET", "/auth/identity"), identity)


# -- tenants and databases -----------------------------------------------------------------------


def create_tenant(name: str) -> Call[None]:
    return Call(Request("POST", "/tenants", body={"name": name}, retry_safe=False), _ignore)


def get_tenant(name: str) -> Call[dict[str, str]]:
    return Call(Request("GET", _path("tenants", name)), lambda b: {"name": str(b["name"])})


def create_database(name: str, tenant: str = DEFAULT_TENANT) -> Call[None]:
    request = Request(
        "POST", _path("tenants", tenant, "databases"), body={"name": name}, retry_safe=False
    )
    return Call(request, _ignore)


def get_database(name: str, tenant: str = DEFAULT_TENANT) -> Call[DatabaseRecord]:
    return Call(Request("GET", _path("tenants", tenant, "databases", name)), database_record)


def delete_database(name: str, tenant: str = DEFAULT_TENANT) -> Call[None]:
    return Call(Request("DELETE", _path("tenants", tenant, "databases", name)), _ignore)


def list_databases(
    limit: int | None = None, offset: int | None = None, tenant: str = DEFAULT_TENANT
) -> Call[list[DatabaseRecord]]:
    request = Request(
        "GET",
        _path("tenants", tenant, "databases"),
        params=_clean({"limit": limit, "offset": offset}),
    )
    return Call(request, lambda b: [database_record(d) for d in b])


# -- chromalake's key administration (extension routes) -----------------------------------------

KEYS = "/chromalake/keys"


def create_api_key(
    tenant: str, role: str, name: str, databases: Sequence[str] | None = None
) -> Call[dict[str, Any]]:
    """POST a new key; the reply holds the key itself, which no later call shows."""
    body = {"tenant": tenant, "databases": _list_or_none(databases), "role": role, "name": name}
    return Call(Request("POST", KEYS, body=body, retry_safe=False), dict)


def list_api_keys(tenant: str | None = None) -> Call[list[dict[str, Any]]]:
    request = Request("GET", KEYS, params=_clean({"tenant": tenant}))
    return Call(request, lambda b: [dict(k) for k in b])


def revoke_api_key(key_id: str) -> Call[dict[str, Any]]:
    # Revoking twice leaves the key revoked: safe to resend.
    return Call(Request("DELETE", _path("chromalake", "keys", key_id)), dict)


def _list_or_none(values: Sequence[str] | None) -> list[str] | None:
    return None if values is None else list(values)


# -- collections -----------------------------------------------------------------------------------


def list_collections(
    limit: int | None = None,
    offset: int | None = None,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> Call[list[CollectionRecord]]:
    request = Request(
        "GET",
        _path(*_database_path(tenant, database), "collections"),
        params=_clean({"limit": limit, "offset": offset}),
    )
    return Call(request, lambda b: [collection_record(c) for c in b])


def count_collections(tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE) -> Call[int]:
    return Call(Request("GET", _path(*_database_path(tenant, database), "collections_count")), int)


def create_collection(
    name: str,
    configuration: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
    get_or_create: bool = False,
    tenant: str = DEFAULT_TENANT,
    database: str = DEFAULT_DATABASE,
) -> Call[CollectionRecord]:
    body = {
        "name": name,
        "metadata": metadata,
        "configuration": configuration,
        "schema": schema,
        "get_or_create": get_or_create,
    }
    path = _path(*_database_path(tenant, database), "collections")
    return Call(Request("POST", path, body=body, retry_safe=get_or_create), collection_record)


def get_collection(
    name: str, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
) -> Call[CollectionRecord]:
    path = _path(*_database_path(tenant, database), "collections", name)
    return Call(Request("GET", path), collection_record)


def get_collection_by_id(
    collection_id: str, tenant: str | None = None, database: str | None = None
) -> Call[CollectionRecord]:
    path = _path(*_database_path(tenant, database), "collections", "by-id", str(collection_id))
    return Call(Request("GET", path), collection_record)


def update_collection(
    collection_id: str,
    new_name: str | None = None,
    new_metadata: dict[str, Any] | None = None,
    new_configuration: dict[str, Any] | None = None,
    tenant: str | None = None,
    database: str | None = None,
) -> Call[None]:
    """PUT answers ``{}``: the caller re-reads the collection if it needs it."""
    body = {
        "new_name": new_name,
        "new_metadata": new_metadata,
        "new_configuration": new_configuration,
    }
    request = Request("PUT", _collection_path(collection_id, tenant, database), body=body)
    return Call(request, _ignore)


def delete_collection(
    name: str, tenant: str = DEFAULT_TENANT, database: str = DEFAULT_DATABASE
) -> Call[None]:
    path = _path(*_database_path(tenant, database), "collections", name)
    return Call(Request("DELETE", path, retry_safe=False), _ignore)


# -- records ---------------------------------------------------------------------------------------


def _embeddings(embeddings: Sequence[Any] | None, base64: bool) -> list[Any] | None:
    if embeddings is None:
        return None
    if base64:
        return [None if e is None else encode_embedding(e) for e in embeddings]
    return [None if e is None else np.asarray(e, dtype=np.float32).tolist() for e in embeddings]


def _write(
    route: str,
    collection_id: str,
    ids: Sequence[str],
    embeddings: Sequence[Any] | None,
    metadatas: Sequence[dict[str, Any] | None] | None,
    documents: Sequence[str | None] | None,
    uris: Sequence[str | None] | None,
    tenant: str | None,
    database: str | None,
    base64: bool,
) -> Call[None]:
    body = {
        "ids": list(ids),
        "embeddings": _embeddings(embeddings, base64),
        "metadatas": None if metadatas is None else list(metadatas),
        "documents": None if documents is None else list(documents),
        "uris": None if uris is None else list(uris),
    }
    request = Request("POST", _collection_path(collection_id, tenant, database, route), body=body)
    return Call(request, _ignore)


def add(
    collection_id: str,
    ids: Sequence[str],
    embeddings: Sequence[Any],
    metadatas: Sequence[dict[str, Any] | None] | None = None,
    documents: Sequence[str | None] | None = None,
    uris: Sequence[str | None] | None = None,
    tenant: str | None = None,
    database: str | None = None,
    *,
    base64: bool = True,
) -> Call[None]:
    fields = (ids, embeddings, metadatas, documents, uris, tenant, database, base64)
    return _write("add", collection_id, *fields)


def update(
    collection_id: str,
    ids: Sequence[str],
    embeddings: Sequence[Any] | None = None,
    metadatas: Sequence[dict[str, Any] | None] | None = None,
    documents: Sequence[str | None] | None = None,
    uris: Sequence[str | None] | None = None,
    tenant: str | None = None,
    database: str | None = None,
    *,
    base64: bool = True,
) -> Call[None]:
    fields = (ids, embeddings, metadatas, documents, uris, tenant, database, base64)
    return _write("update", collection_id, *fields)


def upsert(
    collection_id: str,
    ids: Sequence[str],
    embeddings: Sequence[Any],
    metadatas: Sequence[dict[str, Any] | None] | None = None,
    documents: Sequence[str | None] | None = None,
    uris: Sequence[str | None] | None = None,
    tenant: str | None = None,
    database: str | None = None,
    *,
    base64: bool = True,
) -> Call[None]:
    fields = (ids, embeddings, metadatas, documents, uris, tenant, database, base64)
    return _write("upsert", collection_id, *fields)


def delete(
    collection_id: str,
    ids: Sequence[str] | None = None,
    where: dict[str, Any] | None = None,
    where_document: dict[str, Any] | None = None,
    limit: int | None = None,
    tenant: str | None = None,
    database: str | None = None,
) -> Call[int]:
    body: dict[str, Any] = {"ids": ids, "where": where, "where_document": where_document}
    if limit is not None:
        body["limit"] = limit
    request = Request(
        "POST", _collection_path(collection_id, tenant, database, "delete"), body=body
    )
    return Call(request, lambda b: int(b.get("deleted", 0)) if b else 0)


def _at(version: int | None, route: str) -> list[str]:
    """A record read's path below the collection: chromalake's version routes when pinned."""
    return [route] if version is None else ["versions", str(int(version)), route]


def count(
    collection_id: str,
    tenant: str | None = None,
    database: str | None = None,
    version: int | None = None,
) -> Call[int]:
    path = _collection_path(collection_id, tenant, database, *_at(version, "count"))
    params = {"read_level": "index_and_wal"} if version is None else {}
    return Call(Request("GET", path, params=params), int)


def get(
    collection_id: str,
    ids: Sequence[str] | None = None,
    where: dict[str, Any] | None = None,
    where_document: dict[str, Any] | None = None,
    limit: int | None = None,
    offset: int | None = None,
    include: Sequence[str] = ("documents", "metadatas"),
    tenant: str | None = None,
    database: str | None = None,
    version: int | None = None,
) -> Call[Records]:
    body = {
        "ids": None if ids is None else list(ids),
        "where": where,
        "limit": limit,
        "offset": offset,
        "where_document": where_document,
        "include": [i for i in include if i != "data"],
    }
    path = _collection_path(collection_id, tenant, database, *_at(version, "get"))
    return Call(Request("POST", path, body=body), get_records)


def query(
    collection_id: str,
    query_embeddings: Sequence[Any],
    n_results: int = 10,
    ids: Sequence[str] | None = None,
    where: dict[str, Any] | None = None,
    where_document: dict[str, Any] | None = None,
    include: Sequence[str] = ("documents", "metadatas", "distances"),
    tenant: str | None = None,
    database: str | None = None,
    version: int | None = None,
    max_distance: float | None = None,
) -> Call[list[Records]]:
    body: dict[str, Any] = {
        "ids": None if ids is None else list(ids),
        "query_embeddings": [np.asarray(e).tolist() for e in query_embeddings],
        "n_results": n_results,
        "where": where,
        "where_document": where_document,
        "include": [i for i in include if i != "data"],
    }
    if max_distance is not None:  # chromalake's extension; Chroma's payload otherwise
        body["max_distance"] = max_distance
    path = _collection_path(collection_id, tenant, database, *_at(version, "query"))
    return Call(Request("POST", path, body=body), query_records)


def search_hits(body: dict[str, Any]) -> list[SearchHits]:
    """A SearchResponse as one page of hits per search payload."""

    def nth(name: str, n: int) -> Any:
        column = body.get(name)
        return None if column is None or n >= len(column) else column[n]

    return [
        SearchHits(
            ids=list(ids),
            documents=nth("documents", n),
            embeddings=nth("embeddings", n),
            metadatas=nth("metadatas", n),
            scores=nth("scores", n),
            select=list(nth("select", n) or []),
        )
        for n, ids in enumerate(body.get("ids") or [])
    ]


def search(
    collection_id: str,
    searches: Sequence[dict[str, Any]],
    read_level: str = "index_and_wal",
    tenant: str | None = None,
    database: str | None = None,
) -> Call[list[SearchHits]]:
    body = {"searches": list(searches), "read_level": read_level}
    path = _collection_path(collection_id, tenant, database, "search")
    return Call(Request("POST", path, body=body), search_hits)


# -- forks (Chroma Cloud's routes) and versions (chromalake's) ----------------------------------


def fork(
    collection_id: str,
    new_name: str,
    tenant: str | None = None,
    database: str | None = None,
) -> Call[CollectionRecord]:
    path = _collection_path(collection_id, tenant, database, "fork")
    request = Request("POST", path, body={"new_name": new_name}, retry_safe=False)
    return Call(request, collection_record)


def fork_count(
    collection_id: str, tenant: str | None = None, database: str | None = None
) -> Call[int]:
    path = _collection_path(collection_id, tenant, database, "fork_count")
    return Call(Request("GET", path), lambda b: int(b["count"]))


def indexing_status(
    collection_id: str, tenant: str | None = None, database: str | None = None
) -> Call[IndexingStatus]:
    path = _collection_path(collection_id, tenant, database, "indexing_status")
    return Call(Request("GET", path), _indexing_status)


def _indexing_status(body: dict[str, Any]) -> IndexingStatus:
    memory = body.get("memory")
    return IndexingStatus(
        num_indexed_ops=int(body["num_indexed_ops"]),
        num_unindexed_ops=int(body["num_unindexed_ops"]),
        total_ops=int(body["total_ops"]),
        op_indexing_progress=float(body["op_indexing_progress"]),
        memory=None if memory is None else {str(k): int(v) for k, v in memory.items()},
    )


def list_versions(
    collection_id: str, tenant: str | None = None, database: str | None = None
) -> Call[list[dict[str, Any]]]:
    path = _collection_path(collection_id, tenant, database, "versions")
    return Call(Request("GET", path), lambda b: [dict(v) for v in b])


def restore_version(
    collection_id: str,
    version: int,
    tenant: str | None = None,
    database: str | None = None,
) -> Call[int]:
    path = _collection_path(collection_id, tenant, database, "versions", str(int(version)))
    # Restoring twice commits the same content twice: harmless, but not worth a retry.
    request = Request("POST", path + "/restore", retry_safe=False)
    return Call(request, lambda b: int(b["version"]))


# The engine's operations, by name, as the API layer calls them.
CALLS: dict[str, Callable[..., Call[Any]]] = {
    fn.__name__: fn
    for fn in (
        heartbeat,
        version,
        reset,
        get_user_identity,
        create_tenant,
        get_tenant,
        create_database,
        get_database,
        delete_database,
        list_databases,
        list_collections,
        count_collections,
        create_collection,
        get_collection,
        get_collection_by_id,
        update_collection,
        delete_collection,
        add,
        update,
        upsert,
        delete,
        count,
        get,
        query,
        search,
        fork,
        fork_count,
        indexing_status,
        list_versions,
        restore_version,
        create_api_key,
        list_api_keys,
        revoke_api_key,
    )
}
# Writes whose embeddings go base64-encoded when the server says it accepts that.
BASE64_WRITES = frozenset({"add", "update", "upsert"})
