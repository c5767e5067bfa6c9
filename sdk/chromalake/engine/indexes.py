"""ANN index parameters, derived from a collection's HNSW configuration and its size.

Pure functions: which Lance IVF index to build and how to search it. Chroma's HNSW knobs map
onto Lance's IVF ones by what they trade:

- ``space`` (l2, cosine, ip) is Lance's ``distance_type`` (l2, cosine, dot): the same
  distances.
- ``ef_search`` (100) is the one recall knob at query time, as in HNSW. It sets how many
  partitions are probed, partitions x ef_search / 500 (a fifth at the default, all from
  500 up; at least 4), and the refine factor, ceil(ef_search / k) for IVF_PQ (its codes are
  coarse: HNSW keeps ef candidates, refine re-ranks k x factor on full vectors) and a quarter
  of that for IVF_SQ, whose 8-bit codes already rank almost exactly.
- ``max_neighbors`` (M=16) sets IVF_PQ's sub-vectors to dimension x M / 128: more links cost
  more memory per vector in HNSW, more bytes per code here.

Partitions follow the collection's size (one per ~4,096 rows, Lance's own IVF target), and the
index records the count it was trained with in its name, so maintenance knows when the
collection has outgrown its centroids.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

INDEX_TYPES = ("IVF_SQ", "IVF_PQ")
ROWS_PER_PARTITION = 4096
_NAME = re.compile(r"^embedding_(ivf_sq|ivf_pq)_p(\d+)$")
_DISTANCE = {"l2": "l2", "cosine": "cosine", "ip": "dot"}
_MIN_NPROBES = 4
_FULL_PROBE_EF = 500  # ef_search at which every partition is probed
_SQ_REFINE_SHARE = 4  # IVF_SQ needs a quarter of IVF_PQ's refine candidates


@dataclass(frozen=True)
class IndexPlan:
    """What to build: a Lance vector index on the embedding column."""

    index_type: str
    distance_type: str
    num_partitions: int
    num_sub_vectors: int

    @property
    def name(self) -> str:
        """The index name; it carries the type and partition count it was trained with.

        Example:
            >>> IndexPlan("IVF_SQ", "l2", 24, 48).name
            'embedding_ivf_sq_p24'
        """
        return f"embedding_{self.index_type.lower()}_p{self.num_partitions}"


@dataclass(frozen=True)
class SearchParams:
    """How to search the index: partitions probed (at least, at most) and the refine factor."""

    min_nprobes: int
    max_nprobes: int
    refine_factor: int


def distance_type(space: str) -> str:
    """Lance's name for a Chroma space.

    Example:
        >>> distance_type("ip")
        'dot'
    """
    return _DISTANCE[space]


def partitions_for(rows: int) -> int:
    """IVF partitions for a collection of ``rows`` rows.

    Example:
        >>> partitions_for(100_000), partitions_for(10)
        (24, 1)
    """
    return max(1, rows // ROWS_PER_PARTITION)


def _sub_vectors(dimension: int, max_neighbors: int) -> int:
    """The largest divisor of ``dimension`` at most dimension x M / 128 (PQ needs a divisor)."""
    target = max(1, dimension * max_neighbors // 128)
    return max(d for d in range(1, min(target, dimension) + 1) if dimension % d == 0)


def plan_index(
    hnsw: dict[str, Any], dimension: int, rows: int, index_type: str = "IVF_SQ"
) -> IndexPlan:
    """The index to build for a collection of ``rows`` vectors of ``dimension`` floats.

    Example:
        >>> plan = plan_index({"space": "cosine", "max_neighbors": 16}, 384, 100_000)
        >>> plan.distance_type, plan.num_partitions, plan.num_sub_vectors
        ('cosine', 24, 48)
    """
    if index_type not in INDEX_TYPES:
        raise ValueError(f"index type must be one of {INDEX_TYPES}, not {index_type!r}")
    return IndexPlan(
        index_type=index_type,
        distance_type=distance_type(str(hnsw.get("space", "l2"))),
        num_partitions=partitions_for(rows),
        num_sub_vectors=_sub_vectors(dimension, int(hnsw.get("max_neighbors", 16))),
    )


def search_params(
    hnsw: dict[str, Any], partitions: int, k: int, index_type: str = "IVF_SQ"
) -> SearchParams:
    """Probes and refine factor for a top-``k`` query on an index of ``partitions``.

    Lance probes ``min_nprobes`` partitions and, when a filter leaves too few rows there,
    more, up to all of them: a filtered query is never short of results the filter allows.

    Example:
        >>> search_params({"ef_search": 100}, 24, 10)
        SearchParams(min_nprobes=5, max_nprobes=24, refine_factor=3)
        >>> search_params({"ef_search": 100}, 24, 10, "IVF_PQ").refine_factor
        10
    """
    ef_search = int(hnsw.get("ef_search", 100))
    probes = max(_MIN_NPROBES, math.ceil(partitions * ef_search / _FULL_PROBE_EF))
    refine = math.ceil(ef_search / max(k, 1))
    if index_type == "IVF_SQ":
        refine = math.ceil(refine / _SQ_REFINE_SHARE)
    return SearchParams(
        min_nprobes=min(probes, partitions),
        max_nprobes=partitions,
        refine_factor=max(1, refine),
    )


def index_type_of(name: str) -> str:
    """The index type an index of ours was trained as (from its name).

    Example:
        >>> index_type_of("embedding_ivf_pq_p24")
        'IVF_PQ'
    """
    found = _NAME.match(name)
    return found.group(1).upper() if found else "IVF_SQ"


def trained_partitions(name: str) -> int | None:
    """The partition count an index of ours was trained with; None for other indexes.

    Example:
        >>> trained_partitions("embedding_ivf_sq_p24"), trained_partitions("id_idx")
        (24, None)
    """
    found = _NAME.match(name)
    return int(found.group(2)) if found else None


def outgrown(name: str, rows: int, growth: float) -> bool:
    """Whether a collection of ``rows`` has grown ``growth`` times past its index's training.

    Example:
        >>> name = "embedding_ivf_sq_p2"
        >>> outgrown(name, 40_000, 4.0), outgrown(name, 9_000, 4.0)
        (True, False)
    """
    trained = trained_partitions(name)
    if trained is None:
        return False
    return partitions_for(rows) >= trained * growth
