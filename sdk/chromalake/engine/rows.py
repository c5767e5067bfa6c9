"""Records as Python values <-> records as Arrow rows in the Lance schema.

Also the write semantics that work row by row: Chroma's update/upsert merge (reference §6.2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chromalake.engine.columns import (
    DOCUMENT,
    EMBEDDING,
    ID,
    REV,
    SEQ,
    URI,
    embedding_matrix,
    record_schema,
)
from chromalake.engine.metadata_columns import METADATA, decode_metadatas, encode_metadatas
from chromalake.engine.snapshot import Snapshot

# What a read may include besides ids and distances that comes from the stored rows.
FIELDS = frozenset({"documents", "metadatas", "uris", "embeddings"})


@dataclass(frozen=True)
class Row:
    """One stored record."""

    id: str
    seq: int
    embedding: npt.NDArray[np.float32]
    document: str | None
    uri: str | None
    metadata: dict[str, Any] | None
    # Changes whenever the record is written (columns.REV): a writer's update lands only if
    # the record still has the revision it read.
    rev: int = 0


@dataclass(frozen=True)
class Change:
    """One record of an update or upsert; None means "leave unchanged"."""

    id: str
    embedding: npt.NDArray[np.float32] | None
    document: str | None
    uri: str | None
    metadata: dict[str, Any] | None


def to_table(rows: Sequence[Row], dimension: int) -> pa.Table:
    """Rows as an Arrow table in the collection's Lance schema."""
    schema = record_schema(dimension)
    flat = (
        np.concatenate([r.embedding for r in rows]).astype(np.float32, copy=False)
        if rows
        else np.empty(0, np.float32)
    )
    columns: dict[str, Any] = {
        ID: pa.array([r.id for r in rows], pa.utf8()),
        SEQ: pa.array([r.seq for r in rows], pa.int64()),
        EMBEDDING: pa.FixedSizeListArray.from_arrays(pa.array(flat, pa.float32()), dimension),
        DOCUMENT: pa.array([r.document for r in rows], pa.utf8()),
        URI: pa.array([r.uri for r in rows], pa.utf8()),
        **encode_metadatas([r.metadata for r in rows]),
        REV: pa.array([r.rev for r in rows], pa.int64()),
    }
    return pa.table([columns[f.name] for f in schema], schema=schema)


def from_table(table: pa.Table) -> list[Row]:
    """Arrow rows read back with every column of the schema."""
    matrix = embedding_matrix(table)
    revs = table[REV].to_pylist() if REV in table.column_names else [0] * table.num_rows
    return [
        Row(id=i, seq=s, embedding=e, document=d, uri=u, metadata=m, rev=r or 0)
        for i, s, e, d, u, m, r in zip(
            table[ID].to_pylist(),
            table[SEQ].to_pylist(),
            matrix,
            table[DOCUMENT].to_pylist(),
            table[URI].to_pylist(),
            decode_metadatas(table[METADATA]),
            revs,
            strict=True,
        )
    ]


def rows_at(
    snap: Snapshot, positions: npt.NDArray[np.int64], embeddings: bool = True
) -> dict[str, Row]:
    """The rows at these positions of a snapshot that holds its fields, by id: what a read
    of them from Lance would give, without the read. Without ``embeddings`` their vectors
    are left unread (empty): a snapshot made from a stored index reads them from its file."""
    assert snap.fields is not None
    fields = snap.fields.take(pa.array(positions, pa.int64()))
    revs = [0] * len(positions) if snap.revs is None else snap.revs[positions].tolist()
    vectors = snap.vectors(positions) if embeddings else np.empty((len(positions), 0), np.float32)
    return {
        str(i): Row(id=str(i), seq=s, embedding=e, document=d, uri=u, metadata=m, rev=r)
        for i, s, e, d, u, m, r in zip(
            snap.ids[positions],
            snap.seqs[positions].tolist(),
            vectors,
            fields[DOCUMENT].to_pylist(),
            fields[URI].to_pylist(),
            decode_metadatas(fields[METADATA]),
            revs,
            strict=True,
        )
    }


def merge_metadata(
    current: dict[str, Any] | None, update: dict[str, Any] | None
) -> dict[str, Any] | None:
    """Chroma's key-by-key merge: given keys overwrite, a None value deletes the key.

    Deleting every key leaves no metadata (None), as in Chroma.

    Example:
        >>> merge_metadata({"a": 1, "b": 2}, {"a": None, "c": 3})
        {'b': 2, 'c': 3}
        >>> merge_metadata({"a": 1}, {"a": None}) is None
        True
    """
    if update is None:
        return current
    merged = {**(current or {}), **update}
    return {k: v for k, v in merged.items() if v is not None} or None


def apply_change(row: Row | None, change: Change, seq: int) -> Row | None:
    """The record after ``change``; a change to a missing record creates it (upsert)."""
    if row is None:
        if change.embedding is None:
            return None  # nothing to create a record from
        return Row(
            id=change.id,
            seq=seq,
            embedding=change.embedding,
            document=change.document,
            uri=change.uri,
            metadata=merge_metadata(None, change.metadata),
        )
    return replace(
        row,
        embedding=row.embedding if change.embedding is None else change.embedding,
        document=row.document if change.document is None else change.document,
        uri=row.uri if change.uri is None else change.uri,
        metadata=merge_metadata(row.metadata, change.metadata),
    )


RESERVED_PREFIX = "chroma:"


def returned_metadata(row: Row) -> dict[str, Any] | None:
    """The metadata Chroma returns: its internal ``chroma:`` keys hidden (they stay filterable).

    Chroma keeps a record's uri among its metadata, so a record with a uri, or with only
    internal keys, reads back as ``{}`` rather than None.
    """
    if row.metadata is None:
        return {} if row.uri is not None else None
    return {k: v for k, v in row.metadata.items() if not k.startswith(RESERVED_PREFIX)}
