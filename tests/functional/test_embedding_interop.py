"""chromadb's embedding functions and chromalake's are interchangeable, as collections store them:
``{"type": "known", "name": ..., "config": ...}``.

- Over HTTP against ``chromalake run``: a collection the official client creates with each of
  chromadb's registered (dense) functions is rebuilt by chromalake's ``get_collection`` with
  chromalake's function of that name and the same config, and the reverse.
- chromadb's own function objects work in chromalake's clients (they embed, and persist by
  name), embedded and over HTTP, and chromalake's work in chromadb's.
- A chromalake collection passes ``isinstance(x, chromadb.Collection)``: LlamaIndex's
  ``ChromaVectorStore.from_collection`` takes it.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chromadb
import pytest
from fake_provider import FakeProvider, openai_reply, serve, vector_for
from library_stand_ins import KWARGS, STAND_INS, install_stand_in
from provider_cases import CASES, Case, ef_class, provider_environment
from running_server import RunningServer

import chromalake

# Sparse functions belong to a collection's schema, not its embedding function; LangChain's
# cannot be rebuilt from its config (in chromadb too).
DENSE_CASES = [c for c in CASES if c.name not in {"chroma-cloud-splade"}]
DENSE_STAND_INS = sorted(set(STAND_INS) - {"bm25", "fastembed_sparse", "huggingface_sparse"})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path_factory.mktemp("interop-run"))
    yield running
    running.stop(signal.SIGKILL)


def _clients(server: RunningServer) -> tuple[Any, Any]:
    official = server.official_client()  # reset: a clean slate
    ours = chromalake.HttpClient(host="127.0.0.1", port=server.port)
    return official, ours


def _described(ef: Any) -> tuple[str, str, dict[str, Any]]:
    return type(ef).__name__, ef.name(), ef.get_config()


def _check_both_ways(server: RunningServer, make: Any) -> None:
    official, ours = _clients(server)
    theirs_ef, ours_ef = make("chromadb"), make("chromalake")

    official.create_collection("made-by-chromadb", embedding_function=theirs_ef)
    # As in chromadb, a collection keeps the function it was given (the default one) and
    # embeds with the one its configuration names, rebuilt: `configuration` shows that one.
    rebuilt_here = ours.get_collection("made-by-chromadb").configuration["embedding_function"]
    assert type(rebuilt_here).__module__.startswith("chromalake")
    assert _described(rebuilt_here) == _described(theirs_ef)

    ours.create_collection("made-by-chromalake", embedding_function=ours_ef)
    rebuilt_there = official.get_collection("made-by-chromalake").configuration[
        "embedding_function"
    ]
    assert type(rebuilt_there).__module__.startswith("chromadb")
    assert _described(rebuilt_there) == _described(ours_ef)


@pytest.mark.parametrize("case", DENSE_CASES, ids=lambda c: c.name)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_each_provider_function_is_rebuilt_across_clients_over_http(
    server: RunningServer, case: Case, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for fake in provider_environment(case, monkeypatch, tmp_path):
        _check_both_ways(server, _maker(case, fake.url, monkeypatch))


def _maker(case: Case, url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    return lambda side: case.make(side, url, monkeypatch)


@pytest.mark.parametrize("name", DENSE_STAND_INS)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_each_local_library_function_is_rebuilt_across_clients_over_http(
    server: RunningServer, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_stand_in(name, monkeypatch)
    _check_both_ways(server, lambda side: ef_class(side, name)(**KWARGS[name]))


# -- functions that embed, passed across -----------------------------------------------------

DOCS = {"d1": "lake water", "d2": "a mountain", "d3": "cats"}


@pytest.fixture
def openai_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.setenv("CHROMA_OPENAI_API_KEY", "sk-interop")
    yield from serve(openai_reply)


def _openai(side: str, url: str) -> Any:
    module = chromadb if side == "chromadb" else chromalake
    functions = module.utils.embedding_functions
    return functions.OpenAIEmbeddingFunction(model_name="text-embedding-3-small", api_base=url)


def _fill_and_ask(client: Any, ef: Any, fake: FakeProvider) -> None:
    col = client.create_collection("docs", embedding_function=ef)
    col.add(ids=list(DOCS), documents=list(DOCS.values()))
    assert fake.requests[-1].body["input"] == list(DOCS.values())
    stored = col.get(ids=["d2"], include=["embeddings"])["embeddings"][0]
    assert list(stored) == pytest.approx(vector_for("a mountain"))


def _reopened_asks(col: Any, fake: FakeProvider, side: str) -> None:
    assert type(col.configuration["embedding_function"]).__module__.startswith(side)
    found = col.query(query_texts=["a mountain"], n_results=1)
    assert found["ids"] == [["d2"]]
    assert fake.requests[-1].body["input"] == ["a mountain"]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_chromadb_s_function_embeds_and_persists_in_a_chromalake_persistent_client(
    openai_api: FakeProvider, tmp_path: Path
) -> None:
    _fill_and_ask(
        chromalake.PersistentClient(tmp_path), _openai("chromadb", openai_api.url), openai_api
    )
    reopened = chromalake.PersistentClient(tmp_path).get_collection("docs")
    rebuilt = reopened.configuration["embedding_function"]
    assert isinstance(rebuilt, chromalake.utils.embedding_functions.OpenAIEmbeddingFunction)
    assert rebuilt.get_config() == _openai("chromadb", openai_api.url).get_config()
    _reopened_asks(reopened, openai_api, "chromalake")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_chromalake_s_function_embeds_and_persists_in_a_chromadb_persistent_client(
    openai_api: FakeProvider, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = chromadb.Settings(anonymized_telemetry=False)
    client = chromadb.PersistentClient(str(tmp_path), settings=settings)
    _fill_and_ask(client, _openai("chromalake", openai_api.url), openai_api)
    # chromadb registers the class of each function it stores under the function's name (so
    # ours, here); a new process would have its own class there: so does this one now.
    their_class = chromadb.utils.embedding_functions.OpenAIEmbeddingFunction
    monkeypatch.setitem(
        chromadb.utils.embedding_functions.known_embedding_functions, "openai", their_class
    )
    chromadb.api.client.SharedSystemClient.clear_system_cache()  # reopen from disk
    reopened = chromadb.PersistentClient(str(tmp_path), settings=settings).get_collection("docs")
    _reopened_asks(reopened, openai_api, "chromadb")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_over_http_each_client_embeds_with_the_function_the_other_stored(
    server: RunningServer, openai_api: FakeProvider
) -> None:
    official, ours = _clients(server)
    _fill_and_ask(official, _openai("chromadb", openai_api.url), openai_api)
    _reopened_asks(ours.get_collection("docs"), openai_api, "chromalake")

    official, ours = _clients(server)
    _fill_and_ask(ours, _openai("chromalake", openai_api.url), openai_api)
    _reopened_asks(official.get_collection("docs"), openai_api, "chromadb")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_chromadb_s_function_object_in_chromalake_s_http_client(
    server: RunningServer, openai_api: FakeProvider
) -> None:
    _, ours = _clients(server)
    _fill_and_ask(ours, _openai("chromadb", openai_api.url), openai_api)
    _reopened_asks(ours.get_collection("docs"), openai_api, "chromalake")


# -- integrations that check isinstance(x, chromadb.Collection) -----------------------------


def test_llamaindex_takes_a_chromalake_collection() -> None:
    vector_stores = pytest.importorskip("llama_index.vector_stores.chroma")
    col = chromalake.EphemeralClient().create_collection("llama", embedding_function=None)
    assert isinstance(col, chromadb.Collection)
    store = vector_stores.ChromaVectorStore.from_collection(col)
    assert store._collection is col


def test_passing_as_chromadb_s_collection_adds_none_of_its_members() -> None:
    """chromadb's class becomes a base, but its public members that chromalake's collection
    lacks (attach_function...) stay absent: they would run on state a chromalake collection
    does not keep."""
    col = chromalake.EphemeralClient().create_collection("members", embedding_function=None)
    assert isinstance(col, chromadb.Collection)
    theirs = {n for n in dir(chromadb.Collection) if not n.startswith("_")}
    absent = {n for n in theirs if not hasattr(col, n)}
    # chromalake's collection has no functions attached to collections (get_indexing_status
    # is its own: tests/functional/test_indexing_status.py).
    assert absent == {"attach_function", "detach_function", "get_attached_function"}
    with pytest.raises(AttributeError, match="has no attribute 'attach_function'"):
        _ = col.attach_function
