"""One contract for every API key store: memory, SQLite, DynamoDB (on a moto server)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from moto_server import REGION, MotoAws

from chromalake.auth.dynamodb_store import DynamoDBKeyStore
from chromalake.auth.keys import (
    ApiKey,
    KeyStore,
    MemoryKeyStore,
    generate_key,
    hash_key,
    is_current,
)
from chromalake.auth.sqlite_store import SqliteKeyStore
from chromalake.engine.catalog import Catalog, SqliteCatalog
from chromalake.engine.catalog.dynamodb import DynamoDBCatalog


@pytest.fixture(params=["memory", "sqlite", "dynamodb"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    if request.param == "memory":
        yield MemoryKeyStore()
    elif request.param == "sqlite":
        yield SqliteKeyStore(tmp_path / "catalog.sqlite3")
    else:
        aws: MotoAws = request.getfixturevalue("moto_aws")
        yield DynamoDBKeyStore(aws.new_table(), region=REGION, endpoint_url=aws.endpoint)


def _key(key_id: str, tenant: str = "acme", databases: tuple[str, ...] | None = None) -> ApiKey:
    return ApiKey(
        id=key_id,
        key_hash=hash_key(generate_key()),
        tenant=tenant,
        databases=databases,
        role="read-write",
        name=f"key {key_id}",
        created_at="2026-11-24T09:00:00+00:00",
    )


def test_a_key_is_found_by_its_hash_and_id(store: KeyStore) -> None:
    key = _key("k1", databases=("sales", "hr"))
    store.add_key(key)
    assert store.find_by_hash(key.key_hash) == key
    assert store.get_key("k1") == key
    assert store.find_by_hash(hash_key("clk_other")) is None
    assert store.get_key("nope") is None


def test_a_key_keeps_its_tenants_id(store: KeyStore) -> None:
    key = replace(_key("k1"), tenant_id="0f2b6a1e-5c1d-4c36-9d7e-8f0b1a2c3d4e")
    store.add_key(key)
    assert store.find_by_hash(key.key_hash) == key == store.list_keys("acme")[0]


def test_keys_stored_before_tenant_ids_keep_the_tenant_they_knew(
    tmp_path: Path, moto_aws: MotoAws
) -> None:
    """A key and a tenant stored before tenants had ids both have the id "": the key works
    until its tenant is reset, and not for the tenant created again under its name."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tenants (name TEXT PRIMARY KEY)")
        db.execute("INSERT INTO tenants (name) VALUES ('acme')")
        db.execute(
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, "
            "tenant TEXT NOT NULL, databases TEXT, role TEXT NOT NULL, name TEXT NOT NULL, "
            "created_at TEXT NOT NULL, last_used_at TEXT, revoked INTEGER NOT NULL DEFAULT 0)"
        )
        db.execute(
            "INSERT INTO api_keys (id, key_hash, tenant, role, name, created_at) "
            "VALUES ('k1', 'h1', 'acme', 'admin', 'old', '2026-01-01T00:00:00+00:00')"
        )
    table = moto_aws.new_table()
    tenant = {"pk": {"S": "TENANT#acme"}, "sk": {"S": "TENANT"}, "kind": {"S": "tenant"}}
    moto_aws.client("dynamodb").put_item(TableName=table, Item={**tenant, "name": {"S": "acme"}})
    dynamodb_store = DynamoDBKeyStore(table, region=REGION, endpoint_url=moto_aws.endpoint)
    dynamodb_store.add_key(_key("k1"))  # tenant_id "": no attribute, as an old item
    stores_and_catalogs: list[tuple[KeyStore, Catalog]] = [
        (SqliteKeyStore(path), SqliteCatalog(path)),
        (dynamodb_store, DynamoDBCatalog(table, region=REGION, endpoint_url=moto_aws.endpoint)),
    ]
    for store, catalog in stores_and_catalogs:
        old = store.get_key("k1")
        assert old is not None and old.tenant_id == "" and is_current(old, catalog)
        catalog.reset()
        catalog.create_tenant("acme")
        assert not is_current(old, catalog)
        assert store.get_key("k1") == old  # kept, and refused


def test_keys_are_listed_per_tenant_by_id(store: KeyStore) -> None:
    for key in (_key("k2"), _key("k1"), _key("k3", tenant="other"), _key("k0", tenant="*")):
        store.add_key(key)
    assert [k.id for k in store.list_keys("acme")] == ["k1", "k2"]
    assert [k.id for k in store.list_keys("other")] == ["k3"]
    assert [k.id for k in store.list_keys("*")] == ["k0"]
    assert [k.id for k in store.list_keys()] == ["k0", "k1", "k2", "k3"]
    assert store.list_keys("nobody") == []


def test_revoke_and_touch(store: KeyStore) -> None:
    key = _key("k1")
    store.add_key(key)
    store.touch_key("k1", "2026-11-24T10:00:00+00:00")
    revoked = store.revoke_key("k1")
    expected = replace(key, revoked=True, last_used_at="2026-11-24T10:00:00+00:00")
    assert revoked == expected
    assert store.find_by_hash(key.key_hash) == expected
    assert store.revoke_key("missing") is None
    store.touch_key("missing", "2026-11-24T10:00:00+00:00")
    assert store.get_key("missing") is None


def test_dynamodb_items_and_reset(moto_aws: MotoAws) -> None:
    """The items the console shows (infrastructure/catalog.md), and a reset keeps them."""
    table = moto_aws.new_table()
    store = DynamoDBKeyStore(table, region=REGION, endpoint_url=moto_aws.endpoint)
    catalog = DynamoDBCatalog(table, region=REGION, endpoint_url=moto_aws.endpoint)
    catalog.create_tenant("acme")
    key = replace(_key("k1", databases=("sales",)), tenant_id=catalog.tenant_id("acme") or "")
    store.add_key(key)
    items = moto_aws.client("dynamodb").scan(TableName=table)["Items"]
    by_kind = {i["kind"]["S"]: i for i in items}
    assert by_kind["api_key"]["pk"]["S"] == "APIKEY#k1"
    assert by_kind["api_key"]["databases"] == {"L": [{"S": "sales"}]}
    assert by_kind["api_key"]["tenant_id"] == by_kind["tenant"]["id"] == {"S": key.tenant_id}
    assert by_kind["api_key_hash"]["pk"]["S"] == f"KEYHASH#{key.key_hash}"
    assert by_kind["api_key_ref"]["pk"]["S"] == "TENANT#acme"
    assert all("clk_" not in str(i) for i in items)  # the key itself is never stored
    catalog.reset()
    assert not catalog.has_tenant("acme")
    assert store.find_by_hash(key.key_hash) == key
