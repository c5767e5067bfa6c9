"""Operations are generators of engine calls: driven by any backend, errors thrown back in."""

from __future__ import annotations

from typing import Any

import pytest

from chromalake.api import ops
from chromalake.errors import ChromaAuthError, NotFoundError
from chromalake.records import CollectionRecord
from chromalake.types import UserIdentity

RECORD = CollectionRecord("c1", "docs", "t", "d", {"hnsw": {"space": "l2"}})


def _answering(answers: dict[str, Any]) -> Any:
    calls: list[ops.EngineCall] = []

    def perform(c: ops.EngineCall) -> Any:
        calls.append(c)
        answer = answers[c.method]
        if isinstance(answer, Exception):
            raise answer
        return answer

    perform.calls = calls  # type: ignore[attr-defined]
    return perform


def test_an_operation_yields_its_engine_calls_in_order() -> None:
    scope = ops.Scope(ops.EMBEDDED, "t", "d")
    perform = _answering({"get_tenant": {"name": "t"}, "get_database": None})
    ops.drive(ops.set_tenant(scope, "t2", "d2"), perform)
    assert [(c.method, c.args) for c in perform.calls] == [
        ("get_tenant", ("t2",)),
        ("get_database", ("d2", "t2")),
    ]
    assert (scope.tenant, scope.database) == ("t2", "d2")


def test_backend_errors_are_thrown_into_the_operation() -> None:
    """The embedded dialect rewords a missing collection at the yield that failed."""
    state = ops.CollectionState(RECORD, ops.Scope(ops.EMBEDDED))
    missing = NotFoundError("Collection [c1] does not exist.")
    perform = _answering({"max_batch_size": 10, "add": missing})
    with pytest.raises(NotFoundError, match=r"^Error getting collection: Collection \[c1\]"):
        ops.drive(ops.write(state, "add", (["a"], [[1.0]], None, None, None, None), True), perform)
    http = ops.CollectionState(RECORD, ops.Scope(ops.Dialect(embedded=False)))
    with pytest.raises(NotFoundError, match=r"^Collection \[c1\] does not exist\.$"):
        ops.drive(ops.write(http, "add", (["a"], [[1.0]], None, None, None, None), True), perform)


def test_a_failed_set_tenant_keeps_the_old_scope() -> None:
    scope = ops.Scope(ops.EMBEDDED, "t", "d")
    perform = _answering({"get_tenant": NotFoundError("Tenant [x] not found")})
    with pytest.raises(NotFoundError):
        ops.drive(ops.set_tenant(scope, "x", "d"), perform)
    assert scope.tenant == "t"


def test_an_unreachable_server_is_worded_as_chromadb_words_it() -> None:
    dialect = ops.Dialect(embedded=False, unreachable=lambda e: isinstance(e, ConnectionError))
    perform = _answering({"get_user_identity": ConnectionError("refused")})
    with pytest.raises(ValueError, match="Could not connect to a Chroma server"):
        ops.drive(ops.get_user_identity(ops.Scope(dialect)), perform)


@pytest.mark.parametrize(
    ("identity", "asked", "resolved"),
    [
        (
            UserIdentity("", "acme", ["sales"]),
            ("default_tenant", "default_database"),
            ("acme", "sales"),
        ),
        (UserIdentity("", "acme", ["a", "b"]), ("default_tenant", "b"), ("acme", "b")),
        (UserIdentity("", "*", ["*"]), ("t", "d"), ("t", "d")),
        (UserIdentity("", "acme", ["sales"]), ("acme", "default_database"), ("acme", "sales")),
    ],
)
def test_a_keys_identity_decides_what_was_not_asked(
    identity: UserIdentity, asked: tuple[str, str], resolved: tuple[str, str]
) -> None:
    assert ops._resolved(identity, *asked) == resolved


def test_a_tenant_other_than_the_keys_is_refused() -> None:
    with pytest.raises(ChromaAuthError, match="Tenant other does not match acme"):
        ops._resolved(UserIdentity("", "acme", ["sales"]), "other", "default_database")
    with pytest.raises(ChromaAuthError, match="Database other does not match sales"):
        ops._resolved(UserIdentity("", "acme", ["sales"]), "acme", "other")
