"""Backups: a collection to a Parquet file and back, over any client (chromalake extension).

:func:`export_collection` pages through ``collection.get(limit, offset)`` (optionally at an
old version, ``collection.at_version``) and writes one Parquet file: a row per record with
``id``, ``embedding`` (float32 list), ``document``, ``uri`` and ``metadata`` (JSON text, so
``1`` and ``1.0`` stay apart), and in the file's key-value metadata, under ``chromalake``,
the collection's name, metadata, configuration, schema and the version exported.
:func:`import_collection` creates a collection from such a file and adds its records in
batches the server accepts (:func:`chromalake.utils.batch_utils.plan_batches`), in the
order they were exported, so ``get`` lists them in the same order.

The ``*_async`` functions do the same with an ``AsyncClient``'s collections. pyarrow is
needed (``pip install 'chromalake[embedded]'``); it is imported only here.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chromalake.embeddings import embedding_function_from_config
from chromalake.utils.batch_utils import plan_batches

if TYPE_CHECKING:
    import pyarrow as pa

META_KEY = b"chromalake"
FORMAT = "chromalake-collection/1"
PAGE_SIZE = 1000
_INCLUDE = ["embeddings", "documents", "uris", "metadatas"]


@dataclass(frozen=True)
class Backup:
    """What an export file holds besides its records."""

    name: str
    metadata: dict[str, Any] | None
    configuration: dict[str, Any]
    schema: dict[str, Any] | None
    version: int | None


def _arrow_schema(dimension: int | None, backup: Backup) -> pa.Schema:
    import pyarrow as pa

    vector = pa.list_(pa.float32(), dimension) if dimension else pa.list_(pa.float32())
    header = {
        "format": FORMAT,
        "name": backup.name,
        "metadata": backup.metadata,
        "configuration": backup.configuration,
        "schema": backup.schema,
        "version": backup.version,
    }
    fields = [
        pa.field("id", pa.utf8(), nullable=False),
        pa.field("embedding", vector),
        pa.field("document", pa.utf8()),
        pa.field("uri", pa.utf8()),
        pa.field("metadata", pa.utf8()),
    ]
    return pa.schema(fields, metadata={META_KEY: json.dumps(header).encode()})


def _page_table(page: dict[str, Any], schema: pa.Schema) -> pa.Table:
    import pyarrow as pa

    embeddings = page.get("embeddings")
    metadatas = page.get("metadatas") or [None] * len(page["ids"])
    columns = {
        "id": page["ids"],
        "embedding": None if embeddings is None else [list(map(float, e)) for e in embeddings],
        "document": page.get("documents") or [None] * len(page["ids"]),
        "uri": page.get("uris") or [None] * len(page["ids"]),
        "metadata": [None if not m else json.dumps(m) for m in metadatas],
    }
    if columns["embedding"] is None:
        columns["embedding"] = [None] * len(page["ids"])
    return pa.table(columns, schema=schema)


def _backup_of(collection: Any, version: int | None) -> Backup:
    return Backup(
        name=collection.name,
        metadata=collection.metadata,
        configuration=dict(collection.configuration_json),
        # Collection.schema is a Schema (as in chromadb): stored as its JSON form.
        schema=collection.schema.serialize_to_json() if collection.schema is not None else None,
        version=version,
    )


def _dimension(collection: Any) -> int | None:
    dimension = collection.get_model().dimension
    return int(dimension) if dimension is not None else None


def export_collection(
    collection: Any, path: str | Path, version: int | None = None, page_size: int = PAGE_SIZE
) -> int:
    """Write the collection (at ``version``, default now) to a Parquet file; returns how
    many records it wrote.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "examples.parquet"
        >>> export_collection(col, target)
        2
        >>> copy = import_collection(client, target, name="examples-restored")
        >>> copy.get()["ids"], copy.metadata == col.metadata
        (['a', 'b'], True)
    """
    import pyarrow.parquet as pq

    source = collection if version is None else collection.at_version(version)
    schema = _arrow_schema(_dimension(collection), _backup_of(collection, version))
    written = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        while True:
            page = source.get(limit=page_size, offset=written, include=_INCLUDE)
            if not page["ids"]:
                break
            writer.write_table(_page_table(page, schema))
            written += len(page["ids"])
    return written


async def export_collection_async(
    collection: Any, path: str | Path, version: int | None = None, page_size: int = PAGE_SIZE
) -> int:
    """:func:`export_collection` for an ``AsyncCollection``."""
    import pyarrow.parquet as pq

    source = collection if version is None else collection.at_version(version)
    schema = _arrow_schema(_dimension(collection), _backup_of(collection, version))
    written = 0
    with pq.ParquetWriter(str(path), schema) as writer:
        while True:
            page = await source.get(limit=page_size, offset=written, include=_INCLUDE)
            if not page["ids"]:
                break
            writer.write_table(_page_table(page, schema))
            written += len(page["ids"])
    return written


def read_backup(path: str | Path) -> Backup:
    """The collection description stored in an export file."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(str(path)).metadata or {}).get(META_KEY)
    header = json.loads(raw) if raw else {}
    if header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a chromalake collection export")
    return Backup(
        name=header["name"],
        metadata=header.get("metadata"),
        configuration=header.get("configuration") or {},
        schema=header.get("schema"),
        version=header.get("version"),
    )


@dataclass(frozen=True)
class _Batch:
    ids: list[str]
    embeddings: list[list[float]] | None
    documents: list[str | None] | None
    uris: list[str | None] | None
    metadatas: list[dict[str, Any] | None] | None

    def kwargs(self) -> dict[str, Any]:
        return {
            "ids": self.ids,
            "embeddings": self.embeddings,
            "documents": self.documents,
            "uris": self.uris,
            "metadatas": self.metadatas,
        }


def _or_none(values: list[Any]) -> list[Any] | None:
    """A column as ``add`` takes it: None when no record has a value."""
    return None if all(v is None for v in values) else values


def _batches(path: str | Path, max_batch_size: int) -> Iterator[_Batch]:
    """The file's records in batches the server accepts, in file order."""
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(str(path))
    for group in range(parquet.num_row_groups):
        rows = parquet.read_row_group(group).to_pydict()
        metadatas = [None if m is None else json.loads(m) for m in rows["metadata"]]
        embeddings = rows["embedding"]
        for start, end in plan_batches(
            len(rows["id"]), max_batch_size, embeddings, metadatas, rows["document"], rows["uri"]
        ):
            yield _Batch(
                ids=rows["id"][start:end],
                embeddings=_or_none(embeddings[start:end]),
                documents=_or_none(rows["document"][start:end]),
                uris=_or_none(rows["uri"][start:end]),
                metadatas=_or_none(metadatas[start:end]),
            )


def _create_kwargs(backup: Backup, name: str | None, embedding_function: Any) -> dict[str, Any]:
    """How to create the imported collection: the stored index settings and metadata."""
    config = backup.configuration
    index = {k: config[k] for k in ("hnsw", "spann") if config.get(k)}
    kwargs: dict[str, Any] = {
        "name": name or backup.name,
        "metadata": backup.metadata,
        "configuration": index or None,
    }
    if embedding_function is _KEEP:  # the function the exported collection recorded
        embedding_function = embedding_function_from_config(config.get("embedding_function"))
    kwargs["embedding_function"] = embedding_function
    return kwargs


_KEEP: Any = object()  # "the exported collection's own function"


def import_collection(
    client: Any,
    path: str | Path,
    name: str | None = None,
    embedding_function: Any = _KEEP,
) -> Any:
    """Create a collection from an export file (named as exported unless ``name`` is
    given) and add its records; returns the new collection.

    Raises the client's AlreadyExistsError if the name is taken. The collection gets the
    exported index settings, metadata and (unless ``embedding_function`` is given) the
    embedding function its configuration recorded.
    """
    backup = read_backup(path)
    collection = client.create_collection(**_create_kwargs(backup, name, embedding_function))
    limit = client.get_max_batch_size()
    for batch in _batches(path, limit):
        collection.add(**batch.kwargs())
    return collection


async def import_collection_async(
    client: Any,
    path: str | Path,
    name: str | None = None,
    embedding_function: Any = _KEEP,
) -> Any:
    """:func:`import_collection` for an ``AsyncClient``."""
    backup = read_backup(path)
    kwargs = _create_kwargs(backup, name, embedding_function)
    collection = await client.create_collection(**kwargs)
    limit = await client.get_max_batch_size()
    for batch in _batches(path, limit):
        await collection.add(**batch.kwargs())
    return collection


__all__: Sequence[str] = [
    "Backup",
    "export_collection",
    "export_collection_async",
    "import_collection",
    "import_collection_async",
    "read_backup",
]
