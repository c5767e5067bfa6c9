"""One contract for every catalog backend (ARCHITECTURE: one suite run against all of them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from chromalake.engine.catalog import (
    Catalog,
    CollectionRecord,
    Conflict,
    DatabaseRecord,
    MemoryCatalog,
    SqliteCatalog,
)


@pytest.fixture(params=["memory", "sqlite"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    if request.param == "memory":
        yield MemoryCatalog()
    else:
        yield SqliteCatalog(tmp_path / "catalog.sqlite3")


def _collection(cid: str, name: str, database: str = "db1") -> CollectionRecord:
    return CollectionRecord(
        id=cid,
        name=name,
        tenant="t1",
        database=database,
        configuration={"hnsw": {"space": "l2"}},
        metadata={"a": 1, "b": 1.5},
    )


def test_tenants_are_unique(catalog: Catalog) -> None:
    catalog.create_tenant("t1")
    assert catalog.has_tenant("t1") and not catalog.has_tenant("t2")
    with pytest.raises(Conflict):
        catalog.create_tenant("t1")


def test_databases_list_by_name_with_paging(catalog: Catalog) -> None:
    for name in ["zeta", "alpha", "mid"]:
        catalog.create_database(DatabaseRecord(f"id-{name}", name, "t1"))
    catalog.create_database(DatabaseRecord("other", "alpha", "t2"))
    assert [d.name for d in catalog.list_databases("t1", None, None)] == ["alpha", "mid", "zeta"]
    assert [d.name for d in catalog.list_databases("t1", 1, 1)] == ["mid"]
    assert [d.name for d in catalog.list_databases("t1", None, 2)] == ["zeta"]
    with pytest.raises(Conflict):
        catalog.create_database(DatabaseRecord("dup", "mid", "t1"))
    assert catalog.get_database("t2", "alpha") == DatabaseRecord("other", "alpha", "t2")


def test_collections_round_trip_and_order_by_id(catalog: Catalog) -> None:
    catalog.create_collection(_collection("b-id", "second"))
    catalog.create_collection(_collection("a-id", "first"))
    catalog.create_collection(_collection("c-id", "elsewhere", database="db2"))
    assert [c.id for c in catalog.list_collections("t1", "db1", None, None)] == ["a-id", "b-id"]
    assert catalog.count_collections("t1", "db1") == 2
    got = catalog.get_collection("t1", "db1", "first")
    assert got == _collection("a-id", "first")
    assert isinstance(got.metadata["b"], float) and isinstance(got.metadata["a"], int)
    assert catalog.get_collection_by_id("c-id") == _collection("c-id", "elsewhere", "db2")
    assert {c.id for c in catalog.all_collections()} == {"a-id", "b-id", "c-id"}


def test_collection_names_unique_per_database(catalog: Catalog) -> None:
    catalog.create_collection(_collection("a-id", "same"))
    catalog.create_collection(_collection("b-id", "same", database="db2"))
    with pytest.raises(Conflict):
        catalog.create_collection(_collection("c-id", "same"))
    catalog.create_collection(_collection("d-id", "other"))
    with pytest.raises(Conflict):
        catalog.update_collection(_collection("d-id", "same"))


def test_update_keeps_dimension_and_replaces_metadata(catalog: Catalog) -> None:
    catalog.create_collection(_collection("a-id", "name"))
    assert catalog.set_dimension("a-id", 3) == 3
    assert catalog.set_dimension("a-id", 5) == 3, "the first dimension stays"
    catalog.update_collection(_collection("a-id", "renamed").with_changes(metadata={"x": "y"}))
    got = catalog.get_collection_by_id("a-id")
    assert got is not None
    assert (got.name, got.metadata, got.dimension) == ("renamed", {"x": "y"}, 3)


def test_sequences_are_disjoint(catalog: Catalog) -> None:
    catalog.create_collection(_collection("a-id", "name"))
    assert catalog.allocate_seq("a-id", 5) == 0
    assert catalog.allocate_seq("a-id", 2) == 5
    assert catalog.allocate_seq("a-id", 1) == 7


def test_delete_database_returns_its_collections(catalog: Catalog) -> None:
    catalog.create_database(DatabaseRecord("d1", "db1", "t1"))
    catalog.create_collection(_collection("a-id", "one"))
    catalog.create_collection(_collection("b-id", "two", database="db2"))
    gone = catalog.delete_database("t1", "db1")
    assert [c.id for c in gone or []] == ["a-id"]
    assert catalog.get_collection_by_id("a-id") is None
    assert catalog.get_collection_by_id("b-id") is not None
    assert catalog.delete_database("t1", "db1") is None


def test_delete_collection_and_reset(catalog: Catalog) -> None:
    catalog.create_tenant("t1")
    catalog.create_collection(_collection("a-id", "one"))
    assert catalog.delete_collection("t1", "db1", "one") == _collection("a-id", "one")
    assert catalog.delete_collection("t1", "db1", "one") is None
    catalog.create_collection(_collection("b-id", "two"))
    catalog.reset()
    assert not catalog.has_tenant("t1") and catalog.all_collections() == []


def test_sqlite_catalog_is_shared_between_connections(tmp_path: Path) -> None:
    first, second = SqliteCatalog(tmp_path / "c.db"), SqliteCatalog(tmp_path / "c.db")
    first.create_collection(_collection("a-id", "one"))
    assert second.get_collection("t1", "db1", "one") == _collection("a-id", "one")
    assert first.allocate_seq("a-id", 3) == 0 and second.allocate_seq("a-id", 3) == 3
