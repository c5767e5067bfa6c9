"""Tenant and database names never share or break storage (issue 15, items 2 and 3).

On S3 Lance decoded the percent-encoding of names, so tenant ``org/team`` lived inside tenant
``org``'s database ``team``, and the orphan sweep took tenant ``org/team``'s database
``prod.lance`` for a dataset and deleted every collection in it. Names with ``..``, ``//``, a
trailing ``/``, NUL or TAB broke every write on S3, and names over 255 bytes broke them on
local disk. Each name now has one directory of its own on every backend (engine/paths.py).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from moto_server import MotoAws

from chromalake.config import Settings
from chromalake.engine.engine import Engine
from chromalake.engine.factory import build_engine
from chromalake.engine.maintenance import sweep_orphans
from chromalake.engine.paths import MAX_SEGMENT, legacy_segment, path_segment

SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")


@given(st.lists(st.text(min_size=1, max_size=400), min_size=2, max_size=6, unique=True))
def test_every_name_has_a_segment_of_its_own(names: list[str]) -> None:
    segments = [path_segment(name) for name in names]
    assert len(set(segments)) == len(names)
    for segment in segments:
        assert set(segment) <= SAFE and 0 < len(segment) <= MAX_SEGMENT
        assert not segment.endswith(".lance")


@given(st.text(alphabet="abcXYZ019-_", min_size=1, max_size=MAX_SEGMENT))
def test_plain_names_keep_the_place_they_always_had(name: str) -> None:
    assert path_segment(name) == legacy_segment(name) == name


@pytest.fixture(params=["disk", "s3"])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    if request.param == "disk":
        return Settings(is_persistent=True, persist_directory=str(tmp_path / "data"))
    aws: MotoAws = request.getfixturevalue("moto_aws")
    return aws.settings("paths")


def _filled(engine: Engine, tenant: str, database: str, marker: float) -> str:
    """A collection in (tenant, database) holding one record that says where it lives."""
    if not engine.catalog.has_tenant(tenant):
        engine.create_tenant(tenant)
    if engine.catalog.get_database(tenant, database) is None:
        engine.create_database(database, tenant)
    coll = engine.create_collection(f"c-{uuid.uuid4().hex[:6]}", tenant=tenant, database=database)
    vector = np.full(3, marker, dtype=np.float32)
    engine.add(coll.id, ["only"], [vector], documents=[f"{tenant}|{database}"])
    return coll.id


def _document(engine: Engine, collection_id: str) -> Any:
    return engine.get(collection_id, include=["documents"]).documents


# Names that nest into, or pose as, another tenant's directories.
NESTING = [
    ("org", "team"),
    ("org/team", "prod.lance"),
    ("org/team", "prod"),
    ("x/y/z.lance", "default_database"),
    ("xxx", "yyy/zzz.lance"),
]


def test_the_sweep_keeps_every_collection_whatever_the_names(settings: Settings) -> None:
    engine = build_engine(settings)
    ids = {
        (tenant, database): _filled(engine, tenant, database, n)
        for n, (tenant, database) in enumerate(NESTING)
    }
    assert sweep_orphans(engine, grace=timedelta(0)) == []
    fresh = build_engine(settings)  # another process, nothing cached
    for (tenant, database), collection_id in ids.items():
        assert _document(fresh, collection_id) == [f"{tenant}|{database}"]
        assert fresh.count(collection_id) == 1


def test_the_sweep_still_removes_real_orphans(settings: Settings) -> None:
    engine = build_engine(settings)
    kept = _filled(engine, "org/team", "prod.lance", 1.0)
    gone = _filled(engine, "org/team", "prod.lance", 2.0)
    engine.catalog.delete_collection(
        "org/team", "prod.lance", engine.get_collection_by_id(gone).name
    )
    assert sweep_orphans(engine, grace=timedelta(0)) == [gone]
    assert _document(build_engine(settings), kept) == ["org/team|prod.lance"]


AWKWARD = [
    "up/../../there",
    "a//b",
    "trailing/",
    "nul\x00byte",
    "tab\there",
    "dot.",
    "...",
    "per%2Fcent",
    "tilde~2F",
    "ünïcödé ✓",
    "t" * 300,
]


@pytest.mark.parametrize("name", AWKWARD, ids=repr)
def test_awkward_names_store_and_read_back(settings: Settings, name: str) -> None:
    engine = build_engine(settings)
    as_tenant = _filled(engine, name, "default_database", 1.0)
    as_database = _filled(engine, "default_tenant", "d" + name, 2.0)
    fresh = build_engine(settings)
    assert _document(fresh, as_tenant) == [f"{name}|default_database"]
    assert _document(fresh, as_database) == [f"default_tenant|d{name}"]
    hits = fresh.query(as_tenant, [np.ones(3, dtype=np.float32)], 1, include=[])
    assert hits[0].ids == ["only"]
    assert sweep_orphans(fresh, grace=timedelta(0)) == []


def test_collections_written_at_the_old_place_are_still_found(settings: Settings) -> None:
    """chromalake 0.1 put database ``prod.v2`` at its percent-encoded path; the collection
    stays readable and writable there, and deleting it removes it there."""
    engine = build_engine(settings)
    coll = engine.get_collection_by_id(_filled(engine, "acme", "prod.v2", 1.0))
    rows = engine.store._table(coll).search().to_arrow()
    old = engine.store._connect(engine.store._database_uri(coll, legacy_segment))
    old.create_table(coll.id, data=rows)  # the dataset as 0.1 left it
    engine.store._connection(coll).drop_table(coll.id)
    fresh = build_engine(settings)
    assert _document(fresh, coll.id) == ["acme|prod.v2"]
    fresh.add(coll.id, ["two"], [np.zeros(3, dtype=np.float32)])
    assert build_engine(settings).count(coll.id) == 2
    assert sweep_orphans(fresh, grace=timedelta(0)) == []
    fresh.delete_collection(coll.name, "acme", "prod.v2")
    with pytest.raises(ValueError):  # lancedb's 'Table ... was not found'
        old.open_table(coll.id)
