"""compile_filter's validation (the server's grammar) and the metadata column encoding.

No Lance and no Chroma here: the predicates' meaning is checked against Chroma itself in
tests/functional/test_filters_vs_chroma.py.
"""

from __future__ import annotations

import enum
import math
import re
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chromalake.engine.filters import (
    WHERE_DOCUMENT_ERROR,
    WHERE_ERROR,
    compile_filter,
    guard_regex,
    metadata_key_types,
    parse_filter,
    regex_patterns,
    sql_literal,
    translate_lance_error,
    uses_document,
)
from chromalake.engine.metadata_columns import (
    M_BOOL,
    M_FLOAT,
    M_INT,
    M_STR,
    M_TOKENS,
    METADATA,
    METADATA_FIELDS,
    decode_metadatas,
    encode_metadatas,
    token,
)
from chromalake.errors import InternalError, InvalidArgumentError

# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------

INVALID_WHERE: list[Any] = [
    # not one-key objects
    [],
    "x",
    1,
    {},
    {"a": 1, "b": 2},
    {1: 1},
    # composites need a list
    {"$and": {"a": 1}},
    {"$or": "a"},
    {"$and": None},
    {"$and": [{"a": 1}, {}]},
    {"$or": [{"a": 1}, [{"b": 2}]]},
    {"$and": [{"$or": [{"a": {"$bad": 1}}]}]},
    # other $-keys at the top
    {"$contains": "x"},
    {"$not_contains": 1},
    {"$eq": 1},
    {"$in": [1]},
    {"$regex": "x"},
    {"$nor": [{"a": 1}]},
    # shorthand values that are not scalars
    {"a": None},
    {"a": [1, 2]},
    {"a": 2**63},  # u64 for serde: neither i64 nor f64
    {"a": float("nan")},
    {"a": float("inf")},
    {"a": b"bytes"},
    {"a": (1,)},
    # operator objects
    {"a": {}},
    {"a": {"$eq": 1, "$ne": 2}},
    {"a": {"$foo": 1}},
    {"a": {"eq": 1}},
    {"a": {1: 1}},
    {"a": {"$eq": None}},
    {"a": {"$eq": {"$eq": 1}}},
    {"a": {"$eq": 2**63}},
    {"a": {"$gt": float("-inf")}},
    {"a": {"$gt": "x"}},
    {"a": {"$gte": True}},
    {"a": {"$lt": "x"}},
    {"a": {"$lte": False}},
    {"a": {"$gt": [1]}},
    # sets
    {"a": {"$in": []}},
    {"a": {"$nin": []}},
    {"a": {"$in": 1}},
    {"a": {"$nin": "abc"}},
    {"a": {"$eq": [1]}},
    {"a": {"$contains": [1]}},
    {"a": {"$in": [1, "a"]}},
    {"a": {"$in": [1, 1.5]}},  # an int list takes no float (serde as_i64 fails)
    {"a": {"$in": [1, True]}},  # ... nor a bool, though the Python client lets it through
    {"a": {"$in": [True, 1]}},
    {"a": {"$in": ["a", None]}},
    {"a": {"$in": [None]}},
    {"a": {"$in": [[1]]}},
    {"a": {"$in": [{"a": 1}]}},
    {"a": {"$in": [1.5, True]}},
    {"a": {"$in": [1.5, "a"]}},
    {"a": {"$in": [2**63]}},
    {"a": {"$in": [1.5, float("nan")]}},
    # regex only on #document, with a string
    {"a": {"$regex": "x"}},
    {"a": {"$not_regex": "x"}},
    {"#document": {"$regex": 1}},
    {"#document": {"$not_regex": ["x"]}},
    # #document $contains needs a string
    {"#document": {"$contains": 1}},
    {"#document": {"$not_contains": True}},
    {"#document": {"$contains": 1.5}},
    {"a": {"$contains": None}},
    {"a": {"$contains": {"x": 1}}},
]

INVALID_WHERE_DOCUMENT: list[Any] = [
    [],
    "x",
    {},
    {"$contains": 1},
    {"$contains": None},
    {"$contains": ["a"]},
    {"$contains": "a", "$regex": "b"},
    {"$regex": 1},
    {"$not_regex": True},
    {"$and": {"$contains": "a"}},
    {"$or": "a"},
    {"$and": [{"$contains": "a"}, {"a": 1}]},
    {"$or": [{"$contains": "a"}, {}]},
    {"$eq": "a"},
    {"$in": ["a"]},
    {"#document": {"$contains": "a"}},
    {"a": "b"},
]


@pytest.mark.parametrize("where", INVALID_WHERE, ids=repr)
def test_invalid_where_is_rejected_with_chromas_message(where: Any) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        compile_filter(where, None)
    assert caught.value.message() == WHERE_ERROR == "Invalid where clause"


@pytest.mark.parametrize("where_document", INVALID_WHERE_DOCUMENT, ids=repr)
def test_invalid_where_document_is_rejected_with_chromas_message(where_document: Any) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        compile_filter(None, where_document)
    assert caught.value.message() == WHERE_DOCUMENT_ERROR == "Invalid where document clause"


def test_where_is_validated_before_where_document() -> None:
    with pytest.raises(InvalidArgumentError, match=r"^Invalid where clause$"):
        compile_filter({"a": {"$bad": 1}}, {"$bad": "x"})


SERVER_ONLY_VALID: list[tuple[Any, Any, str]] = [
    # The Python client rejects these; the server accepts them.
    ({"$and": []}, None, "true"),
    ({"$or": []}, None, "false"),
    ({"$and": [{"a": "x"}]}, None, "json_get_string(m_str, 'a') = 'x'"),
    ({"$or": [{"$and": []}]}, None, "true"),
    ({"#document": {"$regex": "x"}}, None, "regexp_like(document, 'x')"),
    (
        {"#document": {"$not_regex": "x"}},
        None,
        "NOT coalesce(regexp_like(document, 'x'), false)",
    ),
    (None, {"$contains": ""}, "contains(document, '')"),
    (None, {"$and": []}, "true"),
    # A float list takes ints (serde's as_f64 accepts any number).
    (
        {"a": {"$in": [1.5, 2]}},
        None,
        "(json_get_int(m_int, 'a') IN (1, 2) OR json_get_float(m_float, 'a') IN (1.5, 2.0))",
    ),
    # Beyond u64, serde reads an integer as a float.
    (
        {"a": 2**64},
        None,
        "(json_get_int(m_int, 'a') = 9223372036854775807"
        " OR json_get_float(m_float, 'a') = 1.8446744073709552e+19)",
    ),
    ({"a": {"$contains": True}}, None, "array_has(m_tokens, '1:ab:true')"),
]


@pytest.mark.parametrize(("where", "where_document", "sql"), SERVER_ONLY_VALID, ids=repr)
def test_the_server_grammar_is_accepted(where: Any, where_document: Any, sql: str) -> None:
    assert compile_filter(where, where_document) == sql


def test_no_clause_means_no_predicate() -> None:
    assert compile_filter(None, None) is None
    assert parse_filter(None, None) is None


# ---------------------------------------------------------------------------------------------
# The SQL produced
# ---------------------------------------------------------------------------------------------

SQL_CASES: list[tuple[Any, Any, str]] = [
    ({"a": "x"}, None, "json_get_string(m_str, 'a') = 'x'"),
    ({"a": True}, None, "json_get_bool(m_bool, 'a') = true"),
    (
        {"a": {"$ne": False}},
        None,
        "NOT coalesce(json_get_bool(m_bool, 'a') = false, false)",
    ),
    (
        {"a": 1},
        None,
        "(json_get_int(m_int, 'a') = 1 OR json_get_float(m_float, 'a') = 1.0)",
    ),
    # The int side takes the float operand truncated toward zero, as Chroma does.
    (
        {"a": {"$gte": 1.5}},
        None,
        "(json_get_int(m_int, 'a') >= 1 OR json_get_float(m_float, 'a') >= 1.5)",
    ),
    (
        {"a": {"$gt": -1.5}},
        None,
        "(json_get_int(m_int, 'a') > -1 OR json_get_float(m_float, 'a') > -1.5)",
    ),
    (
        {"a": {"$lt": 1e300}},
        None,
        "(json_get_int(m_int, 'a') < 9223372036854775807 OR json_get_float(m_float, 'a') < 1e+300)",
    ),
    (
        {"a": {"$lt": -1e300}},
        None,
        "(json_get_int(m_int, 'a') < -9223372036854775808"
        " OR json_get_float(m_float, 'a') < -1e+300)",
    ),
    (
        {"a": {"$ne": 2}},
        None,
        "NOT coalesce((json_get_int(m_int, 'a') = 2 OR json_get_float(m_float, 'a') = 2.0), false)",
    ),
    (
        {"a": {"$nin": ["x", "y"]}},
        None,
        "NOT coalesce(json_get_string(m_str, 'a') IN ('x', 'y'), false)",
    ),
    ({"a": {"$in": [True]}}, None, "json_get_bool(m_bool, 'a') IN (true)"),
    (
        {"a": {"$in": [2.5, -2.5]}},
        None,
        "(json_get_int(m_int, 'a') IN (2, -2) OR json_get_float(m_float, 'a') IN (2.5, -2.5))",
    ),
    ({"tags": {"$contains": "x"}}, None, "array_has(m_tokens, '4:tagss:x')"),
    ({"n": {"$contains": -0.0}}, None, "array_has(m_tokens, '1:nf:0.0')"),
    (
        {"n": {"$not_contains": 3}},
        None,
        "NOT coalesce(array_has(m_tokens, '1:ni:3'), false)",
    ),
    ({"#document": {"$contains": "x"}}, None, "contains(document, 'x')"),
    (
        {"#document": {"$not_contains": "x"}},
        None,
        "NOT coalesce(contains(document, 'x'), false)",
    ),
    # #document with other operators is an ordinary metadata key, as on the server.
    ({"#document": "x"}, None, "json_get_string(m_str, '#document') = 'x'"),
    (None, {"$regex": "(?i)c"}, "regexp_like(document, '(?i)c')"),
    (
        None,
        {"$or": [{"$contains": "a"}, {"$not_regex": "b"}]},
        "(contains(document, 'a') OR NOT coalesce(regexp_like(document, 'b'), false))",
    ),
    (
        {"$and": [{"a": "x"}, {"$or": [{"b": True}, {"c": "y"}]}]},
        {"$contains": "z"},
        "((json_get_string(m_str, 'a') = 'x' AND (json_get_bool(m_bool, 'b') = true"
        " OR json_get_string(m_str, 'c') = 'y')) AND contains(document, 'z'))",
    ),
]


@pytest.mark.parametrize(("where", "where_document", "sql"), SQL_CASES, ids=repr)
def test_sql(where: Any, where_document: Any, sql: str) -> None:
    assert compile_filter(where, where_document) == sql


HOSTILE = ["it's", "a'); DROP TABLE t; --", "''", "\\'", "naïve 🙂", "50%_off", "back\\slash", "x"]
LITERAL = re.compile(r"'(?:[^']|'')*'")


def _skeleton(sql: str) -> str:
    """The SQL with each string literal replaced by ?."""
    return LITERAL.sub("?", sql)


@pytest.mark.parametrize("text", HOSTILE)
def test_keys_and_values_only_appear_as_escaped_literals(text: str) -> None:
    assert sql_literal(text) == "'" + text.replace("'", "''") + "'"
    clause = {"$and": [{text: text}, {text: {"$in": [text]}}, {text: {"$contains": text}}]}
    sql = compile_filter(clause, {"$regex": text})
    benign = compile_filter(
        {"$and": [{"k": "v"}, {"k": {"$in": ["v"]}}, {"k": {"$contains": "v"}}]}, {"$regex": "v"}
    )
    assert sql is not None and benign is not None
    # Same structure once literals are blanked: no input closed its literal early.
    assert _skeleton(sql) == _skeleton(benign)
    assert [m.group(0) for m in LITERAL.finditer(sql)] == [
        sql_literal(text),
        sql_literal(text),
        sql_literal(text),
        sql_literal(text),
        sql_literal(token(text, text)),
        sql_literal(guard_regex(text)),
    ]


def test_mappings_other_than_dict_are_accepted() -> None:
    from types import MappingProxyType

    assert compile_filter(MappingProxyType({"a": MappingProxyType({"$eq": "x"})}), None) == (
        "json_get_string(m_str, 'a') = 'x'"
    )


def test_what_a_clause_touches() -> None:
    node = parse_filter(
        {
            "$and": [
                {"a": "x"},
                {"b": {"$in": [1.5]}},
                {"c": {"$contains": True}},
                {"d": {"$gt": 1}},
                {"#document": {"$regex": "r1"}},
            ]
        },
        {"$or": [{"$contains": "z"}, {"$not_regex": "r2"}]},
    )
    assert metadata_key_types(node) == [("a", "Str"), ("b", "Float"), ("c", "Bool"), ("d", "Int")]
    assert uses_document(node)
    assert regex_patterns(node) == ["r1", "r2"]
    assert not uses_document(parse_filter({"a": 1}, None))
    assert metadata_key_types(None) == [] and regex_patterns(None) == []


# ---------------------------------------------------------------------------------------------
# Lance errors
# ---------------------------------------------------------------------------------------------

# The exact texts lancedb 0.40.0 raised (tests/functional checks them against real Lance).
LANCE_SYNTAX = ValueError(
    "Invalid input, Error optimizing sql filter: regexp_like(document, '(') "
    "(regex parse error:\n    (\n    ^\nerror: unclosed group)"
)
LANCE_TOO_BIG = RuntimeError(
    "lance error: Query Execution error: Error applying filter expression to batch: Internal "
    "error: failed to call 'regex_match_dyn_scalar' Compute error: Regular expression did not "
    "compile: CompiledTooBig(10485760).\nThis issue was likely caused by a bug in DataFusion's "
    "code., /root/.cargo/registry/src/lance-datafusion/src/exec.rs:123:45"
)


def test_a_regex_syntax_error_becomes_chromas_invalid_argument() -> None:
    error = translate_lance_error(LANCE_SYNTAX)
    assert isinstance(error, InvalidArgumentError)
    assert (
        error.message()
        == "Regex syntax errror: regex parse error:\n    (\n    ^\nerror: unclosed group"
    )


def test_a_pattern_quoting_the_error_text_does_not_confuse_the_translation() -> None:
    pattern = "(regex parse error:\nerror: x)("
    sql = f"regexp_like(document, {sql_literal(pattern)})"
    detail = f"regex parse error:\n    {pattern}\n    ^\nerror: unclosed group"
    error = translate_lance_error(
        ValueError(f"Invalid input, Error optimizing sql filter: {sql} ({detail})")
    )
    assert error is not None and error.message() == f"Regex syntax errror: {detail}"


D = "~" * 79  # regex-syntax's divider around a multi-line pattern

# Lance's messages for guarded patterns (see guard_regex), and what Chroma says for the pattern.
GUARDED = [
    (
        "Invalid input, Error optimizing sql filter: regexp_like(document, '()\\p{Q}') (regex "
        "parse error:\n    ()\\p{Q}\n      ^^^^^\nerror: Unicode property not found)",
        "regex parse error:\n    \\p{Q}\n    ^^^^^\nerror: Unicode property not found",
    ),
    (
        "Invalid input, Error optimizing sql filter: regexp_like(document, '()\\d(\nx') (regex "
        "parse error:\n" + D + "\n1: ()\\d(\n       ^\n2: x\n" + D + "\nerror: unclosed group)",
        "regex parse error:\n" + D + "\n1: \\d(\n     ^\n2: x\n" + D + "\nerror: unclosed group",
    ),
    (
        "Invalid input, Error optimizing sql filter: regexp_like(document, '()\\d{2,\n1}') (regex "
        "parse error:\n" + D + "\n1: ()\\d{2,\n2: 1}\n" + D + "\non line 1 (column 5) through "
        "line 2 (column 2)\nerror: invalid repetition count range, the start must be <= the end)",
        "regex parse error:\n" + D + "\n1: \\d{2,\n2: 1}\n" + D + "\non line 1 (column 3) through "
        "line 2 (column 2)\nerror: invalid repetition count range, the start must be <= the end",
    ),
    # Not guarded (no backslash), though it starts with "()": left as is.
    (
        "Invalid input, Error optimizing sql filter: regexp_like(document, '()(') (regex parse "
        "error:\n    ()(\n      ^\nerror: unclosed group)",
        "regex parse error:\n    ()(\n      ^\nerror: unclosed group",
    ),
]


@pytest.mark.parametrize(("message", "chroma"), GUARDED)
def test_the_guard_is_removed_from_the_echoed_pattern(message: str, chroma: str) -> None:
    error = translate_lance_error(ValueError(message))
    assert error is not None and error.message() == f"Regex syntax errror: {chroma}"


@pytest.mark.parametrize(
    ("pattern", "guarded"),
    [
        ("cat", "cat"),
        ("(?i)c", "(?i)c"),
        ("\\", "()\\"),
        ("a\\b|c", "()a\\b|c"),
        ("()\\d", "()()\\d"),
        ("*\\d", "*\\d"),  # "()*" would be valid where "*" is not
        ("{2}\\d", "{2}\\d"),
    ],
)
def test_only_patterns_with_a_backslash_are_guarded(pattern: str, guarded: str) -> None:
    assert guard_regex(pattern) == guarded
    assert compile_filter(None, {"$regex": pattern}) == f"regexp_like(document, '{guarded}')"


def test_a_regex_too_big_to_compile_is_an_internal_error() -> None:
    error = translate_lance_error(LANCE_TOO_BIG)
    assert isinstance(error, InternalError)
    assert "10485760" in error.message()


@pytest.mark.parametrize(
    "exc",
    [ValueError("Invalid input, no such column: x"), RuntimeError("boom"), KeyError("error: ")],
)
def test_other_errors_are_not_translated(exc: Exception) -> None:
    assert translate_lance_error(exc) is None


# ---------------------------------------------------------------------------------------------
# Metadata columns
# ---------------------------------------------------------------------------------------------


def test_each_scalar_type_gets_its_own_column() -> None:
    columns = encode_metadatas([{"a": 1, "b": 1.5, "c": "x", "d": True, "t": [1, 2]}])
    assert columns[M_INT].to_pylist() == ['{"a":1}']
    assert columns[M_FLOAT].to_pylist() == ['{"b":1.5}']
    assert columns[M_STR].to_pylist() == ['{"c":"x"}']
    assert columns[M_BOOL].to_pylist() == ['{"d":true}']
    assert columns[M_TOKENS].to_pylist() == [["1:ti:1", "1:ti:2"]]
    assert columns[METADATA].to_pylist() == ['{"a":1,"b":1.5,"c":"x","d":true,"t":[1,2]}']


def test_a_column_without_keys_of_its_type_is_null() -> None:
    columns = encode_metadatas([{"c": "x"}, None, {}])
    for name in (M_INT, M_FLOAT, M_BOOL, M_TOKENS):
        assert columns[name].to_pylist() == [None, None, None], name
    assert columns[M_STR].to_pylist() == ['{"c":"x"}', None, None]
    assert columns[METADATA].to_pylist() == ['{"c":"x"}', None, None]


def test_columns_match_the_declared_fields() -> None:
    columns = encode_metadatas([{"a": 1}, None])
    table = pa.table([columns[f.name] for f in METADATA_FIELDS], schema=pa.schema(METADATA_FIELDS))
    assert table.num_rows == 2
    assert [f.name for f in METADATA_FIELDS] == [METADATA, M_INT, M_FLOAT, M_STR, M_BOOL, M_TOKENS]
    assert all(f.nullable for f in METADATA_FIELDS)


def test_an_empty_batch_gives_empty_columns() -> None:
    columns = encode_metadatas([])
    assert {name: len(array) for name, array in columns.items()} == dict.fromkeys(columns, 0)


def test_int_and_float_survive_the_round_trip() -> None:
    [decoded] = decode_metadatas(
        encode_metadatas([{"i": 1, "f": 1.0, "l": [2.0], "m": [2]}])[METADATA]
    )
    assert decoded == {"i": 1, "f": 1.0, "l": [2.0], "m": [2]}
    assert decoded is not None
    assert type(decoded["i"]) is int and type(decoded["f"]) is float
    assert type(decoded["l"][0]) is float and type(decoded["m"][0]) is int


def test_unicode_quotes_and_control_characters_survive() -> None:
    metadata = {"ключ é": "värde 🙂", 'q"uote': "it's \\ \n \x00", "t": ["ü", "\t"]}
    columns = encode_metadatas([metadata])
    assert decode_metadatas(columns[METADATA]) == [metadata]
    assert "ключ é" in columns[METADATA][0].as_py()  # stored unescaped (ensure_ascii=False)
    assert columns[M_TOKENS].to_pylist() == [["1:ts:ü", "1:ts:\t"]]


def test_negative_zero_is_stored_as_zero_like_chroma() -> None:
    columns = encode_metadatas([{"z": -0.0, "l": [-0.0]}])
    [decoded] = decode_metadatas(columns[METADATA])
    assert decoded is not None
    assert math.copysign(1.0, decoded["z"]) == 1.0 and math.copysign(1.0, decoded["l"][0]) == 1.0
    assert columns[M_TOKENS].to_pylist() == [[token("l", 0.0)]]


def test_non_finite_floats_are_kept_out_of_the_filter_columns() -> None:
    columns = encode_metadatas([{"n": math.nan, "i": math.inf, "l": [-math.inf, 1.0]}])
    assert columns[M_FLOAT].to_pylist() == [None]
    assert columns[M_TOKENS].to_pylist() == [[token("l", 1.0)]]
    [decoded] = decode_metadatas(columns[METADATA])
    assert decoded is not None and math.isnan(decoded["n"]) and decoded["i"] == math.inf


class Colour(str, enum.Enum):  # noqa: UP042 - the point: str() of it is "Colour.RED"
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


def test_subclasses_of_the_supported_types_are_stored_as_the_base_type() -> None:
    metadata = {"f": np.float64(1.5), "c": Colour.RED, "n": Level.HIGH, "t": ("a", Colour.RED)}
    columns = encode_metadatas([metadata])
    assert decode_metadatas(columns[METADATA]) == [
        {"f": 1.5, "c": "red", "n": 3, "t": ["a", "red"]}
    ]
    assert columns[M_INT].to_pylist() == ['{"n":3}']
    assert columns[M_TOKENS].to_pylist() == [["1:ts:a", "1:ts:red"]]


@pytest.mark.parametrize("value", [None, {"x": 1}, [[1]], [None], object()])
def test_unsupported_values_raise_type_error(value: Any) -> None:
    with pytest.raises(TypeError):
        encode_metadatas([{"k": value}])


def test_decode_takes_arrays_chunked_arrays_and_lists() -> None:
    texts = ['{"a":1}', None]
    expected = [{"a": 1}, None]
    assert decode_metadatas(texts) == expected
    assert decode_metadatas(pa.array(texts)) == expected
    assert decode_metadatas(pa.chunked_array([texts[:1], texts[1:]])) == expected


def test_tokens_are_typed() -> None:
    tokens = {token("k", v) for v in (1, 1.0, True, "1", "true", "1.0")}
    assert len(tokens) == 6
    assert token("k", 1.0) == token("k", -0.0 + 1.0) and token("k", -0.0) == token("k", 0.0)


# ---------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------

keys = st.text(min_size=1, max_size=6)
finite_floats = st.floats(allow_nan=False, allow_infinity=False).map(lambda f: f + 0.0)
scalars = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), finite_floats, st.text(max_size=8)
)
arrays = st.one_of(
    st.lists(st.booleans(), min_size=1, max_size=4),
    st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=4),
    st.lists(finite_floats, min_size=1, max_size=4),
    st.lists(st.text(max_size=8), min_size=1, max_size=4),
)
metadatas = st.one_of(st.none(), st.dictionaries(keys, st.one_of(scalars, arrays), max_size=6))


def _same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 and True from 1."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=200, deadline=None)
@given(st.lists(metadatas, max_size=8))
def test_round_trip(batch: list[dict[str, Any] | None]) -> None:
    decoded = decode_metadatas(encode_metadatas(batch)[METADATA])
    expected = [m or None for m in batch]  # {} is stored as "no metadata"
    assert len(decoded) == len(expected)
    assert all(_same(d, e) for d, e in zip(decoded, expected, strict=True))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(keys, st.one_of(scalars, arrays), min_size=1, max_size=6))
def test_per_type_columns_partition_the_scalars(metadata: dict[str, Any]) -> None:
    columns = encode_metadatas([metadata])
    parts = {
        name: decode_metadatas(columns[name].storage)[0] or {}
        for name in (M_INT, M_FLOAT, M_STR, M_BOOL)
    }
    for key, value in metadata.items():
        if isinstance(value, list):
            assert all(key not in part for part in parts.values())
            continue
        column = {bool: M_BOOL, int: M_INT, float: M_FLOAT, str: M_STR}[type(value)]
        assert _same(parts[column][key], value)
        assert all(key not in part for name, part in parts.items() if name != column)
    expected_tokens = [token(k, e) for k, v in metadata.items() if isinstance(v, list) for e in v]
    assert (columns[M_TOKENS][0].as_py() or []) == expected_tokens


@settings(max_examples=300, deadline=None)
@given(keys, scalars, keys, scalars)
def test_distinct_pairs_never_share_a_token(k1: str, v1: Any, k2: str, v2: Any) -> None:
    same_pair = k1 == k2 and type(v1) is type(v2) and v1 == v2
    assert (token(k1, v1) == token(k2, v2)) == same_pair
