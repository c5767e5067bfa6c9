"""Calling Lance: its errors as Chroma's, and writes run again when they lose a commit race.

``store.LanceStore`` runs every Lance call through ``_lance_call`` and every write through
``_committed`` (via ``LanceStore._commit``); ``_open``, ``_create_or_open`` and
``_with_revisions`` open a collection's table, create it, and bring an older one up to the
current schema. The names stay private to the engine: nothing outside ``engine/`` calls Lance.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pyarrow as pa

from chromalake.engine.columns import REV
from chromalake.engine.filters import translate_lance_error
from chromalake.errors import ChromaError, InternalError, UnavailableError


def _lance_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a Lance call, turning its errors into Chroma errors."""
    try:
        return fn(*args, **kwargs)
    except ChromaError:
        raise
    except Exception as e:
        raise _as_chroma(e) from e


def _as_chroma(error: Exception) -> ChromaError:
    """The Chroma error for a Lance failure: the predicate's fault, else an internal one."""
    translated = translate_lance_error(error)
    return translated if translated is not None else InternalError(f"Error executing plan: {error}")


def _open(db: Any, name: str) -> Any | None:
    try:
        return db.open_table(name)
    except ValueError:  # lancedb's "Table '...' was not found"
        return None


def _create_or_open(db: Any, name: str, schema: pa.Schema) -> Any:
    """Create the table, or open it when another writer created it first.

    ``exist_ok=True`` cannot do this: Lance stores the JSON columns as large_binary, so the
    schema it compares against never equals the one given.
    """
    try:
        return db.create_table(name, schema=schema)
    except (ValueError, RuntimeError) as error:
        # ValueError: it exists already. A lost commit: another process created it at the
        # same moment (on S3 both commit an "Overwrite"; one wins, the other is told a
        # "Retryable commit conflict"), so it exists now too.
        if isinstance(error, RuntimeError) and not lost_commit(error):
            raise
        table = _open(db, name)
        if table is None:
            raise
        return table


# Lance refuses a commit that lost to one made meanwhile in several ways, all meaning
# "nothing of this write was committed": an incompatible transaction (two writers creating
# a collection's table at once both commit an "Overwrite"), a retryable conflict (a
# compaction beside a delete), a plain commit conflict, and - measured with 8 writers on
# S3 (moto) - "Too many concurrent writers" once Lance's own retries (6 attempts, 30 s)
# are spent. The write is then run again on the latest version, a bounded number of times
# with jittered backoff; past that it is refused as retryable (UnavailableError, a 503),
# never dropped.
COMMIT_ATTEMPTS = 4
LOST_COMMIT = (
    "Incompatible transaction",
    "Retryable commit conflict",
    "Commit conflict",
    "Too many concurrent writers",
)


def lost_commit(error: Exception) -> bool:
    """Whether Lance refused this write's commit because of concurrent writers."""
    return any(marker in str(error) for marker in LOST_COMMIT)


def _committed(table: Any, commit: Any, attempts: int = COMMIT_ATTEMPTS) -> Any:
    """Run a write, again on the latest version when it lost a commit race (``attempts`` in
    all); then UnavailableError, so the caller knows nothing was written and may retry."""
    for attempt in range(attempts):
        try:
            return commit()
        except Exception as e:
            if not lost_commit(e):
                raise
            if attempt == attempts - 1:
                raise UnavailableError(
                    f"Commit conflict: the write lost to concurrent writers {attempts} times "
                    "and was not applied; send it again"
                ) from e
            time.sleep(random.uniform(0.05, 0.1) * 2**attempt)
            table.checkout_latest()
    raise AssertionError("unreachable")


def _with_revisions(table: Any) -> Any:
    """The table, given the ``REV`` column if it was created before revisions existed.

    Every stored record gets revision 0; two processes adding it at once is fine (the
    loser finds it there).
    """
    if REV in table.schema.names:
        return table
    try:
        _committed(table, lambda: table.add_columns({REV: "CAST(0 AS BIGINT)"}))
    except Exception:
        table.checkout_latest()
        if REV not in table.schema.names:
            raise
    return table
