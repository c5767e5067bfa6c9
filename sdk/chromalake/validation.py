"""Every validation rule chromalake enforces, with Chroma 1.5.9's exact messages.

Two families live here:

* **Client rules** (what ``chromadb``'s Python ``Collection`` checks before a request leaves the
  process). They raise ``ValueError`` unless Chroma raises something else (``TypeError`` for a
  bad ``n_results``/delete ``limit``, :class:`~chromalake.errors.DuplicateIDError` for repeated
  ids). They do *not* add the `` in add.``-style suffix: the caller (``api/records.py``) appends
  it exactly where Chroma's ``validation_context`` decorator does.
* **Engine rules** (what Chroma's Rust frontend checks). They raise
  :class:`~chromalake.errors.InvalidArgumentError` with the server's messages, and are what the
  embedded client surfaces too.

A third, small family mimics the argument conversion of Chroma's PyO3 bindings (``TypeError`` /
``OverflowError`` with PyO3's own wording), because the embedded ``chromadb`` client lets some
inputs through its Python checks and only rejects them there.

Most messages interpolate the offending value with ``str.format`` semantics, exactly as Chroma's
f-strings do, so that ``str(error)`` is byte-for-byte identical.
"""

from __future__ import annotations

import ipaddress
import operator
import re
from collections.abc import Mapping, Sequence, Sized
from typing import Any

import numpy as np
import numpy.typing as npt

from chromalake.errors import (
    DuplicateIDError,
    InternalError,
    InvalidArgumentError,
)

# --------------------------------------------------------------------------------------------
# Shared constants
# --------------------------------------------------------------------------------------------

RESERVED_DOCUMENT_KEY = "chroma:document"
SPARSE_VECTOR_TYPE_KEY = "#type"
SPARSE_VECTOR_TYPE_VALUE = "sparse_vector"

#: Every value ``include`` accepts, in the order Chroma lists them in its error message.
INCLUDE_ITEMS: tuple[str, ...] = (
    "documents",
    "embeddings",
    "metadatas",
    "distances",
    "uris",
    "data",
)

#: Fields an ``add`` or ``query`` can embed, in a fixed order (Chroma iterates a ``set`` here,
#: so its own order changes with the hash seed; a fixed order is one of its possible outputs).
EMBEDDABLE_FIELDS: tuple[str, ...] = ("documents", "images", "uris")
#: ``update``/``upsert`` never embed URIs.
UPDATE_EMBEDDABLE_FIELDS: tuple[str, ...] = ("documents", "images")

MISSING_EMBEDDING_FUNCTION_MESSAGE = (
    # Chroma concatenates these two literals without a space; keep it byte-identical.
    "You must provide an embedding function to compute embeddings."
    "https://docs.trychroma.com/guides/embeddings"
)
MISSING_DATA_LOADER_MESSAGE = "You must set a data loader on the collection if loading from URIs."
CHANGE_DISTANCE_MESSAGE = (
    "Changing the distance function of a collection once it is created is not supported currently."
)

_EMBEDDING_DTYPES = (np.float16, np.float32, np.float64, np.int32, np.int64)
_WHERE_OPERATORS = (
    "$gt",
    "$gte",
    "$lt",
    "$lte",
    "$ne",
    "$eq",
    "$in",
    "$nin",
    "$contains",
    "$not_contains",
)
_WHERE_DOCUMENT_OPERATORS = ("$contains", "$not_contains", "$regex", "$not_regex", "$and", "$or")
_NUMERIC_OPERATORS = ("$gt", "$gte", "$lt", "$lte")
_U32_MAX = 2**32 - 1
_C_LONG_MIN, _C_LONG_MAX = -(2**63), 2**63 - 1


# --------------------------------------------------------------------------------------------
# OneOrMany
# --------------------------------------------------------------------------------------------


def maybe_cast_one_to_many(target: Any) -> list[Any] | None:
    """Wrap a single value in a list, as Chroma's ``OneOrMany`` does.

    Only a ``list`` counts as "many": a tuple or a numpy array of ids is one (bad) id.

    Example:
        >>> maybe_cast_one_to_many("a"), maybe_cast_one_to_many(["a"]), maybe_cast_one_to_many(None)
        (['a'], ['a'], None)
    """
    if target is None:
        return None
    if isinstance(target, list):
        return target
    return [target]


# --------------------------------------------------------------------------------------------
# IDs
# --------------------------------------------------------------------------------------------


def validate_ids(ids: Any) -> list[str]:
    """Check ids are a non-empty list of unique strings; return them.

    Raises:
        ValueError: not a list, empty, or an element is not a str.
        DuplicateIDError: an id occurs more than once.

    Example:
        >>> validate_ids(["a", "b"])
        ['a', 'b']
    """
    if not isinstance(ids, list):
        raise ValueError(f"Expected IDs to be a list, got {type(ids).__name__} as IDs")
    if len(ids) == 0:
        raise ValueError(f"Expected IDs to be a non-empty list, got {len(ids)} IDs")
    duplicates = _find_duplicate_ids(ids)
    if duplicates:
        raise DuplicateIDError(_duplicate_ids_message(duplicates))
    return ids


def _find_duplicate_ids(ids: list[Any]) -> list[str]:
    """Type-check every id and return the repeated ones in order of first repetition."""
    seen: set[str] = set()
    duplicates: dict[str, None] = {}  # an ordered set
    for id_ in ids:
        if not isinstance(id_, str):
            raise ValueError(f"Expected ID to be a str, got {id_}")
        if id_ in seen:
            duplicates[id_] = None
        else:
            seen.add(id_)
    return list(duplicates)


def _duplicate_ids_message(duplicates: list[str]) -> str:
    """Chroma's wording: all duplicates when fewer than 10, else 5 + 5 of the first 11."""
    if len(duplicates) < 10:
        return f"Expected IDs to be unique, found duplicates of: {', '.join(duplicates)}"
    # Chroma samples the first 11 duplicates (in set order; ours is discovery order, which is
    # one of the orders it can produce) and prints the first and last five of them.
    sample = duplicates[:11]
    examples = f"{', '.join(sample[:5])}, ..., {', '.join(sample[-5:])}"
    return f"Expected IDs to be unique, found {len(duplicates)} duplicated IDs: {examples}"


# --------------------------------------------------------------------------------------------
# Embeddings
# --------------------------------------------------------------------------------------------


def normalize_embeddings(target: Any) -> list[Any] | None:
    """Turn Chroma's accepted embedding shapes into a list of numpy arrays.

    Accepted: one list of numbers, a list of lists of numbers, a 1-d or 2-d ndarray, or a list
    of ndarrays. Python lists become float32 arrays; numpy input keeps its dtype until
    :func:`embeddings_to_float32` (so :func:`validate_embeddings` can reject bad dtypes).

    Example:
        >>> [e.dtype.name for e in normalize_embeddings([[1, 2], [3.5, 4]])]
        ['float32', 'float32']
    """
    if target is None:
        return None
    # len() first, like Chroma: an int or other unsized value fails here with Python's TypeError.
    if len(target) == 0:
        raise ValueError(f"Expected Embeddings to be non-empty list or numpy array, got {target}")
    if isinstance(target, np.ndarray):
        if target.ndim == 1:
            return [target]
        if target.ndim == 2:
            return list(target)
    elif isinstance(target, list):
        first = target[0]
        if _is_number(first):
            return [np.array(target, dtype=np.float32)]
        if isinstance(first, np.ndarray):
            return target
        if isinstance(first, list) and _is_number(first[0]):
            return [np.array(row, dtype=np.float32) for row in target]
    raise ValueError(
        "Expected embeddings to be a list of floats or ints, a list of lists, a numpy array, "
        f"or a list of numpy arrays, got {target}"
    )


def _is_number(value: object) -> bool:
    """An int or float that is not a bool (``True`` is an ``int`` in Python)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_embeddings(embeddings: Any) -> list[Any]:
    """Check normalized embeddings: a non-empty list of non-empty 1-d numeric ndarrays.

    Example:
        >>> len(validate_embeddings([np.array([1.0, 2.0])]))
        1
    """
    if not isinstance(embeddings, (list, np.ndarray)):
        raise ValueError(f"Expected embeddings to be a list, got {type(embeddings).__name__}")
    if len(embeddings) == 0:
        raise ValueError(
            "Expected embeddings to be a list with at least one item, "
            f"got {len(embeddings)} embeddings"
        )
    if not all(isinstance(e, np.ndarray) for e in embeddings):
        # Chroma lists the distinct type names through a set; we keep first-seen order.
        names = list(dict.fromkeys(type(e).__name__ for e in embeddings))
        raise ValueError(
            f"Expected each embedding in the embeddings to be a numpy array, got {names}"
        )
    for position, embedding in enumerate(embeddings):
        _validate_one_embedding(position, embedding)
    return list(embeddings)


def _validate_one_embedding(position: int, embedding: npt.NDArray[Any]) -> None:
    if embedding.ndim == 0:
        raise ValueError(f"Expected a 1-dimensional array, got a 0-dimensional array {embedding}")
    if embedding.size == 0:
        raise ValueError(
            "Expected each embedding in the embeddings to be a 1-dimensional numpy array with "
            "at least 1 int/float value. Got a 1-dimensional numpy array with no values at "
            f"pos {position}"
        )
    if embedding.dtype not in _EMBEDDING_DTYPES:
        raise ValueError(
            "Expected each value in the embedding to be a int or float, got an embedding with "
            f"{embedding.dtype} - {embedding}"
        )


def embeddings_to_float32(
    embeddings: Sequence[npt.NDArray[Any]], name: str = "embeddings"
) -> list[npt.NDArray[np.float32]]:
    """Convert validated embeddings to contiguous 1-d float32 arrays (the engine's format).

    A multi-dimensional element passes Chroma's Python checks but not its binding, which
    raises the ``TypeError`` reproduced here (``name`` is the binding's argument name).
    Values beyond float32 range become ±inf, which
    the engine then rejects like Chroma ("must not contain NaN or Infinity").
    """
    converted: list[npt.NDArray[np.float32]] = []
    for embedding in embeddings:
        if embedding.ndim != 1:
            raise TypeError(
                f"argument '{name}': only 0-dimensional arrays can be converted to Python scalars"
            )
        with np.errstate(over="ignore"):  # overflow to inf is reported by the engine instead
            converted.append(np.ascontiguousarray(embedding, dtype=np.float32))
    return converted


# --------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------


def normalize_metadatas(metadatas: Any) -> list[dict[str, Any] | None] | None:
    """Apply ``OneOrMany`` and copy each metadata into a fresh ``dict``.

    Sparse-vector dicts (``{"#type": "sparse_vector", ...}``) are checked as Chroma's
    ``SparseVector`` constructor checks them. A value without ``.items()`` fails with Python's
    ``AttributeError``, as in Chroma.
    """
    unpacked = maybe_cast_one_to_many(metadatas)
    if unpacked is None:
        return None
    return [_normalize_metadata(m) for m in unpacked]


def _normalize_metadata(metadata: Any) -> dict[str, Any] | None:
    if metadata is None:
        return None
    normalized: dict[str, Any] = {}
    for key, value in metadata.items():
        if type(value).__name__ == "SparseVector" and hasattr(value, "to_dict"):
            # A SparseVector object (chromalake's or chromadb's, both checked when made)
            # travels and is stored as its wire dict.
            value = value.to_dict()
        elif isinstance(value, dict) and is_sparse_vector(value):
            # Indexing (not .get) so a missing field is Chroma's KeyError.
            validate_sparse_vector(value["indices"], value["values"], value.get("tokens"))
        normalized[key] = value
    return normalized


def is_sparse_vector(value: object) -> bool:
    """Whether a metadata value is a (normalized) sparse vector dict."""
    return isinstance(value, dict) and value.get(SPARSE_VECTOR_TYPE_KEY) == SPARSE_VECTOR_TYPE_VALUE


def validate_sparse_vector(indices: Any, values: Any, labels: Any = None) -> None:
    """The structural checks of Chroma's ``SparseVector``, with its messages."""
    if not isinstance(indices, list):
        raise ValueError(
            f"Expected SparseVector indices to be a list, got {type(indices).__name__}"
        )
    if not isinstance(values, list):
        raise ValueError(f"Expected SparseVector values to be a list, got {type(values).__name__}")
    if len(indices) != len(values):
        raise ValueError(
            "SparseVector indices and values must have the same length, "
            f"got {len(indices)} indices and {len(values)} values"
        )
    _validate_sparse_labels(labels, len(indices))
    _validate_sparse_entries(indices, values)


def _validate_sparse_labels(labels: Any, n: int) -> None:
    if labels is None:
        return
    if not isinstance(labels, list):
        raise ValueError(f"Expected SparseVector labels to be a list, got {type(labels).__name__}")
    if len(labels) != n:
        raise ValueError(
            "SparseVector labels must have the same length as indices and values, "
            f"got {len(labels)} labels, {n} indices"
        )


def _validate_sparse_entries(indices: list[Any], values: list[Any]) -> None:
    for i, index in enumerate(indices):
        if not isinstance(index, int):
            raise ValueError(
                f"SparseVector indices must be integers, got {type(index).__name__} at position {i}"
            )
        if index < 0:
            raise ValueError(
                f"SparseVector indices must be non-negative, got {index} at position {i}"
            )
    for i, value in enumerate(values):
        if not isinstance(value, (int, float)):
            raise ValueError(
                f"SparseVector values must be numbers, got {type(value).__name__} at position {i}"
            )
    for i in range(1, len(indices)):
        if indices[i] <= indices[i - 1]:
            raise ValueError(
                "SparseVector indices must be sorted in strictly ascending order, "
                f"found indices[{i}]={indices[i]} <= indices[{i - 1}]={indices[i - 1]}"
            )


def validate_metadata(metadata: Any) -> Any:
    """Check one record (or ``modify``) metadata as Chroma's client does; return it.

    Values may be str, int, float, bool, a sparse vector, a non-empty homogeneous list, or
    None (Chroma's client lets None through even for ``add``; the binding then rejects it, see
    :func:`check_metadatas_convertible`). The reserved key ``chroma:document`` is refused.

    Example:
        >>> validate_metadata({"a": 1, "b": [1.0, 2.0]})
        {'a': 1, 'b': [1.0, 2.0]}
    """
    if not isinstance(metadata, dict) and metadata is not None:
        raise ValueError(
            f"Expected metadata to be a dict or None, got {type(metadata).__name__} as metadata"
        )
    if metadata is None:
        return metadata
    if len(metadata) == 0:
        raise ValueError(
            f"Expected metadata to be a non-empty dict, got {len(metadata)} metadata attributes"
        )
    for key, value in metadata.items():
        if key == RESERVED_DOCUMENT_KEY:
            raise ValueError(
                f"Expected metadata to not contain the reserved key {RESERVED_DOCUMENT_KEY}"
            )
        if not isinstance(key, str):
            # Chroma raises TypeError here (unlike the other metadata checks).
            raise TypeError(
                f"Expected metadata key to be a str, got {key} which is a {type(key).__name__}"
            )
        if not _is_valid_metadata_value(key, value):
            raise ValueError(
                "Expected metadata value to be a str, int, float, bool, SparseVector, list, or "
                f"None, got {value} which is a {type(value).__name__}"
            )
    return metadata


def validate_update_metadata(metadata: Any) -> Any:
    """Chroma's ``validate_update_metadata`` (used by its legacy server for ``modify``).

    Same value rules as :func:`validate_metadata` but other wording, ``ValueError`` for a
    non-str key, and no reserved-key check. Chroma's ``Collection`` itself never calls it.
    """
    if not isinstance(metadata, dict) and metadata is not None:
        raise ValueError(f"Expected metadata to be a dict or None, got {type(metadata)}")
    if metadata is None:
        return metadata
    if len(metadata) == 0:
        raise ValueError(f"Expected metadata to be a non-empty dict, got {metadata}")
    for key, value in metadata.items():
        if not isinstance(key, str):
            raise ValueError(f"Expected metadata key to be a str, got {key}")
        if not _is_valid_metadata_value(key, value):
            raise ValueError(
                "Expected metadata value to be a str, int, float, bool, SparseVector, list, or "
                f"None, got {value}"
            )
    return metadata


def _is_valid_metadata_value(key: str, value: object) -> bool:
    """Scalar, None, sparse vector, or a valid list (which raises its own message if bad)."""
    if is_sparse_vector(value):
        return True
    if isinstance(value, list):
        _validate_metadata_list_value(key, value)
        return True
    return isinstance(value, (str, int, float, bool)) or value is None


def _validate_metadata_list_value(key: str, value: list[Any]) -> None:
    """A list value must be non-empty and all str, all int, all float or all bool."""
    if len(value) == 0:
        raise ValueError(f"Expected metadata list value for key '{key}' to be non-empty")
    first_type = _metadata_element_type(value[0])
    for item in value:
        item_type = _metadata_element_type(item)
        if item_type is not first_type or item_type not in (str, int, float, bool):
            raise ValueError(
                f"Expected metadata list value for key '{key}' to contain only str, int, float, "
                f"or bool and all elements must be the same type, got {value}"
            )


def _metadata_element_type(item: object) -> type:
    # bool before int: True is an int, but a [1, True] list is mixed.
    return bool if isinstance(item, bool) else type(item)


def validate_metadatas(metadatas: Any) -> list[Any]:
    """Check a list of record metadatas (each a dict or None)."""
    if not isinstance(metadatas, list):
        raise ValueError(f"Expected metadatas to be a list, got {metadatas}")
    for metadata in metadatas:
        validate_metadata(metadata)
    return metadatas


def validate_modify_metadata(metadata: Any) -> None:
    """The client's check on ``Collection.modify(metadata=...)``.

    Chroma runs the record-metadata rules, then refuses ``hnsw:space``. It adds no suffix.

    Example:
        >>> validate_modify_metadata({"hnsw:space": "ip"})
        Traceback (most recent call last):
        ...
        ValueError: Changing the distance function of a collection once it is created is not supported currently.
    """  # noqa: E501
    if metadata is None:
        return
    validate_metadata(metadata)
    if "hnsw:space" in metadata:
        raise ValueError(CHANGE_DISTANCE_MESSAGE)


# --------------------------------------------------------------------------------------------
# Documents, images, URIs
# --------------------------------------------------------------------------------------------


def validate_documents(documents: Any, nullable: bool = False) -> None:
    """Documents must be strings; None entries are allowed only when embeddings are given."""
    if not isinstance(documents, list):
        raise ValueError(f"Expected documents to be a list, got {type(documents).__name__}")
    if len(documents) == 0:
        raise ValueError(
            f"Expected documents to be a non-empty list, got {len(documents)} documents"
        )
    for document in documents:
        if document is None and nullable:
            continue
        if not isinstance(document, str):
            raise ValueError(f"Expected document to be a str, got {document}")


def validate_images(images: Any) -> None:
    """Images must be numpy arrays with at least two dimensions."""
    if not isinstance(images, list):
        raise ValueError(f"Expected images to be a list, got {type(images).__name__}")
    if len(images) == 0:
        raise ValueError(f"Expected images to be a non-empty list, got {len(images)} images")
    for image in images:
        if not isinstance(image, np.ndarray) or image.ndim < 2:
            raise ValueError(f"Expected image to be a numpy array, got {image}")


# --------------------------------------------------------------------------------------------
# Record sets
# --------------------------------------------------------------------------------------------


def validate_record_set_lengths(fields: Mapping[str, Sized | None]) -> None:
    """Every given field must be a non-empty list, all of one length.

    ``fields`` maps field names to values (None = not given) in Chroma's order:
    ``ids, metadatas, embeddings, documents, images, uris`` for writes and
    ``embeddings, documents, images, uris`` for queries.

    Example:
        >>> validate_record_set_lengths({"ids": ["a", "b"], "embeddings": [[1.0]]})
        Traceback (most recent call last):
        ...
        ValueError: Unequal lengths for fields: ids: 2, embeddings: 1
    """
    given = {name: len(value) for name, value in fields.items() if value is not None}
    if not given:
        raise ValueError(f"At least one of one of {', '.join(fields)} must be provided")
    empty = [name for name, length in given.items() if length == 0]
    if empty:
        raise ValueError(f"Non-empty lists are required for {empty}")
    if len(set(given.values())) > 1:
        described = ", ".join(f"{name}: {length}" for name, length in given.items())
        raise ValueError(f"Unequal lengths for fields: {described}")


def validate_exactly_one(fields: Mapping[str, object]) -> str:
    """Exactly one of ``fields`` may be given (not None); return its name.

    Used to choose what to embed when no embeddings were passed.
    """
    given = [name for name, value in fields.items() if value is not None]
    if len(given) != 1:
        raise ValueError(f"Exactly one of {', '.join(fields)} must be provided")
    return given[0]


def validate_batch_size(size: int, max_batch_size: int) -> None:
    """Chroma's HTTP client refuses batches above the server's ``max_batch_size``.

    (Chroma's *embedded* client instead fails inside its binding with
    ``InternalError("ValueError: Batch size of N is greater than max batch size of M")``; see
    :func:`check_engine_batch_size`.)
    """
    if size > max_batch_size:
        raise ValueError(f"Batch size {size} exceeds maximum batch size {max_batch_size}")


# --------------------------------------------------------------------------------------------
# where / where_document (the client's grammar, stricter than the server's)
# --------------------------------------------------------------------------------------------


def validate_where(where: Any) -> None:
    """Check a metadata filter against Chroma's client-side grammar.

    Example:
        >>> validate_where({"$and": [{"a": 1}, {"b": {"$in": ["x", "y"]}}]})
        >>> validate_where({"a": {"$gt": "x"}})
        Traceback (most recent call last):
        ...
        ValueError: Expected operand value to be an int or a float for operator $gt, got x
    """
    if not isinstance(where, dict):
        raise ValueError(f"Expected where to be a dict, got {where}")
    if len(where) != 1:
        raise ValueError(f"Expected where to have exactly one operator, got {where}")
    for key, value in where.items():
        _validate_where_entry(key, value)


def _validate_where_entry(key: object, value: object) -> None:
    if not isinstance(key, str):
        raise ValueError(f"Expected where key to be a str, got {key}")
    if key in ("$contains", "$not_contains"):
        # These operators only make sense inside a field expression.
        raise ValueError(
            "Expected where key to be a metadata field name or a logical operator ($and, $or), "
            f"got {key}"
        )
    if key not in ("$and", "$or", "$in", "$nin") and not isinstance(value, (str, int, float, dict)):
        raise ValueError(
            f"Expected where value to be a str, int, float, or operator expression, got {value}"
        )
    if key in ("$and", "$or"):
        _validate_where_logical(value)
    if isinstance(value, dict):
        _validate_operator_expression(key, value)


def _validate_where_logical(value: object) -> None:
    if not isinstance(value, list):
        raise ValueError(
            f"Expected where value for $and or $or to be a list of where expressions, got {value}"
        )
    if len(value) <= 1:
        raise ValueError(
            "Expected where value for $and or $or to be a list with at least two where "
            f"expressions, got {value}"
        )
    for child in value:
        validate_where(child)


def _validate_operator_expression(key: str, expression: dict[Any, Any]) -> None:
    if len(expression) != 1:
        raise ValueError(
            f"Expected operator expression to have exactly one operator, got {expression}"
        )
    for op, operand in expression.items():
        _validate_operand_for_operator(key, op, operand)
        if op not in _WHERE_OPERATORS:
            raise ValueError(
                "Expected where operator to be one of $gt, $gte, $lt, $lte, $ne, $eq, $in, $nin, "
                f"$contains, $not_contains, got {op}"
            )
        _validate_operand_type(operand)


def _validate_operand_for_operator(key: str, op: object, operand: object) -> None:
    """Operator-specific operand rules, checked before the operator name itself."""
    if op in _NUMERIC_OPERATORS and not isinstance(operand, (int, float)):
        raise ValueError(
            f"Expected operand value to be an int or a float for operator {op}, got {operand}"
        )
    if op in ("$in", "$nin") and not isinstance(operand, list):
        raise ValueError(f"Expected operand value to be an list for operator {op}, got {operand}")
    if op in ("$contains", "$not_contains"):
        if key == "#document" and not isinstance(operand, str):
            raise ValueError(
                f"Expected operand value to be a str for operator {op} on #document, got {operand}"
            )
        if not isinstance(operand, (str, int, float, bool)):
            raise ValueError(
                "Expected operand value to be a str, int, float, or bool for operator "
                f"{op}, got {operand}"
            )


def _validate_operand_type(operand: object) -> None:
    if not isinstance(operand, (str, int, float, bool, list)):
        raise ValueError(
            "Expected where operand value to be a str, int, float, bool, or list of those type, "
            f"got {operand}"
        )
    # Chroma tests isinstance against the first element's type, so [1, True] passes (a bool is
    # an int) while [True, 1] does not; the server then rejects the former.
    if isinstance(operand, list) and (
        len(operand) == 0 or not all(isinstance(x, type(operand[0])) for x in operand)
    ):
        raise ValueError(
            "Expected where operand value to be a non-empty list, and all values to be of the "
            f"same type got {operand}"
        )


def validate_where_document(where_document: Any) -> None:
    """Check a document filter against Chroma's client-side grammar.

    Example:
        >>> validate_where_document({"$or": [{"$contains": "a"}, {"$regex": "b+"}]})
    """
    if not isinstance(where_document, dict):
        raise ValueError(f"Expected where document to be a dictionary, got {where_document}")
    if len(where_document) != 1:
        raise ValueError(
            f"Expected where document to have exactly one operator, got {where_document}"
        )
    for op, operand in where_document.items():
        if op not in _WHERE_DOCUMENT_OPERATORS:
            raise ValueError(
                "Expected where document operator to be one of $contains, $not_contains, "
                f"$regex, $not_regex, $and, $or, got {op}"
            )
        if op in ("$and", "$or"):
            _validate_where_document_logical(operand)
        elif not isinstance(operand, str):
            raise ValueError(
                f"Expected where document operand value for operator {op} to be a str, "
                f"got {operand}"
            )
        elif len(operand) == 0:
            raise ValueError(
                f"Expected where document operand value for operator {op} to be a non-empty str"
            )


def _validate_where_document_logical(operand: object) -> None:
    if not isinstance(operand, list):
        raise ValueError(
            "Expected document value for $and or $or to be a list of where document "
            f"expressions, got {operand}"
        )
    if len(operand) <= 1:
        raise ValueError(
            "Expected document value for $and or $or to be a list with at least two where "
            f"document expressions, got {operand}"
        )
    for child in operand:
        validate_where_document(child)


def validate_filters(where: Any, where_document: Any) -> None:
    """Validate whichever of ``where`` / ``where_document`` is given."""
    if where is not None:
        validate_where(where)
    if where_document is not None:
        validate_where_document(where_document)


# --------------------------------------------------------------------------------------------
# include, n_results, delete
# --------------------------------------------------------------------------------------------


def validate_include(include: Any, disallowed: Sequence[str] | None = None) -> None:
    """``include`` must be a list of known item names, none of them ``disallowed``.

    Example:
        >>> validate_include(["distances"], disallowed=["distances"])
        Traceback (most recent call last):
        ...
        ValueError: Include item cannot be one of distances, got distances
    """
    if not isinstance(include, list):
        raise ValueError(f"Expected include to be a list, got {include}")
    for item in include:
        if not isinstance(item, str):
            raise ValueError(f"Expected include item to be a str, got {item}")
        if item not in INCLUDE_ITEMS:
            raise ValueError(
                f"Expected include item to be one of {', '.join(INCLUDE_ITEMS)}, got {item}"
            )
        if disallowed is not None and item in disallowed:
            raise ValueError(f"Include item cannot be one of {', '.join(disallowed)}, got {item}")


def validate_n_results(n_results: Any) -> int:
    """``n_results`` must be an int (``ValueError``) above zero (``TypeError``, as in Chroma)."""
    if not isinstance(n_results, int):
        raise ValueError(f"Expected requested number of results to be a int, got {n_results}")
    if n_results <= 0:
        raise TypeError(f"Number of requested results {n_results}, cannot be negative, or zero.")
    return n_results


def validate_delete_args(ids: Any, where: Any, where_document: Any, limit: Any) -> None:
    """The argument rules of ``Collection.delete`` checked before ids and filters.

    Needs at least one of ids/where/where_document; ``limit`` must be a non-negative int
    (``TypeError`` for a non-int or a bool) and needs a filter.
    """
    if ids is None and where is None and where_document is None:
        raise ValueError("At least one of ids, where, or where_document must be provided")
    if limit is not None:
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise TypeError("limit must be a non-negative integer")
        if limit < 0:
            raise ValueError("limit must be a non-negative integer")
    if limit is not None and where is None and where_document is None:
        raise ValueError(
            "limit can only be specified when a where or where_document clause is provided"
        )


# --------------------------------------------------------------------------------------------
# Binding-level conversions (what Chroma's PyO3 layer rejects after the Python checks)
# --------------------------------------------------------------------------------------------


def check_u32_argument(value: Any, name: str) -> int | None:
    """Convert an optional ``u32`` argument the way PyO3 does, with its errors.

    Anything with ``__index__`` (int, bool, numpy integers) is accepted; other types are a
    ``TypeError``; values outside ``[0, 2**32)`` are an ``OverflowError``.

    Example:
        >>> check_u32_argument(True, "limit"), check_u32_argument(None, "limit")
        (1, None)
    """
    if value is None:
        return None
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(
            f"argument '{name}': '{type(value).__name__}' object cannot be interpreted as "
            "an integer"
        ) from None
    if not _C_LONG_MIN <= number <= _C_LONG_MAX:
        raise OverflowError("Python int too large to convert to C long")
    if not 0 <= number <= _U32_MAX:
        raise OverflowError("out of range integral type conversion attempted")
    return number


def check_strings_convertible(values: Sequence[Any] | None, name: str) -> None:
    """PyO3 refuses a non-str (non-None) element of a ``list[str | None]`` argument."""
    if values is None:
        return
    for value in values:
        if value is not None and not isinstance(value, str):
            raise TypeError(
                f"argument '{name}': '{type(value).__name__}' object cannot be converted to "
                "'PyString'"
            )


def check_metadatas_convertible(
    metadatas: Sequence[Mapping[str, Any] | None] | None, *, allow_none_values: bool
) -> None:
    """The binding's metadata conversion: no None values on ``add`` (a None value is only
    meaningful in an update: it deletes the key). Sparse vectors convert: chromalake stores
    them as Chroma Cloud does, where single-node Chroma's binding refuses them."""
    if metadatas is None:
        return
    for metadata in metadatas:
        if metadata is None:
            continue
        for value in metadata.values():
            if value is None and not allow_none_values:
                target = "UpdateMetadataValue" if allow_none_values else "MetadataValue"
                raise TypeError(f"argument 'metadatas': Cannot convert Python object to {target}")


def check_collection_metadata_convertible(metadata: Mapping[str, Any] | None) -> None:
    """The binding's conversion of collection metadata (chromadb validates it no earlier).

    Example:
        >>> check_collection_metadata_convertible({"tags": []})
        Traceback (most recent call last):
        ...
        ValueError: Empty lists are not allowed as metadata values
    """
    for value in (metadata or {}).values():
        if isinstance(value, list):
            if not value:
                raise ValueError("Empty lists are not allowed as metadata values")
        elif value is None or not isinstance(value, (str, int, float, bool)):
            raise TypeError("argument 'metadata': Cannot convert Python object to MetadataValue")


# --------------------------------------------------------------------------------------------
# Engine rules: names
# --------------------------------------------------------------------------------------------

_NAME_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._-]{1,510}[a-zA-Z0-9]")
_NAME_PATTERN_MESSAGE = (
    "Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with "
    "a character in [a-zA-Z0-9]. Got: {}"
)


def validate_collection_name(name: Any, *, field: str = "name") -> None:
    """Chroma's server rule for collection names (Rust ``validate_name``).

    3-512 characters from ``[a-zA-Z0-9._-]``, alphanumeric at both ends, no ``..``, not an IP
    address, at most one ``topology+name`` prefix. ``field`` is the payload field named in the
    message (``new_name`` for a rename).

    Raises:
        InvalidArgumentError: "Validation error: name: ..." as the server words it.
        TypeError: ``name`` is not a str (the embedded binding's conversion error).

    Example:
        >>> validate_collection_name("ab")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: name: Expected a name containing 3-512 characters from [a-zA-Z0-9._-], starting and ending with a character in [a-zA-Z0-9]. Got: ab
    """  # noqa: E501
    _require_str_argument(name, field)
    _raise_validation_errors([(field, name_problem(name))])


def name_problem(name: str) -> str | None:
    """Why ``name`` breaks the Rust ``validate_name`` rule, or None if it is valid."""
    topology, plus, rest = name.partition("+")
    if plus:
        if len(name.encode()) > 512:  # Rust measures bytes
            return f"Expected a name containing 3-512 characters. Got: {len(name.encode())}"
        if "+" in rest:
            return "Expected a name to contain at most one topology:  Got two `+` characters."
        return name_problem(topology) or name_problem(rest)
    # fullmatch: Rust's `$` does not match before a trailing newline, Python's does.
    if _NAME_RE.fullmatch(name) is None:
        return _NAME_PATTERN_MESSAGE.format(name)
    if ".." in name:
        return f"Expected a name that does not contains two consecutive periods (..). Got {name}"
    if _is_ip_address(name):
        return f"Expected a name that is not a valid ip address. Got {name}"
    return None


def _is_ip_address(name: str) -> bool:
    # Python's parser, like Rust's, rejects leading zeros ("01.2.3.4") and short forms ("1.2.3").
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def validate_database_name(name: Any, *, strict: bool = False) -> None:
    """Chroma's rule for database names.

    By default the embedded rule: at least 3 bytes ("database name must be at least 3
    characters"). With ``strict=True``, the HTTP server's create rule: the collection-name rule
    reported without the "Validation error: name: " prefix.

    Example:
        >>> validate_database_name("a..b")  # fine for the embedded client
        >>> validate_database_name("a..b", strict=True)
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Expected a name that does not contains two consecutive periods (..). Got a..b
    """  # noqa: E501
    _require_str_argument(name, "name")
    if strict:
        problem = name_problem(name)
        if problem is not None:
            raise InvalidArgumentError(problem)
    elif len(name.encode()) < 3:
        raise InvalidArgumentError("database name must be at least 3 characters")


def validate_tenant_name(name: Any) -> None:
    """Tenant names need at least 3 characters (the server's ``validator`` length rule).

    Example:
        >>> validate_tenant_name("ab")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: name: Validation error: length [{"value": String("ab"), "min": Number(3)}]
    """  # noqa: E501
    _require_str_argument(name, "name")
    if len(name) < 3:
        # Chroma prints a HashMap here, so its key order varies; this is one of its two orders.
        raise InvalidArgumentError(
            "Validation error: name: Validation error: length "
            f'[{{"value": String({_rust_debug_str(name)}), "min": Number(3)}}]'
        )


def _rust_debug_str(text: str) -> str:
    """Render ``text`` as Rust's ``{:?}`` does for a ``str`` (quoted, escapes for controls)."""
    escapes = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0"}
    out = []
    for char in text:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{{{ord(char):x}}}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _require_str_argument(value: object, name: str) -> None:
    if not isinstance(value, str):
        raise TypeError(
            f"argument '{name}': '{type(value).__name__}' object cannot be converted to 'PyString'"
        )


def _raise_validation_errors(problems: Sequence[tuple[str, str | None]]) -> None:
    """Raise Chroma's "Validation error: field: message" for every field that has a problem.

    Chroma joins several failing fields with newlines, in HashMap order (so its order varies
    between runs); we keep the order given, which is one of the orders it can produce.
    """
    found = [f"{field}: {problem}" for field, problem in problems if problem is not None]
    if found:
        raise InvalidArgumentError("Validation error: " + "\n".join(found))


# --------------------------------------------------------------------------------------------
# Engine rules: collections
# --------------------------------------------------------------------------------------------


def validate_create_collection(name: Any, metadata: Mapping[str, Any] | None) -> None:
    """The engine's checks on a create: the name rule and the collection-metadata rule.

    Example:
        >>> validate_create_collection("abc", {})
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: metadata: Metadata cannot be empty
    """
    _require_str_argument(name, "name")
    _raise_validation_errors(
        [("name", name_problem(name)), ("metadata", collection_metadata_problem(metadata))]
    )
    _refuse_empty_lists(metadata)


def _refuse_empty_lists(metadata: Mapping[str, Any] | None) -> None:
    """An empty list in collection metadata: Chroma's embedded binding refuses it, and its
    server drops the connection (it panics); chromalake's server refuses it in words."""
    if any(isinstance(v, list) and not v for v in (metadata or {}).values()):
        raise InvalidArgumentError("Empty lists are not allowed as metadata values")


def validate_update_collection(new_name: Any, new_metadata: Mapping[str, Any] | None) -> None:
    """The engine's checks on a modify: the new name (if any) and the new metadata (if any)."""
    if new_name is not None:
        _require_str_argument(new_name, "new_name")
    _raise_validation_errors(
        [
            ("new_name", name_problem(new_name) if new_name is not None else None),
            ("new_metadata", collection_metadata_problem(new_metadata)),
        ]
    )
    _refuse_empty_lists(new_metadata)


def validate_collection_metadata(metadata: Mapping[str, Any] | None, *, field: str) -> None:
    """Server check of collection metadata alone; ``field`` is the payload field Chroma names.

    Example:
        >>> validate_collection_metadata({"#a": 1}, field="new_metadata")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: new_metadata: Metadata key cannot start with '#' or '$': #a
    """  # noqa: E501
    _raise_validation_errors([(field, collection_metadata_problem(metadata))])


def collection_metadata_problem(metadata: Mapping[str, Any] | None) -> str | None:
    """Why collection metadata is refused (empty, or a bad key), or None."""
    if metadata is None:
        return None
    if len(metadata) == 0:
        return "Metadata cannot be empty"
    for key in metadata:
        problem = _metadata_key_problem(key)
        if problem is not None:
            return problem
    return None


def _metadata_key_problem(key: str) -> str | None:
    if key == "":
        return "Metadata key cannot be empty"
    if key.startswith(("#", "$")):
        return f"Metadata key cannot start with '#' or '$': {key}"
    return None


def validate_modify(name: Any, metadata: Any, configuration: Any) -> None:
    """The client's checks on ``Collection.modify`` (no suffix is added).

    Chroma validates only the metadata here (record-metadata rules, then no ``hnsw:space``);
    the name and configuration are checked by the engine.
    """
    del name, configuration  # accepted for symmetry with the call; checked by the engine
    validate_modify_metadata(metadata)


# --------------------------------------------------------------------------------------------
# Engine rules: record batches
# --------------------------------------------------------------------------------------------


def validate_record_batch(
    ids: Sequence[str],
    embeddings: Sequence[npt.NDArray[Any] | Sequence[float] | None] | None,
    metadatas: Sequence[Mapping[str, Any] | None] | None,
    documents: Sequence[str | None] | None,
    uris: Sequence[str | None] | None,
    *,
    update: bool = False,
    expected_dimension: int | None = None,
) -> int | None:
    """The engine's checks on an add/update/upsert batch, in the order Chroma runs them.

    1. Field validation: every embedding has ≥1 dimension and only finite values; metadata
       keys are not empty and do not start with ``#``/``$`` ("Validation error: ..."; both
       failures are reported, joined by a newline).
    2. Dimensions: one dimension within the batch, equal to ``expected_dimension`` if given.
       (Pass the collection's dimension to get Chroma's order; without it, check it later with
       :func:`validate_dimension`.)
    3. Lengths: every given list as long as ``ids``.
    4. No empty id.

    ``update`` marks an ``update`` batch: its embeddings may hold None ("keep the old one"),
    and Chroma reports the first bad embedding, where for add/upsert an empty embedding
    anywhere wins over a NaN. None entries are skipped either way.

    Returns:
        The batch's dimension (to set an empty collection's), or None without embeddings.

    Example:
        >>> validate_record_batch(["a"], [[1.0, float("nan")]], None, None, None)
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Validation error: embeddings: Embeddings must not contain NaN or Infinity values
    """  # noqa: E501
    vectors = [np.asarray(e) for e in embeddings or [] if e is not None]
    # Chroma names embeddings first for update and either order for add/upsert (HashMap order).
    embeddings_problem = (
        _first_embedding_problem(vectors) if update else _embeddings_problem(vectors)
    )
    _raise_validation_errors(
        [("embeddings", embeddings_problem), ("metadatas", _metadatas_problem(metadatas))]
    )
    dimension = validate_batch_dimension(vectors)
    if dimension is not None:
        validate_dimension(expected_dimension, dimension)
    _validate_batch_lengths(len(ids), embeddings, documents, uris, metadatas)
    if any(id_ == "" for id_ in ids):
        raise InvalidArgumentError("Empty ID, ID must have at least one character")
    return dimension


_EMPTY_EMBEDDING = "Each embedding must have at least 1 dimension"
_NON_FINITE_EMBEDDING = "Embeddings must not contain NaN or Infinity values"


def _embeddings_problem(vectors: Sequence[npt.NDArray[Any]]) -> str | None:
    """add/upsert: an empty vector is reported even when an earlier one holds a NaN."""
    if any(v.size == 0 for v in vectors):
        return _EMPTY_EMBEDDING
    if any(not np.all(np.isfinite(v)) for v in vectors):
        return _NON_FINITE_EMBEDDING
    return None


def _first_embedding_problem(vectors: Sequence[npt.NDArray[Any]]) -> str | None:
    """update: the problem of the first bad vector."""
    for vector in vectors:
        if vector.size == 0:
            return _EMPTY_EMBEDDING
        if not np.all(np.isfinite(vector)):
            return _NON_FINITE_EMBEDDING
    return None


def _metadatas_problem(metadatas: Sequence[Mapping[str, Any] | None] | None) -> str | None:
    for index, metadata in enumerate(metadatas or []):
        if metadata is None:
            continue
        bad_key = any(_metadata_key_problem(k) for k in metadata)
        if bad_key or any(_is_invalid_sparse_vector(v) for v in metadata.values()):
            return f"Invalid metadata at index {index}"
    return None


def _is_invalid_sparse_vector(value: object) -> bool:
    if not isinstance(value, dict) or not is_sparse_vector(value):
        return False
    try:
        validate_sparse_vector(value.get("indices"), value.get("values"), value.get("tokens"))
    except ValueError:
        return True
    return False


def validate_batch_dimension(
    embeddings: Sequence[npt.NDArray[Any] | Sequence[float] | None],
) -> int | None:
    """The one dimension shared by the (non-None) embeddings, or None if there are none.

    Chroma checks this for writes and for query embeddings, even on an empty collection.

    Example:
        >>> validate_batch_dimension([[1.0, 2.0], [1.0]])
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Inconsistent dimensions in provided embeddings
    """
    dimensions = {int(np.size(e)) for e in embeddings if e is not None}
    if len(dimensions) > 1:
        raise InvalidArgumentError("Inconsistent dimensions in provided embeddings")
    return dimensions.pop() if dimensions else None


def validate_dimension(expected: int | None, got: int) -> None:
    """An embedding of dimension ``got`` must match the collection's (None: not yet fixed).

    Example:
        >>> validate_dimension(2, 3)
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Collection expecting embedding with dimension of 2, got 3
    """  # noqa: E501
    if expected is not None and got != expected:
        raise InvalidArgumentError(
            f"Collection expecting embedding with dimension of {expected}, got {got}"
        )


def _validate_batch_lengths(n: int, *fields: Sized | None) -> None:
    if any(field is not None and len(field) != n for field in fields):
        raise InvalidArgumentError(
            "Inconsistent number of IDs, embeddings, documents, URIs and metadatas"
        )


def validate_delete_request(
    ids: Sequence[str] | None, where: Any, where_document: Any, limit: int | None
) -> None:
    """The server's delete rules (the client rejects these cases before they get here).

    An empty ``ids`` list needs a filter, and ``limit`` needs a filter. Everything None is
    accepted (and deletes nothing).
    """
    no_filter = where is None and where_document is None
    if ids is not None and len(ids) == 0 and no_filter:
        raise InvalidArgumentError(
            "Validation error: ids, where: Either ids or where must be specified"
        )
    if limit is not None and no_filter:
        raise InvalidArgumentError(
            "Validation error: limit, where: limit can only be specified when a where clause "
            "is provided"
        )


def check_engine_batch_size(size: int, max_batch_size: int) -> None:
    """How Chroma's embedded binding reports an oversized batch (an ``InternalError``).

    Example:
        >>> check_engine_batch_size(5462, 5461)
        Traceback (most recent call last):
        ...
        chromalake.errors.InternalError: ValueError: Batch size of 5462 is greater than max batch size of 5461
    """  # noqa: E501
    if size > max_batch_size:
        raise InternalError(
            f"ValueError: Batch size of {size} is greater than max batch size of {max_batch_size}"
        )


def validate_max_distance(max_distance: Any) -> None:
    """``query(max_distance=...)`` (a chromalake extension): None, or a finite number.

    Example:
        >>> validate_max_distance(0.5)
        >>> validate_max_distance("far")
        Traceback (most recent call last):
        ...
        chromalake.errors.InvalidArgumentError: Expected max_distance to be a finite number, got 'far'
    """  # noqa: E501
    if max_distance is None:
        return
    number = isinstance(max_distance, int | float | np.number) and not isinstance(
        max_distance, bool
    )
    if not number or not np.isfinite(max_distance):
        raise InvalidArgumentError(
            f"Expected max_distance to be a finite number, got {max_distance!r}"
        )
