"""A write that loses its commit to concurrent writers: run again, then refused as retryable."""

from __future__ import annotations

import httpx
import pytest

from chromalake.engine.lance_calls import COMMIT_ATTEMPTS, _committed, _create_or_open, lost_commit
from chromalake.errors import UnavailableError, from_wire, to_wire
from chromalake.http.endpoint import RetryPolicy

# What Lance raised in our runs of concurrent writers (8 threads on S3, moto).
TOO_MANY = (
    "lance error: Too many concurrent writers. Attempted 6 times, but failed on "
    "retry_timeout of 30.000 seconds."
)


class Table:
    """Records the calls ``_committed`` makes on a Lance table."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def checkout_latest(self) -> None:
        self.calls.append("latest")


def _failing(table: Table, messages: list[str]) -> object:
    def commit() -> str:
        table.calls.append("commit")
        if messages:
            raise RuntimeError(messages.pop(0))
        return "committed"

    return commit


@pytest.mark.parametrize(
    "message",
    [
        TOO_MANY,
        "Retryable commit conflict for version 7: This Rewrite transaction was preempted",
        "Commit conflict for version 3: This Update transaction is incompatible",
        "Incompatible transaction: Overwrite",
    ],
)
def test_a_lost_commit_is_run_again_on_the_latest_version(message: str) -> None:
    table = Table()
    assert lost_commit(RuntimeError(message))
    assert _committed(table, _failing(table, [message])) == "committed"
    assert table.calls == ["commit", "latest", "commit"]


def test_exhausted_retries_are_refused_as_retryable_never_dropped() -> None:
    table = Table()
    with pytest.raises(UnavailableError) as refused:
        _committed(table, _failing(table, [TOO_MANY] * 10), attempts=3)
    assert table.calls == ["commit", "latest", "commit", "latest", "commit"]
    error = refused.value
    # A 503 in Chroma's shape, which chromadb reads as a ChromaError and our clients resend.
    assert error.code() == 503
    assert to_wire(error) == {"error": "ChromaError", "message": error.message()}
    assert type(from_wire(to_wire(error))).__name__ == "ChromaError"
    assert RetryPolicy().wait(httpx.Response(503), attempt=0, retry_safe=False) is not None


def test_other_errors_are_not_retried() -> None:
    table = Table()
    with pytest.raises(RuntimeError, match="disk full"):
        _committed(table, _failing(table, ["disk full"]))
    assert table.calls == ["commit"]
    assert COMMIT_ATTEMPTS >= 2


class Database:
    """A lancedb connection whose ``create_table`` fails as ``error`` says; the table exists."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def create_table(self, name: str, schema: object) -> object:
        raise self.error

    def open_table(self, name: str) -> str:
        return f"table {name}"


def test_a_table_created_by_another_process_at_the_same_moment_is_opened() -> None:
    # What a second process creating a collection's first table on S3 was told (moto, 4
    # processes writing through two servers): its create lost to the other's.
    lost = RuntimeError(
        "lance error: Retryable commit conflict for version 2: This Overwrite transaction "
        "was preempted by concurrent transaction Overwrite at version 2. Please retry."
    )
    assert _create_or_open(Database(lost), "c", schema=None) == "table c"  # type: ignore[arg-type]
    assert _create_or_open(Database(ValueError("exists")), "c", None) == "table c"  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="disk full"):
        _create_or_open(Database(RuntimeError("disk full")), "c", None)  # type: ignore[arg-type]
