"""The shared vocabulary: Chroma's public types, as Python type aliases and result shapes.

Defined here once; ``chromalake.api.types`` names them at chromadb's path (``chromadb.api.types``),
and ``chromalake`` exports the common ones. The records the layers pass among themselves are in
``chromalake.records``, the HTTP API's payloads in ``chromalake.http.payloads``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypedDict

import numpy as np
import numpy.typing as npt

from chromalake.validation.constants import SPARSE_VECTOR_TYPE_KEY, SPARSE_VECTOR_TYPE_VALUE
from chromalake.validation.metadata import validate_sparse_vector

DEFAULT_TENANT = "default_tenant"
DEFAULT_DATABASE = "default_database"
DEFAULT_DATABASE_ID = "00000000-0000-0000-0000-000000000000"

ID = str
IDs = list[ID]
OneOrMany = Any | Sequence[Any]

Embedding = npt.NDArray[np.float32 | np.float64 | np.int32 | np.int64]
PyEmbedding = Sequence[float]
Embeddings = list[npt.NDArray[np.float32]]

ScalarValue = str | int | float | bool
MetadataValue = ScalarValue | list[str] | list[int] | list[float] | list[bool]
Metadata = Mapping[str, MetadataValue]
UpdateMetadataValue = MetadataValue | None
UpdateMetadata = Mapping[str, UpdateMetadataValue]
CollectionMetadata = Mapping[str, Any]

Metadatas = list[Metadata]
UpdateCollectionMetadata = UpdateMetadata

Document = str
Documents = list[Document]
URI = str
URIs = list[URI]
Image = npt.NDArray[np.uint | np.int64 | np.float64]
Images = list[Image]
#: What an embedding function takes: texts or images.
Embeddable = Documents | Images

Where = dict[str, Any]
WhereDocument = dict[str, Any]

IncludeItem = Literal["documents", "embeddings", "metadatas", "distances", "uris", "data"]
Include = list[IncludeItem]
INCLUDE_VALUES: tuple[str, ...] = ("documents", "embeddings", "metadatas", "distances", "uris")

DEFAULT_GET_INCLUDE: Include = ["metadatas", "documents"]
DEFAULT_QUERY_INCLUDE: Include = ["metadatas", "documents", "distances"]

Space = Literal["l2", "cosine", "ip"]
SPACES: tuple[str, ...] = ("l2", "cosine", "ip")


#: A sparse vector's tag in metadata and on the wire (Chroma's ``#type`` key).
TYPE_KEY = SPARSE_VECTOR_TYPE_KEY


@dataclass
class SparseVector:
    """Chroma's sparse vector: strictly ascending ``indices`` with their ``values`` (and
    optional ``labels``, the tokens), checked as Chroma checks them.

    Example:
        >>> SparseVector(indices=[1, 7], values=[0.5, 2.0]).to_dict()
        {'#type': 'sparse_vector', 'indices': [1, 7], 'values': [0.5, 2.0]}
        >>> SparseVector(indices=[3, 1], values=[1.0, 1.0])
        Traceback (most recent call last):
        ...
        ValueError: SparseVector indices must be sorted in strictly ascending order, found indices[1]=1 <= indices[0]=3
    """  # noqa: E501

    indices: list[int]
    values: list[float]
    labels: list[str] | None = None

    def __post_init__(self) -> None:
        validate_sparse_vector(self.indices, self.values, self.labels)

    def to_dict(self) -> dict[str, Any]:
        """The wire form (labels travel as ``tokens``, as in Chroma's protocol)."""
        wire: dict[str, Any] = {
            TYPE_KEY: SPARSE_VECTOR_TYPE_VALUE,
            "indices": self.indices,
            "values": self.values,
        }
        if self.labels is not None:
            wire["tokens"] = self.labels
        return wire

    @classmethod
    def from_dict(cls, wire: dict[str, Any]) -> SparseVector:
        if wire.get(TYPE_KEY) != SPARSE_VECTOR_TYPE_VALUE:
            raise ValueError(
                f"Expected {TYPE_KEY}='{SPARSE_VECTOR_TYPE_VALUE}', got {wire.get(TYPE_KEY)}"
            )
        return cls(indices=wire["indices"], values=wire["values"], labels=wire.get("tokens"))


SparseVectors = list[SparseVector]


class ReadLevel(StrEnum):
    """Which writes a read sees; every level sees every committed write in chromalake."""

    INDEX_AND_WAL = "index_and_wal"
    INDEX_ONLY = "index_only"
    INDEX_AND_BOUNDED_WAL = "index_and_bounded_wal"


class GetResult(TypedDict):
    """Columnar records from ``Collection.get``; a field is None unless it was included."""

    ids: list[ID]
    embeddings: npt.NDArray[Any] | None
    documents: list[Document | None] | None
    uris: list[URI | None] | None
    data: Any
    metadatas: list[dict[str, Any] | None] | None
    included: Include


class QueryResult(TypedDict):
    """Per-query lists of columnar records from ``Collection.query``."""

    ids: list[list[ID]]
    embeddings: list[npt.NDArray[Any]] | None
    documents: list[list[Document | None]] | None
    uris: list[list[URI | None]] | None
    data: Any
    metadatas: list[list[dict[str, Any] | None]] | None
    distances: list[list[float]] | None
    included: Include


class DeleteResult(TypedDict):
    deleted: int


class Database(TypedDict):
    id: str
    name: str
    tenant: str


class Tenant(TypedDict):
    name: str


@dataclass
class UserIdentity:
    user_id: str
    tenant: str | None = None
    databases: list[str] | None = None
    attributes: dict[str, Any] | None = field(default=None)


@dataclass(frozen=True)
class IndexingStatus:
    num_indexed_ops: int
    num_unindexed_ops: int
    total_ops: int
    op_indexing_progress: float
    # chromalake: bytes the answering process holds for the collection (engine/memory.py);
    # None from a server that does not say.
    memory: dict[str, int] | None = None
