"""The shared vocabulary: Chroma's public types, as Python type aliases and result shapes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal, TypedDict

import numpy as np
import numpy.typing as npt

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

Document = str
URI = str

Where = dict[str, Any]
WhereDocument = dict[str, Any]

IncludeItem = Literal["documents", "embeddings", "metadatas", "distances", "uris", "data"]
Include = list[IncludeItem]
INCLUDE_VALUES: tuple[str, ...] = ("documents", "embeddings", "metadatas", "distances", "uris")

DEFAULT_GET_INCLUDE: Include = ["metadatas", "documents"]
DEFAULT_QUERY_INCLUDE: Include = ["metadatas", "documents", "distances"]

Space = Literal["l2", "cosine", "ip"]
SPACES: tuple[str, ...] = ("l2", "cosine", "ip")


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
