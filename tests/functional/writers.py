"""Writer processes for the concurrency tests: each keeps a ledger of what was acknowledged.

A process runs ``threads`` threads against one collection, through ``chromalake run``
(``HttpClient``) or a ``PersistentClient`` on a shared path. Each thread cycles through
add, upsert, update and delete on ids of its own, so the final state of those ids is
exactly predictable from its acknowledged writes; every upsert also inserts one of a few
ids shared by all threads (racing inserts of one new id must leave one record, not two).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

SHARED = [f"shared-{n}" for n in range(5)]


@dataclass
class Ledger:
    """What one process's writes were acknowledged to do."""

    acked: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    documents: dict[str, str | None] = field(default_factory=dict)  # id -> final document
    uncertain: set[str] = field(default_factory=set)  # ids of failed writes: either outcome
    shared: set[str] = field(default_factory=set)  # shared ids whose upsert was acknowledged


def _client(target: tuple[str, str]) -> Any:
    import chromalake

    kind, where = target
    if kind == "http":
        host, port = where.rsplit(":", 1)
        return chromalake.HttpClient(host=host, port=int(port))
    return chromalake.PersistentClient(path=where)


def _vector(n: int) -> list[float]:
    return [float(n % 7), float(n % 11), 1.0]


def _thread(collection: Any, prefix: str, cycles: int, ledger: Ledger, lock: Any) -> None:
    mine: dict[str, str | None] = {}
    uncertain: set[str] = set()
    acked: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    shared: set[str] = set()

    def attempt(op: str, ids: list[str], write: Any, effect: dict[str, str | None]) -> bool:
        try:
            write()
        except Exception as e:
            errors[f"{op}: {type(e).__name__}: {str(e)[:80]}"] += 1
            uncertain.update(ids)
            return False
        acked[op] += 1
        for record_id, document in effect.items():
            if document == "<deleted>":
                mine.pop(record_id, None)
            else:
                mine[record_id] = document
        return True

    for i in range(cycles):
        new = [f"{prefix}-{i}-{k}" for k in range(3)]
        attempt(
            "add",
            new,
            lambda new=new, i=i: collection.add(
                ids=new, embeddings=[_vector(i + k) for k in range(3)], documents=new
            ),
            {n: n for n in new},
        )
        own, common = f"{prefix}-u{i}", SHARED[i % len(SHARED)]
        if attempt(
            "upsert",
            [own],
            lambda own=own, common=common, i=i: collection.upsert(
                ids=[own, common], embeddings=[_vector(i), _vector(i + 1)], documents=[own, "s"]
            ),
            {own: own},
        ):
            shared.add(common)
        if i > 0:
            target = f"{prefix}-{i - 1}-0"
            if target in mine:
                attempt(
                    "update",
                    [target],
                    lambda t=target, i=i: collection.update(
                        ids=[t], embeddings=[_vector(i + 50)], documents=[f"updated-{t}"]
                    ),
                    {target: f"updated-{target}"},
                )
            doomed = f"{prefix}-{i - 1}-1"
            attempt(
                "delete",
                [doomed],
                lambda d=doomed: collection.delete(ids=[d]),
                {doomed: "<deleted>"},
            )
    with lock:
        ledger.acked.update(acked)
        ledger.errors.update(errors)
        ledger.documents.update(mine)
        ledger.uncertain.update(uncertain)
        ledger.shared.update(shared)


def write_worker(
    target: tuple[str, str], collection_name: str, worker: int, threads: int, cycles: int
) -> Ledger:
    """One writer process: ``threads`` threads of ``cycles`` add/upsert/update/delete each."""
    client = _client(target)
    collection = client.get_collection(collection_name, embedding_function=None)
    ledger, lock = Ledger(), threading.Lock()
    workers = [
        threading.Thread(target=_thread, args=(collection, f"w{worker}t{t}", cycles, ledger, lock))
        for t in range(threads)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return ledger
