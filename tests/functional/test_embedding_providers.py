"""Each of chromalake's embedding functions against a fake of its provider on 127.0.0.1, with
chromadb's own function as the oracle: both are made the same way, sent to the same fake, and
must send the same requests (path, query, body, auth header), return the same vectors, and
describe themselves the same way (name, spaces, config); each accepts the other's config.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_provider import FakeProvider, Request
from provider_cases import CASES, PROVIDER_KEY_VARIABLES, Case, ef_class, provider_environment

TEXTS = ["hello world", "a cat", "lakes"]


@pytest.fixture(params=CASES, ids=lambda case: case.name)
def case(request: pytest.FixtureRequest) -> Case:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def provider(case: Case, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeProvider]:
    yield from provider_environment(case, monkeypatch, tmp_path)


def _normalized(result: Any) -> list[Any]:
    return [v.to_dict() if hasattr(v, "to_dict") else np.asarray(v).tolist() for v in result]


def _run(ef: Any, fake: FakeProvider, headers: tuple[str, ...]) -> tuple[list[Any], list[Any]]:
    start = len(fake.requests)
    results = [_normalized(ef(TEXTS)), _normalized(ef.embed_query(TEXTS[:1]))]
    sent = [
        (r.method, r.path, r.query, r.body, [r.header(h) for h in headers])
        for r in fake.requests[start:]
    ]
    return results, sent


def _assert_same_vectors(ours: list[Any], theirs: list[Any]) -> None:
    assert len(ours) == len(theirs)
    for our_batch, their_batch in zip(ours, theirs, strict=True):
        assert len(our_batch) == len(their_batch)
        for our, their in zip(our_batch, their_batch, strict=True):
            if isinstance(their, dict):  # a sparse vector
                assert our.keys() == their.keys()
                assert our["indices"] == their["indices"]
                assert our.get("tokens") == their.get("tokens")
                np.testing.assert_allclose(our["values"], their["values"])
            else:
                np.testing.assert_allclose(our, their, rtol=1e-6)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_sends_what_chromadb_sends_and_reads_what_it_reads(
    case: Case, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = case.make("chromadb", provider.url, monkeypatch)
    ours = case.make("chromalake", provider.url, monkeypatch)
    assert type(ours).__name__ == type(theirs).__name__
    their_results, their_requests = _run(theirs, provider, case.headers)
    our_results, our_requests = _run(ours, provider, case.headers)
    assert our_requests == their_requests
    assert our_requests, "nothing reached the fake provider"
    assert all(value is not None for *_, values in our_requests for value in values)
    _assert_same_vectors(our_results, their_results)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_describes_itself_as_chromadb_s_does(
    case: Case, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same name, spaces and config; each side's config passes the other's schema check and
    rebuilds the function on the other side."""
    theirs = case.make("chromadb", provider.url, monkeypatch)
    ours = case.make("chromalake", provider.url, monkeypatch)
    assert ours.name() == theirs.name()
    if hasattr(theirs, "default_space"):
        assert ours.default_space() == theirs.default_space()
        assert ours.supported_spaces() == theirs.supported_spaces()
    assert ours.get_config() == theirs.get_config()
    theirs.validate_config(ours.get_config())
    ours.validate_config(theirs.get_config())
    rebuilt_here = ef_class("chromalake", case.name).build_from_config(theirs.get_config())
    rebuilt_there = ef_class("chromadb", case.name).build_from_config(ours.get_config())
    assert rebuilt_here.get_config() == rebuilt_there.get_config() == theirs.get_config()


def _refuse(request: Request) -> tuple[int, Any]:
    return 401, {"error": "invalid api key", "detail": "invalid api key", "message": "denied"}


def _failure(ef: Any) -> tuple[str, str]:
    with pytest.raises(Exception) as caught:
        ef(TEXTS)
    # Some SDKs quote the reply's headers; its Date may differ by a second between the two.
    return type(caught.value).__name__, re.sub(r"'date': '[^']*', ", "", str(caught.value))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_refused_request_fails_as_chromadb_s_does(
    case: Case, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    provider.reply = _refuse
    theirs = _failure(case.make("chromadb", provider.url, monkeypatch))
    ours = _failure(case.make("chromalake", provider.url, monkeypatch))
    if case.name == "cloudflare_workers_ai":
        # chromadb's check reads resp["result"] of a reply that has none (KeyError); ours
        # raises the RuntimeError that check meant to, with the provider's words.
        assert theirs == ("KeyError", "'result'")
        assert ours == ("RuntimeError", "invalid api key")
    else:
        assert ours == theirs


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_provider_s_own_key_variable_wins_as_in_chromadb(
    case: Case, provider: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the provider's own variable set (OPENAI_API_KEY, JINA_API_KEY...), the function
    reads and records it instead of api_key_env_var, as chromadb's does (where it does)."""
    for name in PROVIDER_KEY_VARIABLES:
        monkeypatch.setenv(name, f"own-{name.lower()}")
    theirs = case.make("chromadb", provider.url, monkeypatch)
    ours = case.make("chromalake", provider.url, monkeypatch)
    assert ours.get_config() == theirs.get_config()
    assert getattr(ours, "api_key", None) == getattr(theirs, "api_key", None)
