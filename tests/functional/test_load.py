"""Concurrent clients against ``chromalake run`` on loopback: no errors, nothing lost, and
the server's memory flat once warm (``load.py`` drives it; ``make soak`` runs it long, and
only the long form checks memory: the short one ends while the server is still starting)."""

from __future__ import annotations

from pathlib import Path

import httpx
from load import BATCH, DIMENSION, POOL, LoadResult, run_load
from reliability import SOAK, record, scale
from running_server import RunningServer

CLIENTS = 8
SECONDS = scale(10, 240)
STEADY_SECONDS = scale(10, 420)


def _loaded(
    tmp_path: Path, name: str, seconds: int, sample_every: int, steady: bool = False
) -> tuple[LoadResult, list[str]]:
    """Run the load on a fresh ``chromalake run``; the result and the ids stored after it."""
    server = RunningServer(tmp_path)
    try:
        root = f"{server.url}/api/v2/tenants/default_tenant/databases/default_database"
        created = httpx.post(f"{root}/collections", json={"name": name}).json()
        result = run_load(
            server.url,
            created["id"],
            server.process.pid,
            clients=CLIENTS,
            seconds=seconds,
            sample_every=sample_every,
            steady=steady,
        )
        stored = httpx.post(
            f"{root}/collections/{created['id']}/get", json={"include": []}, timeout=60
        ).json()["ids"]
    finally:
        server.stop()
    return result, stored


def test_mixed_load_loses_nothing_and_memory_stays_flat(tmp_path: Path) -> None:
    result, stored = _loaded(tmp_path, "loaded", SECONDS, scale(1, 5))
    summary = result.summary()
    rss = [mb for _, mb in result.rss_mb]
    # Warm: past the first quarter (imports, caches, the first maintenance runs).
    warm = rss[len(rss) // 4 :]
    summary |= {
        "clients": CLIENTS,
        "dimension": DIMENSION,
        "records_found": len(stored),
        "duplicates": len(stored) - len(set(stored)),
        "rss_warm_first_mib": round(warm[0], 1),
        "rss_warm_max_mib": round(max(warm), 1),
        "rss_last_mib": round(rss[-1], 1),
    }
    record("load-soak" if SOAK else "load", summary)
    assert not result.errors, result.errors
    assert summary["requests"] > CLIENTS * SECONDS  # it did run: > 1 request/s per client
    assert set(stored) == result.added, "acknowledged writes missing after the load"
    assert summary["duplicates"] == 0
    if SOAK:
        # Flat: the warm server grows by less than half again while its data keeps growing.
        # Only the long form can tell: the short one's 10 s are all start-up (importing and
        # opening Lance adds ~90 MiB at once 3-5 s in; 196 -> 324 MiB here), whereas over 4
        # minutes the server grew 502 -> 611 MiB while its data grew about fourfold.
        assert max(warm) < 1.5 * warm[0], rss


def test_steady_load_keeps_memory_flat(tmp_path: Path) -> None:
    """Writes that rewrite a fixed pool of ids, and queries: once the pool is written the
    data stops growing, and so must the server (versions, caches and fragments included)."""
    result, stored = _loaded(tmp_path, "steady", STEADY_SECONDS, scale(1, 10), steady=True)
    count = len(stored)
    rss = [mb for _, mb in result.rss_mb]
    second_half = rss[len(rss) // 2 :]
    summary = result.summary() | {
        "clients": CLIENTS,
        "dimension": DIMENSION,
        "records": count,
        "rss_second_half_first_mib": round(second_half[0], 1),
        "rss_second_half_max_mib": round(max(second_half), 1),
        "rss_last_mib": round(rss[-1], 1),
    }
    record("load-steady-soak" if SOAK else "load-steady", summary)
    assert not result.errors, result.errors
    assert count <= CLIENTS * POOL * BATCH
    if SOAK:
        # Flat: over the second half of a long run the server grows by under a tenth (a short
        # run ends while imports, caches and the first compactions still fill it).
        assert max(second_half) < 1.1 * second_half[0], rss
