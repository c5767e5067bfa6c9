"""Turning a user's ``Collection`` call into engine input, exactly as Chroma 1.5.9's client does.

Each ``prepare_*`` function applies Chroma's ``OneOrMany`` normalization (a single id, a single
embedding, a 1-d or 2-d numpy array, a single metadata dict...), runs the client-side
validation of :mod:`chromalake.validation`, embeds documents/images/uris when no embeddings
were given, and returns a frozen request object with plain, normalized fields.

Error messages match Chroma's: every exception raised while validating or embedding gets
" in add." (or get/query/update/upsert/delete) appended to its first argument, as Chroma's
``validation_context`` decorator does. Checks Chroma performs *after* that decorator (the batch
size limit, and the argument conversion of its embedded binding) raise without the suffix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from chromalake import validation as v
from chromalake.types import Where, WhereDocument

#: Turns a batch of documents (or images, or loaded uris) into one embedding per input.
EmbedFn = Callable[[list[Any]], Sequence[Any]]
#: Loads the data behind a batch of uris (Chroma's ``DataLoader``).
DataLoader = Callable[[list[str]], Any]
Vector = npt.NDArray[np.float32]

#: Marks an ``include`` the caller did not pass (an explicit None is an error, as in Chroma).
DEFAULT: Any = object()


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordBatch:
    """A validated add/update/upsert batch. Every list is as long as ``ids``.

    ``embeddings`` is None only for an update that changes no vectors.
    """

    ids: list[str]
    embeddings: list[Vector] | None
    metadatas: list[dict[str, Any] | None] | None
    documents: list[str | None] | None
    uris: list[str | None] | None


@dataclass(frozen=True)
class GetRequest:
    """A validated ``get``. ``include`` is what the result reports as ``included``.

    As in Chroma, asking for ``"data"`` adds ``"uris"`` (the data is loaded from them).
    """

    ids: list[str] | None
    where: Where | None
    where_document: WhereDocument | None
    limit: int | None
    offset: int | None
    include: list[str]


@dataclass(frozen=True)
class QueryRequest:
    """A validated ``query``: one float32 vector per query."""

    query_embeddings: list[Vector]
    ids: list[str] | None
    n_results: int
    where: Where | None
    where_document: WhereDocument | None
    include: list[str]


@dataclass(frozen=True)
class DeleteRequest:
    """A validated ``delete``."""

    ids: list[str] | None
    where: Where | None
    where_document: WhereDocument | None
    limit: int | None


@dataclass(frozen=True)
class _WriteFields:
    """The user's write arguments after ``OneOrMany`` normalization (not yet validated)."""

    ids: Any
    embeddings: list[Any] | None
    metadatas: list[dict[str, Any] | None] | None
    documents: list[Any] | None
    images: list[Any] | None
    uris: list[Any] | None


# --------------------------------------------------------------------------------------------
# The suffix
# --------------------------------------------------------------------------------------------


@contextmanager
def validation_context(operation: str) -> Iterator[None]:
    """Append `` in {operation}.`` to the message of any exception raised inside.

    The exception keeps its class (``ValueError``, ``TypeError``, ``DuplicateIDError``, even a
    ``KeyError`` from a malformed input) and only its first argument changes, as in Chroma.

    Example:
        >>> try:
        ...     with validation_context("add"):
        ...         raise ValueError("bad")
        ... except ValueError as e:
        ...     str(e)
        'bad in add.'
    """
    try:
        yield
    except Exception as error:
        if error.args:
            error.args = (f"{error} in {operation}.", *error.args[1:])
        raise


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------


def prepare_add(
    ids: Any,
    embeddings: Any = None,
    metadatas: Any = None,
    documents: Any = None,
    images: Any = None,
    uris: Any = None,
    *,
    embed: EmbedFn | None,
    max_batch_size: int,
    data_loader: DataLoader | None = None,
    binding: bool = True,
) -> RecordBatch:
    """Normalize, validate and (if needed) embed the arguments of ``Collection.add``.

    Without embeddings, exactly one of documents, images or uris is embedded; with embeddings,
    documents are stored as given.

    Example:
        >>> batch = prepare_add("a", [1, 2], embed=None, max_batch_size=10)
        >>> batch.ids, batch.embeddings[0].dtype.name
        (['a'], 'float32')
    """
    return _prepare_write(
        _ADD,
        (ids, embeddings, metadatas, documents, images, uris),
        embed,
        max_batch_size,
        data_loader,
        binding,
    )


def prepare_update(
    ids: Any,
    embeddings: Any = None,
    metadatas: Any = None,
    documents: Any = None,
    images: Any = None,
    uris: Any = None,
    *,
    embed: EmbedFn | None,
    max_batch_size: int,
    data_loader: DataLoader | None = None,
    binding: bool = True,
) -> RecordBatch:
    """Normalize, validate and (if needed) embed the arguments of ``Collection.update``.

    New documents (or images) without embeddings are re-embedded; uris alone are not.
    Metadata values may be None (they delete the key).

    Example:
        >>> prepare_update("a", metadatas={"k": None}, embed=None, max_batch_size=10).embeddings
    """
    return _prepare_write(
        _UPDATE,
        (ids, embeddings, metadatas, documents, images, uris),
        embed,
        max_batch_size,
        data_loader,
        binding,
    )


def prepare_upsert(
    ids: Any,
    embeddings: Any = None,
    metadatas: Any = None,
    documents: Any = None,
    images: Any = None,
    uris: Any = None,
    *,
    embed: EmbedFn | None,
    max_batch_size: int,
    data_loader: DataLoader | None = None,
    binding: bool = True,
) -> RecordBatch:
    """Normalize, validate and (if needed) embed the arguments of ``Collection.upsert``.

    Without embeddings, exactly one of documents or images is embedded (never uris).
    """
    return _prepare_write(
        _UPSERT,
        (ids, embeddings, metadatas, documents, images, uris),
        embed,
        max_batch_size,
        data_loader,
        binding,
    )


@dataclass(frozen=True)
class _WriteRule:
    """How one write operation differs from the others."""

    operation: str
    #: The fields that may be embedded (exactly one must be given when embedding).
    embeddable: tuple[str, ...]
    #: Embed only when new documents/images come without embeddings (update), else always
    #: when embeddings are missing (add, upsert).
    embed_only_new_data: bool
    #: Whether a None metadata value (meaning "delete this key") is allowed.
    allow_none_values: bool


_ADD = _WriteRule("add", v.EMBEDDABLE_FIELDS, False, False)
_UPDATE = _WriteRule("update", v.UPDATE_EMBEDDABLE_FIELDS, True, True)
_UPSERT = _WriteRule("upsert", v.UPDATE_EMBEDDABLE_FIELDS, False, True)


def _prepare_write(
    rule: _WriteRule,
    args: tuple[Any, Any, Any, Any, Any, Any],
    embed: EmbedFn | None,
    max_batch_size: int,
    data_loader: DataLoader | None,
    binding: bool,
) -> RecordBatch:
    """Validate, check the batch size (no suffix, as in Chroma), embed, then convert."""
    with validation_context(rule.operation):
        fields = _normalize_write(*args)
        _validate_write(fields)
    # Chroma checks the size after embedding; checking first spares embedding a doomed batch.
    v.validate_batch_size(len(fields.ids), max_batch_size)
    with validation_context(rule.operation):
        vectors = fields.embeddings
        if vectors is None and _wants_embedding(rule, fields):
            chosen = v.validate_exactly_one(_embeddable(fields, rule.embeddable))
            vectors = _embed_field(fields, chosen, embed, data_loader)
    return _to_batch(fields, vectors, allow_none_values=rule.allow_none_values, binding=binding)


def _wants_embedding(rule: _WriteRule, fields: _WriteFields) -> bool:
    if not rule.embed_only_new_data:
        return True
    return fields.documents is not None or fields.images is not None


def _normalize_write(
    ids: Any, embeddings: Any, metadatas: Any, documents: Any, images: Any, uris: Any
) -> _WriteFields:
    """``OneOrMany`` on every field; embeddings first, as Chroma (its errors win)."""
    normalized_embeddings = v.normalize_embeddings(embeddings)
    return _WriteFields(
        ids=v.maybe_cast_one_to_many(ids),
        embeddings=normalized_embeddings,
        metadatas=v.normalize_metadatas(metadatas),
        documents=v.maybe_cast_one_to_many(documents),
        images=v.maybe_cast_one_to_many(images),
        uris=v.maybe_cast_one_to_many(uris),
    )


def _validate_write(fields: _WriteFields) -> None:
    """Chroma's ``validate_insert_record_set``: lengths, then each field, ids, metadatas."""
    v.validate_record_set_lengths(
        {
            "ids": fields.ids,
            "metadatas": fields.metadatas,
            "embeddings": fields.embeddings,
            "documents": fields.documents,
            "images": fields.images,
            "uris": fields.uris,
        }
    )
    _validate_record_data(fields.embeddings, fields.documents, fields.images)
    v.validate_ids(fields.ids)
    if fields.metadatas is not None:
        v.validate_metadatas(fields.metadatas)


def _validate_record_data(
    embeddings: list[Any] | None, documents: list[Any] | None, images: list[Any] | None
) -> None:
    """Embeddings, documents (None allowed only beside embeddings) and images."""
    if embeddings is not None:
        v.validate_embeddings(embeddings)
    if documents is not None:
        v.validate_documents(documents, nullable=embeddings is not None)
    if images is not None:
        v.validate_images(images)


def _embeddable(fields: _WriteFields, names: Sequence[str]) -> dict[str, object]:
    return {name: getattr(fields, name) for name in names}


def _to_batch(
    fields: _WriteFields, vectors: list[Any] | None, *, allow_none_values: bool, binding: bool
) -> RecordBatch:
    """Convert to the engine's types, failing where Chroma's embedded binding fails (with
    ``binding``; a remote client leaves those values to the server to refuse)."""
    float_vectors = v.embeddings_to_float32(vectors) if vectors is not None else None
    if binding:
        v.check_metadatas_convertible(fields.metadatas, allow_none_values=allow_none_values)
        v.check_strings_convertible(fields.uris, "uris")
    return RecordBatch(
        ids=list(fields.ids),
        embeddings=float_vectors,
        metadatas=fields.metadatas,
        documents=list(fields.documents) if fields.documents is not None else None,
        uris=list(fields.uris) if fields.uris is not None else None,
    )


# --------------------------------------------------------------------------------------------
# Embedding
# --------------------------------------------------------------------------------------------


def _embed_field(
    fields: _WriteFields | _QueryFields,
    name: str,
    embed: EmbedFn | None,
    data_loader: DataLoader | None,
) -> list[Any]:
    """Embed the one given embeddable field (``documents``, ``images`` or ``uris``)."""
    inputs: list[Any] = getattr(fields, name)
    if name == "uris":
        if data_loader is None:
            raise ValueError(v.MISSING_DATA_LOADER_MESSAGE)
        inputs = data_loader(inputs)
    return _call_embedder(embed, inputs)


def _call_embedder(embed: EmbedFn | None, inputs: list[Any]) -> list[Any]:
    """Call the embedding function and check its output as Chroma's wrapper does."""
    if embed is None:
        raise ValueError(v.MISSING_EMBEDDING_FUNCTION_MESSAGE)
    result = embed(inputs)
    if result is None:
        # Chroma's embedding-function wrapper asserts this; keep its (bare) AssertionError.
        raise AssertionError
    return v.validate_embeddings(v.normalize_embeddings(result))


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------


def prepare_get(
    ids: Any = None,
    where: Any = None,
    limit: Any = None,
    offset: Any = None,
    where_document: Any = None,
    include: Any = DEFAULT,
    *,
    has_data_loader: bool = False,
    binding: bool = True,
) -> GetRequest:
    """Validate the arguments of ``Collection.get``.

    ``include`` defaults to ``["metadatas", "documents"]``; ``distances`` is refused, and
    ``data`` needs a data loader.

    Example:
        >>> prepare_get("a").ids, prepare_get().include
        (['a'], ['metadatas', 'documents'])
    """
    if include is DEFAULT:
        include = ["metadatas", "documents"]
    with validation_context("get"):
        request_ids = v.maybe_cast_one_to_many(ids)
        if request_ids is not None:
            v.validate_ids(request_ids)
        v.validate_filters(where, where_document)
        v.validate_include(include, disallowed=["distances"])
        if "data" in include and not has_data_loader:
            raise ValueError(v.MISSING_DATA_LOADER_MESSAGE)
    return GetRequest(
        ids=request_ids,
        where=where,
        where_document=where_document,
        limit=_u32(limit, "limit", binding),
        offset=_u32(offset, "offset", binding),
        include=_with_uris_for_data(include),
    )


def _u32(value: Any, name: str, binding: bool) -> Any:
    """The binding's integer conversion; a remote client sends the value as it is."""
    return v.check_u32_argument(value, name) if binding else value


def _with_uris_for_data(include: list[str]) -> list[str]:
    """A copy of ``include``, with ``uris`` added when ``data`` (loaded from uris) is asked.

    Chroma appends to the caller's list (even its shared default); we never mutate it.
    """
    if "data" in include and "uris" not in include:
        return [*include, "uris"]
    return list(include)


@dataclass(frozen=True)
class _QueryFields:
    """The query inputs after ``OneOrMany`` normalization."""

    embeddings: list[Any] | None
    documents: list[Any] | None
    images: list[Any] | None
    uris: list[Any] | None


def prepare_query(
    query_embeddings: Any = None,
    query_texts: Any = None,
    query_images: Any = None,
    query_uris: Any = None,
    ids: Any = None,
    n_results: Any = 10,
    where: Any = None,
    where_document: Any = None,
    include: Any = DEFAULT,
    *,
    embed_query: EmbedFn | None,
    data_loader: DataLoader | None = None,
    binding: bool = True,
) -> QueryRequest:
    """Validate the arguments of ``Collection.query`` and embed texts/images/uris if needed.

    Given ``query_embeddings``, any texts/images/uris are ignored (as in Chroma). The ``ids``
    restriction is only ``OneOrMany``-normalized: Chroma accepts ``[]`` and does not check it.
    ``include`` defaults to ``["metadatas", "documents", "distances"]``.

    Example:
        >>> [q.tolist() for q in prepare_query([[1, 2]], embed_query=None).query_embeddings]
        [[1.0, 2.0]]
    """
    if include is DEFAULT:
        include = ["metadatas", "documents", "distances"]
    with validation_context("query"):
        fields = _QueryFields(
            embeddings=v.normalize_embeddings(query_embeddings),
            documents=v.maybe_cast_one_to_many(query_texts),
            images=v.maybe_cast_one_to_many(query_images),
            uris=v.maybe_cast_one_to_many(query_uris),
        )
        filter_ids = v.maybe_cast_one_to_many(ids)
        _validate_query(fields, where, where_document, include, n_results)
        vectors = fields.embeddings
        if vectors is None:
            chosen = v.validate_exactly_one(_query_embeddable(fields))
            vectors = _embed_field(fields, chosen, embed_query, data_loader)
    # The embedded binding converts its arguments in this order: ids, embeddings, n_results.
    if binding:
        v.check_strings_convertible(filter_ids, "ids")
    query_vectors = v.embeddings_to_float32(vectors, "query_embeddings")
    checked_n_results = _u32(n_results, "n_results", binding)
    assert checked_n_results is not None  # validate_n_results refused None
    return QueryRequest(
        query_embeddings=query_vectors,
        ids=filter_ids,
        n_results=checked_n_results,
        where=where,
        where_document=where_document,
        include=_with_uris_for_data(include),
    )


def _validate_query(
    fields: _QueryFields, where: Any, where_document: Any, include: Any, n_results: Any
) -> None:
    """Chroma's query checks, in its order: inputs, filters, include, n_results."""
    v.validate_record_set_lengths(
        {
            "embeddings": fields.embeddings,
            "documents": fields.documents,
            "images": fields.images,
            "uris": fields.uris,
        }
    )
    _validate_record_data(fields.embeddings, fields.documents, fields.images)
    v.validate_filters(where, where_document)
    v.validate_include(include)
    v.validate_n_results(n_results)


def _query_embeddable(fields: _QueryFields) -> dict[str, object]:
    return {"documents": fields.documents, "images": fields.images, "uris": fields.uris}


# --------------------------------------------------------------------------------------------
# Delete
# --------------------------------------------------------------------------------------------


def prepare_delete(
    ids: Any = None,
    where: Any = None,
    where_document: Any = None,
    limit: Any = None,
    *,
    binding: bool = True,
) -> DeleteRequest:
    """Validate the arguments of ``Collection.delete``.

    Example:
        >>> prepare_delete(where={"a": 1}, limit=5).limit
        5
    """
    with validation_context("delete"):
        v.validate_delete_args(ids, where, where_document, limit)
        request_ids = v.maybe_cast_one_to_many(ids)
        if request_ids is not None:
            v.validate_ids(request_ids)
        v.validate_filters(where, where_document)
    return DeleteRequest(
        ids=request_ids,
        where=where,
        where_document=where_document,
        limit=_u32(limit, "limit", binding),
    )
