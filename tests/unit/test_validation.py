"""``chromalake.validation`` against Chroma 1.5.9 itself.

Client rules are compared with ``chromadb.api.types``' own validators; engine rules with what an
embedded ``chromadb.EphemeralClient`` raises. Both sides must raise the same exception class with
the same message. Where Chroma's wording depends on hash or HashMap order (it lists the members
of a ``set``, or the fields of a Rust ``HashMap``), the messages are compared after sorting
those lists. The oracle tests skip when ``chromadb`` is not installed.
"""

from __future__ import annotations

import importlib
import inspect
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any, get_args

import numpy as np
import pytest

from chromalake import errors, validation

Outcome = tuple[str, str] | None

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def outcome(call: Callable[[], object]) -> Outcome:
    """``(exception class name, message)`` of what ``call`` raises, or None if it returns."""
    try:
        call()
    except BaseException as error:  # PyO3 panics are BaseExceptions
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return type(error).__name__, str(error)
    return None


def _sorted_items(match: re.Match[str]) -> str:
    return match.group(1) + ", ".join(sorted(match.group(2).split(", "))) + match.group(3)


_SET_ORDERED = [
    re.compile(r"(Exactly one of )(.+?)( must be provided)"),
    re.compile(r"(found duplicates of: )(.+?)((?: in \w+\.)?)$"),
    re.compile(r"(to be a numpy array, got \[)(.+?)(\])"),
]


def canonical(result: Outcome) -> Outcome:
    """Undo the orderings Chroma leaves to its hash seed or to a Rust HashMap."""
    if result is None:
        return None
    name, message = result
    for pattern in _SET_ORDERED:
        message = pattern.sub(_sorted_items, message)
    # "found 12 duplicated IDs: <five>, ..., <five>": the sample depends on set order.
    message = re.sub(r"(duplicated IDs: ).*?((?: in \w+\.)?)$", r"\1<sample>\2", message)
    if message.startswith("Validation error: ") and "\n" in message:
        lines = message.removeprefix("Validation error: ").split("\n")
        message = "Validation error: " + "\n".join(sorted(lines))
    message = re.sub(
        r"\[\{(\"\w+\": [^,]+\)), (\"\w+\": [^}]+\))\}\]",
        lambda m: "[{" + ", ".join(sorted([m.group(1), m.group(2)])) + "}]",
        message,
    )
    return name, message


def assert_same(ours: Outcome, theirs: Outcome) -> None:
    assert canonical(ours) == canonical(theirs)


def _cases(*values: Any) -> list[Any]:
    """Parametrize values with readable ids."""
    return [pytest.param(value, id=repr(value)[:60]) for value in values]


# --------------------------------------------------------------------------------------------
# Oracle fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ctypes() -> Any:
    """``chromadb.api.types``: Chroma's own client validators."""
    return importlib.import_module("chromadb.api.types")


@pytest.fixture(scope="module")
def chroma(chroma_oracle: Any) -> Any:
    """The embedded chromadb client (tests/conftest.py builds it for the whole session)."""
    return chroma_oracle


@pytest.fixture
def fresh_collection(chroma: Any) -> Iterator[Any]:
    """An empty Chroma collection without an embedding function, dropped afterwards."""
    name = f"t-{uuid.uuid4().hex[:12]}"
    yield chroma.create_collection(name, embedding_function=None)
    chroma.delete_collection(name)


@pytest.fixture
def dim2_collection(fresh_collection: Any) -> Any:
    """A Chroma collection whose dimension is fixed at 2 by one record."""
    fresh_collection.add(ids=["seed"], embeddings=[[0.5, 0.5]])
    return fresh_collection


# --------------------------------------------------------------------------------------------
# Client rules vs chromadb.api.types
# --------------------------------------------------------------------------------------------

WHERE_CASES = _cases(
    {"a": 1},
    {"a": "x"},
    {"a": 1.5},
    {"a": True},
    {"a": None},
    {"a": [1]},
    {"a": (1,)},
    {"a": np.int64(1)},
    {},
    {"a": 1, "b": 2},
    [],
    "a",
    None,
    {1: 1},
    {"$contains": "x"},
    {"$not_contains": "x"},
    {"$and": [{"a": 1}, {"b": 2}]},
    {"$or": [{"a": 1}, {"b": {"$gt": 2}}]},
    {"$and": []},
    {"$and": [{"a": 1}]},
    {"$or": {"a": 1}},
    {"$and": [{"a": 1}, {}]},
    {"$and": [{"a": 1}, {"$or": [{"b": 1}, {"c": {"$in": []}}]}]},
    {"$in": [1, 2]},
    {"$in": 5},
    {"$foo": 1},
    {"a": {}},
    {"a": {"$gt": 1, "$lt": 3}},
    {"a": {"$gt": "x"}},
    {"a": {"$gte": None}},
    {"a": {"$lt": True}},
    {"a": {"$lte": 2.5}},
    {"a": {"$eq": {"b": 1}}},
    {"a": {"$ne": None}},
    {"a": {"$eq": [1, 2]}},
    {"a": {"$in": "x"}},
    {"a": {"$in": []}},
    {"a": {"$in": [1, 2.0]}},
    {"a": {"$in": [1, True]}},
    {"a": {"$in": [True, 1]}},
    {"a": {"$nin": ["x", "y"]}},
    {"a": {"$nin": [[1], [2]]}},
    {"a": {"$contains": 1}},
    {"a": {"$contains": [1]}},
    {"a": {"$not_contains": None}},
    {"#document": {"$contains": 1}},
    {"#document": {"$contains": "x"}},
    {"#document": {"$not_contains": ["x"]}},
    {"a": {"$regex": "x"}},
    {"a": {"$foo": 1}},
    {"a": {1: 1}},
    {"a": {"$eq": (1, 2)}},
)


@pytest.mark.parametrize("where", WHERE_CASES)
def test_where_matches_chroma(ctypes: Any, where: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_where(where)),
        outcome(lambda: ctypes.validate_where(where)),
    )


WHERE_DOCUMENT_CASES = _cases(
    {"$contains": "x"},
    {"$not_contains": "x"},
    {"$regex": "a+"},
    {"$not_regex": "("},
    {"$contains": ""},
    {"$contains": 1},
    {"$contains": None},
    {"$foo": "x"},
    {},
    {"$contains": "x", "$regex": "y"},
    "x",
    [],
    {"$and": [{"$contains": "x"}, {"$regex": "y"}]},
    {"$or": [{"$contains": "x"}]},
    {"$or": []},
    {"$and": {"$contains": "x"}},
    {"$and": [{"$contains": "x"}, {"$contains": ""}]},
    {"$or": [{"$contains": "x"}, {"$and": [{"$contains": "y"}, "z"]}]},
    {"$in": ["x"]},
)


@pytest.mark.parametrize("where_document", WHERE_DOCUMENT_CASES)
def test_where_document_matches_chroma(ctypes: Any, where_document: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_where_document(where_document)),
        outcome(lambda: ctypes.validate_where_document(where_document)),
    )


INCLUDE_CASES = _cases(
    ["documents"],
    ["documents", "embeddings", "metadatas", "distances", "uris", "data"],
    [],
    "documents",
    None,
    ("documents",),
    [1],
    [None],
    ["foo"],
    ["Documents"],
    ["distances"],
    ["metadatas", "distances"],
)


@pytest.mark.parametrize("disallowed", [None, ["distances"]])
@pytest.mark.parametrize("include", INCLUDE_CASES)
def test_include_matches_chroma(ctypes: Any, include: Any, disallowed: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_include(include, disallowed=disallowed)),
        outcome(lambda: ctypes.validate_include(include, dissalowed=disallowed)),
    )


@pytest.mark.parametrize(
    "n_results", _cases(1, 10, 0, -1, True, False, 1.0, "5", None, np.int64(3), 2**40)
)
def test_n_results_matches_chroma(ctypes: Any, n_results: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_n_results(n_results)),
        outcome(lambda: ctypes.validate_n_results(n_results)),
    )


IDS_CASES = _cases(
    ["a"],
    ["a", "b"],
    [],
    None,
    "a",
    ("a", "b"),
    [1],
    ["a", None],
    ["a", "a"],
    ["a", "b", "a", "b", "c"],
    ["b", "a", "b", "a"],
    [str(i % 12) for i in range(24)],
    [str(i % 10) for i in range(20)],
    [str(i % 9) for i in range(18)],
    [""],
)


@pytest.mark.parametrize("ids", IDS_CASES)
def test_ids_match_chroma(ctypes: Any, ids: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_ids(ids)),
        outcome(lambda: ctypes.validate_ids(ids)),
    )


def test_duplicate_ids_sample_is_five_and_five_of_eleven() -> None:
    ids = [f"id{i % 13}" for i in range(26)]
    with pytest.raises(errors.DuplicateIDError) as caught:
        validation.validate_ids(ids)
    assert str(caught.value) == (
        "Expected IDs to be unique, found 13 duplicated IDs: "
        "id0, id1, id2, id3, id4, ..., id6, id7, id8, id9, id10"
    )


METADATA_CASES = _cases(
    {"a": 1},
    {"a": "x", "b": 1.5, "c": True, "d": None},
    {"a": [1, 2]},
    {"a": ["x"]},
    {"a": [1.0, 2.5]},
    {"a": [True, False]},
    {},
    None,
    "x",
    [("a", 1)],
    {1: "a"},
    {"chroma:document": "x"},
    {"chroma:uri": "x"},
    {"a": []},
    {"a": [1, "x"]},
    {"a": [1, True]},
    {"a": [True, 1]},
    {"a": [1, 1.0]},
    {"a": [None]},
    {"a": [[1]]},
    {"a": [{"b": 1}]},
    {"a": {"b": 1}},
    {"a": (1, 2)},
    {"a": np.int64(1)},
    {"a": np.float64(1.5)},
    {"a": b"x"},
    {"#a": 1},
    {"": 1},
)


@pytest.mark.parametrize("metadata", METADATA_CASES)
def test_metadata_matches_chroma(ctypes: Any, metadata: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_metadata(metadata)),
        outcome(lambda: ctypes.validate_metadata(metadata)),
    )


@pytest.mark.parametrize("metadata", METADATA_CASES)
def test_update_metadata_matches_chroma(ctypes: Any, metadata: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_update_metadata(metadata)),
        outcome(lambda: ctypes.validate_update_metadata(metadata)),
    )


@pytest.mark.parametrize("metadatas", _cases([{"a": 1}, None], [None], [{}], {"a": 1}, None))
def test_metadatas_match_chroma(ctypes: Any, metadatas: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_metadatas(metadatas)),
        outcome(lambda: ctypes.validate_metadatas(metadatas)),
    )


SPARSE_CASES = _cases(
    ([0, 2], [1.0, 0.5], None),
    ([0, 2], [1.0, 0.5], ["x", "y"]),
    ((0, 2), [1.0, 0.5], None),
    ([0, 2], (1.0, 0.5), None),
    ([0], [1.0, 0.5], None),
    ([0, 1], [1.0, 0.5], "xy"),
    ([0, 1], [1.0, 0.5], ["x"]),
    ([0, 1.0], [1.0, 0.5], None),
    ([-1, 1], [1.0, 0.5], None),
    ([0, 1], [1.0, "x"], None),
    ([1, 0], [1.0, 0.5], None),
    ([1, 1], [1.0, 0.5], None),
)


@pytest.mark.parametrize("sparse", SPARSE_CASES)
def test_sparse_vector_matches_chroma(sparse: tuple[Any, Any, Any]) -> None:
    base_types = importlib.import_module("chromadb.base_types")
    indices, values, labels = sparse
    assert_same(
        outcome(lambda: validation.validate_sparse_vector(indices, values, labels)),
        outcome(lambda: base_types.SparseVector(indices=indices, values=values, labels=labels)),
    )


EMBEDDINGS_CASES = _cases(
    [1.0, 2.0],
    [1, 2],
    [[1, 2], [3, 4]],
    [[1.5, 2.5]],
    np.array([1.0, 2.0]),
    np.array([[1.0, 2.0], [3.0, 4.0]]),
    np.array([[1, 2]], dtype=np.int32),
    np.array([[1, 2]], dtype=np.int64),
    np.array([[1, 2]], dtype=np.float16),
    np.array([[1, 2]], dtype=np.uint8),
    np.array([[1, 2]], dtype=np.int8),
    np.array([[True, False]]),
    np.array([["a", "b"]]),
    np.zeros((1, 1, 2)),
    np.zeros((0,)),
    np.zeros((1, 0)),
    np.float64(1.0),
    [np.array([1.0, 2.0]), np.array([3.0, 4.0])],
    [np.array([1.0, 2.0]), None],
    [np.array([1.0, 2.0]), [1.0, 2.0]],
    [np.array([])],
    [np.array(1.0)],
    [np.array([[1.0, 2.0]])],
    [],
    [[]],
    [[1.0], []],
    [[True, 1.0]],
    [True, 1.0],
    [[1.0, "a"]],
    [1.0, [2.0]],
    [np.float32(1.0), 2.0],
    [np.float64(1.0), 2.0],
    [(1.0, 2.0)],
    (1.0, 2.0),
    "abc",
    ["abc"],
    [None],
    [[None]],
    5,
    {"a": 1},
)


def _normalize_then_validate(module: Any, embeddings: Any) -> Any:
    normalized = module.normalize_embeddings(embeddings)
    return None if normalized is None else module.validate_embeddings(normalized)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("embeddings", EMBEDDINGS_CASES)
def test_embeddings_match_chroma(ctypes: Any, embeddings: Any) -> None:
    assert_same(
        outcome(lambda: _normalize_then_validate(validation, embeddings)),
        outcome(lambda: _normalize_then_validate(ctypes, embeddings)),
    )


@pytest.mark.parametrize(
    "embeddings", _cases("x", None, (np.zeros(2),), [], [1.0], [np.zeros(2), "x"])
)
def test_validate_embeddings_directly_matches_chroma(ctypes: Any, embeddings: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_embeddings(embeddings)),
        outcome(lambda: ctypes.validate_embeddings(embeddings)),
    )


@pytest.mark.parametrize("nullable", [False, True])
@pytest.mark.parametrize(
    "documents", _cases(["a"], [None], ["a", None], [1], [b"x"], [], "a", None, [["a"]])
)
def test_documents_match_chroma(ctypes: Any, documents: Any, nullable: bool) -> None:
    assert_same(
        outcome(lambda: validation.validate_documents(documents, nullable=nullable)),
        outcome(lambda: ctypes.validate_documents(documents, nullable=nullable)),
    )


@pytest.mark.parametrize(
    "images", _cases([np.zeros((2, 2))], [np.zeros(2)], ["x"], [], "x", [np.zeros((2, 2, 3))])
)
def test_images_match_chroma(ctypes: Any, images: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_images(images)),
        outcome(lambda: ctypes.validate_images(images)),
    )


_FIELDS = ("ids", "metadatas", "embeddings", "documents", "images", "uris")
LENGTH_CASES = _cases(
    {"ids": ["a"], "embeddings": [1]},
    {"ids": ["a", "b"], "embeddings": [1]},
    {"ids": ["a", "b"], "metadatas": [1], "embeddings": [1], "documents": [1, 2, 3]},
    {"ids": []},
    {"ids": [], "documents": []},
    {"ids": ["a"], "uris": []},
    {},
    {"uris": ["u"], "images": ["i", "j"]},
)


@pytest.mark.parametrize("given", LENGTH_CASES)
def test_record_set_lengths_match_chroma(ctypes: Any, given: dict[str, Any]) -> None:
    fields = {name: given.get(name) for name in _FIELDS}
    assert_same(
        outcome(lambda: validation.validate_record_set_lengths(fields)),
        outcome(lambda: ctypes._validate_record_set_length_consistency(fields)),
    )


@pytest.mark.parametrize("given", [{}, {"documents": ["d"], "uris": ["u"]}, {"images": ["i"]}])
def test_exactly_one_matches_chroma(ctypes: Any, given: dict[str, Any]) -> None:
    record_set = {"embeddings": None, **{k: given.get(k) for k in ("documents", "images", "uris")}}
    fields = {k: record_set[k] for k in validation.EMBEDDABLE_FIELDS}
    assert_same(
        outcome(lambda: validation.validate_exactly_one(fields)),
        outcome(lambda: ctypes.validate_record_set_for_embedding(record_set)),
    )


@pytest.mark.parametrize("size", [10, 11, 12])
def test_batch_size_matches_chroma_http_client(ctypes: Any, size: int) -> None:
    batch = ([str(i) for i in range(size)], None, None, None, None)
    assert_same(
        outcome(lambda: validation.validate_batch_size(size, 11)),
        outcome(lambda: ctypes.validate_batch(batch, {"max_batch_size": 11})),
    )


# --------------------------------------------------------------------------------------------
# Engine rules vs an embedded chromadb
# --------------------------------------------------------------------------------------------

COLLECTION_NAMES = _cases(
    "abc",
    "ab",
    "a",
    "",
    "a" * 512,
    "a" * 513,
    "-abc",
    "abc-",
    "a_b.c-d",
    "a..bc",
    "a.b.c",
    "1.2.3.4",
    "255.255.255.255",
    "01.2.3.4",
    "1.2.3",
    "256.1.1.1",
    "ab cd",
    "abc\n",
    "éée",
    "abc+def",
    "ab+cde",
    "abc+",
    "+abc",
    "a+b+c",
    "abc+a..b",
    "1.2.3.4+abc",
    "abc+" + "a" * 509,
    "abc+" + "a" * 508,
    123,
)


def _chroma_create_then_drop(chroma: Any, name: Any, metadata: Any = None) -> None:
    chroma.create_collection(name, metadata=metadata, embedding_function=None)
    chroma.delete_collection(name)


@pytest.mark.parametrize("name", COLLECTION_NAMES)
def test_collection_name_matches_chroma(chroma: Any, name: Any) -> None:
    assert_same(
        outcome(lambda: validation.validate_collection_name(name)),
        outcome(lambda: _chroma_create_then_drop(chroma, name)),
    )


CREATE_CASES = _cases(
    ("abc", {}),
    ("ab", {}),
    ("ab", {"#a": 1}),
    ("abc", {"#a": 1}),
    ("abc", {"$a": 1}),
    ("abc", {"": 1}),
    ("abc", {"a#": 1, "b$": 2}),
    ("abc", {"ok": 1, "$bad": 2}),
    ("abc", {"a": 1}),
    ("a..b", {"": 1}),
)


@pytest.mark.parametrize("case", CREATE_CASES)
def test_create_collection_matches_chroma(chroma: Any, case: tuple[str, Any]) -> None:
    suffix = uuid.uuid4().hex[:8]
    name = case[0] if case[0] != "abc" else f"abc{suffix}"
    metadata = case[1]
    assert_same(
        outcome(lambda: validation.validate_create_collection(name, metadata)),
        outcome(lambda: _chroma_create_then_drop(chroma, name, metadata)),
    )


MODIFY_CASES = _cases(
    (None, {}),
    (None, {"a": None}),
    (None, {"#a": 1}),
    (None, {"": 1}),
    (None, {"ok": 1, "$b": 1}),
    (None, {"hnsw:space": "ip"}),
    (None, {"hnsw:space": None}),
    (None, {"hnsw:M": 5}),
    (None, {"chroma:document": "x"}),
    (None, {1: "x"}),
    (None, "x"),
    ("ab", None),
    ("ab", {"#a": 1}),
    ("ab", {"": 1}),
    ("a..b", None),
    (5, None),
)


def _ours_modify(name: Any, metadata: Any) -> None:
    validation.validate_modify(name, metadata, None)
    validation.validate_update_collection(name, metadata)


@pytest.mark.parametrize("case", MODIFY_CASES)
def test_modify_matches_chroma(fresh_collection: Any, case: tuple[Any, Any]) -> None:
    name, metadata = case
    assert_same(
        outcome(lambda: _ours_modify(name, metadata)),
        outcome(lambda: fresh_collection.modify(name=name, metadata=metadata)),
    )


@pytest.fixture(scope="module")
def admin(chroma: Any) -> Any:
    chromadb = importlib.import_module("chromadb")
    return chromadb.AdminClient(chroma._system.settings)


NAMES_FOR_DATABASES = _cases(
    "ab", "", "é", "éé", 'a"', "a\\", "a\n", "a..b", "1.2.3.4", "-abc", "a+b+c", 5
)


@pytest.mark.parametrize("name", NAMES_FOR_DATABASES)
def test_database_name_matches_chroma(admin: Any, name: Any) -> None:
    def theirs() -> None:
        unique = name + uuid.uuid4().hex[:6] if isinstance(name, str) and len(name) > 3 else name
        admin.create_database(unique)

    assert_same(outcome(lambda: validation.validate_database_name(name)), outcome(theirs))


@pytest.mark.parametrize("name", NAMES_FOR_DATABASES)
def test_tenant_name_matches_chroma(admin: Any, name: Any) -> None:
    def theirs() -> None:
        unique = name + uuid.uuid4().hex[:6] if isinstance(name, str) and len(name) > 3 else name
        admin.create_tenant(unique)

    assert_same(outcome(lambda: validation.validate_tenant_name(name)), outcome(theirs))


def test_strict_database_name_uses_the_bare_collection_rule() -> None:
    assert outcome(lambda: validation.validate_database_name("a..b", strict=True)) == (
        "InvalidArgumentError",
        "Expected a name that does not contains two consecutive periods (..). Got a..b",
    )
    assert outcome(lambda: validation.validate_database_name("abc", strict=True)) is None


NAN = float("nan")
INF = float("inf")
RECORD_BATCHES = _cases(
    # (ids, embeddings, metadatas, documents, uris)
    (["a"], [[1.0, 2.0]], None, None, None),
    (["a", "b"], [[1.0, 2.0]], None, None, None),
    (["a"], [[1.0, 2.0]], None, ["x", "y"], None),
    (["a"], [[1.0, 2.0]], None, None, ["u", "v"]),
    (["a"], [[1.0, 2.0]], [{"k": 1}, None], None, None),
    ([""], [[1.0, 2.0]], None, None, None),
    (["", "b"], [[1.0, 2.0]], None, None, None),
    (["a"], [[NAN, 2.0]], None, None, None),
    (["a"], [[INF, 2.0]], None, None, None),
    (["a"], [[-INF, 2.0]], None, None, None),
    (["a"], [[]], None, None, None),
    (["a", "b"], [[], [NAN]], None, None, None),
    (["a", "b"], [[NAN], []], None, None, None),
    (["a", "b", "c"], [[1.0], [NAN], []], None, None, None),
    ([""], [[NAN, 1.0]], None, None, None),
    (["a"], [[1.0, 2.0]], [{"#a": 1}], None, None),
    (["a", "b"], [[1.0, 2.0]] * 2, [{"a": 1}, {"$a": 1}], None, None),
    (["a"], [[1.0, 2.0]], [{"": 1}], None, None),
    (["a"], [[1.0, 2.0]], [{"ok": 1, "#x": 2}], None, None),
    (["a"], [[1.0, 2.0]], [{}], None, None),
    (["a"], [[NAN, 2.0]], [{"#a": 1}], None, None),
    ([""], [[1.0, 2.0]], [{"#a": 1}], None, None),
    (["a"], [[1.0, 2.0, 3.0]], None, None, None),
    (["a", "b"], [[1.0, 2.0], [1.0]], None, None, None),
    (["a", "b"], [[1.0, 2.0, 3.0], [1.0]], None, None, None),
    (["a", "b"], [[1.0, 2.0], [1.0, 2.0, 3.0]], None, None, None),
    (["", "b"], [[1.0, 2.0], [1.0]], None, None, None),
    (["a", "b", "c"], [[1.0, 2.0], [1.0]], None, None, None),
    (["a", "b", "c"], [[1.0, 2.0, 3.0]] * 2, None, None, None),
    (["", "b"], [[1.0, 2.0, 3.0]] * 2, None, None, None),
    (["a", "b"], [[1.0, 1.0], [1.0]], [{"#a": 1}, None], None, None),
    (["a", "b"], [[1.0, 2.0]], [{"#a": 1}], None, None),
    (["a", "b"], [[NAN, 2.0]], None, None, None),
    ([], [], None, None, None),
    (["d", "d"], [[1.0, 1.0], [2.0, 2.0]], None, None, None),
)

_SCOPE = ("default_tenant", "default_database")


def _binding_write(collection: Any, operation: str, batch: tuple[Any, ...]) -> None:
    """Send a batch straight to Chroma's Rust binding, skipping its Python checks."""
    ids, embeddings, metadatas, documents, uris = batch
    bindings = collection._client.bindings
    cid = str(collection.id)
    if operation == "add":
        bindings.add(ids, cid, embeddings, metadatas, documents, uris, *_SCOPE)
    else:
        method = getattr(bindings, operation)
        method(cid, ids, embeddings, metadatas, documents, uris, *_SCOPE)


def _ours_write(batch: tuple[Any, ...], expected_dimension: int | None, update: bool) -> None:
    ids, embeddings, metadatas, documents, uris = batch
    validation.validate_record_batch(
        ids,
        embeddings,
        metadatas,
        documents,
        uris,
        update=update,
        expected_dimension=expected_dimension,
    )


@pytest.mark.parametrize("operation", ["add", "update", "upsert"])
@pytest.mark.parametrize("batch", RECORD_BATCHES)
def test_record_batch_matches_chroma(
    dim2_collection: Any, batch: tuple[Any, ...], operation: str
) -> None:
    if not hasattr(dim2_collection._client, "bindings"):
        pytest.skip("this chromadb is not the Rust-backed embedded client")
    assert_same(
        outcome(lambda: _ours_write(batch, 2, operation == "update")),
        outcome(lambda: _binding_write(dim2_collection, operation, batch)),
    )


@pytest.mark.parametrize("batch", RECORD_BATCHES)
def test_record_batch_on_empty_collection_matches_chroma(
    fresh_collection: Any, batch: tuple[Any, ...]
) -> None:
    if not hasattr(fresh_collection._client, "bindings"):
        pytest.skip("this chromadb is not the Rust-backed embedded client")
    assert_same(
        outcome(lambda: _ours_write(batch, None, False)),
        outcome(lambda: _binding_write(fresh_collection, "add", batch)),
    )


def test_update_embeddings_may_hold_none(dim2_collection: Any) -> None:
    batch = (["seed", "b"], [None, [1.0, 2.0, 3.0]], None, None, None)
    assert_same(
        outcome(lambda: _ours_write(batch, 2, True)),
        outcome(lambda: _binding_write(dim2_collection, "update", batch)),
    )
    assert validation.validate_record_batch(["a", "b"], [None, [1.0]], None, None, None) == 1


def test_record_batch_returns_the_dimension() -> None:
    assert validation.validate_record_batch(["a"], [np.zeros(3)], None, None, None) == 3
    assert validation.validate_record_batch(["a"], None, None, ["d"], None) is None


QUERY_EMBEDDINGS = _cases(
    [[1.0, 2.0]],
    [[1.0, 2.0, 3.0]],
    [[1.0, 2.0], [1.0]],
    [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]],
    [[]],
    [[NAN, 1.0]],
)


def _ours_query(embeddings: list[list[float]], dimension: int | None) -> None:
    got = validation.validate_batch_dimension(embeddings)
    if got is not None:
        validation.validate_dimension(dimension, got)


@pytest.mark.parametrize("with_data", [False, True])
@pytest.mark.parametrize("embeddings", QUERY_EMBEDDINGS)
def test_query_dimensions_match_chroma(
    fresh_collection: Any, embeddings: list[list[float]], with_data: bool
) -> None:
    if with_data:
        fresh_collection.add(ids=["seed"], embeddings=[[0.5, 0.5]])
    bindings = fresh_collection._client.bindings
    cid = str(fresh_collection.id)
    assert_same(
        outcome(lambda: _ours_query(embeddings, 2 if with_data else None)),
        outcome(
            lambda: bindings.query(cid, None, embeddings, 1, None, None, ["distances"], *_SCOPE)
        ),
    )


def test_engine_batch_size_matches_chroma(fresh_collection: Any) -> None:
    chroma_client = fresh_collection._client
    limit = chroma_client.get_max_batch_size()
    ids = [str(i) for i in range(limit + 1)]
    assert_same(
        outcome(lambda: validation.check_engine_batch_size(len(ids), limit)),
        outcome(lambda: fresh_collection.add(ids=ids, embeddings=[[1.0, 2.0]] * len(ids))),
    )
    assert validation.check_engine_batch_size(limit, limit) is None


@pytest.mark.parametrize(
    "case",
    [
        (None, None, None, None, None),
        (
            [],
            None,
            None,
            None,
            "Validation error: ids, where: Either ids or where must be specified",
        ),
        ([], {"a": 1}, None, None, None),
        ([], None, {"$contains": "x"}, None, None),
        (
            ["a"],
            None,
            None,
            3,
            "Validation error: limit, where: limit can only be specified when a where clause "
            "is provided",
        ),
        (None, {"a": 1}, None, 0, None),
    ],
)
def test_delete_request_server_rules(case: tuple[Any, ...]) -> None:
    ids, where, where_document, limit, message = case
    result = outcome(lambda: validation.validate_delete_request(ids, where, where_document, limit))
    assert result == (None if message is None else ("InvalidArgumentError", message))


# --------------------------------------------------------------------------------------------
# Binding-level conversions
# --------------------------------------------------------------------------------------------

U32_CASES = _cases(
    None, 0, 1, True, np.int64(3), 2**32 - 1, 2**32, -1, 2**63 - 1, 2**63, -(2**64), 1.5, "x"
)


@pytest.mark.parametrize("value", U32_CASES)
def test_u32_conversion_matches_chroma_get(fresh_collection: Any, value: Any) -> None:
    assert_same(
        outcome(lambda: validation.check_u32_argument(value, "offset")),
        outcome(lambda: fresh_collection.get(offset=value)),
    )


def test_u32_conversion_returns_plain_int() -> None:
    checked = validation.check_u32_argument(np.int64(7), "limit")
    assert checked == 7 and type(checked) is int


def test_embeddings_to_float32() -> None:
    converted = validation.embeddings_to_float32([np.array([1, 2]), np.array([0.5, 1e300])])
    assert [c.dtype for c in converted] == [np.float32, np.float32]
    assert converted[0].tolist() == [1.0, 2.0]
    assert np.isinf(converted[1][1])  # left for the engine's NaN/inf check, as in Chroma


def test_every_constant_message_is_chromas(ctypes: Any) -> None:
    """Spot-check message constants against Chroma's source text."""

    from chromadb.api.models import CollectionCommon

    source = inspect.getsource(CollectionCommon)
    assert '"You must provide an embedding function to compute embeddings."' in source
    assert validation.MISSING_DATA_LOADER_MESSAGE in source
    assert validation.CHANGE_DISTANCE_MESSAGE in source
    assert get_args(get_args(ctypes.Include)[0]) == validation.INCLUDE_ITEMS
