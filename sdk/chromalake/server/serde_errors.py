"""pydantic's complaint about a JSON body, worded as serde words it in Chroma's server.

Chroma answers a body of the wrong shape with 422 and serde's message, e.g.
``configuration.hnsw.space: unknown variant `x`, expected one of `l2`, `cosine`, `ip` at line
1 column 58``. chromadb's clients show that message to users, so chromalake's server builds
the same one: serde's path (``metadatas[0].k``), its description of the value, and the
position where it stopped reading in the raw body (:mod:`chromalake.server.json_spans`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from chromalake.collection_config import HNSW_CREATE_KEYS, HNSW_UPDATE_KEYS, SPANN_UPDATE_KEYS
from chromalake.search.words import unexpected
from chromalake.server.json_spans import locate, position

# serde's deny_unknown_fields lists the fields of the struct, in declaration order.
_CLOSED_FIELDS = {
    "hnsw": HNSW_CREATE_KEYS,
    "spann": (
        "search_nprobe",
        "write_nprobe",
        "space",
        "ef_construction",
        "ef_search",
        "max_neighbors",
        "reassign_neighbor_count",
        "split_threshold",
        "merge_threshold",
    ),
    "update_hnsw": HNSW_UPDATE_KEYS,
    "update_spann": SPANN_UPDATE_KEYS,
}
# Chroma's Rust integer type per field (the rest of the unsigned fields are usize).
_U32_FIELDS = frozenset(
    {
        "limit",
        "offset",
        "n_results",
        "search_nprobe",
        "write_nprobe",
        "reassign_neighbor_count",
        "split_threshold",
        "merge_threshold",
    }
)
_METADATA_FIELDS = {"metadata": 1, "new_metadata": 1, "metadatas": 2}
_VECTOR_FIELDS = frozenset({"embeddings", "query_embeddings"})
# How pydantic names the members of a union in an error's location (``int``, ``list[int]``).
_UNION_TAG = re.compile(r"^(int|float|str|bool|none)$|\[")


def _without_union_tags(path: list[Any], body: str | None) -> list[Any]:
    """The location in the body: pydantic appends the union member that failed."""
    while (
        path
        and isinstance(path[-1], str)
        and _UNION_TAG.search(path[-1])
        and (body is None or locate(body, path) is None)
    ):
        path = path[:-1]
    return path


def serde_path(path: Sequence[Any]) -> str:
    """serde's path: fields joined by dots, indices in brackets.

    Example:
        >>> serde_path(["metadatas", 0, "k"])
        'metadatas[0].k'
    """
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _untagged_enum(path: list[Any], route: str) -> tuple[list[Any], str] | None:
    """A value that matched no variant of one of Chroma's untagged enums (a metadata value,
    a batch of embeddings): its path and serde's message."""
    if path and path[0] == "embeddings" and len(path) > 1 and isinstance(path[1], str):
        enum = "UpdateEmbeddingsPayload" if route == "update" else "EmbeddingsPayload"
    else:
        depth = _METADATA_FIELDS.get(str(path[0])) if path else None
        if depth is None or len(path) <= depth:
            return None
        path = path[: depth + 1]
        update = route in ("update", "upsert") and path[0] == "metadatas"
        enum = "UpdateMetadataValue" if update else "MetadataValue"
    return path[:1] if path[0] == "embeddings" else path, (
        f"data did not match any variant of untagged enum {enum}"
    )


def _closed_struct(path: list[Any]) -> tuple[str, ...]:
    update = path[0] == "new_configuration"
    return _CLOSED_FIELDS[("update_" if update else "") + str(path[-2])]


def _integer_type(path: list[Any]) -> str:
    return "u32" if path and path[-1] in _U32_FIELDS else "usize"


def _expected_type(kind: str, path: list[Any]) -> str:
    if path and path[0] in _VECTOR_FIELDS:
        return "f32"
    if kind.startswith("int") or kind in ("greater_than_equal", "less_than_equal"):
        return _integer_type(path)
    return {
        "string_type": "a string",
        "bool_type": "a boolean",
        "list_type": "a sequence",
        "dict_type": "a map",
        "float_type": "f32",
    }.get(kind, "a valid value")


def _describe(problem: dict[str, Any], path: list[Any]) -> tuple[str, str]:
    """(serde's detail, which end of the span it is reported at: "key", "end" or "after")."""
    kind = str(problem.get("type", ""))
    value = problem.get("input")
    if kind == "extra_forbidden":
        fields = ", ".join(f"`{f}`" for f in _closed_struct(path))
        return f"unknown field `{path[-1]}`, expected one of {fields}", "key"
    if kind in ("literal_error", "enum"):
        expected = re.findall(r"'([^']*)'", str(problem.get("ctx", {}).get("expected", "")))
        variants = ", ".join(f"`{v}`" for v in expected)
        return f"unknown variant `{value}`, expected one of {variants}", "end"
    if kind == "missing":
        return f"missing field `{path[-1]}`", "parent"
    if kind in ("greater_than_equal", "less_than_equal") or (
        kind == "int_from_float" and isinstance(value, int)
    ):
        return f"invalid value: {unexpected(value)}, expected {_expected_type(kind, path)}", "end"
    return f"invalid type: {unexpected(value)}, expected {_expected_type(kind, path)}", "end"


# The payload struct of each route with a body, by its last path segment (Chroma's names);
# the two routes that end in a name or an id have their method to themselves.
_STRUCTS_BY_METHOD = {"PATCH": "UpdateTenantPayload", "PUT": "UpdateCollectionPayload"}
_STRUCTS = {
    ("POST", "tenants"): "CreateTenantPayload",
    ("POST", "databases"): "CreateDatabasePayload",
    ("POST", "collections"): "CreateCollectionPayload",
    ("POST", "add"): "AddCollectionRecordsPayload",
    ("POST", "update"): "UpdateCollectionRecordsPayload",
    ("POST", "upsert"): "UpsertCollectionRecordsPayload",
    ("POST", "delete"): "DeleteCollectionRecordsPayload",
    ("POST", "get"): "GetRequestPayload",
    ("POST", "query"): "QueryRequestPayload",
    ("POST", "fork"): "ForkCollectionPayload",
    ("POST", "search"): "SearchRequestPayload",
}


def _whole_body(problem: dict[str, Any], body: str | None, method: str, route: str) -> str:
    """serde's message when the body itself is not an object (``null``, ``5``, ``"x"``)."""
    struct = _STRUCTS.get((method, route)) or _STRUCTS_BY_METHOD.get(method, "payload")
    detail = f"invalid type: {unexpected(problem.get('input'))}, expected struct {struct}"
    span = locate(body, []) if isinstance(body, str) else None
    return detail + (position(body, span.end) if span is not None and body else "")


def shape_error(
    problem: dict[str, Any], body: str | None, route: str = "", method: str = "POST"
) -> str:
    """``path: detail at line L column C`` for pydantic's first problem with a JSON body.

    ``route``: the last segment of the request path (``add``, ``update``, ``upsert``...),
    which decides the Rust type serde names.

    Example:
        >>> body = '{"name":"c","configuration":{"hnsw":{"space":"x"}}}'
        >>> problem = {"type": "literal_error", "loc": ("body", "configuration", "hnsw",
        ...     "space"), "input": "x", "ctx": {"expected": "'l2', 'cosine' or 'ip'"}}
        >>> shape_error(problem, body)
        'configuration.hnsw.space: unknown variant `x`, expected one of `l2`, `cosine`, `ip` at line 1 column 48'
    """  # noqa: E501
    loc = list(problem.get("loc", ()))[1:]
    if not loc:
        return _whole_body(problem, body, method, route)
    enum = _untagged_enum(loc, route)
    path = _without_union_tags(loc, body)
    if enum is not None:
        path, detail = enum
        anchor = "after"
    else:
        detail, anchor = _describe(problem, path)
    where = serde_path(path[:-1] if anchor == "parent" else path)
    message = f"{where}: {detail}" if where else detail
    return message + _position(body, path, anchor)


def _position(body: str | None, path: list[Any], anchor: str) -> str:
    if not isinstance(body, str):
        return ""
    span = locate(body, path[:-1] if anchor == "parent" else path)
    if span is None:
        return ""
    offset = {"key": span.key_end, "end": span.end, "after": span.end + 1}.get(anchor, span.end)
    return position(body, offset if offset is not None else span.end)


def at_path(body: str | None, path: Sequence[Any]) -> str:
    """serde's " at line L column C" after the value at ``path`` of the raw body ("" when
    the body or the value cannot be found)."""
    return _position(body, list(path), "end")


# A JSON string (to its closing quote, which group 1 holds unless the text ends first), or
# a structural character; whatever else (numbers, literals, spaces) lies between is skipped.
_STRING_OR_MARK = re.compile(r'"(?:[^"\\]|\\.)*("?)|[\[\]{},:]', re.DOTALL)


def invalid_unicode(text: str, bad: int) -> tuple[str, int] | None:
    """serde's complaint about the JSON string holding character ``bad`` of ``text`` (a
    body decoded with ``surrogateescape``: ``bad`` is its first byte that is not UTF-8),
    and where that string starts; None when ``bad`` is in no string.

    serde_json reads a string to its closing quote, then finds it is not UTF-8. It names
    the string's path: an object key's is its object's path and ``?`` (none at the top
    level), as serde_path_to_error writes it; and the closing quote's position, counted
    in bytes.

    Example:
        >>> body = b'{"ids": ["a", "b\\xff"], "where": {"k\\xff": 1}}'
        >>> text = body.decode("utf-8", "surrogateescape")
        >>> invalid_unicode(text, text.index("\\udcff"))
        ('ids[1]: invalid unicode code point at line 1 column 18', 14)
        >>> invalid_unicode(text, text.rindex("\\udcff"))
        ('where.?: invalid unicode code point at line 1 column 35', 31)
    """
    frames: list[list[Any]] = []  # per open container: [is an object, key or index, key next]
    for token in _STRING_OR_MARK.finditer(text):
        mark = token.group()
        top = frames[-1] if frames else None
        if mark[0] == '"':
            is_key = top is not None and top[0] and top[2]
            if token.start() <= bad < token.end():
                steps = [frame[1] for frame in (frames[:-1] if is_key else frames)]
                where = serde_path(steps) + (".?" if steps else "") if is_key else serde_path(steps)
                prefix = f"{where}: " if where else ""
                if not token.group(1):  # no closing quote: the text ended inside the string
                    return (
                        f"{prefix}EOF while parsing a string{_at(text, len(text))}",
                        token.start(),
                    )
                return f"{prefix}invalid unicode code point{_at(text, token.end())}", token.start()
            if is_key and top is not None:
                top[1] = mark[1:-1]  # a key (JSON escapes in it kept as written)
        elif mark in "[{":
            frames.append([mark == "{", None if mark == "{" else 0, True])
        elif mark in "]}":
            if frames:
                frames.pop()
        elif top is not None and mark == ":":
            top[2] = False
        elif top is not None:  # a comma: the next key, or the next item
            if top[0]:
                top[2] = True
            else:
                top[1] += 1
    return None


def _at(text: str, end: int) -> str:
    """serde's " at line L column C" for the character before ``end``, counting bytes."""
    line_start = text.rfind("\n", 0, end) + 1
    column = len(text[line_start:end].encode("utf-8", "surrogateescape"))
    return f" at line {text.count(chr(10), 0, end) + 1} column {column}"
