"""One contract for every catalog backend (ARCHITECTURE: one suite run against all of them)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto_server import REGION, MotoAws

from chromalake.engine.catalog import (
    Catalog,
    CollectionRecord,
    Conflict,
    DatabaseRecord,
    MemoryCatalog,
    SqliteCatalog,
    Stale,
)
from chromalake.engine.catalog.dynamodb import DynamoDBCatalog


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Catalog]:
    if request.param == "memory":
        yield MemoryCatalog()
    elif request.param == "sqlite":
        yield SqliteCatalog(tmp_path / "catalog.sqlite3")
    else:  # a fresh table per test on the session's moto server
        aws: MotoAws = request.getfixturevalue("moto_aws")
        yield DynamoDBCatalog(aws.new_table(), region=REGION, endpoint_url=aws.endpoint)


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


def test_a_tenant_created_again_has_a_new_id(catalog: Catalog) -> None:
    """API keys are bound to a tenant's id, so that a reset ends them (chromalake.auth)."""
    catalog.create_tenant("t1")
    catalog.create_tenant("t2")
    first = catalog.tenant_id("t1")
    assert first and first == catalog.tenant_id("t1") != catalog.tenant_id("t2")
    assert catalog.tenant_id("nobody") is None
    catalog.reset()
    assert catalog.tenant_id("t1") is None
    catalog.create_tenant("t1")
    assert catalog.tenant_id("t1") not in (None, "", first)


def test_a_tenant_stored_before_tenant_ids_has_the_empty_id(
    tmp_path: Path, moto_aws: MotoAws
) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tenants (name TEXT PRIMARY KEY)")
        db.execute("INSERT INTO tenants (name) VALUES ('old')")
    catalog = SqliteCatalog(path)
    catalog.create_tenant("new")
    assert (catalog.tenant_id("old"), len(catalog.tenant_id("new") or "")) == ("", 36)
    table = moto_aws.new_table()
    item = {"pk": {"S": "TENANT#old"}, "sk": {"S": "TENANT"}, "kind": {"S": "tenant"}}
    moto_aws.client("dynamodb").put_item(TableName=table, Item={**item, "name": {"S": "old"}})
    dynamodb = DynamoDBCatalog(table, region=REGION, endpoint_url=moto_aws.endpoint)
    assert dynamodb.tenant_id("old") == ""


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
        catalog.update_collection(_collection("d-id", "same"), _collection("d-id", "other"))


def test_update_keeps_dimension_and_replaces_metadata(catalog: Catalog) -> None:
    catalog.create_collection(_collection("a-id", "name"))
    assert catalog.set_dimension("a-id", 3) == 3
    assert catalog.set_dimension("a-id", 5) == 3, "the first dimension stays"
    renamed = _collection("a-id", "renamed").with_changes(metadata={"x": "y"})
    catalog.update_collection(renamed, _collection("a-id", "name"))
    got = catalog.get_collection_by_id("a-id")
    assert got is not None
    assert (got.name, got.metadata, got.dimension) == ("renamed", {"x": "y"}, 3)


def test_update_replaces_the_schema_and_keeps_the_metadata_keys(catalog: Catalog) -> None:
    created = _collection("a-id", "name").with_changes(schema={"keys": {}})
    catalog.create_collection(created)
    catalog.add_metadata_keys("a-id", [("year", "int")])
    catalog.update_collection(created.with_changes(schema={"keys": {"x": {}}}), created)
    got = catalog.get_collection_by_id("a-id")
    assert got is not None
    assert (got.schema, got.metadata_keys) == ({"keys": {"x": {}}}, {("year", "int")})


def test_update_is_refused_once_the_record_changed(catalog: Catalog) -> None:
    """Two modifies computed from one read: the second finds the first's change and is
    refused (the engine then computes it again), so neither undoes the other."""
    created = _collection("a-id", "name")
    catalog.create_collection(created)
    catalog.update_collection(created.with_changes(metadata={"first": 1}), created)
    configured = created.with_changes(configuration={"hnsw": {"space": "l2", "ef_search": 7}})
    with pytest.raises(Stale):
        catalog.update_collection(configured, created)
    with pytest.raises(Stale):  # a rename computed from the stale read is refused as well
        catalog.update_collection(created.with_changes(name="renamed"), created)
    got = catalog.get_collection_by_id("a-id")
    assert got is not None
    assert (got.name, got.metadata, got.configuration) == (
        "name",
        {"first": 1},
        created.configuration,
    )
    assert catalog.get_collection("t1", "db1", "renamed") is None
    catalog.delete_collection("t1", "db1", "name")
    catalog.update_collection(configured, created)  # deleted meanwhile: stays deleted
    assert catalog.get_collection_by_id("a-id") is None


def test_metadata_keys_grow_as_a_set(catalog: Catalog) -> None:
    catalog.create_collection(_collection("a-id", "name"))
    assert catalog.get_collection("t1", "db1", "name") == _collection("a-id", "name")
    catalog.add_metadata_keys("a-id", [("k", "int"), ("s", "string")])
    catalog.add_metadata_keys("a-id", [("k", "string"), ("k", "int")])
    catalog.add_metadata_keys("a-id", [])
    catalog.add_metadata_keys("gone-id", [("k", "int")])  # a deleted collection: no-op
    expected = {("k", "int"), ("k", "string"), ("s", "string")}
    assert [c.metadata_keys for c in catalog.list_collections("t1", "db1", None, None)] == [
        expected
    ]
    assert catalog.get_collection_by_id("gone-id") is None


def test_concurrent_metadata_keys_are_all_kept(catalog: Catalog) -> None:
    """Writers recording keys at once (several Lambdas) never lose each other's keys."""
    catalog.create_collection(_collection("a-id", "name"))

    def work(n: int) -> None:
        for k in range(5):
            catalog.add_metadata_keys("a-id", [(f"key-{n}-{k}", "int"), ("shared", "bool")])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = catalog.get_collection_by_id("a-id")
    assert got is not None
    expected = {(f"key-{n}-{k}", "int") for n in range(4) for k in range(5)} | {("shared", "bool")}
    assert got.metadata_keys == expected


def test_sqlite_catalog_adds_columns_to_an_older_file(tmp_path: Path) -> None:
    """A catalog file written before the metadata_keys column existed is upgraded in place."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE collections (id TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "tenant TEXT NOT NULL, database TEXT NOT NULL, metadata TEXT, "
            "configuration TEXT NOT NULL, schema TEXT, dimension INTEGER, "
            "next_seq INTEGER NOT NULL DEFAULT 0, UNIQUE (tenant, database, name))"
        )
        db.execute(
            "INSERT INTO collections (id, name, tenant, database, configuration, dimension) "
            "VALUES ('a-id', 'old', 't1', 'db1', '{}', 3)"
        )
    catalog = SqliteCatalog(path)
    catalog.add_metadata_keys("a-id", [("k", "int")])
    got = SqliteCatalog(path).get_collection_by_id("a-id")
    assert got is not None and (got.dimension, got.metadata_keys) == (3, {("k", "int")})


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


def test_rename_frees_the_old_name(catalog: Catalog) -> None:
    catalog.create_collection(_collection("a-id", "old"))
    catalog.update_collection(_collection("a-id", "new"), _collection("a-id", "old"))
    assert catalog.get_collection("t1", "db1", "old") is None
    assert catalog.get_collection("t1", "db1", "new") == _collection("a-id", "new")
    catalog.create_collection(_collection("b-id", "old"))  # the old name is free again
    catalog.update_collection(
        _collection("a-id", "new").with_changes(metadata=None), _collection("a-id", "new")
    )
    got = catalog.get_collection_by_id("a-id")
    assert got is not None and got.metadata is None


def test_names_with_key_separators_do_not_collide(catalog: Catalog) -> None:
    """A backend that joins names into keys must keep ("a#b", "c") and ("a", "b#c") apart."""
    first = _collection("a-id", "x#y").with_changes(tenant="a#b", database="c")
    second = _collection("b-id", "x#y").with_changes(tenant="a", database="b#c")
    catalog.create_collection(first)
    catalog.create_collection(second)
    assert catalog.get_collection("a#b", "c", "x#y") == first
    assert catalog.get_collection("a", "b#c", "x#y") == second
    assert [c.id for c in catalog.list_collections("a", "b#c", None, None)] == ["b-id"]
    catalog.create_database(DatabaseRecord("d1", "b#c", "a"))
    catalog.create_database(DatabaseRecord("d2", "c", "a#b"))
    assert [d.id for d in catalog.list_databases("a", None, None)] == ["d1"]


def test_concurrent_allocations_and_creates(catalog: Catalog) -> None:
    """Threads allocating sequences get disjoint ranges; racing creators of one name get
    exactly one winner."""
    catalog.create_collection(_collection("a-id", "name"))
    starts: list[int] = []
    winners: list[str] = []

    def work(n: int) -> None:
        starts.extend(catalog.allocate_seq("a-id", 3) for _ in range(5))
        try:
            catalog.create_collection(_collection(f"id-{n}", "contested"))
            winners.append(f"id-{n}")
        except Conflict:
            pass

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(starts) == list(range(0, 60, 3))
    assert len(winners) == 1
    found = catalog.get_collection("t1", "db1", "contested")
    assert found is not None and found.id == winners[0]


def test_dynamodb_catalog_is_shared_and_pages_through_big_partitions(
    moto_aws: MotoAws,
) -> None:
    """Two instances on one table see each other's writes; a database bigger than one query
    page (1 MB) and than one transaction (100 actions) lists and deletes completely."""
    table = moto_aws.new_table()
    first = DynamoDBCatalog(table, region=REGION, endpoint_url=moto_aws.endpoint)
    second = DynamoDBCatalog(table, region=REGION, endpoint_url=moto_aws.endpoint)
    first.create_database(DatabaseRecord("d1", "db1", "t1"))
    bulky = {"blob": "x" * 12_000}  # 110 of these exceed one 1 MB query page
    ids = [f"id-{n:03d}" for n in range(110)]
    for cid in ids:
        first.create_collection(_collection(cid, f"name-{cid}").with_changes(metadata=bulky))
    assert [c.id for c in second.list_collections("t1", "db1", None, None)] == ids
    assert [c.id for c in second.list_collections("t1", "db1", 2, 105)] == ids[105:107]
    assert second.count_collections("t1", "db1") == 110
    assert first.allocate_seq("id-000", 3) == 0 and second.allocate_seq("id-000", 3) == 3
    created = _collection("id-001", "name-id-001").with_changes(metadata=bulky)
    second.update_collection(_collection("id-001", "renamed"), created)
    assert first.get_collection("t1", "db1", "renamed") is not None
    gone = second.delete_database("t1", "db1")
    assert sorted(c.id for c in gone or []) == ids
    assert first.get_collection_by_id("id-000") is None, "the cached location is not trusted"
    assert first.list_collections("t1", "db1", None, None) == []


# -- forks: lineage in extra, sequences continued, retired collections kept ------------------------


def _fork(cid: str, name: str, parent: str) -> CollectionRecord:
    lineage = {"root": parent, "parent": parent, "version": 3, "bases": [parent]}
    return _collection(cid, name).with_changes(extra={"lineage": lineage})


def test_fork_keeps_extra_and_continues_the_sequence(catalog: Catalog) -> None:
    catalog.create_collection(_collection("a-id", "source"))
    assert catalog.allocate_seq("a-id", 7) == 0
    catalog.fork_collection(_fork("f-id", "copy", "a-id"), "a-id")
    assert catalog.get_collection_by_id("f-id") == _fork("f-id", "copy", "a-id")
    assert catalog.get_collection("t1", "db1", "copy") == _fork("f-id", "copy", "a-id")
    assert catalog.allocate_seq("f-id", 1) == 7  # after every row the clone holds
    assert catalog.allocate_seq("a-id", 1) == 7  # the source's own counter goes on apart
    with pytest.raises(Conflict):
        catalog.fork_collection(_fork("g-id", "source", "a-id"), "a-id")
    assert catalog.get_collection_by_id("g-id") is None


def test_retired_collection_is_hidden_but_known_by_id(catalog: Catalog) -> None:
    catalog.create_collection(_collection("a-id", "source"))
    catalog.fork_collection(_fork("f-id", "copy", "a-id"), "a-id")
    assert catalog.retire_collection("t1", "db1", "source") == _collection("a-id", "source")
    assert catalog.retire_collection("t1", "db1", "source") is None
    assert catalog.get_collection("t1", "db1", "source") is None
    assert [c.id for c in catalog.list_collections("t1", "db1", None, None)] == ["f-id"]
    assert catalog.count_collections("t1", "db1") == 1
    assert catalog.delete_collection("t1", "db1", "source") is None
    kept = catalog.get_collection_by_id("a-id")
    assert kept is not None and kept.extra["retired"] is True and kept.name == "source"
    assert [c.id for c in catalog.database_records("t1", "db1")] == ["a-id", "f-id"]
    assert "a-id" in {c.id for c in catalog.all_collections()}
    catalog.create_collection(_collection("b-id", "source"))  # the name is free again
    catalog.purge_collection("a-id")
    assert catalog.get_collection_by_id("a-id") is None
    assert [c.id for c in catalog.database_records("t1", "db1")] == ["b-id", "f-id"]


def test_delete_database_takes_retired_collections_too(catalog: Catalog) -> None:
    catalog.create_database(DatabaseRecord("d1", "db1", "t1"))
    catalog.create_collection(_collection("a-id", "source"))
    catalog.fork_collection(_fork("f-id", "copy", "a-id"), "a-id")
    catalog.retire_collection("t1", "db1", "source")
    gone = catalog.delete_database("t1", "db1")
    assert sorted(c.id for c in gone or []) == ["a-id", "f-id"]
    assert catalog.get_collection_by_id("a-id") is None
