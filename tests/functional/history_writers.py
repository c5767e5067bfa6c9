"""Writer processes that log every operation they run, for the linearizability check.

Each process runs rounds of random add / update / upsert / delete (by ids and by ``where``)
on a small pool of ids shared by all processes, one pool per round, so every record sees a
few concurrent writers and a short history. Every add, update and upsert sets a metadata key
of its own (``op-<process>-<n>``); adds and upserts also set the record's group (``grp``),
which the deletes by ``where`` select. The log says, per record, which operation ran when and
whether it was acknowledged (tests/functional/linearizable.py checks the final state).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from linearizable import ADD, DELETE, UPDATE, UPSERT

IDS_PER_ROUND = 6
GROUPS = 3


@dataclass(frozen=True)
class Logged:
    """One operation as a writer ran it: the records it named and when."""

    kind: str
    ids: tuple[str, ...]  # for a delete by where: every id of the round in its group
    key: str | None
    start: float
    end: float
    acknowledged: bool
    error: str = ""


def round_ids(round_number: int) -> list[str]:
    return [f"r{round_number}-{n}" for n in range(IDS_PER_ROUND)]


def group(record_id: str) -> str:
    """The record's group (``grp``): its round and one of GROUPS, so that a delete by
    ``where`` touches the records of its own round only."""
    round_label, n = record_id.rsplit("-", 1)
    return f"{round_label}-{int(n) % GROUPS}"


def client_for(target: tuple[str, str]) -> Any:
    import chromalake

    kind, where = target
    if kind == "http":
        host, port = where.rsplit(":", 1)
        return chromalake.HttpClient(host=host, port=int(port))
    return chromalake.PersistentClient(path=where)


def _vector(rng: random.Random) -> list[float]:
    return [rng.random(), rng.random(), 1.0]


def _operation(
    collection: Any, rng: random.Random, ids: list[str], key: str
) -> tuple[str, tuple[str, ...], str | None, Any]:
    """A random operation on the round's ids: (kind, ids it touches, its key, the call)."""
    chosen = rng.sample(ids, rng.choice([1, 1, 2, 3]))
    roll = rng.random()
    if roll < 0.08:
        g = group(rng.choice(ids))
        touched = tuple(i for i in ids if group(i) == g)
        return DELETE, touched, None, lambda: collection.delete(where={"grp": g})
    if roll < 0.18:
        return DELETE, tuple(chosen), None, lambda: collection.delete(ids=chosen)
    if roll < 0.45:
        return (
            UPDATE,
            tuple(chosen),
            key,
            lambda: collection.update(ids=chosen, metadatas=[{key: 1}] * len(chosen)),
        )
    kind = ADD if roll < 0.65 else UPSERT
    write = collection.add if kind == ADD else collection.upsert
    return (
        kind,
        tuple(chosen),
        key,
        lambda: write(
            ids=chosen,
            embeddings=[_vector(rng) for _ in chosen],
            metadatas=[{key: 1, "grp": group(i)} for i in chosen],
        ),
    )


def history_worker(
    target: tuple[str, str],
    collection_name: str,
    process: int,
    rounds: int,
    per_round: int,
    start_at: float,
) -> list[Logged]:
    """Run ``rounds`` x ``per_round`` logged operations, starting at wall time ``start_at``."""
    collection = client_for(target).get_collection(collection_name, embedding_function=None)
    rng = random.Random(process)
    time.sleep(max(0.0, start_at - time.time()))  # all processes begin together
    log: list[Logged] = []
    for round_number in range(rounds):
        ids = round_ids(round_number)
        for n in range(per_round):
            key = f"op-{process}-{round_number}-{n}"
            kind, touched, op_key, call = _operation(collection, rng, ids, key)
            start = time.monotonic()
            try:
                call()
            except Exception as e:
                log.append(Logged(kind, touched, op_key, start, time.monotonic(), False, repr(e)))
            else:
                log.append(Logged(kind, touched, op_key, start, time.monotonic(), True))
    return log
