"""Results as pandas DataFrames, at chromadb's path (``chromadb.utils.results``).

pandas is imported when a conversion runs; chromalake does not install it.
"""

from __future__ import annotations

from typing import Any

from chromalake.types import GetResult, QueryResult


def _column(field: str, value: Any) -> tuple[str, Any]:
    """A DataFrame column: the field's singular name; embeddings as lists of floats."""
    if field == "embeddings" and len(value) and hasattr(value[0], "tolist"):
        value = [row.tolist() for row in value]
    return field.rstrip("s"), value


def _frame(ids: list[str], fields: dict[str, Any]) -> Any:
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError("pandas is required to convert results to DataFrames.") from exc
    data = {"id": ids}
    data.update(_column(field, value) for field, value in fields.items() if value is not None)
    return pd.DataFrame(data).set_index("id")


def query_result_to_dfs(query_result: QueryResult) -> list[Any]:
    """One DataFrame per query, indexed by id, with a column per included field.

    Example:
        >>> result = {"ids": [["a"]], "distances": [[0.5]], "included": ["distances"]}
        >>> query_result_to_dfs(result)[0].to_dict()
        {'distance': {'a': 0.5}}
    """
    frames = []
    for i, ids in enumerate(query_result["ids"]):
        fields: dict[str, Any] = {}
        for field in query_result["included"]:
            value = query_result.get(field)
            fields[field] = None if value is None else value[i]
        frames.append(_frame(ids, fields))
    return frames


def get_result_to_df(get_result: GetResult) -> Any:
    """The records of a ``get`` as one DataFrame, indexed by id.

    Example:
        >>> result = {"ids": ["a"], "documents": ["x"], "included": ["documents"]}
        >>> get_result_to_df(result).to_dict()
        {'document': {'a': 'x'}}
    """
    fields: dict[str, Any] = {field: get_result.get(field) for field in get_result["included"]}
    return _frame(get_result["ids"], fields)
