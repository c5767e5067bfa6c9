"""Chroma's public vocabulary at chromadb's path, ``chromadb.api.types``: the type aliases,
result shapes, embedding-function protocols, validators and constants code written for
chromadb imports from there. Everything is defined once elsewhere in chromalake and named
here; what is new here is only what chromadb's module itself defines (request shapes).

Example:
    >>> from chromalake.api.types import Documents, EmbeddingFunction, Embeddings
    >>> class Lengths(EmbeddingFunction[Documents]):
    ...     def __init__(self) -> None:
    ...         pass
    ...     def __call__(self, input: Documents) -> Embeddings:
    ...         return [[float(len(text))] for text in input]
    >>> Lengths()(["abc"])
    [array([3.], dtype=float32)]
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, TypedDict, TypeVar

import numpy as np
import numpy.typing as npt

from chromalake.embeddings import (
    D,
    EmbeddingFunction,
    SparseEmbeddingFunction,
    validate_embedding_function,
    validate_sparse_embedding_function,
    validate_sparse_vectors,
)
from chromalake.schema import (
    BoolInvertedIndexConfig,
    BoolInvertedIndexType,
    BoolValueType,
    Cmek,
    CmekProvider,
    FloatInvertedIndexConfig,
    FloatInvertedIndexType,
    FloatListValueType,
    FloatValueType,
    FtsIndexConfig,
    FtsIndexType,
    HnswIndexConfig,
    IndexConfig,
    IntInvertedIndexConfig,
    IntInvertedIndexType,
    IntValueType,
    Schema,
    SpannIndexConfig,
    SparseVectorIndexConfig,
    SparseVectorIndexType,
    SparseVectorValueType,
    StringInvertedIndexConfig,
    StringInvertedIndexType,
    StringValueType,
    ValueTypes,
    VectorIndexConfig,
    VectorIndexType,
)
from chromalake.search.builder import SearchResult
from chromalake.types import (
    ID,
    TYPE_KEY,
    URI,
    CollectionMetadata,
    DeleteResult,
    Document,
    Documents,
    Embeddable,
    Embedding,
    Embeddings,
    GetResult,
    IDs,
    Image,
    Images,
    Include,
    IndexingStatus,
    Metadata,
    Metadatas,
    OneOrMany,
    PyEmbedding,
    QueryResult,
    ReadLevel,
    Space,
    SparseVector,
    SparseVectors,
    UpdateCollectionMetadata,
    UpdateMetadata,
    URIs,
    Where,
    WhereDocument,
)
from chromalake.utils.embedding_functions.default import DefaultEmbeddingFunction
from chromalake.utils.embedding_functions.support import is_document, is_image
from chromalake.validation import (
    RESERVED_DOCUMENT_KEY,
    SPARSE_VECTOR_TYPE_VALUE,
    maybe_cast_one_to_many,
    normalize_embeddings,
    normalize_metadatas,
    validate_documents,
    validate_embeddings,
    validate_ids,
    validate_images,
    validate_include,
    validate_metadata,
    validate_metadatas,
    validate_n_results,
    validate_update_metadata,
    validate_where,
    validate_where_document,
)

T = TypeVar("T")
META_KEY_CHROMA_DOCUMENT = RESERVED_DOCUMENT_KEY

PyVector = list[float] | list[int]
Vector = npt.NDArray[np.int32 | np.float32]
PyEmbeddings = list[PyEmbedding]
ImageDType = np.uint | np.int64 | np.float64
Loadable = list[Image | None]
L = TypeVar("L", covariant=True, bound=Loadable)
Parameter = TypeVar("Parameter", Document, Image, Embedding, Metadata, ID)

LiteralValue = str | int | float | bool
LogicalOperator = Literal["$and", "$or"]
WhereOperator = Literal["$gt", "$gte", "$lt", "$lte", "$ne", "$eq"]
OperatorExpression = dict[str, Any]
WhereDocumentOperator = Literal["$contains", "$not_contains", "$regex", "$not_regex", "$and", "$or"]

IncludeMetadataDocuments: Include = ["metadatas", "documents"]
IncludeMetadataDocumentsEmbeddings: Include = ["metadatas", "documents", "embeddings"]
IncludeMetadataDocumentsEmbeddingsDistances: Include = [
    "metadatas",
    "documents",
    "embeddings",
    "distances",
]
IncludeMetadataDocumentsDistances: Include = ["metadatas", "documents", "distances"]

# The schema's value-type and index names, and its reserved keys (chromalake.schema uses them).
STRING_VALUE_NAME = "string"
INT_VALUE_NAME = "int"
BOOL_VALUE_NAME = "bool"
FLOAT_VALUE_NAME = "float"
FLOAT_LIST_VALUE_NAME = "float_list"
SPARSE_VECTOR_VALUE_NAME = "sparse_vector"
FTS_INDEX_NAME = "fts_index"
VECTOR_INDEX_NAME = "vector_index"
SPARSE_VECTOR_INDEX_NAME = "sparse_vector_index"
STRING_INVERTED_INDEX_NAME = "string_inverted_index"
INT_INVERTED_INDEX_NAME = "int_inverted_index"
FLOAT_INVERTED_INDEX_NAME = "float_inverted_index"
BOOL_INVERTED_INDEX_NAME = "bool_inverted_index"
HNSW_INDEX_NAME = "hnsw_index"
SPANN_INDEX_NAME = "spann_index"
DOCUMENT_KEY = "#document"
EMBEDDING_KEY = "#embedding"


class DataLoader(Protocol[L]):
    """Loads what ``uris`` point at (images), for collections that store URIs."""

    def __call__(self, uris: URIs) -> L: ...


class FilterSet(TypedDict):
    where: Where | None
    where_document: WhereDocument | None


def validate_filter_set(filter_set: FilterSet) -> None:
    """Check both filters of a filter set (either may be None)."""
    if filter_set["where"] is not None:
        validate_where(filter_set["where"])
    if filter_set["where_document"] is not None:
        validate_where_document(filter_set["where_document"])


class BaseRecordSet(TypedDict):
    embeddings: Embeddings | None
    documents: Documents | None
    images: Images | None
    uris: URIs | None


class InsertRecordSet(BaseRecordSet):
    ids: IDs
    metadatas: Metadatas | None


class AddRequest(TypedDict):
    ids: IDs
    embeddings: Embeddings
    metadatas: Metadatas | None
    documents: Documents | None
    uris: URIs | None


class UpdateRequest(TypedDict):
    ids: IDs
    embeddings: Embeddings | None
    metadatas: list[UpdateMetadata] | None
    documents: Documents | None
    uris: URIs | None


class UpsertRequest(TypedDict):
    ids: IDs
    embeddings: Embeddings
    metadatas: list[UpdateMetadata] | None
    documents: Documents | None
    uris: URIs | None


class GetRequest(TypedDict):
    ids: IDs | None
    where: Where | None
    where_document: WhereDocument | None
    include: Include


class QueryRequest(TypedDict):
    embeddings: Embeddings
    ids: IDs | None
    where: Where | None
    where_document: WhereDocument | None
    include: Include
    n_results: int


class DeleteRequest(TypedDict):
    ids: IDs | None
    where: Where | None
    where_document: WhereDocument | None


class IndexMetadata(TypedDict):
    dimensionality: int
    curr_elements: int
    total_elements_added: int
    time_created: float


class SearchResultRow(TypedDict, total=False):
    """One row of :meth:`SearchResult.rows`; ``id`` always, the rest when selected."""

    id: str
    document: str | None
    embedding: list[float] | None
    metadata: dict[str, Any] | None
    score: float | None


def convert_np_embeddings_to_list(embeddings: Embeddings) -> PyEmbeddings:
    return [embedding.tolist() for embedding in embeddings]


def convert_list_embeddings_to_np(embeddings: PyEmbeddings) -> list[npt.NDArray[Any]]:
    return [np.array(embedding) for embedding in embeddings]


def normalize_metadata(metadata: Metadata | None) -> Metadata | None:
    """One metadata as :func:`normalize_metadatas` treats each (sparse vectors checked)."""
    normalized = normalize_metadatas([metadata])
    return None if normalized is None else normalized[0]


__all__ = [
    "BOOL_INVERTED_INDEX_NAME",
    "BOOL_VALUE_NAME",
    "DOCUMENT_KEY",
    "EMBEDDING_KEY",
    "FLOAT_INVERTED_INDEX_NAME",
    "FLOAT_LIST_VALUE_NAME",
    "FLOAT_VALUE_NAME",
    "FTS_INDEX_NAME",
    "HNSW_INDEX_NAME",
    "ID",
    "INT_INVERTED_INDEX_NAME",
    "INT_VALUE_NAME",
    "META_KEY_CHROMA_DOCUMENT",
    "SPANN_INDEX_NAME",
    "SPARSE_VECTOR_INDEX_NAME",
    "SPARSE_VECTOR_TYPE_VALUE",
    "SPARSE_VECTOR_VALUE_NAME",
    "STRING_INVERTED_INDEX_NAME",
    "STRING_VALUE_NAME",
    "TYPE_KEY",
    "URI",
    "VECTOR_INDEX_NAME",
    "AddRequest",
    "BaseRecordSet",
    "BoolInvertedIndexConfig",
    "BoolInvertedIndexType",
    "BoolValueType",
    "Cmek",
    "CmekProvider",
    "CollectionMetadata",
    "D",
    "DataLoader",
    "DefaultEmbeddingFunction",
    "DeleteRequest",
    "DeleteResult",
    "Document",
    "Documents",
    "Embeddable",
    "Embedding",
    "EmbeddingFunction",
    "Embeddings",
    "FilterSet",
    "FloatInvertedIndexConfig",
    "FloatInvertedIndexType",
    "FloatListValueType",
    "FloatValueType",
    "FtsIndexConfig",
    "FtsIndexType",
    "GetRequest",
    "GetResult",
    "HnswIndexConfig",
    "IDs",
    "Image",
    "ImageDType",
    "Images",
    "Include",
    "IncludeMetadataDocuments",
    "IncludeMetadataDocumentsDistances",
    "IncludeMetadataDocumentsEmbeddings",
    "IncludeMetadataDocumentsEmbeddingsDistances",
    "IndexConfig",
    "IndexMetadata",
    "IndexingStatus",
    "InsertRecordSet",
    "IntInvertedIndexConfig",
    "IntInvertedIndexType",
    "IntValueType",
    "L",
    "LiteralValue",
    "Loadable",
    "LogicalOperator",
    "Metadata",
    "Metadatas",
    "OneOrMany",
    "OperatorExpression",
    "Parameter",
    "PyEmbedding",
    "PyEmbeddings",
    "PyVector",
    "QueryRequest",
    "QueryResult",
    "ReadLevel",
    "Schema",
    "SearchResult",
    "SearchResultRow",
    "Space",
    "SpannIndexConfig",
    "SparseEmbeddingFunction",
    "SparseVector",
    "SparseVectorIndexConfig",
    "SparseVectorIndexType",
    "SparseVectorValueType",
    "SparseVectors",
    "StringInvertedIndexConfig",
    "StringInvertedIndexType",
    "StringValueType",
    "T",
    "URIs",
    "UpdateCollectionMetadata",
    "UpdateMetadata",
    "UpdateRequest",
    "UpsertRequest",
    "ValueTypes",
    "Vector",
    "VectorIndexConfig",
    "VectorIndexType",
    "Where",
    "WhereDocument",
    "WhereDocumentOperator",
    "WhereOperator",
    "convert_list_embeddings_to_np",
    "convert_np_embeddings_to_list",
    "is_document",
    "is_image",
    "maybe_cast_one_to_many",
    "normalize_embeddings",
    "normalize_metadata",
    "normalize_metadatas",
    "validate_documents",
    "validate_embedding_function",
    "validate_embeddings",
    "validate_filter_set",
    "validate_ids",
    "validate_images",
    "validate_include",
    "validate_metadata",
    "validate_metadatas",
    "validate_n_results",
    "validate_sparse_embedding_function",
    "validate_sparse_vectors",
    "validate_update_metadata",
    "validate_where",
    "validate_where_document",
]
