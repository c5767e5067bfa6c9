"""Chroma's HTTP API v2 payloads and responses, as pydantic models (one home for both sides).

The request models mirror the OpenAPI document's ``*Payload`` schemas and accept what Chroma's
Rust server accepts: unknown keys are ignored (serde's default), numbers and strings are not
coerced into each other, ``include`` absent means the route's default while an explicit
``null`` is refused. Embeddings on add/update/upsert are JSON float arrays or base64 strings
(little-endian float32); :func:`decode_embeddings` turns either into float32 arrays with the
server's messages. The response models document what the server sends; the server builds the
same JSON with :func:`collection_json` and :func:`records_json`.

Nothing here imports the server: the HTTP clients use these models too. It was ``wire.py``;
it lives in ``http/`` because both sides of the HTTP API share it and the slim install has it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Annotated, Any, Literal

import numpy as np
import numpy.typing as npt
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
)

from chromalake.errors import InvalidArgumentError

U32 = Annotated[StrictInt, Field(ge=0, le=2**32 - 1)]
Number = StrictInt | StrictFloat
Vector = list[Number]
IncludeValue = Literal["distances", "documents", "embeddings", "metadatas", "uris"]
ReadLevelValue = Literal["index_and_wal", "index_only", "index_and_bounded_wal"]

GET_DEFAULT_INCLUDE: list[IncludeValue] = ["documents", "metadatas"]
QUERY_DEFAULT_INCLUDE: list[IncludeValue] = ["documents", "metadatas", "distances"]


def _sparse_vector(value: dict[str, Any]) -> dict[str, Any]:
    """An object metadata value must have a sparse vector's fields (the engine checks more)."""
    indices, values = value.get("indices"), value.get("values")
    if not isinstance(indices, list) or not isinstance(values, list):
        raise ValueError("expected a sparse vector with `indices` and `values` lists")
    # Chroma accepts the object with or without its tag and always stores (and emits) it.
    return {"#type": "sparse_vector", **value}


SparseVector = Annotated[dict[str, Any], AfterValidator(_sparse_vector)]

# Metadata values, in the order of Chroma's untagged union (bool before int before float).
ScalarValue = StrictBool | StrictInt | StrictFloat | StrictStr
MetadataValue = (
    ScalarValue
    | SparseVector
    | list[StrictBool]
    | list[StrictInt]
    | list[StrictInt | StrictFloat]
    | list[StrictStr]
)
Metadata = dict[str, MetadataValue]
# where / where_document: any JSON; the engine's parser reports Chroma's "Invalid where clause".
Filter = Any
UpdateMetadata = dict[str, MetadataValue | None]


class _Payload(BaseModel):
    """Base of every request payload: unknown keys are ignored, as serde does."""

    model_config = ConfigDict(extra="ignore")


# -- tenants and databases ------------------------------------------------------------------------


class CreateTenantPayload(_Payload):
    name: StrictStr


class UpdateTenantPayload(_Payload):
    resource_name: StrictStr


class CreateDatabasePayload(_Payload):
    name: StrictStr


# -- collections ----------------------------------------------------------------------------------


Usize = Annotated[StrictInt, Field(ge=0)]
SpaceValue = Literal["l2", "cosine", "ip"]


class _Closed(BaseModel):
    """An index configuration: unknown keys are refused (serde's ``deny_unknown_fields``)."""

    model_config = ConfigDict(extra="forbid")


class HnswConfiguration(_Closed):
    space: SpaceValue | None = None
    ef_construction: Usize | None = None
    ef_search: Usize | None = None
    max_neighbors: Usize | None = None
    num_threads: Usize | None = None
    resize_factor: Number | None = None
    sync_threshold: Usize | None = None
    batch_size: Usize | None = None


class SpannConfiguration(_Closed):
    search_nprobe: U32 | None = None
    write_nprobe: U32 | None = None
    space: SpaceValue | None = None
    ef_construction: Usize | None = None
    ef_search: Usize | None = None
    max_neighbors: Usize | None = None
    reassign_neighbor_count: U32 | None = None
    split_threshold: U32 | None = None
    merge_threshold: U32 | None = None


class EmbeddingFunctionConfiguration(BaseModel):
    """An embedding function: ``legacy``, ``known`` (with ``name``, ``config``) or ``unknown``."""

    model_config = ConfigDict(extra="allow")

    type: Literal["legacy", "known", "unknown"]
    name: StrictStr | None = None
    config: dict[str, Any] | None = None


class CollectionConfiguration(_Payload):
    hnsw: HnswConfiguration | None = None
    spann: SpannConfiguration | None = None
    embedding_function: EmbeddingFunctionConfiguration | None = None


class UpdateHnswConfiguration(_Closed):
    ef_search: Usize | None = None
    max_neighbors: Usize | None = None
    num_threads: Usize | None = None
    resize_factor: Number | None = None
    sync_threshold: Usize | None = None
    batch_size: Usize | None = None


class UpdateSpannConfiguration(_Closed):
    search_nprobe: U32 | None = None
    ef_search: Usize | None = None


class UpdateCollectionConfiguration(_Payload):
    hnsw: UpdateHnswConfiguration | None = None
    spann: UpdateSpannConfiguration | None = None
    embedding_function: EmbeddingFunctionConfiguration | None = None


def _as_sent(model: BaseModel | None) -> dict[str, Any] | None:
    """A checked model as the plain JSON object the client sent (only the keys it gave)."""
    return None if model is None else model.model_dump(exclude_unset=True)


class CreateCollectionPayload(_Payload):
    name: StrictStr
    configuration: CollectionConfiguration | None = None
    metadata: Metadata | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    get_or_create: StrictBool = False

    def configuration_json(self) -> dict[str, Any] | None:
        """The configuration as a JSON object (what the engine takes)."""
        return _as_sent(self.configuration)


class UpdateCollectionPayload(_Payload):
    new_name: StrictStr | None = None
    new_metadata: dict[str, Any] | None = None
    new_configuration: UpdateCollectionConfiguration | None = None

    def new_configuration_json(self) -> dict[str, Any] | None:
        """The new configuration as a JSON object (what the engine takes)."""
        return _as_sent(self.new_configuration)


# -- records --------------------------------------------------------------------------------------

# A batch of embeddings: all float arrays or all base64 strings (Chroma's untagged enum).
EmbeddingsPayload = list[Vector] | list[StrictStr]
UpdateEmbeddingsPayload = list[Vector | None] | list[StrictStr | None]


class AddCollectionRecordsPayload(_Payload):
    ids: list[StrictStr]
    embeddings: EmbeddingsPayload
    documents: list[StrictStr | None] | None = None
    uris: list[StrictStr | None] | None = None
    metadatas: list[Metadata | None] | None = None


class UpdateCollectionRecordsPayload(_Payload):
    ids: list[StrictStr]
    embeddings: UpdateEmbeddingsPayload | None = None
    documents: list[StrictStr | None] | None = None
    uris: list[StrictStr | None] | None = None
    metadatas: list[UpdateMetadata | None] | None = None


class UpsertCollectionRecordsPayload(_Payload):
    ids: list[StrictStr]
    embeddings: EmbeddingsPayload
    documents: list[StrictStr | None] | None = None
    uris: list[StrictStr | None] | None = None
    metadatas: list[UpdateMetadata | None] | None = None


class DeleteCollectionRecordsPayload(_Payload):
    ids: list[StrictStr] | None = None
    where: Filter = None
    where_document: Filter = None
    limit: U32 | None = None


class GetRequestPayload(_Payload):
    ids: list[StrictStr] | None = None
    where: Filter = None
    where_document: Filter = None
    limit: U32 | None = None
    offset: U32 | None = None
    include: list[IncludeValue] = Field(default_factory=lambda: list(GET_DEFAULT_INCLUDE))


class QueryRequestPayload(_Payload):
    query_embeddings: list[Vector]
    n_results: U32 | None = None
    ids: list[StrictStr] | None = None
    where: Filter = None
    where_document: Filter = None
    include: list[IncludeValue] = Field(default_factory=lambda: list(QUERY_DEFAULT_INCLUDE))
    # chromalake extension: drop results farther than this from their query (Chroma's own
    # clients never send it, and a Chroma server ignores it).
    max_distance: Number | None = None


class ForkCollectionPayload(_Payload):
    new_name: StrictStr


class SearchRequestPayload(_Payload):
    # Each search is checked by chromalake.search.payload, which words errors as serde does.
    searches: list[Any]
    read_level: ReadLevelValue = "index_and_wal"


# -- responses ------------------------------------------------------------------------------------


class Database(BaseModel):
    id: str
    name: str
    tenant: str


class Tenant(BaseModel):
    name: str
    resource_name: str | None = None


class Identity(BaseModel):
    """Exactly these keys: chromadb's client splats them into a dataclass."""

    user_id: str
    tenant: str
    databases: list[str]


# -- chromalake's key administration (extensions under /api/v2/chromalake) -----------------------


class CreateApiKeyPayload(_Payload):
    """A new key: its tenant (``*``: every tenant, root admins only), databases (null: all)."""

    tenant: StrictStr
    databases: list[StrictStr] | None = None
    role: Literal["admin", "read-write", "read-only"]
    name: StrictStr


class ApiKeyModel(BaseModel):
    """A stored key as admins see it: never the key, never its hash."""

    id: str
    tenant: str
    databases: list[str] | None
    role: str
    name: str
    created_at: str
    last_used_at: str | None = None
    revoked: bool = False


class CreatedApiKey(ApiKeyModel):
    """The answer to a create: the record and, this once, the key itself."""

    key: str


class Heartbeat(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    nanosecond_heartbeat: int = Field(alias="nanosecond heartbeat")


class PreflightChecks(BaseModel):
    max_batch_size: int
    supports_base64_encoding: bool = True


class CollectionModel(BaseModel):
    """A collection as create/get/list return it."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    name: str
    configuration_json: dict[str, Any]
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    metadata: dict[str, Any] | None = None
    dimension: int | None = None
    tenant: str
    database: str
    log_position: int = 0
    version: int = 0


class GetResponse(BaseModel):
    ids: list[str]
    embeddings: list[list[float]] | None = None
    documents: list[str | None] | None = None
    uris: list[str | None] | None = None
    metadatas: list[dict[str, Any] | None] | None = None
    include: list[IncludeValue]


class QueryResponse(BaseModel):
    ids: list[list[str]]
    embeddings: list[list[list[float] | None]] | None = None
    documents: list[list[str | None]] | None = None
    uris: list[list[str | None]] | None = None
    metadatas: list[list[dict[str, Any] | None]] | None = None
    distances: list[list[float | None]] | None = None
    include: list[IncludeValue]


class SearchResponse(BaseModel):
    """Per search payload: ids, and each selected column (null when not selected)."""

    ids: list[list[str]]
    documents: list[list[str | None] | None]
    embeddings: list[list[list[float] | None] | None]
    metadatas: list[list[dict[str, Any] | None] | None]
    scores: list[list[float | None] | None]
    select: list[list[str]]


class DeleteResponse(BaseModel):
    deleted: int


class ErrorResponse(BaseModel):
    error: str
    message: str


# -- embeddings -----------------------------------------------------------------------------------


def _rust_float(value: float) -> str:
    """How Rust's ``Display`` prints a non-finite f32."""
    if np.isnan(value):
        return "NaN"
    return "inf" if value > 0 else "-inf"


def decode_base64_embedding(text: str) -> npt.NDArray[np.float32]:
    """One base64 embedding (padded standard alphabet, little-endian float32), checked.

    Example:
        >>> decode_base64_embedding("AACAPwAAAEA=").tolist()
        [1.0, 2.0]
        >>> decode_base64_embedding("AACAPwAAwH8=")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Non-finite float value at embedding index 1: NaN
    """
    if len(text) % 4 != 0:
        raise InvalidArgumentError("Invalid base64 string: Invalid padding")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        bad = next((i for i, c in enumerate(text) if not _is_base64_char(c)), None)
        if bad is not None:
            raise InvalidArgumentError(
                f"Invalid base64 string: Invalid symbol {ord(text[bad])}, offset {bad}."
            ) from None
        raise InvalidArgumentError("Invalid base64 string: Invalid padding") from None
    if len(raw) % 4 != 0:
        raise InvalidArgumentError(
            f"Invalid byte length: {len(raw)} bytes cannot be converted to f32 values "
            "(must be divisible by 4)"
        )
    vector = np.frombuffer(raw, dtype="<f4").astype(np.float32)
    finite = np.isfinite(vector)
    if not finite.all():
        index = int(np.argmin(finite))
        raise InvalidArgumentError(
            f"Non-finite float value at embedding index {index}: {_rust_float(vector[index])}"
        )
    return vector


def _is_base64_char(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char in "+/=")


def decode_embeddings(
    embeddings: Sequence[Sequence[float] | str | None] | None,
) -> list[npt.NDArray[np.float32] | None] | None:
    """A payload's embeddings as float32 arrays (None entries kept: update's "unchanged").

    Example:
        >>> [v.tolist() for v in decode_embeddings([[1, 2], "AACAPwAAAEA="])]
        [[1.0, 2.0], [1.0, 2.0]]
    """
    if embeddings is None:
        return None
    out: list[npt.NDArray[np.float32] | None] = []
    for item in embeddings:
        if item is None:
            out.append(None)
        elif isinstance(item, str):
            out.append(decode_base64_embedding(item))
        else:
            with np.errstate(over="ignore"):  # beyond float32 is inf, refused by the engine
                out.append(np.asarray(item, dtype=np.float32))
    return out


def decode_required_embeddings(
    embeddings: Sequence[Sequence[float] | str],
) -> list[npt.NDArray[np.float32]]:
    """Embeddings that add and upsert require (no None entries), as float32 arrays."""
    return [v for v in decode_embeddings(embeddings) or [] if v is not None]


def encode_embedding(vector: Sequence[float] | npt.NDArray[Any]) -> str:
    """The base64 form of one embedding (what a client sends when the server supports it).

    Example:
        >>> encode_embedding([1.0, 2.0])
        'AACAPwAAAEA='
    """
    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")


__all__ = [
    "GET_DEFAULT_INCLUDE",
    "QUERY_DEFAULT_INCLUDE",
    "AddCollectionRecordsPayload",
    "ApiKeyModel",
    "CollectionConfiguration",
    "CollectionModel",
    "CreateApiKeyPayload",
    "CreateCollectionPayload",
    "CreateDatabasePayload",
    "CreateTenantPayload",
    "CreatedApiKey",
    "Database",
    "DeleteCollectionRecordsPayload",
    "DeleteResponse",
    "EmbeddingFunctionConfiguration",
    "ErrorResponse",
    "ForkCollectionPayload",
    "GetRequestPayload",
    "GetResponse",
    "Heartbeat",
    "HnswConfiguration",
    "Identity",
    "PreflightChecks",
    "QueryRequestPayload",
    "QueryResponse",
    "SearchRequestPayload",
    "SearchResponse",
    "SpannConfiguration",
    "Tenant",
    "UpdateCollectionConfiguration",
    "UpdateCollectionPayload",
    "UpdateCollectionRecordsPayload",
    "UpdateHnswConfiguration",
    "UpdateSpannConfiguration",
    "UpdateTenantPayload",
    "UpsertCollectionRecordsPayload",
    "decode_base64_embedding",
    "decode_embeddings",
    "decode_required_embeddings",
    "encode_embedding",
]
