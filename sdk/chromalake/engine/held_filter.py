r"""Chroma ``where`` / ``where_document`` filters evaluated over the rows a process holds.

A serving process holds every row's document and metadata in memory (``Snapshot.fields``,
engine/snapshot.py). Evaluated there, a filter gives the matching snapshot positions in well
under a millisecond, where the Lance scan of the metadata costs milliseconds of fixed cost plus
reading every row's metadata; a filtered query then goes through the warm index (or exact
search) with those positions as its prefilter.

The clause is the tree :mod:`chromalake.engine.filters` parses, and every leaf means exactly
what its Lance predicate (``filters.to_sql``) means:

* a positive leaf is true only where the key holds a value of the leaf's type (the typed
  ``m_int`` / ``m_float`` / ``m_str`` / ``m_bool`` columns of metadata_columns.py, so bool is
  never an int and non-finite floats are never matched), numbers on both the int and the float
  side with the operands of :func:`filters.numeric_operands`;
* ``$ne``, ``$nin``, ``$not_contains`` and the negated document leaves are the complement of
  their positive leaf (SQL's ``NOT coalesce(positive, false)``: a missing key matches);
* array ``$contains`` compares the elements' :func:`metadata_columns.token`, as ``m_tokens``;
* nothing negates a composite, so SQL's NULLs act as false and boolean masks are exact.

Metadata is decoded from the whole-metadata JSON text (the one field column that holds it),
once per distinct text and per filtered key, and kept per snapshot.

Left to Lance (:func:`matching_positions` answers None): a ``$regex`` / ``$not_regex`` whose
pattern steps outside the syntax where pyarrow's RE2 and Lance's Rust regex crate agree (any
backslash escape, ``(?`` flags and groups, ``{}`` repetition, nested classes or class set
operations), a pattern RE2 refuses, and a key holding an integer beyond 64 bits.

Example:
    >>> from chromalake.engine.filters import parse_where, parse_where_document
    >>> from chromalake.engine.snapshot import snapshot_of
    >>> rows = pa.table({"id": ["a", "b"], "seq": [0, 1]})
    >>> fields = pa.table({"document": ["cat", None], "uri": [None, None],
    ...                    "metadata": ['{"n":1}', '{"n":2.5}']})
    >>> snap = snapshot_of(1, rows, np.eye(2, dtype=np.float32), None, fields=fields)
    >>> matching_positions(snap, parse_where({"n": {"$gt": 1}})).tolist()
    [1]
    >>> print(matching_positions(snap, parse_where_document({"$regex": "[0-9]+"})).tolist())
    []
    >>> print(matching_positions(snap, parse_where_document({"$regex": r"\d"})))
    None
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from chromalake.engine.columns import DOCUMENT
from chromalake.engine.filters import (
    ArrayContains,
    Compare,
    Composite,
    DocumentMatch,
    IdMatch,
    InSet,
    Node,
    numeric_operands,
    set_operands,
)
from chromalake.engine.metadata_columns import METADATA, token
from chromalake.engine.snapshot import Snapshot

Mask = npt.NDArray[np.bool_]
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1

_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "$eq": np.equal,
    "$ne": np.equal,  # then negated
    "$gt": np.greater,
    "$gte": np.greater_equal,
    "$lt": np.less,
    "$lte": np.less_equal,
}


class _Unfaithful(Exception):
    """A part of the clause this module cannot evaluate exactly as Lance does."""


I64 = npt.NDArray[np.int64]


@dataclass
class _Key:
    """One metadata key over the distinct metadata texts (the last one the "no metadata"
    row): each text's value of each type, and the tokens of its array's elements.

    Strings and tokens are codes into tables shared with the key of the next version (see
    :meth:`_Held.key`), so that equal values keep equal codes."""

    ints: I64
    is_int: Mask
    floats: npt.NDArray[np.float64]
    is_float: Mask
    bools: npt.NDArray[np.int8]  # -1: no bool value
    strs: I64  # code of the string value in `strings`; -1: none
    strings: dict[str, int]
    token_texts: I64  # each (text, token code) pair: the text's array holds that element
    token_codes: I64
    tokens: dict[str, int]

    def texts_with_token(self, code: int | None) -> I64:
        return self.token_texts[self.token_codes == code] if code is not None else _NONE


_NONE = np.empty(0, np.int64)


def _decoded(
    texts: Sequence[str | None], key: str, strings: dict[str, int], tokens: dict[str, int]
) -> _Key:
    """The key's values in ``texts`` (None: a text known not to hold it); new strings and
    tokens are added to ``strings`` and ``tokens``."""
    size = len(texts)
    ints = np.zeros(size, np.int64)
    is_int = np.zeros(size, np.bool_)
    floats = np.zeros(size, np.float64)
    is_float = np.zeros(size, np.bool_)
    bools = np.full(size, -1, np.int8)
    strs = np.full(size, -1, np.int64)
    token_texts: list[int] = []
    token_codes: list[int] = []
    loads = json.loads
    for n, text in enumerate(texts):
        if text is None:
            continue
        value = loads(text).get(key)
        kind = type(value)
        if kind is int:
            if not _I64_MIN <= value <= _I64_MAX:
                raise _Unfaithful(f"{key!r} holds an int beyond 64 bits")
            ints[n], is_int[n] = value, True
        elif kind is float:
            if np.isfinite(value):  # m_float leaves NaN and infinities out
                floats[n], is_float[n] = value, True
        elif kind is bool:
            bools[n] = 1 if value else 0
        elif kind is str:
            strs[n] = strings.setdefault(value, len(strings))
        elif kind is list:
            for element in dict.fromkeys(_tokens(key, value)):
                token_texts.append(n)
                token_codes.append(tokens.setdefault(element, len(tokens)))
    return _Key(
        ints,
        is_int,
        floats,
        is_float,
        bools,
        strs,
        strings,
        np.array(token_texts, np.int64),
        np.array(token_codes, np.int64),
        tokens,
    )


def _carried(old: _Key, at: I64, fresh: _Key, new: I64) -> _Key:
    """The key over a new version's texts: text ``i`` is the old key's text ``at[i]`` when
    that is >= 0, else ``fresh``'s text ``j`` where ``new[j] == i`` (decoded with the old
    key's string and token tables)."""
    kept = np.flatnonzero(at >= 0)
    source = at[kept]

    def merged(before: npt.NDArray[Any], now: npt.NDArray[Any]) -> npt.NDArray[Any]:
        out = np.empty(len(at), before.dtype)
        out[kept], out[new] = before[source], now
        return out

    old_to_new = np.full(len(old.ints), -1, np.int64)
    old_to_new[source] = kept
    moved = old_to_new[old.token_texts]
    still = moved >= 0
    return _Key(
        merged(old.ints, fresh.ints),
        merged(old.is_int, fresh.is_int),
        merged(old.floats, fresh.floats),
        merged(old.is_float, fresh.is_float),
        merged(old.bools, fresh.bools),
        merged(old.strs, fresh.strs),
        fresh.strings,
        np.concatenate([moved[still], new[fresh.token_texts]]),
        np.concatenate([old.token_codes[still], fresh.token_codes]),
        fresh.tokens,
    )


def _tokens(key: str, values: list[Any]) -> list[str]:
    """The ``m_tokens`` entries of an array value (its non-finite floats have none)."""
    return [
        token(key, v)
        for v in values
        if type(v) in (str, int, bool) or (type(v) is float and np.isfinite(v))
    ]


def _plain(key: str) -> bool:
    """Whether every JSON encoder writes ``key`` as itself in quotes (so a text without
    ``"key"`` has no such key): printable ASCII without quote or backslash."""
    return key.isascii() and key.isprintable() and '"' not in key and "\\" not in key


@dataclass
class _Held:
    """A snapshot's fields prepared for filtering: each row's distinct metadata text, and
    the keys decoded from them so far.

    A write makes a new snapshot whose texts are mostly the last one's: ``previous`` (the
    texts and keys of the collection's last snapshot) lends the values of the texts it
    decoded, so only the texts written since are decoded again (100k distinct texts take
    ~0.3 s to decode, a few rows a fraction of a millisecond)."""

    rows: int
    codes: I64  # row -> index into texts (the last: no metadata)
    texts: pa.Array  # the distinct metadata texts, then a null
    documents: pa.ChunkedArray
    previous: tuple[pa.Array, dict[str, _Key | None]] | None = None
    keys: dict[str, _Key | None] = field(default_factory=dict)  # None: unfaithful
    lock: threading.Lock = field(default_factory=threading.Lock)
    _at: I64 | None = None  # each text's index in previous.texts, -1 when new

    @classmethod
    def of(cls, fields: pa.Table, previous: _Held | None) -> _Held:
        """The fields prepared, with the texts and keys of ``previous`` to carry forward."""
        encoded = pc.dictionary_encode(fields[METADATA].combine_chunks())  # one hash pass
        distinct = encoded.dictionary
        codes = encoded.indices.fill_null(len(distinct))
        texts = pa.concat_arrays([distinct, pa.nulls(1, distinct.type)])
        codes_np = np.asarray(codes.to_numpy(zero_copy_only=False), np.int64)
        lent = None if previous is None else (previous.texts, previous.keys)
        return cls(len(fields), codes_np, texts, fields[DOCUMENT], lent)

    def key(self, name: str) -> _Key:
        with self.lock:
            if name in self.keys:
                return _faithful(name, self.keys[name])
            previous = self.previous
        lent = None if previous is None else previous[1].get(name)
        if lent is not None and len(lent.strings) + len(lent.tokens) > 2 * len(self.texts) + 1024:
            lent = None  # tables grown with values no longer held: start them afresh
        try:
            built: _Key | None = self._decode(name) if lent is None else self._carry(name, lent)
        except _Unfaithful:
            built = None
        with self.lock:
            self.keys[name] = built
        return _faithful(name, built)

    def _decode(self, name: str) -> _Key:
        texts: list[str | None] = self.texts.to_pylist()
        if _plain(name):  # decode only the texts that can hold the key
            holds = pc.match_substring(self.texts, f'"{name}"').fill_null(False)
            texts = [t if h else None for t, h in zip(texts, holds.to_pylist(), strict=True)]
        return _decoded(texts, name, {}, {})

    def _carry(self, name: str, old: _Key) -> _Key:
        assert self.previous is not None
        if self._at is None:
            found = pc.index_in(self.texts, value_set=self.previous[0].drop_null())
            self._at = np.asarray(found.fill_null(-1).to_numpy(), np.int64)
        new = np.flatnonzero(self._at < 0)
        texts = self.texts.take(pa.array(new)).to_pylist()
        fresh = _decoded(texts, name, dict(old.strings), dict(old.tokens))
        return _carried(old, self._at, fresh, new)

    def rows_of(self, texts: Mask) -> Mask:
        """A per-text mask as a per-row one."""
        return np.asarray(texts[self.codes], np.bool_)

    def rows_at(self, texts: I64) -> Mask:
        chosen = np.zeros(len(self.texts), np.bool_)
        chosen[texts] = True
        return self.rows_of(chosen)


def _faithful(name: str, key: _Key | None) -> _Key:
    if key is None:
        raise _Unfaithful(f"{name!r} holds an int beyond 64 bits")
    return key


# Held fields prepared per snapshot (with the collection they belong to): a snapshot lives
# until its collection's next version, and a process serves a few collections at a time.
_CACHED = 8
_cache: OrderedDict[int, tuple[weakref.ref[pa.Table], _Held, str]] = OrderedDict()
_cache_lock = threading.Lock()


def _held(fields: pa.Table, lineage: str) -> _Held:
    with _cache_lock:
        found = _cache.get(id(fields))
        if found is not None and found[0]() is fields:
            _cache.move_to_end(id(fields))
            return found[1]
        same = [held for _, held, of in reversed(_cache.values()) if of == lineage]
    held = _Held.of(fields, same[0] if same else None)
    with _cache_lock:
        for gone in [k for k, (ref, _, _) in _cache.items() if ref() is None]:
            del _cache[gone]  # a snapshot replaced by a newer version's
        _cache[id(fields)] = (weakref.ref(fields), held, lineage)
        while len(_cache) > _CACHED:
            _cache.popitem(last=False)
    return held


def matching_positions(snap: Snapshot, node: Node, lineage: str = "") -> I64 | None:
    """Snapshot positions (ascending) of the rows the clause matches, evaluated in memory;
    None when the snapshot holds no fields or the clause needs Lance (see the module notes).

    ``lineage`` names the collection: the keys decoded for its last snapshot are carried to
    the next one, so that after a write only the texts written since are decoded."""
    if snap.fields is None:
        return None
    try:
        mask = _evaluate(node, _held(snap.fields, lineage), snap)
    except _Unfaithful:
        return None
    return np.flatnonzero(mask).astype(np.int64, copy=False)


def _evaluate(node: Node, held: _Held, snap: Snapshot) -> Mask:
    if isinstance(node, Composite):
        combine = np.logical_and if node.conjunction else np.logical_or
        result = np.full(held.rows, node.conjunction, np.bool_)
        for child in node.children:
            result = combine(result, _evaluate(child, held, snap))
        return result
    if isinstance(node, Compare):
        return _compare(node, held)
    if isinstance(node, InSet):
        positive = _in_set(node, held)
        return ~positive if node.negated else positive
    if isinstance(node, ArrayContains):
        key = held.key(node.key)
        positive = held.rows_at(key.texts_with_token(key.tokens.get(token(node.key, node.value))))
        return ~positive if node.negated else positive
    if isinstance(node, IdMatch):
        listed = np.zeros(held.rows, np.bool_)
        listed[snap.positions_of(node.ids)] = True
        return ~listed if node.negated else listed
    return _document(node, held)


def _compare(node: Compare, held: _Held) -> Mask:
    key = held.key(node.key)
    value = node.value
    order = _ORDER[node.op]
    if isinstance(value, str):
        if node.op not in ("$eq", "$ne"):
            raise _Unfaithful("the parser allows only $eq / $ne on strings")
        code = key.strings.get(value)
        positive = held.rows_of(key.strs == (-2 if code is None else code))
    elif isinstance(value, bool):
        if node.op not in ("$eq", "$ne"):
            raise _Unfaithful("the parser allows only $eq / $ne on bools")
        positive = held.rows_of(key.bools == (1 if value else 0))
    else:
        as_int, as_float = numeric_operands(value)
        on_ints = key.is_int & order(key.ints, as_int)
        positive = held.rows_of(on_ints | (key.is_float & order(key.floats, as_float)))
    return ~positive if node.op == "$ne" else positive


def _in_set(node: InSet, held: _Held) -> Mask:
    key = held.key(node.key)
    if node.value_type == "Str":
        codes = [key.strings[str(v)] for v in node.values if str(v) in key.strings]
        return held.rows_of(np.isin(key.strs, np.array(codes, np.int64)))
    if node.value_type == "Bool":
        wanted = np.array([1 if v else 0 for v in node.values], np.int8)
        return held.rows_of(np.isin(key.bools, wanted))
    ints, floats = set_operands(node)
    texts = (key.is_int & np.isin(key.ints, np.array(ints, np.int64))) | (
        key.is_float & np.isin(key.floats, np.array(floats, np.float64))
    )
    return held.rows_of(texts)


def _document(node: DocumentMatch, held: _Held) -> Mask:
    if node.op in ("$contains", "$not_contains"):
        matched = pc.match_substring(held.documents, node.pattern)
    else:
        if not portable_regex(node.pattern):
            raise _Unfaithful("a regex whose meaning RE2 and Rust's regex crate may not share")
        try:
            matched = pc.match_substring_regex(held.documents, node.pattern)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise _Unfaithful(f"RE2 refuses the pattern: {exc}") from None
    # A row without a document matches no positive leaf (SQL's NULL), every negative one.
    positive = np.asarray(matched.fill_null(False).to_numpy(zero_copy_only=False), np.bool_)
    return ~positive if node.op.startswith("$not_") else positive


# Within this syntax RE2 and Rust's regex crate read a pattern alike (literals, ".", anchors,
# alternation, groups, * + ? and their lazy forms, flat classes): "." skips only "\n" in both,
# "^"/"$" anchor the whole text in both. Escapes are left out (\d \w \s \b are Unicode in
# Rust, ASCII in RE2), as are flags, {} repetition (RE2 takes "{,n}" literally) and nested
# classes or class set operations ([a[b]], [a&&b], [a--b], [a~~b]: Rust only).
_FLAT_CLASS = re.compile(r"\[\^?\]?[^\[\]]*\]")
_CLASS_OPERATORS = ("&&", "--", "~~")


def portable_regex(pattern: str) -> bool:
    """Whether pyarrow's RE2 matches ``pattern`` exactly as Lance's Rust regex crate does.

    Example:
        >>> portable_regex("^(cat|dog)s?$"), portable_regex("[a-z]+"), portable_regex(r"\\d")
        (True, True, False)
    """
    if "\\" in pattern or "(?" in pattern or "{" in pattern or "}" in pattern:
        return False
    rest = pattern
    for match in _FLAT_CLASS.finditer(pattern):
        if any(op in match.group(0) for op in _CLASS_OPERATORS):
            return False
        rest = rest.replace(match.group(0), "", 1)
    return "[" not in rest and "]" not in rest


__all__ = ["matching_positions", "portable_regex"]
