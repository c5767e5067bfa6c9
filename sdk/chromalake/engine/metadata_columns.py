"""User metadata as Lance columns that Lance can filter without Python.

A record's metadata is stored six ways:

* ``metadata`` (utf8): the whole dict as JSON text, to return it exactly (``1`` vs ``1.0``).
* ``m_int``, ``m_float``, ``m_str``, ``m_bool`` (Lance JSON): one object per scalar type,
  holding only that type's keys. Lance's ``json_get_int(col, 'k')`` raises InvalidCast on a
  value of another type, so a single mixed object could not be filtered safely; with one
  column per type every ``json_get_*`` is type-exact and gives NULL for a missing key.
* ``m_tokens`` (list<utf8>): one token per element of each array value (see :func:`token`),
  so array membership (``$contains``) is ``array_has(m_tokens, '<token>')``.

A column is NULL rather than ``{}`` / ``[]`` when it has nothing to hold, so a record without
metadata costs six nulls.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as _quote  # C speed-up; keeps non-ASCII as is
from typing import Any

import pyarrow as pa

METADATA = "metadata"
M_INT = "m_int"
M_FLOAT = "m_float"
M_STR = "m_str"
M_BOOL = "m_bool"
M_TOKENS = "m_tokens"

_JSON = pa.json_(pa.utf8())

METADATA_FIELDS: list[pa.Field] = [
    pa.field(METADATA, pa.utf8()),
    pa.field(M_INT, _JSON),
    pa.field(M_FLOAT, _JSON),
    pa.field(M_STR, _JSON),
    pa.field(M_BOOL, _JSON),
    pa.field(M_TOKENS, pa.list_(pa.utf8())),
]

# Type tags inside tokens; bool is its own type, as in Chroma (true never equals 1).
_TAG_STR, _TAG_INT, _TAG_FLOAT, _TAG_BOOL = "s", "i", "f", "b"
_SCALARS = (str, int, float, bool)


def _float_text(value: float) -> str:
    # repr is the shortest text that round-trips, so equal floats give equal tokens; the one
    # exception is -0.0, which Chroma stores (and compares) as 0.0.
    return "0.0" if value == 0.0 else float.__repr__(value)


def _scalar_text(value: int | float | bool) -> str:
    """An int, float or bool as JSON (and token) text."""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, float):
        return _float_text(value)
    return int.__repr__(value)


def token(key: str, value: str | int | float | bool) -> str:
    """The ``m_tokens`` entry saying "array ``key`` has element ``value``".

    The key is length-prefixed, so no key/value pair can forge another's token, and the
    value carries its type, so ``1``, ``1.0``, ``True`` and ``"1"`` never collide.

    Example:
        >>> token("tags", "a"), token("n", 1), token("n", 1.0), token("n", True)
        ('4:tagss:a', '1:ni:1', '1:nf:1.0', '1:nb:true')
    """
    if isinstance(value, str):
        return f"{len(key)}:{key}{_TAG_STR}:{str.__str__(value)}"
    if isinstance(value, bool):
        tag = _TAG_BOOL
    else:
        tag = _TAG_FLOAT if isinstance(value, float) else _TAG_INT
    return f"{len(key)}:{key}{tag}:{_scalar_text(value)}"


def _float_json(value: float) -> str:
    """The JSON text of a float, as json.dumps writes it (NaN/Infinity included)."""
    if math.isfinite(value):
        return _float_text(value)
    if value != value:
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


class _Record:
    """One record's metadata as JSON fragments (``"key":value``), sorted by column.

    Building the JSON texts from fragments is ~3x faster than five json.dumps calls per
    record, and writes floats exactly as json.dumps does (``float.__repr__``).
    """

    __slots__ = ("all", "bools", "floats", "ints", "strs", "tokens")

    def __init__(self) -> None:
        self.all: list[str] = []
        self.ints: list[str] = []
        self.floats: list[str] = []
        self.strs: list[str] = []
        self.bools: list[str] = []
        self.tokens: list[str] = []


def _record(metadata: Mapping[str, Any]) -> _Record:
    record = _Record()
    for key, value in metadata.items():
        _add(record, key, value)
    return record


def _add(record: _Record, key: str, value: Any) -> None:
    name = _quote(key) + ":"
    kind = type(value)
    # Exact type checks first (the common case); bool before int: bool subclasses int.
    if kind is str:
        fragment = name + _quote(value)
        record.strs.append(fragment)
    elif kind is bool:
        fragment = name + ("true" if value else "false")
        record.bools.append(fragment)
    elif kind is int:
        fragment = name + int.__repr__(value)
        record.ints.append(fragment)
    elif kind is float:
        fragment = name + _float_json(value)
        if math.isfinite(value):  # Lance's JSON parser rejects NaN/Infinity
            record.floats.append(fragment)
    elif kind is list:
        fragment = name + _array(record, key, value)
    elif kind is dict and value.get("#type") == "sparse_vector":
        # A sparse vector: kept in the whole-metadata text only (sparse $knn reads it from
        # there; no where clause can name it).
        fragment = name + json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    else:
        _add(record, key, _normalised(key, value))
        return
    record.all.append(fragment)


def _normalised(key: str, value: Any) -> Any:
    """A subclass of a supported type (numpy.float64, a str enum, a tuple) as the base type."""
    if isinstance(value, str):
        return str.__str__(value)  # the value itself: str() of a str-mixin Enum is its name
    for base in (bool, int, float):
        if isinstance(value, base):
            return base(value)
    if isinstance(value, Sequence):
        return list(value)
    raise TypeError(f"Unsupported metadata value for key {key!r}: {value!r}")


def _array(record: _Record, key: str, values: Sequence[Any]) -> str:
    """The JSON text of an array value; also adds its elements' tokens (as :func:`token`)."""
    prefix = f"{len(key)}:{key}"
    texts: list[str] = []
    tokens = record.tokens
    for raw in values:
        element = raw if type(raw) in _SCALARS else _normalised(key, raw)
        kind = type(element)
        if kind is str:
            texts.append(_quote(element))
            tokens.append(f"{prefix}{_TAG_STR}:{element}")
            continue
        if kind is float:
            text = _float_json(element)
            tag = _TAG_FLOAT
        elif kind is int:
            text = int.__repr__(element)
            tag = _TAG_INT
        elif kind is bool:
            text = "true" if element else "false"
            tag = _TAG_BOOL
        else:
            raise TypeError(f"Unsupported metadata list element for key {key!r}: {raw!r}")
        texts.append(text)
        if tag != _TAG_FLOAT or math.isfinite(element):
            # No clause can name NaN/inf (JSON, Chroma's wire format, has neither).
            tokens.append(f"{prefix}{tag}:{text}")
    return "[" + ",".join(texts) + "]"


def _object(fragments: list[str]) -> str | None:
    return "{" + ",".join(fragments) + "}" if fragments else None


def encode_metadatas(metadatas: Sequence[Mapping[str, Any] | None]) -> dict[str, pa.Array]:
    """The six metadata columns for ``metadatas`` (one entry per record), keyed by column name.

    None and ``{}`` both become a record without metadata (every column NULL).

    Example:
        >>> cols = encode_metadatas([{"a": 1, "b": 1.5, "d": True, "t": [1, 2]}, None])
        >>> cols["metadata"].to_pylist()
        ['{"a":1,"b":1.5,"d":true,"t":[1,2]}', None]
        >>> cols["m_tokens"].to_pylist()
        [['1:ti:1', '1:ti:2'], None]
    """
    texts: list[str | None] = []
    ints: list[str | None] = []
    floats: list[str | None] = []
    strs: list[str | None] = []
    bools: list[str | None] = []
    tokens: list[list[str] | None] = []
    for metadata in metadatas:
        if not metadata:
            for column in (texts, ints, floats, strs, bools, tokens):
                column.append(None)
            continue
        record = _record(metadata)
        texts.append(_object(record.all))
        ints.append(_object(record.ints))
        floats.append(_object(record.floats))
        strs.append(_object(record.strs))
        bools.append(_object(record.bools))
        tokens.append(record.tokens or None)
    return {
        METADATA: pa.array(texts, pa.utf8()),
        M_INT: _json_array(ints),
        M_FLOAT: _json_array(floats),
        M_STR: _json_array(strs),
        M_BOOL: _json_array(bools),
        M_TOKENS: pa.array(tokens, pa.list_(pa.utf8())),
    }


def _json_array(texts: list[str | None]) -> pa.Array:
    # pa.array cannot build an extension array directly; wrap the utf8 storage instead.
    return pa.ExtensionArray.from_storage(_JSON, pa.array(texts, pa.utf8()))


def decode_metadatas(
    column: pa.Array | pa.ChunkedArray | Sequence[str | None],
) -> list[dict[str, Any] | None]:
    """The user metadata of each record, from the ``metadata`` column (None stays None).

    Example:
        >>> decode_metadatas(['{"a":1,"b":1.0}', None])
        [{'a': 1, 'b': 1.0}, None]
    """
    texts = column.to_pylist() if isinstance(column, pa.Array | pa.ChunkedArray) else column
    loads = json.loads
    return [None if text is None else loads(text) for text in texts]
