"""Chroma ``where`` / ``where_document`` clauses as one Lance (DataFusion) SQL predicate.

Validation follows the server's grammar (``rust/types/src/where_parsing.rs``, reference §4.3),
which is looser than the Python client's: ``$and``/``$or`` may have 0 or 1 children, and
``{"#document": {"$regex": ...}}`` is allowed in ``where``. Matching follows single-node
Chroma 1.5.9 (its sqlite metadata segment, reference §6.3), checked against the embedded client:

* A numeric operand is compared with both the int and the float values of the key; the int
  side uses the operand truncated toward zero (``{"x": {"$gt": -1.5}}`` does not match int -1).
  Bool is its own type and strings only compare with strings.
* ``$ne``, ``$nin`` and ``$not_contains`` also match records that lack the key (Chroma runs
  them as ``id NOT IN (subquery)``); likewise a document ``$not_contains``/``$not_regex``
  matches records without a document.
* ``$contains`` on a metadata key is array membership with the operand's exact type.

The SQL reads the columns of :mod:`chromalake.engine.metadata_columns` plus ``document``.
Every user string becomes a quoted literal with quotes doubled (Lance's SQL dialect has no
backslash escapes), and keys are only ever passed as literals, so nothing can be injected.

Positive leaves are left bare: a NULL (missing key, no document) acts as false under AND/OR
and in the final WHERE, and there is no NOT above a composite. Negative leaves are written
``NOT coalesce(<positive>, false)`` so that NULL becomes true.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeAlias

from chromalake.engine.metadata_columns import M_BOOL, M_FLOAT, M_INT, M_STR, M_TOKENS, token
from chromalake.errors import ChromaError, InternalError, InvalidArgumentError

DOCUMENT = "document"
DOCUMENT_KEY = "#document"
ID_KEY = "#id"

WHERE_ERROR = "Invalid where clause"
WHERE_DOCUMENT_ERROR = "Invalid where document clause"

Scalar: TypeAlias = str | bool | int | float
# Chroma's MetadataValueType names, as its schema errors print them.
ValueType: TypeAlias = Literal["Str", "Bool", "Int", "Float"]

_COMPARISONS = {"$eq": "=", "$ne": "=", "$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_DOCUMENT_OPERATORS = ("$contains", "$not_contains", "$regex", "$not_regex")
_I64_MIN, _I64_MAX = -(2**63), 2**63 - 1
_U64_LIMIT = 2**64


# ---------------------------------------------------------------------------------------------
# The parsed clause
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Composite:
    """``$and`` (``conjunction``) or ``$or`` of any number of children."""

    conjunction: bool
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    """``{key: {op: value}}`` with op one of ``$eq $ne $gt $gte $lt $lte``."""

    key: str
    op: str
    value: Scalar


@dataclass(frozen=True)
class InSet:
    """``$in`` / ``$nin`` (``negated``) with a non-empty list of one type."""

    key: str
    negated: bool
    values: tuple[Scalar, ...]
    value_type: ValueType


@dataclass(frozen=True)
class ArrayContains:
    """``$contains`` / ``$not_contains`` (``negated``) on a metadata array."""

    key: str
    negated: bool
    value: Scalar


@dataclass(frozen=True)
class DocumentMatch:
    """A document predicate: op is ``$contains $not_contains $regex $not_regex``."""

    op: str
    pattern: str


@dataclass(frozen=True)
class IdMatch:
    """A Search filter on record ids (``#id``): in (or, ``negated``, not in) ``ids``."""

    negated: bool
    ids: tuple[str, ...]


Node: TypeAlias = Composite | Compare | InSet | ArrayContains | DocumentMatch | IdMatch


# ---------------------------------------------------------------------------------------------
# Parsing (the server's grammar)
# ---------------------------------------------------------------------------------------------


def _json_type(value: Any) -> ValueType | Literal["U64"] | None:
    """The type serde_json would see for ``value`` after a JSON round trip.

    Python ints beyond i64 are not i64 to serde: up to u64::MAX they are u64 (neither i64 nor
    f64, so the server rejects them), and beyond that serde parses them as f64.
    """
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        if _I64_MIN <= value <= _I64_MAX:
            return "Int"
        return "U64" if 0 < value < _U64_LIMIT else "Float"
    if isinstance(value, float):
        return "Float" if math.isfinite(value) else None  # JSON has no NaN/Infinity
    if isinstance(value, str):
        return "Str"
    return None


def _as_float(value: Any) -> float:
    """serde's ``as_f64`` for a number already classified as Int/U64/Float."""
    try:
        result = float(value)
    except OverflowError:
        raise InvalidArgumentError(WHERE_ERROR) from None  # serde: "number out of range"
    if not math.isfinite(result):
        raise InvalidArgumentError(WHERE_ERROR)
    return result


def _scalar(value: Any) -> Scalar | None:
    """``value`` as the scalar the server would parse, or None if it is not one."""
    kind = _json_type(value)
    if kind == "Float":
        return _as_float(value)
    if kind is None or kind == "U64":
        return None
    if isinstance(value, str | bool | int):
        return value
    return None  # unreachable: _json_type accepted only these


def _one_entry(clause: Any, error: str) -> tuple[str, Any]:
    if not isinstance(clause, Mapping) or len(clause) != 1:
        raise InvalidArgumentError(error)
    ((key, value),) = clause.items()
    if not isinstance(key, str):
        raise InvalidArgumentError(error)
    return key, value


def _composite(key: str, value: Any, child: Callable[[Any], Node], error: str) -> Composite:
    if not isinstance(value, list):
        raise InvalidArgumentError(error)
    return Composite(conjunction=key == "$and", children=tuple(child(c) for c in value))


def parse_where_document(where_document: Any) -> Node:
    """A where_document clause as a tree; raises InvalidArgumentError on a bad shape."""
    key, value = _one_entry(where_document, WHERE_DOCUMENT_ERROR)
    if key in ("$and", "$or"):
        return _composite(key, value, parse_where_document, WHERE_DOCUMENT_ERROR)
    if key not in _DOCUMENT_OPERATORS or not isinstance(value, str):
        raise InvalidArgumentError(WHERE_DOCUMENT_ERROR)
    return DocumentMatch(key, value)


def parse_where(where: Any) -> Node:
    """A where clause as a tree; raises InvalidArgumentError on a bad shape."""
    key, value = _one_entry(where, WHERE_ERROR)
    if key in ("$and", "$or"):
        return _composite(key, value, parse_where, WHERE_ERROR)
    if key.startswith("$"):
        raise InvalidArgumentError(WHERE_ERROR)
    if isinstance(value, Mapping):
        return _parse_operator(key, value)
    scalar = _scalar(value)
    if scalar is None:
        raise InvalidArgumentError(WHERE_ERROR)
    return Compare(key, "$eq", scalar)


def _parse_operator(key: str, expression: Mapping[Any, Any]) -> Node:
    op, operand = _one_entry(expression, WHERE_ERROR)
    if isinstance(operand, list):
        return _parse_set(key, op, operand)
    scalar = _scalar(operand)
    if scalar is None:
        raise InvalidArgumentError(WHERE_ERROR)
    if op in ("$contains", "$not_contains"):
        if key == DOCUMENT_KEY:
            # On #document these are document predicates, and need a string.
            if not isinstance(scalar, str):
                raise InvalidArgumentError(WHERE_ERROR)
            return DocumentMatch(op, scalar)
        return ArrayContains(key, op == "$not_contains", scalar)
    if op in ("$regex", "$not_regex") and key == DOCUMENT_KEY and isinstance(scalar, str):
        return DocumentMatch(op, scalar)
    if op in ("$eq", "$ne") or (op in _COMPARISONS and not isinstance(scalar, str | bool)):
        return Compare(key, op, scalar)
    raise InvalidArgumentError(WHERE_ERROR)


def _parse_set(key: str, op: str, operand: list[Any]) -> InSet:
    if op not in ("$in", "$nin") or not operand:
        raise InvalidArgumentError(WHERE_ERROR)
    first = _json_type(operand[0])
    if first is None or first == "U64":
        raise InvalidArgumentError(WHERE_ERROR)
    return InSet(key, op == "$nin", _set_values(operand, first), first)


def _set_values(operand: list[Any], value_type: ValueType) -> tuple[Scalar, ...]:
    """The list's values as ``value_type`` (fixed by the first element, as on the server)."""
    values: list[Scalar] = []
    for item in operand:
        kind = _json_type(item)
        if value_type == "Float" and kind in ("Int", "U64", "Float"):
            values.append(_as_float(item))  # serde's as_f64 takes any number
        elif kind == value_type:
            values.append(item)  # an int list takes no floats: as_i64 fails on them
        else:
            raise InvalidArgumentError(WHERE_ERROR)
    return tuple(values)


def parse_filter(where: Any, where_document: Any) -> Node | None:
    """Both clauses as one tree (AND when both are given); None when neither is.

    None means "no clause". An empty dict is a clause, and an invalid one, as on the server
    (the Python client never sends one: it rejects ``{}`` itself).
    """
    parts = [
        parse_where(where) if where is not None else None,
        parse_where_document(where_document) if where_document is not None else None,
    ]
    present = tuple(p for p in parts if p is not None)
    if not present:
        return None
    return present[0] if len(present) == 1 else Composite(True, present)


# ---------------------------------------------------------------------------------------------
# SQL generation
# ---------------------------------------------------------------------------------------------


def sql_literal(text: str) -> str:
    """A SQL string literal: Lance's dialect has no backslash escapes, only doubled quotes.

    Example:
        >>> sql_literal("it's")
        "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"


def _truncate(value: float) -> int:
    """Rust's ``f as i64``: toward zero, saturating (the operand of the int side)."""
    if value >= 2.0**63:
        return _I64_MAX
    if value < -(2.0**63):
        return _I64_MIN
    return int(value)


def _float_sql(value: float) -> str:
    return repr(value)  # shortest round-trip text; DataFusion reads "1e+16" as a Float64


def _bool_sql(value: bool) -> str:
    return "true" if value else "false"


def _getter(function: str, column: str, key: str) -> str:
    return f"{function}({column}, {sql_literal(key)})"


def numeric_operands(value: int | float) -> tuple[int, float]:
    """The operands a number is compared with on a key's int side and on its float side.

    Example:
        >>> numeric_operands(-1.5), numeric_operands(2)
        ((-1, -1.5), (2, 2.0))
    """
    return (value if isinstance(value, int) else _truncate(value)), float(value)


def set_operands(node: InSet) -> tuple[list[int], list[float]]:
    """A numeric ``$in``/``$nin`` list as the values matched on the int and the float side.

    As in Chroma, an int list is also matched against floats (``i as f64``) and a float list
    against ints (``f as i64``, truncated).

    Example:
        >>> set_operands(InSet("x", False, (1.5, 2.0), "Float"))
        ([1, 2], [1.5, 2.0])
    """
    numbers = [float(v) if node.value_type == "Float" else int(v) for v in node.values]
    pairs = [numeric_operands(v) for v in numbers]
    return [i for i, _ in pairs], [f for _, f in pairs]


def _numeric_sides(key: str, value: int | float) -> tuple[str, str, str, str]:
    """(int getter, int operand, float getter, float operand) for a numeric comparison."""
    as_int, as_float = numeric_operands(value)
    return (
        _getter("json_get_int", M_INT, key),
        str(as_int),
        _getter("json_get_float", M_FLOAT, key),
        _float_sql(as_float),
    )


def _compare_sql(node: Compare) -> str:
    sign = _COMPARISONS[node.op]
    value = node.value
    if isinstance(value, str):
        positive = f"{_getter('json_get_string', M_STR, node.key)} {sign} {sql_literal(value)}"
    elif isinstance(value, bool):
        positive = f"{_getter('json_get_bool', M_BOOL, node.key)} {sign} {_bool_sql(value)}"
    else:
        int_get, int_val, float_get, float_val = _numeric_sides(node.key, value)
        positive = f"({int_get} {sign} {int_val} OR {float_get} {sign} {float_val})"
    return _negate(positive) if node.op == "$ne" else positive


def _in_list(items: Iterator[str]) -> str:
    return "(" + ", ".join(items) + ")"


def _in_set_sql(node: InSet) -> str:
    key, values = node.key, node.values
    if node.value_type == "Str":
        positive = f"{_getter('json_get_string', M_STR, key)} IN " + _in_list(
            sql_literal(str(v)) for v in values
        )
    elif node.value_type == "Bool":
        positive = f"{_getter('json_get_bool', M_BOOL, key)} IN " + _in_list(
            _bool_sql(bool(v)) for v in values
        )
    else:
        int_values, float_values = set_operands(node)
        ints = _in_list(str(v) for v in int_values)
        floats = _in_list(_float_sql(v) for v in float_values)
        positive = (
            f"({_getter('json_get_int', M_INT, key)} IN {ints}"
            f" OR {_getter('json_get_float', M_FLOAT, key)} IN {floats})"
        )
    return _negate(positive) if node.negated else positive


def _array_contains_sql(node: ArrayContains) -> str:
    positive = f"array_has({M_TOKENS}, {sql_literal(token(node.key, node.value))})"
    return _negate(positive) if node.negated else positive


def _document_sql(node: DocumentMatch) -> str:
    if node.op in ("$contains", "$not_contains"):
        # Case-sensitive substring, like Chroma's LIKE with case_sensitive_like=ON.
        positive = f"contains({DOCUMENT}, {sql_literal(node.pattern)})"
    else:
        # Lance evaluates regexp_like with Rust's regex crate, the engine Chroma uses.
        positive = f"regexp_like({DOCUMENT}, {sql_literal(guard_regex(node.pattern))})"
    return _negate(positive) if node.op.startswith("$not_") else positive


# DataFusion (lancedb 0.40) rewrites a regex that is a plain literal into LIKE without escaping
# backslashes, LIKE's escape character: regexp_like(document, '\\') (a literal "\") became
# LIKE '%\%' and matched "%" instead. An empty group in front changes no match but makes the
# regex non-literal, so the regex crate runs it. Only a pattern with a backslash can hold a
# literal "\", so other patterns keep DataFusion's (correct) LIKE / = / contains rewrites. A
# leading quantifier is left alone: "()*" would make an invalid pattern valid.
_REGEX_GUARD = "()"


def guard_regex(pattern: str) -> str:
    r"""The pattern as given to Lance: same matches, immune to DataFusion's LIKE rewrite.

    Example:
        >>> guard_regex("cat"), guard_regex(r"a\b"), guard_regex(r"*\d")
        ('cat', '()a\\b', '*\\d')
    """
    if "\\" in pattern and not pattern.startswith(("*", "+", "?", "{")):
        return _REGEX_GUARD + pattern
    return pattern


def _composite_sql(node: Composite) -> str:
    if not node.children:
        return "true" if node.conjunction else "false"
    if len(node.children) == 1:
        return to_sql(node.children[0])
    joiner = " AND " if node.conjunction else " OR "
    return "(" + joiner.join(to_sql(child) for child in node.children) + ")"


def _negate(positive: str) -> str:
    return f"NOT coalesce({positive}, false)"


def to_sql(node: Node) -> str:
    """The Lance SQL predicate for a parsed clause."""
    if isinstance(node, Composite):
        return _composite_sql(node)
    if isinstance(node, Compare):
        return _compare_sql(node)
    if isinstance(node, InSet):
        return _in_set_sql(node)
    if isinstance(node, ArrayContains):
        return _array_contains_sql(node)
    if isinstance(node, IdMatch):
        listed = f"id IN {_in_list(sql_literal(i) for i in node.ids)}"
        return f"NOT ({listed})" if node.negated else listed
    return _document_sql(node)


class Predicate(str):
    """The Lance SQL predicate of a parsed clause, keeping the clause it was compiled from.

    Lance takes it as the text it is; a process that holds the rows' fields in memory
    evaluates ``node`` over them instead of scanning (engine/held_filter.py).

    Example:
        >>> p = Predicate(parse_where({"x": "a"}))
        >>> p, p.node
        ("json_get_string(m_str, 'x') = 'a'", Compare(key='x', op='$eq', value='a'))
    """

    node: Node

    def __new__(cls, node: Node) -> Predicate:
        made = super().__new__(cls, to_sql(node))
        made.node = node
        return made


def compile_filter(
    where: Mapping[str, Any] | None, where_document: Mapping[str, Any] | None
) -> str | None:
    """One Lance SQL predicate for ``where`` AND ``where_document``; None when both are None.

    Raises InvalidArgumentError("Invalid where clause") or ("Invalid where document clause")
    where the Chroma server would. Invalid regexes are reported by Lance when the predicate
    runs; :func:`translate_lance_error` turns that into Chroma's error.

    Example:
        >>> compile_filter({"x": {"$ne": "a"}}, None)
        "NOT coalesce(json_get_string(m_str, 'x') = 'a', false)"
        >>> compile_filter({"$and": []}, {"$contains": "it's"})
        "(true AND contains(document, 'it''s'))"
    """
    node = parse_filter(where, where_document)
    return None if node is None else to_sql(node)


# ---------------------------------------------------------------------------------------------
# What a clause touches (for the store's schema checks) and Lance's errors
# ---------------------------------------------------------------------------------------------


def with_id_keys(node: Node | None) -> Node | None:
    """The clause with its ``#id`` leaves as id predicates, as Chroma's Search filter reads them.

    ``#id`` takes ``$eq``/``$ne`` with a string and ``$in``/``$nin`` with strings; anything
    else on it is an invalid clause.

    Example:
        >>> with_id_keys(parse_where({"#id": {"$in": ["a", "b"]}}))
        IdMatch(negated=False, ids=('a', 'b'))
    """
    if node is None:
        return None
    if isinstance(node, Composite):
        children = tuple(c for c in (with_id_keys(c) for c in node.children) if c is not None)
        return Composite(node.conjunction, children)
    if isinstance(node, Compare | InSet | ArrayContains) and node.key == ID_KEY:
        if isinstance(node, Compare) and node.op in ("$eq", "$ne") and isinstance(node.value, str):
            return IdMatch(node.op == "$ne", (node.value,))
        if isinstance(node, InSet) and node.value_type == "Str":
            return IdMatch(node.negated, tuple(str(v) for v in node.values))
        raise InvalidArgumentError(WHERE_ERROR)
    return node


def _walk(node: Node) -> Iterator[Node]:
    yield node
    if isinstance(node, Composite):
        for child in node.children:
            yield from _walk(child)


def _value_type(value: Scalar) -> ValueType:
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, int):
        return "Int"
    return "Float" if isinstance(value, float) else "Str"


def metadata_key_types(node: Node | None) -> list[tuple[str, ValueType]]:
    """Each metadata key the clause filters on, with the operand's type, in clause order.

    Chroma refuses a filter on a key whose index the collection schema disables
    ("Cannot filter using metadata key '#document' with type 'Str' because indexing is
    disabled" for ``{"#document": "x"}`` under the default schema); the store checks these.
    """
    found: list[tuple[str, ValueType]] = []
    for item in _walk(node) if node is not None else ():
        if isinstance(item, Compare | ArrayContains):
            found.append((item.key, _value_type(item.value)))
        elif isinstance(item, InSet):
            found.append((item.key, item.value_type))
    return found


def uses_document(node: Node | None) -> bool:
    """Whether the clause has a document predicate (Chroma needs FTS enabled for those)."""
    return node is not None and any(isinstance(n, DocumentMatch) for n in _walk(node))


def regex_patterns(node: Node | None) -> list[str]:
    """The ``$regex`` / ``$not_regex`` patterns of a clause, in clause order."""
    if node is None:
        return []
    return [n.pattern for n in _walk(node) if isinstance(n, DocumentMatch) and "regex" in n.op]


_REGEX_TOO_BIG = "Regular expression did not compile: CompiledTooBig("
# A string literal (skipped: user text lives only in literals) or the start of the detail.
_SYNTAX_SCAN = re.compile(r"'(?:[^']|'')*'|\(regex parse error:")


_TOO_DEEP = "sql parser error: recursion limit exceeded"


def translate_lance_error(exc: Exception) -> ChromaError | None:
    """Chroma's error for a Lance failure caused by the predicate, or None for any other.

    Lance rejects an invalid pattern while planning, even on an empty table, with
    ``ValueError("Invalid input, Error optimizing sql filter: <sql> (regex parse error:
    ...)")``. The text after "(" is the regex crate's message, the same one Chroma prints
    after its (sic) "Regex syntax errror: ". A pattern too big to compile fails only once
    rows are scanned; Chroma's sqlite fails then too, with an internal error.
    """
    message = str(exc)
    if _TOO_DEEP in message:
        # Lance's SQL parser stops at ~50 nested expressions; a `where` nested that deep is
        # the request's fault, not the server's.
        return InvalidArgumentError("Invalid where clause: nested too deeply to be planned")
    detail = _regex_syntax_detail(message)
    if detail is not None:
        return InvalidArgumentError(f"Regex syntax errror: {detail}")
    start = message.find(_REGEX_TOO_BIG)
    if start >= 0:
        limit = message[start + len(_REGEX_TOO_BIG) :].split(")", 1)[0]
        return InternalError(
            f"Error executing plan: Compiled regex exceeds size limit of {limit} bytes"
        )
    return None


def _regex_syntax_detail(message: str) -> str | None:
    # The message is "... sql filter: <sql> (regex parse error:\n<pattern, caret>\nerror: ...)".
    # The pattern (any text) appears both in the SQL and in the detail, so take the first
    # "(regex parse error:" outside the SQL's string literals: the real start of the detail.
    for match in _SYNTAX_SCAN.finditer(message):
        if match.group(0).startswith("("):
            detail = message[match.start() + 1 :].rstrip()
            return _unguarded(detail[:-1] if detail.endswith(")") else detail)
    return None


_DIVIDER = "~" * 79
_LINE_ONE_NOTE = re.compile(r"on line 1 \(column (\d+)\)")


def _unguarded(detail: str) -> str:
    """The regex crate's message as Chroma prints it for the pattern without the guard.

    The message echoes the pattern with carets under the error: on one line indented by four
    spaces, or, for a multi-line pattern, between dividers with "N: " line labels (and
    "on line 1 (column C)" notes for errors spanning lines).
    """
    lines = detail.split("\n")
    first = 2 if len(lines) > 2 and lines[1] == _DIVIDER else 1
    if len(lines) <= first:
        return detail
    indent = lines[first].find(": ") + 2 if first == 2 else 4
    echo = lines[first][indent:]
    pattern_lines = [line for line in lines[first:] if not line.startswith("error: ")]
    if not echo.startswith(_REGEX_GUARD) or "\\" not in "\n".join(pattern_lines):
        return detail  # no guard was added to this pattern
    lines[first] = lines[first][:indent] + echo[len(_REGEX_GUARD) :]
    width = len(_REGEX_GUARD)
    carets = first + 1
    if (
        carets < len(lines)
        and set(lines[carets]) <= {" ", "^", "-"}
        and lines[carets][indent : indent + width] == " " * width
    ):
        lines[carets] = lines[carets][:indent] + lines[carets][indent + width :]
    unguarded = "\n".join(lines)
    return _LINE_ONE_NOTE.sub(lambda m: f"on line 1 (column {int(m.group(1)) - width})", unguarded)


__all__ = [
    "ArrayContains",
    "Compare",
    "Composite",
    "DocumentMatch",
    "IdMatch",
    "InSet",
    "Node",
    "Predicate",
    "compile_filter",
    "guard_regex",
    "metadata_key_types",
    "numeric_operands",
    "parse_filter",
    "parse_where",
    "parse_where_document",
    "regex_patterns",
    "set_operands",
    "sql_literal",
    "to_sql",
    "translate_lance_error",
    "uses_document",
    "with_id_keys",
]
