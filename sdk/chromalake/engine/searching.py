"""Chroma's Search API over a collection: filter, rank, group, page, select.

The steps run in Chroma's order. The filter (the ``where`` grammar plus ``#id``) is compiled to
one Lance predicate and applied first, as a prefilter of every ``$knn``. Each ``$knn`` leaf
gives its top ``limit`` records: on ``#embedding`` through the same exact / ANN path as
``query``; on ``#document`` with a text query (chromalake's extension) through Lance's BM25
full-text index, its relevance negated so that lower is better as in every Chroma score; with a
sparse query on a metadata key, over the sparse vectors stored there
(:mod:`chromalake.engine.sparse`, as Chroma Cloud serves sparse indexes). The
rank expression combines them (:mod:`chromalake.engine.ranking`). Without a rank, records come
in insertion order and have no score. Then group_by keeps the best ``k`` of each group, and
offset / limit cut the page whose selected fields are read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from chromalake import validation
from chromalake.engine.columns import ID, SEQ, ids_predicate
from chromalake.engine.filters import Node, parse_where, with_id_keys
from chromalake.engine.metadata_columns import METADATA, decode_metadatas
from chromalake.engine.ranking import evaluate, ranked
from chromalake.engine.rows import Row, returned_metadata
from chromalake.engine.sparse import sparse_hits
from chromalake.errors import InvalidArgumentError
from chromalake.records import CollectionRecord, SearchHits
from chromalake.search.payload import (
    DOCUMENT,
    EMBEDDING,
    SCORE,
    GroupBy,
    Knn,
    SearchShapeError,
    SearchSpec,
    knn_leaves,
    parse_search,
)
from chromalake.search.payload import METADATA as METADATA_KEY

if TYPE_CHECKING:
    from chromalake.engine.store import LanceStore


class Engine(Protocol):
    """What the Search API needs of the engine that runs it (``engine.Engine``, which
    imports this module: a protocol rather than an import back)."""

    store: LanceStore

    def predicate(self, coll: CollectionRecord, node: Node | None) -> str | None: ...

    def nearest(
        self,
        coll: CollectionRecord,
        query_embeddings: Sequence[npt.NDArray[np.float32]],
        n_results: int,
        ids: Sequence[str] | None,
        predicate: str | None,
    ) -> list[tuple[list[str], list[float]]]: ...

    def fields(
        self, coll: CollectionRecord, ids: list[str], include: Sequence[str]
    ) -> dict[str, Row]: ...


def parse_searches(searches: Sequence[Any]) -> list[SearchSpec]:
    """Every payload of a request, a bad one reported with its serde path."""
    try:
        return [parse_search(s, ["searches", n]) for n, s in enumerate(searches)]
    except SearchShapeError as e:
        raise InvalidArgumentError(str(e)) from None


def _predicate(engine: Engine, coll: CollectionRecord, where: dict[str, Any] | None) -> str | None:
    """The Lance predicate of a Search filter (the where grammar plus ``#id``)."""
    return None if where is None else engine.predicate(coll, with_id_keys(parse_where(where)))


def _knn_hits(
    engine: Engine, coll: CollectionRecord, knn: Knn, predicate: str | None
) -> list[tuple[str, float]]:
    """One ``$knn`` leaf's records, best first, with their measure (lower is better)."""
    if knn.key == EMBEDDING and isinstance(knn.query, tuple):
        if coll.dimension is None:
            return []
        validation.validate_dimension(coll.dimension, len(knn.query))
        query = np.asarray(knn.query, dtype=np.float32)
        ((ids, distances),) = engine.nearest(coll, [query], knn.limit, None, predicate)
        return list(zip(ids, distances, strict=True))
    if knn.key == DOCUMENT and isinstance(knn.query, str):
        found = engine.store.full_text(coll, knn.query, knn.limit, predicate)
        if found is None:
            return []
        columns = (found[ID].to_pylist(), found[SEQ].to_pylist(), found["_score"].to_pylist())
        rows = sorted(zip(*columns, strict=True), key=lambda r: (-r[2], r[1]))
        return [(str(i), -float(score)) for i, _, score in rows]
    if isinstance(knn.query, Mapping):
        return sparse_hits(engine.store, coll, knn.key, knn.query, knn.limit, predicate)
    if knn.key == DOCUMENT:
        raise InvalidArgumentError("A $knn on #document takes a text query")
    if knn.key == EMBEDDING:
        raise InvalidArgumentError("A $knn on #embedding takes a dense vector query")
    raise InvalidArgumentError(
        f"A $knn on metadata key '{knn.key}' takes a sparse vector query; dense vectors are "
        "searched on #embedding"
    )


def _order_key(value: Any, smallest: bool) -> tuple[int, int, Any]:
    """A sortable form of a metadata value or score. A record without the key comes after
    the others both ways: sorted ascending for ``$min_k``, descending for ``$max_k``."""
    if value is None:
        return (1 if smallest else -1, 0, 0)
    if isinstance(value, bool):
        return (0, 0, int(value))
    if isinstance(value, int | float | np.floating):
        return (0, 1, float(value))
    return (0, 2, str(value))


def _grouped(
    order: list[str],
    group_by: GroupBy,
    metadata: dict[str, dict[str, Any] | None],
    scores: dict[str, np.float32] | None,
) -> list[str]:
    """The best ``k`` records of each group (by the aggregate keys), in the given order."""

    def value(record_id: str, key: str) -> Any:
        if key == SCORE:
            return None if scores is None else float(scores[record_id])
        return (metadata.get(record_id) or {}).get(key)

    def hashable(v: Any) -> Any:
        return tuple(v) if isinstance(v, list) else (type(v).__name__, v)

    groups: dict[tuple[Any, ...], list[str]] = {}
    for record_id in order:
        key = tuple(hashable(value(record_id, k)) for k in group_by.keys)
        groups.setdefault(key, []).append(record_id)
    aggregate = group_by.aggregate
    kept: set[str] = set()
    for members in groups.values():
        best = sorted(
            members,
            key=lambda i: tuple(
                _order_key(value(i, k), aggregate.smallest) for k in aggregate.keys
            ),
            reverse=not aggregate.smallest,
        )
        kept.update(best[: aggregate.k])
    return [i for i in order if i in kept]


def _metadata_column(
    rows: dict[str, Row], page: list[str], select: set[str]
) -> list[dict[str, Any] | None]:
    fields = {k for k in select if not k.startswith("#")}
    out: list[dict[str, Any] | None] = []
    for record_id in page:
        shown = returned_metadata(rows[record_id])
        if METADATA_KEY not in select and shown is not None:
            shown = {k: v for k, v in shown.items() if k in fields}
        out.append(shown)
    return out


def _order_columns(
    engine: Engine, coll: CollectionRecord, predicate: str | None, with_metadata: bool
) -> tuple[dict[str, int], dict[str, dict[str, Any] | None]]:
    """Insertion sequence (and, for group_by, metadata) of the records ``predicate`` picks."""
    columns = [ID, SEQ, METADATA] if with_metadata else [ID, SEQ]
    table = engine.store.select(coll, predicate, columns)
    if table is None:
        return {}, {}
    ids = [str(i) for i in table[ID].to_pylist()]
    seqs = dict(zip(ids, table[SEQ].to_pylist(), strict=True))
    if not with_metadata:
        return seqs, {}
    return seqs, dict(zip(ids, decode_metadatas(table[METADATA]), strict=True))


def _cached_seqs(engine: Engine, coll: CollectionRecord, ids: list[str]) -> dict[str, int] | None:
    """Insertion sequences from the exact-search snapshot a small collection keeps in memory
    (no Lance read); None for an indexed collection, which keeps no snapshot."""
    if engine.store.vector_index(coll) is not None:
        return None
    snap = engine.store.snapshot(coll)
    if snap is None:
        return {}
    return {i: int(snap.seqs[snap.positions[i]]) for i in ids if i in snap.positions}


def run_search(engine: Engine, coll: CollectionRecord, spec: SearchSpec) -> SearchHits:
    """One search over ``coll``: see the module docstring for the steps."""
    predicate = _predicate(engine, coll, spec.filter)
    scores: dict[str, np.float32] | None = None
    grouped = spec.group_by is not None
    if spec.rank is None:
        seqs, metadata = _order_columns(engine, coll, predicate, grouped)
        order = sorted(seqs, key=lambda i: seqs[i])
    else:
        hits = [_knn_hits(engine, coll, leaf, predicate) for leaf in knn_leaves(spec.rank)]
        # Only records some $knn returned are scored, and every $knn ran behind the filter;
        # their sequences break ties, as Chroma's offset ids do.
        scores = evaluate(spec.rank, hits)
        cached = None if grouped else _cached_seqs(engine, coll, list(scores))
        if cached is not None:
            seqs, metadata = cached, {}
        else:
            among = ids_predicate(list(scores)) if scores else "false"
            seqs, metadata = _order_columns(engine, coll, among, grouped)
        order = [i for i in ranked(scores, seqs) if i in seqs]  # a record deleted meanwhile
    if spec.group_by is not None:
        order = _grouped(order, spec.group_by, metadata, scores)
    end = None if spec.limit is None else spec.offset + spec.limit
    page = order[spec.offset : end]
    return _selected(engine, coll, spec, page, scores)


def _selected(
    engine: Engine,
    coll: CollectionRecord,
    spec: SearchSpec,
    page: list[str],
    scores: dict[str, np.float32] | None,
) -> SearchHits:
    select = set(spec.select)
    wants_metadata = METADATA_KEY in select or any(not k.startswith("#") for k in select)
    needs_rows = bool(select & {DOCUMENT, EMBEDDING}) or wants_metadata
    rows = engine.fields(coll, page, ["documents", "embeddings", "metadatas"]) if needs_rows else {}
    if needs_rows:
        page = [i for i in page if i in rows]  # a record deleted by a concurrent writer

    def score(record_id: str) -> float | None:
        value = None if scores is None else float(scores[record_id])
        return value if value is not None and np.isfinite(value) else None

    return SearchHits(
        ids=page,
        documents=[rows[i].document for i in page] if DOCUMENT in select else None,
        embeddings=([rows[i].embedding.tolist() for i in page] if EMBEDDING in select else None),
        metadatas=_metadata_column(rows, page, select) if wants_metadata else None,
        scores=[score(i) for i in page] if SCORE in select else None,
        select=spec.sorted_select,
    )


__all__ = ["parse_searches", "run_search"]
