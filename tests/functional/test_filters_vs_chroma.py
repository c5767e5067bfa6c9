"""compile_filter + encode_metadatas select exactly the records Chroma 1.5.9 selects.

The same records go into chromadb (the oracle) and into a raw lancedb ``memory://`` table built
with encode_metadatas; every clause must give the same id set. Clauses stay within the Python
client's grammar, since the oracle's client validates them.

The oracle is a PersistentClient in a private directory: it runs the same Rust engine and sqlite
segment as EphemeralClient, but every EphemeralClient of a process shares one system (which
other suites reset, and whose settings must all match). Collections are never deleted while
the oracle is in use: chromadb 1.5.9 leaks a deleted collection's array metadata into the
records of later collections (its ``embedding_metadata_array`` rows survive the deletion).
"""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import chromadb
import lancedb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chromalake.engine.filters import compile_filter, translate_lance_error
from chromalake.engine.metadata_columns import METADATA_FIELDS, encode_metadatas
from chromalake.errors import InternalError, InvalidArgumentError

Record = tuple[str, dict[str, Any] | None, str | None]

SCHEMA = pa.schema([pa.field("id", pa.utf8()), pa.field("document", pa.utf8()), *METADATA_FIELDS])

INJECTION = "a'); DROP TABLE t; --"
ODD_KEYS = ["it's", "naïve key", "50%_off", "back\\slash", 'dq"uote', "a.b", INJECTION]

RECORDS: list[Record] = [
    ("r01", {"n": 1, "s": "a", "b": True, "t": [1, 2]}, "cat"),
    ("r02", {"n": 1.0, "s": "A", "b": False, "t": [1.0, 2.5]}, "Cat"),
    ("r03", {"n": 1.5, "s": "", "t": ["a", "b"]}, "CAT"),
    ("r04", {"n": -1, "s": "1", "t": [True]}, ""),
    ("r05", {"n": -1.5, "s": "it's", "t": [False, True]}, "a%b_c"),
    ("r06", {"n": 0, "s": "ünï", "t": ["it's", "ünï"]}, "back\\slash and 'quotes'"),
    ("r07", {"n": -0.5, "s": "50%_off"}, "ünïcödé ÜNÏ"),
    ("r08", {"n": 2, "s": "back\\slash", "t": [-1, 0]}, "line1\nline2"),
    ("r09", {"n": 2**40, "s": "xxx"}, "The quick brown fox"),
    ("r10", {"n": 1e10, "t": [0.5, -2.0]}, None),
    ("r11", {"n": True, "s": False}, "12 cats"),
    ("r12", {"n": "1", "s": 1}, "%"),
    ("r13", {"n": [1], "s": ["a"]}, "_"),
    ("r14", None, "no metadata"),
    ("r15", {"other": 1}, None),
    ("r16", {"n": 2**53 + 1, "t": [2**53 + 1]}, "big int"),
    ("r17", {"n": 9007199254740992.0, "t": [9007199254740992.0]}, "big float"),
    ("r18", {"n": -(2**63), "s": "min"}, "i64 min"),
    ("r19", {"n": 2**63 - 1, "s": "max"}, "i64 max"),
    ("r20", {"n": 0.1 + 0.2, "t": [0.30000000000000004]}, "0.30000000000000004"),
    (
        "r21",
        {"it's": 1, "naïve key": "v", "50%_off": True, "back\\slash": 1.5, 'dq"uote': [1]},
        "odd keys 1",
    ),
    ("r22", {"it's": 2, "naïve key": "w", "50%_off": False, "a.b": "q'q"}, "odd 2"),
    ("r23", {INJECTION: "x", "a.b": "x", "back\\slash": 2}, "odd keys 3"),
]

NUMBERS: list[int | float] = [
    0,
    1,
    -1,
    2,
    1.0,
    1.5,
    -1.5,
    -0.5,
    0.5,
    -0.0,
    2**40,
    1e10,
    2**53 + 1,
    9007199254740992.0,
    -(2**63),
    2**63 - 1,
    0.30000000000000004,
    0.3,
]
STRINGS = ["a", "A", "", "1", "it's", "ünï", "50%_off", "back\\slash", "nope", "q'q", "x"]
SETS: list[list[Any]] = [
    [1],
    [1.0],
    [1.5],
    [2.5],
    [-1.5],
    [1, 2],
    [1.0, 2.5],
    [2**53 + 1],
    [9007199254740992.0],
    [True],
    [False, True],
    ["a", "1"],
    ["it's", "", "ünï"],
    ["x"],
]
CONTAINED: list[Any] = [1, 1.0, 2, 2.5, 0.5, -2.0, -2, -1, 0, 0.0, True, False, "a", "it's", "ünï"]
CONTAINED += [2**53 + 1, 9007199254740992.0, 0.30000000000000004, "1"]

DOCUMENT_TEXTS = ["at", "Cat", "cat", "%", "_", "\\", "'", "ünï", "\n", "a%b", "The quick", "12"]
DOCUMENT_TEXTS += ["1", "x", "'quotes'", "a_b"]
REGEXES = [
    "cat",
    "(?i)cat",
    "^C",
    "t$",
    r"\d",
    "^$",
    "ü",
    r"line1\nline2",
    "(?s)line1.line2",
    "line1.line2",
    "[%_]",
    r"\\",
    "'quotes'",
    "(?i)ÜNÏ",
    r"\bfox\b",
    "^(?:cat|CAT)$",
    r"\p{Lu}",
    "^.{3}$",
    "a{1,2}",
    "(?m)^line2$",
    # Literal backslashes: DataFusion's LIKE rewrite mishandles these unless guarded.
    r"\\slash",
    r"^back\\",
    r"k\\s",
    r"\\|%",
    r"^back\\slash and 'quotes'$",
    r"\x5C",
    r"(?i)BACK\\",
]


def _where_cases() -> Iterator[dict[str, Any]]:
    for key in ("n", "s", "b", "t", "missing"):
        for number in NUMBERS:
            yield {key: number}
            for op in ("$eq", "$ne", "$gt", "$gte", "$lt", "$lte"):
                yield {key: {op: number}}
        for text in STRINGS:
            yield {key: text}
            yield {key: {"$eq": text}}
            yield {key: {"$ne": text}}
        for flag in (True, False):
            yield {key: flag}
            yield {key: {"$eq": flag}}
            yield {key: {"$ne": flag}}
        for values in SETS:
            yield {key: {"$in": values}}
            yield {key: {"$nin": values}}
        for value in CONTAINED:
            yield {key: {"$contains": value}}
            yield {key: {"$not_contains": value}}
    for key in ODD_KEYS:
        for value in (1, 2, 1.5, "v", "x", "q'q", True, False):
            yield {key: value}
            yield {key: {"$ne": value}}
        yield {key: {"$in": [1, 2]}}
        yield {key: {"$nin": ["v", "x"]}}
        yield {key: {"$contains": 1}}
        yield {key: {"$not_contains": 1}}


NESTED: list[dict[str, Any]] = [
    {"$and": [{"n": {"$gte": 1}}, {"n": {"$lt": 2}}]},
    {"$or": [{"s": "a"}, {"n": {"$lt": 0}}]},
    {"$or": [{"n": {"$ne": 1}}, {"s": {"$nin": ["a"]}}]},
    {"$and": [{"n": {"$ne": 1}}, {"t": {"$not_contains": 1}}, {"b": {"$ne": True}}]},
    {"$or": [{"$and": [{"b": True}, {"t": {"$contains": 1}}]}, {"missing": {"$ne": 3}}]},
    {"$and": [{"$or": [{"s": ""}, {"s": "1"}]}, {"$or": [{"n": 1.5}, {"n": -1}]}]},
    {"$or": [{"#document": {"$contains": "at"}}, {"n": {"$gt": 100}}]},
    {"$and": [{"#document": {"$not_contains": "a"}}, {"s": {"$ne": "x"}}]},
    {"$or": [{"it's": 1}, {"naïve key": "w"}, {INJECTION: "x"}]},
    {"$and": [{"$or": [{"n": 1}, {"n": 2}]}, {"$or": [{"t": {"$contains": 2}}, {"s": "a"}]}]},
    {"$or": [{"missing": 1}, {"missing": {"$nin": [1]}}]},
    {"$and": [{"other": {"$ne": 1}}, {"other": {"$nin": [2]}}]},
]

DOCUMENT_CLAUSES: list[dict[str, Any]] = [
    *({"$contains": text} for text in DOCUMENT_TEXTS),
    *({"$not_contains": text} for text in DOCUMENT_TEXTS),
    *({"$regex": pattern} for pattern in REGEXES),
    *({"$not_regex": pattern} for pattern in REGEXES),
    {"$and": [{"$contains": "a"}, {"$not_contains": "c"}]},
    {"$or": [{"$regex": "^C"}, {"$contains": "%"}]},
    {"$or": [{"$and": [{"$contains": "a"}, {"$regex": "t$"}]}, {"$not_regex": "."}]},
]

DOCUMENT_IN_WHERE: list[dict[str, Any]] = [
    {"#document": {op: text}}
    for op in ("$contains", "$not_contains")
    for text in ("at", "'", "ünï", "\\")
]

COMBINED: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"n": 1}, {"$contains": "at"}),
    ({"n": {"$ne": 1}}, {"$regex": "(?i)c(?-i)at"}),
    ({"s": {"$nin": ["a"]}}, {"$not_contains": "a"}),
    (
        {"$or": [{"b": True}, {"missing": {"$ne": 1}}]},
        {"$or": [{"$contains": "c"}, {"$regex": "^$"}]},
    ),
]

CASES: list[tuple[dict[str, Any] | None, dict[str, Any] | None]] = [
    *((w, None) for w in _where_cases()),
    *((w, None) for w in NESTED),
    *((w, None) for w in DOCUMENT_IN_WHERE),
    *((None, d) for d in DOCUMENT_CLAUSES),
    *COMBINED,
    (None, None),
]


def _case_id(case: Any) -> str:
    return json.dumps(case, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# The two sides
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chroma_client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return chromadb.PersistentClient(path=str(tmp_path_factory.mktemp("chroma-oracle")))


def _chroma_collection(client: Any, records: Sequence[Record]) -> Any:
    collection = client.create_collection(f"filters-{uuid.uuid4().hex}", embedding_function=None)
    collection.add(
        ids=[r[0] for r in records],
        embeddings=[[0.5, float(i)] for i in range(len(records))],
        metadatas=[r[1] for r in records],
        documents=[r[2] for r in records],
    )
    return collection


def _lance_table(records: Sequence[Record]) -> Any:
    columns = {
        "id": pa.array([r[0] for r in records], pa.utf8()),
        "document": pa.array([r[2] for r in records], pa.utf8()),
        **encode_metadatas([r[1] for r in records]),
    }
    data = pa.table([columns[f.name] for f in SCHEMA], schema=SCHEMA)
    return lancedb.connect("memory://").create_table("records", data)


def _chroma_ids(collection: Any, where: Any, where_document: Any) -> set[str]:
    return set(collection.get(where=where, where_document=where_document, include=[])["ids"])


def _lance_ids(table: Any, where: Any, where_document: Any) -> set[str]:
    predicate = compile_filter(where, where_document)
    query = table.search() if predicate is None else table.search().where(predicate)
    return set(query.select(["id"]).to_arrow()["id"].to_pylist())


@pytest.fixture(scope="module")
def sides(chroma_client: Any) -> tuple[Any, Any]:
    return _chroma_collection(chroma_client, RECORDS), _lance_table(RECORDS)


# ---------------------------------------------------------------------------------------------
# The table of clauses
# ---------------------------------------------------------------------------------------------


def test_both_sides_hold_every_record(sides: tuple[Any, Any]) -> None:
    collection, table = sides
    everything = {r[0] for r in RECORDS}
    assert _chroma_ids(collection, None, None) == everything == _lance_ids(table, None, None)
    stored = collection.get(ids=[r[0] for r in RECORDS], include=["metadatas"])
    assert dict(zip(stored["ids"], stored["metadatas"], strict=True)) == {
        r[0]: r[1] for r in RECORDS
    }


@pytest.mark.parametrize(("where", "where_document"), CASES, ids=_case_id)
def test_same_ids_as_chroma(sides: tuple[Any, Any], where: Any, where_document: Any) -> None:
    collection, table = sides
    assert _lance_ids(table, where, where_document) == _chroma_ids(
        collection, where, where_document
    )


def test_the_table_is_not_trivial(sides: tuple[Any, Any]) -> None:
    """Guard against a table whose clauses all match nothing (or everything)."""
    collection, _ = sides
    sizes = [len(_chroma_ids(collection, w, d)) for w, d in CASES[::4]]
    assert len(set(sizes)) > 10
    assert sizes.count(0) < len(sizes) / 2 and sizes.count(len(RECORDS)) < len(sizes) / 3


# ---------------------------------------------------------------------------------------------
# Server-only grammar, checked on Lance alone (the oracle's client would refuse it)
# ---------------------------------------------------------------------------------------------


def test_empty_and_is_true_and_empty_or_is_false(sides: tuple[Any, Any]) -> None:
    _, table = sides
    assert _lance_ids(table, {"$and": []}, None) == {r[0] for r in RECORDS}
    assert _lance_ids(table, {"$or": []}, None) == set()
    assert _lance_ids(table, {"$or": [{"n": 1}]}, None) == _lance_ids(table, {"n": 1}, None)


def test_regex_on_document_in_where_equals_where_document(sides: tuple[Any, Any]) -> None:
    _, table = sides
    for op in ("$regex", "$not_regex"):
        assert _lance_ids(table, {"#document": {op: "(?i)cat"}}, None) == _lance_ids(
            table, None, {op: "(?i)cat"}
        )


def test_hostile_text_cannot_change_the_predicate(sides: tuple[Any, Any]) -> None:
    _, table = sides
    for text in ["x') OR true OR ('", "' OR '1'='1", "\\' OR true --", "'); --"]:
        assert _lance_ids(table, {text: text}, None) == set()
        assert _lance_ids(table, {text: {"$contains": text}}, None) == set()
        assert _lance_ids(table, None, {"$contains": text}) == set()
        assert _lance_ids(table, None, {"$not_contains": text}) == {r[0] for r in RECORDS}


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def _lance_error(table: Any, where_document: dict[str, Any]) -> Exception:
    predicate = compile_filter(None, where_document)
    try:
        table.search().where(predicate).to_arrow()
    except Exception as e:
        return e
    raise AssertionError(f"Lance accepted {where_document}")


INVALID_REGEXES = [
    "(",
    "(?-u)\\xFF",
    "[z-a]",
    "a{2,1}",
    "\\p{NoSuchClass}",
    "x{99999999999}",
    "(?P<",
    "\\",
    "()\\p{Q}",
    "\\d{2,1}",
    "(?P<n>\\d)(?P<n>b)",
    # multi-line patterns are echoed with line numbers
    "a\\d\n\\p{X}",
    "\\d(\nx",
    "(?P<n>\\d)\n(?P<n>b)",
    "[\\d\n",
    "\\d\\\n(?P<a>\n)(?P<a>)",
    "\\p{Q}" + "\na" * 10,
    # errors spanning lines add "on line 1 (column N) through ..." notes
    "\\d{2,\n1}",
    "\\d[z-\na]",
]


@pytest.mark.parametrize("pattern", INVALID_REGEXES)
def test_invalid_regex_gives_chromas_error(sides: tuple[Any, Any], pattern: str) -> None:
    collection, table = sides
    with pytest.raises(chromadb.errors.InvalidArgumentError) as expected:
        _chroma_ids(collection, None, {"$regex": pattern})
    translated = translate_lance_error(_lance_error(table, {"$regex": pattern}))
    assert isinstance(translated, InvalidArgumentError)
    assert translated.message() == str(expected.value)
    assert translated.message().startswith("Regex syntax errror: regex parse error:")


def test_invalid_regex_is_reported_even_by_an_empty_table() -> None:
    table = lancedb.connect("memory://").create_table("empty", schema=SCHEMA)
    error = translate_lance_error(_lance_error(table, {"$not_regex": "("}))
    assert isinstance(error, InvalidArgumentError)


def test_a_regex_too_big_to_compile_is_an_internal_error_on_both(sides: tuple[Any, Any]) -> None:
    collection, table = sides
    with pytest.raises(chromadb.errors.InternalError):
        _chroma_ids(collection, None, {"$regex": "a{1000}{1000}"})
    translated = translate_lance_error(_lance_error(table, {"$regex": "a{1000}{1000}"}))
    assert isinstance(translated, InternalError)


# ---------------------------------------------------------------------------------------------
# Random records and clauses
# ---------------------------------------------------------------------------------------------

KEYS = ["a", "b", "it's"]
ints = st.integers(-3, 3)
floats = st.sampled_from([-1.5, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
texts = st.sampled_from(["", "x", "y", "it's", "ü", "%", "\\"])
scalars = st.one_of(ints, floats, st.booleans(), texts)
arrays = st.one_of(
    *(st.lists(s, min_size=1, max_size=3) for s in (ints, floats, st.booleans(), texts))
)
random_metadata = st.one_of(
    st.none(), st.dictionaries(st.sampled_from(KEYS), st.one_of(scalars, arrays), min_size=1)
)
documents = st.one_of(
    st.none(), st.sampled_from(["cat", "Cat", "a cat", "x", "", "it's ü", "a\\b", "50%_1"])
)


def _homogeneous(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    return st.lists(values, min_size=1, max_size=3)


def _leaf() -> st.SearchStrategy[dict[str, Any]]:
    key = st.sampled_from([*KEYS, "missing"])
    numbers = st.one_of(ints, floats)
    comparison = st.tuples(
        key, st.sampled_from(["$gt", "$gte", "$lt", "$lte", "$eq", "$ne"]), numbers
    ).map(lambda t: {t[0]: {t[1]: t[2]}})
    equality = st.tuples(key, st.sampled_from(["$eq", "$ne"]), scalars).map(
        lambda t: {t[0]: {t[1]: t[2]}}
    )
    shorthand = st.tuples(key, scalars).map(lambda t: {t[0]: t[1]})
    sets = st.tuples(
        key,
        st.sampled_from(["$in", "$nin"]),
        st.one_of(*(_homogeneous(s) for s in (ints, floats, st.booleans(), texts))),
    ).map(lambda t: {t[0]: {t[1]: t[2]}})
    contains = st.tuples(key, st.sampled_from(["$contains", "$not_contains"]), scalars).map(
        lambda t: {t[0]: {t[1]: t[2]}}
    )
    document = st.tuples(
        st.sampled_from(["$contains", "$not_contains"]), st.sampled_from(["cat", "C", "'", "ü"])
    ).map(lambda t: {"#document": {t[0]: t[1]}})
    return st.one_of(comparison, equality, shorthand, sets, contains, document)


random_where = st.recursive(
    _leaf(),
    lambda children: st.tuples(
        st.sampled_from(["$and", "$or"]), st.lists(children, min_size=2, max_size=3)
    ).map(lambda t: {t[0]: t[1]}),
    max_leaves=6,
)
REGEX_POOL = [
    "cat",
    "C",
    "a",
    "'",
    "^$",
    "(?i)cat",
    "^c",
    "t$",
    "ü",
    r"\\",
    r"a\\b",
    r"\d",
    r"\bcat\b",
]
random_where_document = st.recursive(
    st.tuples(
        st.sampled_from(["$contains", "$not_contains", "$regex", "$not_regex"]),
        st.sampled_from(REGEX_POOL),
    ).map(lambda t: {t[0]: t[1]}),
    lambda children: st.tuples(
        st.sampled_from(["$and", "$or"]), st.lists(children, min_size=2, max_size=3)
    ).map(lambda t: {t[0]: t[1]}),
    max_leaves=4,
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    metadatas=st.lists(random_metadata, min_size=1, max_size=10),
    docs=st.lists(documents, min_size=10, max_size=10),
    clauses=st.lists(
        st.tuples(st.one_of(st.none(), random_where), st.one_of(st.none(), random_where_document)),
        min_size=6,
        max_size=6,
    ),
)
def test_random_clauses_on_random_records(
    chroma_client: Any,
    metadatas: list[dict[str, Any] | None],
    docs: list[str | None],
    clauses: list[tuple[Any, Any]],
) -> None:
    records = [(f"id{i}", m, d) for i, (m, d) in enumerate(zip(metadatas, docs, strict=False))]
    collection = _chroma_collection(chroma_client, records)  # kept: see the module docstring
    table = _lance_table(records)
    for where, where_document in clauses:
        expected = _chroma_ids(collection, where, where_document)
        assert _lance_ids(table, where, where_document) == expected, (where, where_document)


def test_the_case_table_covers_every_operator() -> None:
    seen: set[str] = set()

    def walk(clause: Any) -> None:
        if isinstance(clause, dict):
            for key, value in clause.items():
                if key.startswith("$"):
                    seen.add(key)
                walk(value)
        elif isinstance(clause, list):
            for item in clause:
                walk(item)

    for where, where_document in CASES:
        walk(where)
        walk(where_document)
    operators = ["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$contains"]
    operators += ["$not_contains", "$regex", "$not_regex", "$and", "$or"]
    assert set(operators) <= seen
    assert len(list(itertools.islice(_where_cases(), 10_000))) > 500
