"""``chromalake.api.records`` against Chroma 1.5.9's ``Collection`` methods.

Every case calls the same method on a fresh embedded ``chromadb`` collection (no embedding
function) and the matching ``prepare_*`` function, and asserts the same exception class and
message, " in add."-style suffix included. When Chroma's client accepts the input and only its
engine refuses it (``InvalidArgumentError`` and friends), ``prepare_*`` must accept it too: the
engine rules are tested in ``test_validation.py``. Set- or HashMap-ordered lists inside messages
are compared sorted. The normalization tests at the end need no ``chromadb``.
"""

from __future__ import annotations

import copy
import importlib
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from chromalake import errors
from chromalake.api import records

Outcome = tuple[str, str] | None
BIG_BATCH = 100_000
MISSING_EF = (
    "You must provide an embedding function to compute embeddings."
    "https://docs.trychroma.com/guides/embeddings"
)
NAN = float("nan")

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def outcome(call: Callable[[], object]) -> Outcome:
    """``(exception class name, message)`` of what ``call`` raises, or None if it returns."""
    try:
        call()
    except Exception as error:
        return type(error).__name__, str(error)
    return None


def _sorted_items(match: re.Match[str]) -> str:
    return match.group(1) + ", ".join(sorted(match.group(2).split(", "))) + match.group(3)


def canonical(result: Outcome) -> Outcome:
    """Sort the lists Chroma prints in set order (which depends on the hash seed)."""
    if result is None:
        return None
    name, message = result
    for pattern in (
        r"(Exactly one of )(.+?)( must be provided)",
        r"(found duplicates of: )(.+?)( in \w+\.)$",
        r"(to be a numpy array, got \[)(.+?)(\])",
    ):
        message = re.sub(pattern, _sorted_items, message)
    message = re.sub(r"(duplicated IDs: ).*( in \w+\.)$", r"\1<sample>\2", message)
    return name, message


#: Errors only Chroma's engine raises; the client-side ``prepare_*`` must let these inputs pass.
ENGINE_ERRORS = {"InvalidArgumentError", "InternalError", "NotFoundError", "ChromaError"}


def ours(operation: str, kwargs: dict[str, Any]) -> Any:
    """Call the ``prepare_*`` function for ``operation`` as ``Collection`` would."""
    if operation in ("add", "update", "upsert"):
        prepare = getattr(records, f"prepare_{operation}")
        return prepare(**kwargs, embed=None, max_batch_size=BIG_BATCH)
    if operation == "query":
        return records.prepare_query(**kwargs, embed_query=None)
    if operation == "get":
        return records.prepare_get(**kwargs)
    return records.prepare_delete(**kwargs)


def _has_sparse_vector(kwargs: dict[str, Any]) -> bool:
    return any(
        isinstance(v, dict) and v.get("#type") == "sparse_vector"
        for m in kwargs.get("metadatas") or []
        for v in (m or {}).values()
    )


def assert_matches_chroma(collection: Any, operation: str, kwargs: dict[str, Any]) -> None:
    theirs = outcome(lambda: getattr(collection, operation)(**copy.deepcopy(kwargs)))
    mine = outcome(lambda: ours(operation, copy.deepcopy(kwargs)))
    binding_refusal = theirs is not None and "Cannot convert Python object" in theirs[1]
    if binding_refusal and _has_sparse_vector(kwargs):
        # Single-node Chroma's binding cannot convert a sparse vector; chromalake stores
        # sparse vectors as Chroma Cloud does (README, "Schemas and sparse vectors").
        assert mine is None
    elif theirs is not None and theirs[0] in ENGINE_ERRORS:
        assert mine is None, f"client-side rules should accept this; Chroma's engine said {theirs}"
    else:
        assert canonical(mine) == canonical(theirs)


def case(operation: str, **kwargs: Any) -> Any:
    return pytest.param(operation, kwargs, id=f"{operation}-{kwargs!r}"[:90])


# --------------------------------------------------------------------------------------------
# Oracle fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chroma(chroma_oracle: Any) -> Any:
    """The embedded chromadb client (tests/conftest.py builds it for the whole session)."""
    return chroma_oracle


@pytest.fixture
def collection(chroma: Any) -> Iterator[Any]:
    """A fresh 2-d Chroma collection holding "seed", with no embedding function at all.

    ``configuration={"embedding_function": None}`` stops Chroma from falling back to its
    default (downloaded) model, so embedding fails with the message chromalake reproduces.
    """
    name = f"t-{uuid.uuid4().hex[:12]}"
    created = chroma.create_collection(
        name, embedding_function=None, configuration={"embedding_function": None}
    )
    created.add(ids=["seed"], embeddings=[[0.5, 0.5]])
    yield created
    chroma.delete_collection(name)


E2 = [[1.0, 2.0]]

WRITE_CASES = [
    # ids
    case("add", ids="a", embeddings=[1.0, 2.0]),
    case("add", ids=[], embeddings=E2),
    case("add", ids=None, embeddings=E2),
    case("add", ids=None),
    case("add", ids=["a"]),
    case("add", ids=[1], embeddings=E2),
    case("add", ids=("a",), embeddings=E2),
    case("add", ids=["a", "a"], embeddings=E2 * 2),
    case("add", ids=["a", "b", "a", "b", "c"], embeddings=E2 * 5),
    case("add", ids=[str(i % 12) for i in range(24)], embeddings=E2 * 24),
    case("add", ids=[""], embeddings=E2),
    case("add", ids=[], embeddings=[]),
    case("add", ids=[], documents=[]),
    # lengths
    case("add", ids=["a", "b"], embeddings=E2),
    case("add", ids=["a", "b"], embeddings=E2, metadatas=[{"a": 1}], documents=["a", "b", "c"]),
    case("add", ids=["a"], embeddings=E2, uris=[]),
    # embeddings
    case("add", ids=["a"], embeddings=[]),
    case("add", ids=["a"], embeddings=np.zeros((0,))),
    case("add", ids=["a"], embeddings=np.zeros((1, 0))),
    case("add", ids=["a"], embeddings=[np.array([])]),
    case("add", ids=["a"], embeddings=np.zeros((1, 2), dtype=np.uint8)),
    case("add", ids=["a"], embeddings=np.zeros((1, 2), dtype=bool)),
    case("add", ids=["a"], embeddings=np.array([[1, 2]], dtype=np.int32)),
    case("add", ids=["a"], embeddings=np.array([[1, 2]], dtype=np.float16)),
    case("add", ids=["a"], embeddings=np.array([1.0, 2.0])),
    case("add", ids=["a", "b"], embeddings=[np.zeros(2), None]),
    case("add", ids=["a", "b"], embeddings=[np.zeros(2), [1.0, 2.0]]),
    case("add", ids=["a"], embeddings="abc"),
    case("add", ids=["a"], embeddings=5),
    case("add", ids=["a"], embeddings=[[True, 1.0]]),
    case("add", ids=["a"], embeddings=[[1.0, "a"]]),
    case("add", ids=["a"], embeddings=[[]]),
    case("add", ids=["a"], embeddings=np.zeros((1, 1, 2))),
    case("add", ids=["a"], embeddings=[np.array([[1.0, 2.0]])]),
    case("add", ids=["a"], embeddings=(1.0, 2.0)),
    case("add", ids=["a"], embeddings=[(1.0, 2.0)]),
    case("add", ids=["a"], embeddings=[np.float32(1.0), 2.0]),
    case("add", ids=["a"], embeddings=[np.float64(1.0), 2.0]),
    case("add", ids=["a", "b"], embeddings=[[1.0, 2.0], [1.0]]),
    case("add", ids=["a"], embeddings=[[NAN, 1.0]]),
    case("add", ids=["a"], embeddings=[[1.0, 2.0, 3.0]]),
    # metadatas
    case("add", ids=["a"], embeddings=E2, metadatas={}),
    case("add", ids=["a"], embeddings=E2, metadatas={"k": 1}),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"k": None}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"k": {"b": 1}}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"k": []}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"k": [1, "x"]}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"k": [1, True]}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"k": [None]}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{1: "x"}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"chroma:document": "x"}]),
    case("add", ids=["a"], embeddings=E2, metadatas=["x"]),
    case("add", ids=["a"], embeddings=E2, metadatas=5),
    case("add", ids=["a", "b"], embeddings=E2 * 2, metadatas=[{"k": 1}, None]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"#k": 1}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"k": (1, 2)}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"k": np.int64(1)}]),
    case("add", ids=["a"], embeddings=E2, metadatas=[{"a": 1.5, "b": True, "c": "s", "d": [1.0]}]),
    case(
        "add",
        ids=["a"],
        embeddings=E2,
        metadatas=[{"k": {"#type": "sparse_vector", "indices": [1, 0], "values": [1.0, 2.0]}}],
    ),
    case(
        "add",
        ids=["a"],
        embeddings=E2,
        metadatas=[{"k": {"#type": "sparse_vector", "values": [1.0]}}],
    ),
    case(
        "upsert",
        ids=["a"],
        embeddings=E2,
        metadatas=[{"k": {"#type": "sparse_vector", "indices": [0], "values": [1.0]}}],
    ),
    # documents, uris, images and what gets embedded
    case("add", ids=["a"], documents=["x"]),
    case("add", ids=["a"], documents="x"),
    case("add", ids=["a"], embeddings=E2, documents=[None]),
    case("add", ids=["a"], documents=[None]),
    case("add", ids=["a"], embeddings=E2, documents=[1]),
    case("add", ids=["a"], embeddings=E2, documents="x"),
    case("add", ids=["a"], documents=["x"], uris=["u"]),
    case("add", ids=["a"], uris=["u"]),
    case("add", ids=["a"], embeddings=E2, uris=[1]),
    case("add", ids=["a"], embeddings=E2, uris=[None]),
    case("add", ids=["a"], embeddings=E2, uris="u"),
    case("add", ids=["a"], images=[np.zeros(2)]),
    case("add", ids=["a"], images=[np.zeros((2, 2))]),
    case("add", ids=["a"], images="x"),
    case("add", ids=["a"], embeddings=E2, images=[np.zeros((2, 2))]),
    # update
    case("update", ids=["seed"]),
    case("update", ids="seed", embeddings=[0.1, 0.2]),
    case("update", ids=["seed", "b"], embeddings=[None, [1.0, 2.0]]),
    case("update", ids=["seed"], metadatas=[{"k": None}]),
    case("update", ids=["seed"], metadatas={}),
    case("update", ids=["seed"], metadatas=[{"chroma:document": "x"}]),
    case("update", ids=["seed"], documents=["x"]),
    case("update", ids=["seed"], documents=[None]),
    case("update", ids=["seed"], uris=["u"]),
    case("update", ids=["seed"], documents=["d"], images=[np.zeros((2, 2))]),
    case("update", ids=[], metadatas=[]),
    case("update", ids=["a", "a"]),
    case("update", ids=["seed"], embeddings=[[1.0, 2.0, 3.0]]),
    # upsert
    case("upsert", ids=["a"]),
    case("upsert", ids=["a"], uris=["u"]),
    case("upsert", ids=["a"], metadatas=[{"k": 1}]),
    case("upsert", ids=["a"], embeddings=E2, metadatas=[{"k": None}]),
    case("upsert", ids=["a"], documents=["x"]),
    case("upsert", ids=["a"], documents=["x"], images=[np.zeros((2, 2))]),
    case("upsert", ids=["a", "a"], embeddings=E2 * 2),
    case("upsert", ids=["a"], embeddings=E2, documents=[None], uris=[None]),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("operation", "kwargs"), WRITE_CASES)
def test_writes_match_chroma(collection: Any, operation: str, kwargs: dict[str, Any]) -> None:
    assert_matches_chroma(collection, operation, kwargs)


def test_update_with_documents_and_uris_embeds_the_documents(collection: Any) -> None:
    """Chroma embeds whichever of documents/uris its set yields first (hash-seed dependent).

    chromalake always embeds the documents, the field the update validated; that is one of
    Chroma's two behaviours.
    """
    kwargs = {"ids": ["seed"], "documents": ["d"], "uris": ["u"]}
    embed_documents = ("ValueError", f"{MISSING_EF} in update.")
    embed_uris = (
        "ValueError",
        "You must set a data loader on the collection if loading from URIs. in update.",
    )
    assert outcome(lambda: collection.update(**kwargs)) in (embed_documents, embed_uris)
    assert outcome(lambda: ours("update", kwargs)) == embed_documents


READ_CASES = [
    # get
    case("get"),
    case("get", ids="seed"),
    case("get", ids=[]),
    case("get", ids=[1]),
    case("get", ids=["a", "a"]),
    case("get", ids=("a",)),
    case("get", where={}),
    case("get", where={"a": {"$gt": "x"}}),
    case("get", where={"$and": [{"a": 1}]}),
    case("get", where={"a": 1}, where_document={"$contains": ""}),
    case("get", where_document={"$regex": "("}),
    case("get", where={"$in": [1, 2]}),
    case("get", include=["distances"]),
    case("get", include=["data"]),
    case("get", include=["foo"]),
    case("get", include="documents"),
    case("get", include=[1]),
    case("get", include=None),
    case("get", include=[]),
    case("get", include=["embeddings", "uris"]),
    case("get", limit=-1),
    case("get", limit=2**32),
    case("get", limit=2**64),
    case("get", limit=-(2**64)),
    case("get", limit=1.5),
    case("get", limit="x"),
    case("get", limit=True),
    case("get", limit=np.int64(1)),
    case("get", limit=0),
    case("get", offset=-1),
    case("get", offset="x"),
    case("get", ids=[], limit=-1),
    case("get", where={"a": 1}, limit=1, offset=1),
    # query
    case("query"),
    case("query", query_embeddings=[1.0, 2.0]),
    case("query", query_embeddings=np.array([[1.0, 2.0], [3.0, 4.0]])),
    case("query", query_embeddings=[]),
    case("query", query_embeddings=[[]]),
    case("query", query_embeddings=[[1.0, 2.0], [1.0]]),
    case("query", query_embeddings=[[1.0, 2.0, 3.0]]),
    case("query", query_embeddings=[[NAN, 2.0]]),
    case("query", query_embeddings=[np.array([[1.0, 2.0]])]),
    case("query", query_texts="x"),
    case("query", query_texts=["x", None]),
    case("query", query_texts=[1]),
    case("query", query_embeddings=E2, query_texts=["x"]),
    case("query", query_embeddings=E2, query_texts=[None]),
    case("query", query_embeddings=E2, query_texts=["x", "y"]),
    case("query", query_uris=["u"]),
    case("query", query_texts=["x"], query_uris=["u"]),
    case("query", query_images=[np.zeros(2)]),
    case("query", query_images=[np.zeros((2, 2))]),
    case("query", query_embeddings=E2, n_results=0),
    case("query", query_embeddings=E2, n_results=-1),
    case("query", query_embeddings=E2, n_results=1.0),
    case("query", query_embeddings=E2, n_results=True),
    case("query", query_embeddings=E2, n_results=np.int64(2)),
    case("query", query_embeddings=E2, n_results=2**32),
    case("query", query_embeddings=E2, n_results="5"),
    case("query", query_embeddings=E2, n_results=None),
    case("query", query_embeddings=E2, include=["data"]),
    case("query", query_embeddings=E2, include=["distances", "foo"]),
    case("query", query_embeddings=E2, include="distances"),
    case("query", query_embeddings=E2, ids=[]),
    case("query", query_embeddings=E2, ids="seed"),
    case("query", query_embeddings=E2, ids=[1]),
    case("query", query_embeddings=E2, ids=["nope"]),
    case("query", query_embeddings=E2, where={"a": {"$in": []}}),
    case("query", query_embeddings=E2, where_document={"$foo": "x"}),
    case("query", query_embeddings="x", n_results=0),
    # delete
    case("delete"),
    case("delete", ids=[]),
    case("delete", ids="seed"),
    case("delete", ids=[1]),
    case("delete", ids=["a", "a"]),
    case("delete", ids=["a"], limit=1),
    case("delete", where={"a": 1}, limit=True),
    case("delete", where={"a": 1}, limit=1.0),
    case("delete", where={"a": 1}, limit=-1),
    case("delete", where={"a": 1}, limit="x"),
    case("delete", where={"a": 1}, limit=2**32),
    case("delete", where={"a": 1}, limit=0),
    case("delete", where_document={"$contains": "x"}, limit=3),
    case("delete", where={"$and": [{"a": 1}, {"b": {"$in": 2}}]}),
    case("delete", where_document={"$contains": ""}),
    case("delete", ids=[], where={"a": 1}),
    case("delete", ids=["a"], where={"a": 1}, where_document={"$contains": "x"}),
]


@pytest.mark.parametrize(("operation", "kwargs"), READ_CASES)
def test_reads_and_deletes_match_chroma(
    collection: Any, operation: str, kwargs: dict[str, Any]
) -> None:
    assert_matches_chroma(collection, operation, kwargs)


# --------------------------------------------------------------------------------------------
# With an embedding function
# --------------------------------------------------------------------------------------------


def length_embedder(inputs: list[Any]) -> list[list[float]]:
    """A toy embedding function: ``[len(text), 1.0]``."""
    return [[float(len(text)), 1.0] for text in inputs]


@pytest.fixture
def ef_collection(chroma: Any) -> Iterator[tuple[Any, Any]]:
    """A Chroma collection whose embedding function is a settable toy; yields (col, setter)."""
    from chromadb.api.types import Documents, EmbeddingFunction

    behaviour: dict[str, Callable[[list[Any]], Any]] = {"call": length_embedder}

    class ToyEF(EmbeddingFunction[Documents]):  # type: ignore[misc]
        def __init__(self) -> None:
            pass

        def __call__(self, input: Documents) -> Any:
            return behaviour["call"](list(input))

    name = f"t-{uuid.uuid4().hex[:12]}"
    created = chroma.create_collection(name, embedding_function=ToyEF())

    def set_behaviour(call: Callable[[list[Any]], Any]) -> None:
        behaviour["call"] = call

    yield created, set_behaviour
    chroma.delete_collection(name)


def test_documents_are_embedded_like_chroma(ef_collection: tuple[Any, Any]) -> None:
    col, _ = ef_collection
    col.add(ids=["a", "b"], documents=["x", "yyy"])
    stored = col.get(ids=["a", "b"], include=["embeddings"])["embeddings"]
    batch = records.prepare_add(
        ["a", "b"], documents=["x", "yyy"], embed=length_embedder, max_batch_size=BIG_BATCH
    )
    assert batch.embeddings is not None
    assert np.array_equal(np.stack(batch.embeddings), stored)
    assert batch.documents == ["x", "yyy"]


def test_query_texts_use_embed_query() -> None:
    request = records.prepare_query(
        query_texts=["ab"], embed_query=lambda texts: [[9.0, 9.0]] * len(texts)
    )
    assert [q.tolist() for q in request.query_embeddings] == [[9.0, 9.0]]


BAD_EMBEDDER_OUTPUTS = [
    pytest.param(lambda inputs: [], id="empty"),
    pytest.param(lambda inputs: None, id="none"),
    pytest.param(lambda inputs: ["x"], id="strings"),
    pytest.param(lambda inputs: [np.zeros(2, dtype=np.uint8)], id="uint8"),
    pytest.param(lambda inputs: [[]], id="empty-vector"),
]


@pytest.mark.parametrize("operation", ["add", "upsert", "update", "query"])
@pytest.mark.parametrize("bad", BAD_EMBEDDER_OUTPUTS)
def test_bad_embedder_output_matches_chroma(
    ef_collection: tuple[Any, Any], bad: Callable[[list[Any]], Any], operation: str
) -> None:
    col, set_behaviour = ef_collection
    set_behaviour(bad)
    if operation == "query":
        theirs = outcome(lambda: col.query(query_texts=["x"]))
        mine = outcome(lambda: records.prepare_query(query_texts=["x"], embed_query=bad))
    else:
        theirs = outcome(lambda: getattr(col, operation)(ids=["a"], documents=["x"]))
        prepare = getattr(records, f"prepare_{operation}")
        mine = outcome(lambda: prepare(["a"], documents=["x"], embed=bad, max_batch_size=9))
    if theirs is not None and theirs[0] in ENGINE_ERRORS:
        assert mine is None
    else:
        assert canonical(mine) == canonical(theirs)


def test_embedder_exceptions_get_the_suffix(ef_collection: tuple[Any, Any]) -> None:
    col, set_behaviour = ef_collection

    def broken(inputs: list[Any]) -> Any:
        raise KeyError("model")

    set_behaviour(broken)
    theirs = outcome(lambda: col.add(ids=["a"], documents=["x"]))
    mine = outcome(
        lambda: records.prepare_add(["a"], documents="x", embed=broken, max_batch_size=9)
    )
    assert mine == theirs == ("KeyError", "\"'model' in add.\"")


# --------------------------------------------------------------------------------------------
# Batch size (Chroma's HTTP client; its embedded binding words it differently)
# --------------------------------------------------------------------------------------------


def test_batch_size_matches_chroma_http_client() -> None:
    ctypes = importlib.import_module("chromadb.api.types")
    ids = [str(i) for i in range(4)]
    theirs = outcome(
        lambda: ctypes.validate_batch((ids, None, None, None, None), {"max_batch_size": 3})
    )
    for prepare in (records.prepare_add, records.prepare_update, records.prepare_upsert):
        mine = outcome(
            lambda prepare=prepare: prepare(ids, embeddings=E2 * 4, embed=None, max_batch_size=3)
        )
        assert mine == theirs == ("ValueError", "Batch size 4 exceeds maximum batch size 3")
    assert records.prepare_add(ids, E2 * 4, embed=None, max_batch_size=4).ids == ids


def test_validation_errors_come_before_the_batch_size() -> None:
    with pytest.raises(ValueError, match=r"^Non-empty lists are required for \['ids'\] in add\.$"):
        records.prepare_add([], embed=None, max_batch_size=0)


# --------------------------------------------------------------------------------------------
# Normalization (no chromadb needed)
# --------------------------------------------------------------------------------------------


def test_single_values_become_lists() -> None:
    batch = records.prepare_add(
        "a", [1, 2], {"k": 1}, "doc", uris="u", embed=None, max_batch_size=BIG_BATCH
    )
    assert batch.ids == ["a"]
    assert batch.metadatas == [{"k": 1}]
    assert batch.documents == ["doc"]
    assert batch.uris == ["u"]
    assert batch.embeddings is not None and len(batch.embeddings) == 1


@pytest.mark.parametrize(
    "embeddings",
    [
        np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float64),
        np.array([[1, 2], [3, 4]], dtype=np.int64),
        np.array([[1, 2], [3, 4]], dtype=np.int32),
        np.array([[1, 2], [3, 4]], dtype=np.float16),
        [[1, 2], [3, 4]],
        [[1.0, 2.0], [3.0, 4.0]],
        [np.array([1.0, 2.0]), np.array([3, 4])],
    ],
    ids=["f64", "i64", "i32", "f16", "int-lists", "float-lists", "array-list"],
)
def test_embeddings_become_float32_vectors(embeddings: Any) -> None:
    batch = records.prepare_add(["a", "b"], embeddings, embed=None, max_batch_size=BIG_BATCH)
    assert batch.embeddings is not None
    assert all(e.dtype == np.float32 and e.ndim == 1 for e in batch.embeddings)
    assert [e.tolist() for e in batch.embeddings] == [[1.0, 2.0], [3.0, 4.0]]


def test_one_dimensional_array_is_one_embedding() -> None:
    batch = records.prepare_upsert("a", np.array([1.0, 2.0, 3.0]), embed=None, max_batch_size=9)
    assert batch.embeddings is not None
    assert [e.tolist() for e in batch.embeddings] == [[1.0, 2.0, 3.0]]


def test_metadatas_are_copied() -> None:
    metadata = {"k": 1}
    batch = records.prepare_add("a", [1.0], metadata, embed=None, max_batch_size=9)
    assert batch.metadatas is not None
    metadata["k"] = 2
    assert batch.metadatas == [{"k": 1}]


def test_update_without_vectors_has_no_embeddings() -> None:
    batch = records.prepare_update(
        ["a"], metadatas=[{"k": None}], uris="u", embed=None, max_batch_size=9
    )
    assert batch.embeddings is None
    assert batch.metadatas == [{"k": None}]


def test_update_embeds_new_documents() -> None:
    batch = records.prepare_update("a", documents="xyz", embed=length_embedder, max_batch_size=9)
    assert batch.embeddings is not None
    assert [e.tolist() for e in batch.embeddings] == [[3.0, 1.0]]


def test_documents_beside_embeddings_are_stored_not_embedded() -> None:
    def fail(inputs: list[Any]) -> list[Any]:
        raise AssertionError("must not embed")

    batch = records.prepare_add("a", [1.0, 2.0], documents="d", embed=fail, max_batch_size=9)
    assert batch.documents == ["d"]


def test_uris_are_loaded_then_embedded() -> None:
    batch = records.prepare_add(
        "a",
        uris="file:x",
        embed=lambda data: [[float(len(d)), 0.0] for d in data],
        data_loader=lambda uris: [u.upper() * 2 for u in uris],
        max_batch_size=9,
    )
    assert batch.embeddings is not None
    assert batch.embeddings[0].tolist() == [12.0, 0.0]
    assert batch.uris == ["file:x"]


def test_get_defaults_and_data() -> None:
    default = records.prepare_get()
    assert default.include == ["metadatas", "documents"]
    assert default.ids is None and default.limit is None and default.offset is None
    include = ["documents", "data"]
    request = records.prepare_get(include=include, has_data_loader=True)
    assert request.include == ["documents", "data", "uris"]
    assert include == ["documents", "data"]  # the caller's list is left alone


def test_get_limit_offset_are_plain_ints() -> None:
    request = records.prepare_get(limit=np.int64(3), offset=True)
    assert (request.limit, request.offset) == (3, 1)
    assert type(request.limit) is int


def test_query_defaults() -> None:
    request = records.prepare_query([[1, 2]], ids="a", embed_query=None)
    assert request.include == ["metadatas", "documents", "distances"]
    assert request.n_results == 10
    assert request.ids == ["a"]
    assert request.query_embeddings[0].dtype == np.float32


def test_delete_request_fields() -> None:
    request = records.prepare_delete("a", where={"k": 1}, limit=2)
    assert (request.ids, request.where, request.where_document, request.limit) == (
        ["a"],
        {"k": 1},
        None,
        2,
    )


def test_requests_are_frozen() -> None:
    request = records.prepare_delete(ids="a")
    with pytest.raises(AttributeError):
        request.ids = ["b"]  # type: ignore[misc]


def test_duplicate_ids_raise_chromalake_error() -> None:
    with pytest.raises(errors.DuplicateIDError, match=r"found duplicates of: a in add\.$"):
        records.prepare_add(["a", "a"], [[1.0], [2.0]], embed=None, max_batch_size=9)


def test_missing_embedding_function_message() -> None:
    with pytest.raises(ValueError) as caught:
        records.prepare_add("a", documents="x", embed=None, max_batch_size=9)
    assert str(caught.value) == f"{MISSING_EF} in add."


def test_validation_context_keeps_extra_args_and_empty_errors() -> None:
    with pytest.raises(ValueError) as caught, records.validation_context("get"):
        raise ValueError("bad", 2)
    assert caught.value.args == ("('bad', 2) in get.", 2)
    with pytest.raises(ValueError) as empty, records.validation_context("get"):
        raise ValueError()
    assert empty.value.args == ()
