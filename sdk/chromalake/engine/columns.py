"""The columns of a collection's Lance dataset, its Arrow schema, and small helpers on them.

``store`` (which moves the rows in and out of Lance) and ``snapshot`` (the rows a process
holds in memory) both speak this vocabulary; ``store`` re-exports it for its callers.

Example:
    >>> record_schema(3).field(EMBEDDING).type
    FixedSizeListType(fixed_size_list<item: float>[3])
    >>> ids_predicate(["a", "b"])
    "id IN ('a', 'b')"
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from chromalake.engine.filters import sql_literal
from chromalake.engine.metadata_columns import METADATA, METADATA_FIELDS

ID, SEQ, EMBEDDING, DOCUMENT, URI = "id", "seq", "embedding", "document", "uri"
# A record's revision: a fresh random number when it is inserted, one more on every update.
# An update is written only where the stored revision is still the one its writer read, so
# a writer that merged metadata into a stale copy never overwrites another's newer work
# (Lance re-checks the condition when it retries a commit that lost a race).
REV = "rev"
# The columns a record is read back from (REV aside: only writers need it).
ALL_COLUMNS = [ID, SEQ, EMBEDDING, DOCUMENT, URI, METADATA]
# What a record holds besides its id, sequence and embedding: what `get` and the results of
# a query return as documents, uris and metadatas.
FIELD_COLUMNS = [DOCUMENT, URI, METADATA]

# Declaring `id` as the unenforced primary key makes Lance detect concurrent inserts of one
# new id (lance-notes §2: without it, racing upserts duplicate rows).
_PRIMARY_KEY = {"lance-schema:unenforced-primary-key:position": "1"}


def record_schema(dimension: int) -> pa.Schema:
    """The Arrow schema of a collection whose embeddings have ``dimension`` floats."""
    return pa.schema(
        [
            pa.field(ID, pa.utf8(), nullable=False, metadata=_PRIMARY_KEY),
            pa.field(SEQ, pa.int64(), nullable=False),
            pa.field(EMBEDDING, pa.list_(pa.float32(), dimension), nullable=False),
            pa.field(DOCUMENT, pa.utf8()),
            pa.field(URI, pa.utf8()),
            *METADATA_FIELDS,
            pa.field(REV, pa.int64()),  # last: where older tables get it (_with_revisions)
        ]
    )


def embedding_matrix(table: pa.Table) -> npt.NDArray[np.float32]:
    """The embedding column of Arrow rows as one contiguous (rows x dimension) float32 matrix."""
    dimension = table.schema.field(EMBEDDING).type.list_size
    flat = table[EMBEDDING].combine_chunks().flatten().to_numpy(zero_copy_only=False)
    return np.ascontiguousarray(flat, dtype=np.float32).reshape(-1, dimension)


def ids_predicate(ids: list[str]) -> str:
    return f"{ID} IN ({', '.join(sql_literal(i) for i in ids)})" if ids else "false"
