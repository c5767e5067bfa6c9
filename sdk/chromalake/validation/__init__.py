"""Every validation rule chromalake enforces, with Chroma 1.5.9's exact messages.

Two families live here:

* **Client rules** (what ``chromadb``'s Python ``Collection`` checks before a request leaves the
  process): ``records`` (ids, documents, images, URIs, field lengths), ``embeddings``,
  ``metadata``, ``filters`` (``where``, ``where_document``) and ``arguments`` (``include``,
  ``n_results``, ``delete``). They raise ``ValueError`` unless Chroma raises something else
  (``TypeError`` for a bad ``n_results``/delete ``limit``,
  :class:`~chromalake.errors.DuplicateIDError` for repeated ids). They do *not* add the
  `` in add.``-style suffix: the caller (``api/records.py``) appends it exactly where Chroma's
  ``validation_context`` decorator does.
* **Engine rules** (what Chroma's Rust frontend checks): ``names``, ``collections`` and
  ``batches``. They raise :class:`~chromalake.errors.InvalidArgumentError` with the server's
  messages, and are what the embedded client surfaces too.

A third, small family, ``binding``, mimics the argument conversion of Chroma's PyO3 bindings
(``TypeError`` / ``OverflowError`` with PyO3's own wording), because the embedded ``chromadb``
client lets some inputs through its Python checks and only rejects them there. ``constants``
holds the words several rules share.

Most messages interpolate the offending value with ``str.format`` semantics, exactly as Chroma's
f-strings do, so that ``str(error)`` is byte-for-byte identical.

This package is pure: it may import ``chromalake.errors`` and numpy, nothing else of chromalake
(the client, the REST app and the engine all call it). Every public rule is importable from
here (``from chromalake.validation import validate_ids``) or from its module.
"""

from chromalake.validation.arguments import (
    validate_delete_args,
    validate_include,
    validate_n_results,
)
from chromalake.validation.batches import (
    check_engine_batch_size,
    validate_batch_dimension,
    validate_delete_request,
    validate_dimension,
    validate_max_distance,
    validate_record_batch,
)
from chromalake.validation.binding import (
    check_collection_metadata_convertible,
    check_metadatas_convertible,
    check_strings_convertible,
    check_u32_argument,
)
from chromalake.validation.collections import (
    collection_metadata_problem,
    validate_collection_metadata,
    validate_create_collection,
    validate_modify,
    validate_update_collection,
)
from chromalake.validation.constants import (
    CHANGE_DISTANCE_MESSAGE,
    EMBEDDABLE_FIELDS,
    INCLUDE_ITEMS,
    MISSING_DATA_LOADER_MESSAGE,
    MISSING_EMBEDDING_FUNCTION_MESSAGE,
    RESERVED_DOCUMENT_KEY,
    SPARSE_VECTOR_TYPE_KEY,
    SPARSE_VECTOR_TYPE_VALUE,
    UPDATE_EMBEDDABLE_FIELDS,
)
from chromalake.validation.embeddings import (
    embeddings_to_float32,
    normalize_embeddings,
    validate_embeddings,
)
from chromalake.validation.filters import (
    validate_filters,
    validate_where,
    validate_where_document,
)
from chromalake.validation.metadata import (
    is_sparse_vector,
    normalize_metadatas,
    validate_metadata,
    validate_metadatas,
    validate_modify_metadata,
    validate_sparse_vector,
    validate_update_metadata,
)
from chromalake.validation.names import (
    name_problem,
    validate_collection_name,
    validate_database_name,
    validate_tenant_name,
)
from chromalake.validation.records import (
    maybe_cast_one_to_many,
    validate_batch_size,
    validate_documents,
    validate_exactly_one,
    validate_ids,
    validate_images,
    validate_record_set_lengths,
)

__all__ = [
    "CHANGE_DISTANCE_MESSAGE",
    "EMBEDDABLE_FIELDS",
    "INCLUDE_ITEMS",
    "MISSING_DATA_LOADER_MESSAGE",
    "MISSING_EMBEDDING_FUNCTION_MESSAGE",
    "RESERVED_DOCUMENT_KEY",
    "SPARSE_VECTOR_TYPE_KEY",
    "SPARSE_VECTOR_TYPE_VALUE",
    "UPDATE_EMBEDDABLE_FIELDS",
    "check_collection_metadata_convertible",
    "check_engine_batch_size",
    "check_metadatas_convertible",
    "check_strings_convertible",
    "check_u32_argument",
    "collection_metadata_problem",
    "embeddings_to_float32",
    "is_sparse_vector",
    "maybe_cast_one_to_many",
    "name_problem",
    "normalize_embeddings",
    "normalize_metadatas",
    "validate_batch_dimension",
    "validate_batch_size",
    "validate_collection_metadata",
    "validate_collection_name",
    "validate_create_collection",
    "validate_database_name",
    "validate_delete_args",
    "validate_delete_request",
    "validate_dimension",
    "validate_documents",
    "validate_embeddings",
    "validate_exactly_one",
    "validate_filters",
    "validate_ids",
    "validate_images",
    "validate_include",
    "validate_max_distance",
    "validate_metadata",
    "validate_metadatas",
    "validate_modify",
    "validate_modify_metadata",
    "validate_n_results",
    "validate_record_batch",
    "validate_record_set_lengths",
    "validate_sparse_vector",
    "validate_tenant_name",
    "validate_update_collection",
    "validate_update_metadata",
    "validate_where",
    "validate_where_document",
]
