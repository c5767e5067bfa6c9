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


def _float_text(value: float) -> str:
    # repr is the shortest text that round-trips, so equal floats give equal tokens; the one
    # exception is -0.0, which Chroma stores (and compares) as 0.0.
    return "0.0" if value == 0.0 else repr(value)


def token(key: str, value: str | int | float | bool) -> str:
    """The ``m_tokens`` entry saying "array ``key`` has element ``value``".

    The key is length-prefixed, so no key/value pair can forge another's token, and the
    value carries its type, so ``1``, ``1.0``, ``True`` and ``"1"`` never collide.

    Example:
        >>> token("tags", "a"), token("n", 1), token("n", 1.0), token("n", True)
        ('4:tagss:a', '1:ni:1', '1:nf:1.0', '1:nb:true')
    """
    if isinstance(value, bool):
        return f"{len(key)}:{key}{_TAG_BOOL}:{'true' if value else 'false'}"
    if isinstance(value, int):
        return f"{len(key)}:{key}{_TAG_INT}:{value}"
    if isinstance(value, float):
        return f"{len(key)}:{key}{_TAG_FLOAT}:{_float_text(value)}"
    return f"{len(key)}:{key}{_TAG_STR}:{value}"


class _Split:
    """One record's metadata sorted into the per-type columns."""

    __slots__ = ("bools", "floats", "ints", "strs", "tokens", "zero_fixed")

    def __init__(self) -> None:
        self.ints: dict[str, int] = {}
        self.floats: dict[str, float] = {}
        self.strs: dict[str, str] = {}
        self.bools: dict[str, bool] = {}
        self.tokens: list[str] = []
        self.zero_fixed = False  # a -0.0 was seen (Chroma returns it as 0.0)


def _split_array(split: _Split, key: str, values: Sequence[Any]) -> None:
    for element in values:
        if isinstance(element, float):
            if not math.isfinite(element):
                continue  # no clause can name NaN/inf: JSON, Chroma's wire format, has neither
            if element == 0.0 and math.copysign(1.0, element) < 0:
                split.zero_fixed = True
        split.tokens.append(token(key, element))


def _split(metadata: Mapping[str, Any]) -> _Split:
    split = _Split()
    for key, value in metadata.items():
        kind = type(value)
        # Exact type checks first (the common case); isinstance fallback for subclasses such
        # as numpy.float64. bool must be tested before int: bool is a subclass of int.
        if kind is str:
            split.strs[key] = value
        elif kind is bool:
            split.bools[key] = value
        elif kind is int:
            split.ints[key] = value
        elif kind is float:
            _split_float(split, key, value)
        elif kind is list or kind is tuple:
            _split_array(split, key, value)
        else:
            _split_other(split, key, value)
    return split


def _split_float(split: _Split, key: str, value: float) -> None:
    if not math.isfinite(value):
        return  # Lance's JSON parser rejects NaN/Infinity; such a value can never be matched
    if value == 0.0 and math.copysign(1.0, value) < 0:
        split.zero_fixed = True
        value = 0.0
    split.floats[key] = value


def _split_other(split: _Split, key: str, value: Any) -> None:
    if isinstance(value, bool):
        split.bools[key] = bool(value)
    elif isinstance(value, int):
        split.ints[key] = int(value)
    elif isinstance(value, float):
        _split_float(split, key, float(value))
    elif isinstance(value, str):
        split.strs[key] = str(value)
    elif isinstance(value, Sequence):
        _split_array(split, key, value)
    else:
        raise TypeError(f"Unsupported metadata value for key {key!r}: {value!r}")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_or_none(part: Mapping[str, Any]) -> str | None:
    return _dumps(part) if part else None


def _without_negative_zero(metadata: Mapping[str, Any]) -> dict[str, Any]:
    # Chroma returns -0.0 as 0.0 (sqlite stores it so); mirror that in the returned metadata.
    def fix(value: Any) -> Any:
        if isinstance(value, float) and value == 0.0:
            return 0.0
        if isinstance(value, list):
            return [fix(v) for v in value]
        return value

    return {key: fix(value) for key, value in metadata.items()}


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
        split = _split(metadata)
        if split.zero_fixed:  # rare: rebuild only when a -0.0 was really seen
            metadata = _without_negative_zero(metadata)
        texts.append(_dumps(metadata))
        ints.append(_json_or_none(split.ints))
        floats.append(_json_or_none(split.floats))
        strs.append(_json_or_none(split.strs))
        bools.append(_json_or_none(split.bools))
        tokens.append(split.tokens or None)
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
