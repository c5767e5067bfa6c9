"""A DynamoDB catalog for the service: one table, keys ``pk`` and ``sk`` (template.yaml).

Single-table design (infrastructure/catalog.md shows the items):

| item | pk | sk | holds |
| --- | --- | --- | --- |
| tenant | ``TENANT#<tenant>`` | ``TENANT`` | the tenant's name and id |
| database | ``TENANT#<tenant>`` | ``DATABASE#<name>`` | id, name, tenant |
| collection | ``DB#<tenant>#<database>`` | ``COLLECTION#<id>`` | the record and its counters |
| name claim | ``DB#<tenant>#<database>`` | ``NAME#<name>`` | the id owning that name |
| locator | ``COLLECTION#<id>`` | ``LOCATOR`` | where the collection item lives |

Uniqueness comes from conditional writes (``attribute_not_exists(pk)`` on a claim item), and
a logical change touching several items is one ``TransactWriteItems``, so a crash never leaves
a name claimed by nothing or a collection without its claim. Reads are strongly consistent:
another Lambda must see a collection the moment its creator returned.

Metadata, configuration and schema are stored as JSON strings: DynamoDB numbers are decimals,
so ``1`` and ``1.0`` would come back alike and Chroma tells them apart. The metadata keys seen
in writes are a string set (each element ``["key", "type"]`` as JSON), grown with ``ADD`` so
concurrent writers never lose each other's keys.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from chromalake.extras import missing_extra

try:  # boto3 comes with the server extra (and with the Lambda runtime)
    import boto3  # type: ignore[import-untyped]
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]
except ModuleNotFoundError as error:
    raise missing_extra(error) from None

from chromalake.engine.catalog.base import (
    CollectionRecord,
    Conflict,
    DatabaseRecord,
    MetadataKey,
    Stale,
    new_tenant_id,
    page,
)

logger = logging.getLogger(__name__)

Item = dict[str, dict[str, Any]]

# TransactWriteItems takes at most 100 actions; deletes of a large database are chunked.
_TRANSACTION_LIMIT = 100
# BatchWriteItem takes at most 25 requests.
_BATCH_LIMIT = 25
# Transactions touching the same items at once are cancelled with TransactionConflict;
# retrying a few times with a short backoff is what AWS recommends.
_RETRIES = 5

KIND_TENANT, KIND_DATABASE, KIND_COLLECTION = "tenant", "database", "collection"
KIND_NAME, KIND_LOCATOR = "name", "locator"
# The attribute marking a collection item kept only for its forks (engine/forks.py).
RETIRED = "retired"
# The newest Lance version a commit recorded (CollectionRecord.version).
VERSION = "lance_version"


def _part(name: str) -> str:
    """A name as one key component: '#' and '%' escaped, so components never run together."""
    return quote(name, safe="")


def tenant_pk(tenant: str) -> str:
    """The partition of a tenant and its databases.

    Example:
        >>> tenant_pk("acme#1")
        'TENANT#acme%231'
    """
    return f"TENANT#{_part(tenant)}"


def database_pk(tenant: str, database: str) -> str:
    """The partition of a database's collections and name claims.

    Example:
        >>> database_pk("t", "d/b")
        'DB#t#d%2Fb'
    """
    return f"DB#{_part(tenant)}#{_part(database)}"


def collection_pk(collection_id: str) -> str:
    return f"COLLECTION#{_part(collection_id)}"


# Sort keys end with the raw name or id: the sort order is then the name's (or id's) own
# order (DynamoDB compares UTF-8 bytes, which orders like code points).
DATABASE_SK, COLLECTION_SK, NAME_SK = "DATABASE#", "COLLECTION#", "NAME#"
TENANT_SK, LOCATOR_SK = "TENANT", "LOCATOR"


def _key(pk: str, sk: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _json_attrs(record: CollectionRecord) -> Item:
    """Metadata, configuration and schema as JSON strings; an absent value is no attribute."""
    attrs = {"configuration": _s(json.dumps(record.configuration))}
    if record.metadata is not None:
        attrs["metadata"] = _s(json.dumps(record.metadata))
    if record.schema is not None:
        attrs["schema"] = _s(json.dumps(record.schema))
    if record.extra:
        attrs["extra"] = _s(json.dumps(record.extra))
    return attrs


def _collection_item(record: CollectionRecord) -> Item:
    item: Item = {
        **_key(database_pk(record.tenant, record.database), COLLECTION_SK + record.id),
        "kind": _s(KIND_COLLECTION),
        "id": _s(record.id),
        "name": _s(record.name),
        "tenant": _s(record.tenant),
        "database": _s(record.database),
        "next_seq": _n(0),
        **_json_attrs(record),
    }
    if record.dimension is not None:
        item["dimension"] = _n(record.dimension)
    return item


def _name_item(record: CollectionRecord) -> Item:
    return {
        **_key(database_pk(record.tenant, record.database), NAME_SK + record.name),
        "kind": _s(KIND_NAME),
        "collection_id": _s(record.id),
    }


def _locator_item(record: CollectionRecord) -> Item:
    return {
        **_key(collection_pk(record.id), LOCATOR_SK),
        "kind": _s(KIND_LOCATOR),
        "tenant": _s(record.tenant),
        "database": _s(record.database),
    }


def _loads(item: Item, name: str) -> Any:
    return json.loads(item[name]["S"]) if name in item else None


def _record(item: Item) -> CollectionRecord:
    return CollectionRecord(
        id=item["id"]["S"],
        name=item["name"]["S"],
        tenant=item["tenant"]["S"],
        database=item["database"]["S"],
        configuration=_loads(item, "configuration"),
        metadata=_loads(item, "metadata"),
        schema=_loads(item, "schema"),
        dimension=int(item["dimension"]["N"]) if "dimension" in item else None,
        extra=_loads(item, "extra") or {},
        metadata_keys=frozenset(
            (key, value_type)
            for key, value_type in map(json.loads, item.get("metadata_keys", {}).get("SS", []))
        ),
        version=int(item[VERSION]["N"]) if VERSION in item else None,
    )


def _database(item: Item) -> DatabaseRecord:
    return DatabaseRecord(id=item["id"]["S"], name=item["name"]["S"], tenant=item["tenant"]["S"])


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _cancellation_codes(error: ClientError) -> list[str]:
    """Why each action of a cancelled transaction failed ('None' for the innocent ones)."""
    return [str(r.get("Code", "None")) for r in error.response.get("CancellationReasons", [])]


def _is_condition_failure(error: ClientError) -> bool:
    code = _error_code(error)
    if code == "ConditionalCheckFailedException":
        return True
    return code == "TransactionCanceledException" and (
        "ConditionalCheckFailed" in _cancellation_codes(error)
    )


def _is_retryable(error: ClientError) -> bool:
    """A transaction that lost a race with another one (not a failed condition)."""
    return _error_code(error) == "TransactionCanceledException" and any(
        code in ("TransactionConflict", "ThrottlingError") for code in _cancellation_codes(error)
    )


class DynamoDBCatalog:
    """The catalog in one DynamoDB table (see the module docstring for the item layout).

    The client is built once per instance: a Lambda keeps it across warm invocations.
    """

    resends_writes = True  # boto3 resends a request whose reply was lost

    def __init__(
        self, table: str, region: str | None = None, endpoint_url: str | None = None
    ) -> None:
        self._table = table
        self._client: Any = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)
        # A collection id never moves to another database, so where its item lives can be
        # cached: get_collection_by_id (every record operation) is then one read, not two.
        self._locations: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()

    # -- low-level helpers ----------------------------------------------------------------

    def _get(self, pk: str, sk: str) -> Item | None:
        found = self._client.get_item(TableName=self._table, Key=_key(pk, sk), ConsistentRead=True)
        item: Item | None = found.get("Item")
        return item

    def _put_new(self, item: Item, name: str) -> None:
        """Put an item that must not exist yet; Conflict(name) if it does."""
        try:
            self._client.put_item(
                TableName=self._table, Item=item, ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as e:
            if _is_condition_failure(e):
                raise Conflict(name) from e
            raise

    def _query(self, pk: str, sk_prefix: str | None = None, **extra: Any) -> Iterator[Any]:
        """Pages of one partition's items (sort key starting with ``sk_prefix``), key order."""
        condition, values = "pk = :pk", {":pk": _s(pk)}
        if sk_prefix is not None:
            condition += " AND begins_with(sk, :prefix)"
            values[":prefix"] = _s(sk_prefix)
        yield from self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ConsistentRead=True,
            **extra,
        )

    def _items(self, pk: str, sk_prefix: str | None = None) -> Iterator[Item]:
        """Items of one partition (sort key starting with ``sk_prefix``), in key order."""
        for result in self._query(pk, sk_prefix):
            yield from result.get("Items", [])

    def _scan(self, kind: str | None = None) -> Iterator[Item]:
        """Every item of the table (of one kind when given)."""
        args: dict[str, Any] = {"TableName": self._table, "ConsistentRead": True}
        if kind is not None:
            args["FilterExpression"] = "kind = :kind"
            args["ExpressionAttributeValues"] = {":kind": _s(kind)}
        for result in self._client.get_paginator("scan").paginate(**args):
            yield from result.get("Items", [])

    def _transact(self, actions: list[dict[str, Any]], name: str) -> None:
        """Run one transaction; a failed condition is Conflict(name), a lost race is retried."""
        for attempt in range(_RETRIES):
            try:
                self._client.transact_write_items(TransactItems=actions)
                return
            except ClientError as e:
                if _is_condition_failure(e):
                    raise Conflict(name) from e
                if not _is_retryable(e) or attempt == _RETRIES - 1:
                    raise
                time.sleep(0.05 * 2**attempt)

    def _delete_action(self, item: Item, condition: str | None = None) -> dict[str, Any]:
        action: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"pk": item["pk"], "sk": item["sk"]},
        }
        if condition is not None:
            action["ConditionExpression"] = condition
        return {"Delete": action}

    # -- tenants ----------------------------------------------------------------------------

    def create_tenant(self, name: str) -> None:
        item = {
            **_key(tenant_pk(name), TENANT_SK),
            "kind": _s(KIND_TENANT),
            "name": _s(name),
            "id": _s(new_tenant_id()),
        }
        self._put_new(item, name)

    def has_tenant(self, name: str) -> bool:
        return self._get(tenant_pk(name), TENANT_SK) is not None

    def tenant_id(self, name: str) -> str | None:
        item = self._get(tenant_pk(name), TENANT_SK)
        return None if item is None else str(item.get("id", {}).get("S", ""))

    # -- databases --------------------------------------------------------------------------

    def create_database(self, record: DatabaseRecord) -> None:
        item = {
            **_key(tenant_pk(record.tenant), DATABASE_SK + record.name),
            "kind": _s(KIND_DATABASE),
            "id": _s(record.id),
            "name": _s(record.name),
            "tenant": _s(record.tenant),
        }
        self._put_new(item, record.name)

    def get_database(self, tenant: str, name: str) -> DatabaseRecord | None:
        item = self._get(tenant_pk(tenant), DATABASE_SK + name)
        return None if item is None else _database(item)

    def list_databases(
        self, tenant: str, limit: int | None, offset: int | None
    ) -> list[DatabaseRecord]:
        items = self._items(tenant_pk(tenant), DATABASE_SK)
        return [_database(i) for i in _window(items, limit, offset)]

    def delete_database(self, tenant: str, name: str) -> list[CollectionRecord] | None:
        """Delete the collections first and the database item last, in transactions of at
        most 100 actions: if a chunk fails, the database still exists and a retry finishes the
        job; the last write's condition decides which of two racing deleters reports."""
        database = self._get(tenant_pk(tenant), DATABASE_SK + name)
        if database is None:
            return None
        members = list(self._items(database_pk(tenant, name)))
        records = [_record(i) for i in members if i["kind"]["S"] == KIND_COLLECTION]
        actions = [self._delete_action(i) for i in members]
        actions += [self._delete_action(_locator_item(r)) for r in records]
        actions.append(self._delete_action(database, "attribute_exists(pk)"))
        try:
            for start in range(0, len(actions), _TRANSACTION_LIMIT):
                self._transact(actions[start : start + _TRANSACTION_LIMIT], name)
        except Conflict:
            return None  # another caller deleted it between our read and our write
        self._forget([r.id for r in records])
        return records

    # -- collections ------------------------------------------------------------------------

    def create_collection(self, record: CollectionRecord) -> None:
        """The name claim, the collection item and its locator, all or nothing."""
        self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": item,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for item in (_name_item(record), _collection_item(record), _locator_item(record))
            ],
            record.name,
        )

    def _remember(self, record: CollectionRecord) -> None:
        with self._lock:
            self._locations[record.id] = (record.tenant, record.database)

    def _forget(self, ids: list[str]) -> None:
        with self._lock:
            for collection_id in ids:
                self._locations.pop(collection_id, None)

    def _item_at(self, collection_id: str, tenant: str, database: str) -> Item | None:
        return self._get(database_pk(tenant, database), COLLECTION_SK + collection_id)

    def _collection_item_by_id(self, collection_id: str) -> Item | None:
        """The collection item, via the cached location or, failing that, the locator."""
        with self._lock:
            cached = self._locations.get(collection_id)
        if cached is not None:
            item = self._item_at(collection_id, *cached)
            if item is not None:
                return item
            self._forget([collection_id])
        locator = self._get(collection_pk(collection_id), LOCATOR_SK)
        if locator is None:
            return None
        location = (locator["tenant"]["S"], locator["database"]["S"])
        item = self._item_at(collection_id, *location)
        if item is not None:
            with self._lock:
                self._locations[collection_id] = location
        return item

    def get_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        claim = self._get(database_pk(tenant, database), NAME_SK + name)
        if claim is None:
            return None
        item = self._item_at(claim["collection_id"]["S"], tenant, database)
        return None if item is None else _record(item)

    def get_collection_by_id(self, collection_id: str) -> CollectionRecord | None:
        item = self._collection_item_by_id(collection_id)
        return None if item is None else _record(item)

    def list_collections(
        self, tenant: str, database: str, limit: int | None, offset: int | None
    ) -> list[CollectionRecord]:
        items = self._items(database_pk(tenant, database), COLLECTION_SK)
        live = (i for i in items if RETIRED not in i)
        return [_record(i) for i in _window(live, limit, offset)]

    def count_collections(self, tenant: str, database: str) -> int:
        pages = self._query(
            database_pk(tenant, database),
            COLLECTION_SK,
            Select="COUNT",
            FilterExpression=f"attribute_not_exists({RETIRED})",
        )
        return sum(int(p.get("Count", 0)) for p in pages)

    def all_collections(self) -> list[CollectionRecord]:
        return [_record(i) for i in self._scan(KIND_COLLECTION)]

    def update_collection(self, record: CollectionRecord, previous: CollectionRecord) -> None:
        """Replace name, metadata, configuration and schema, on the condition that they are
        still ``previous``'s; a rename moves the name claim in the same transaction."""
        try:
            self._transact(self._update_actions(record, previous), record.name)
        except Conflict:
            if record.name != previous.name:
                pk = database_pk(record.tenant, record.database)
                claim = self._get(pk, NAME_SK + record.name)
                if claim is not None and claim["collection_id"]["S"] != record.id:
                    raise  # the new name is taken
            if self._item_at(record.id, record.tenant, record.database) is None:
                return  # deleted meanwhile: nothing to update (as the SQL backend does)
            raise Stale(record.id) from None

    def _update_actions(
        self, record: CollectionRecord, previous: CollectionRecord
    ) -> list[dict[str, Any]]:
        names = {"#name": "name"}
        values = {":old": _s(previous.name), ":name": _s(record.name)}
        values[":configuration"] = _s(json.dumps(record.configuration))
        values[":was_configuration"] = _s(json.dumps(previous.configuration))
        sets = ["#name = :name", "configuration = :configuration"]
        conditions = ["attribute_exists(pk)", "#name = :old", "configuration = :was_configuration"]
        removes = []
        for name in ("metadata", "schema"):
            names[f"#{name}"] = name  # "schema" is a DynamoDB reserved word
            value, was = getattr(record, name), getattr(previous, name)
            if value is None:
                removes.append(f"#{name}")
            else:
                sets.append(f"#{name} = :{name}")
                values[f":{name}"] = _s(json.dumps(value))
            if was is None:
                conditions.append(f"attribute_not_exists(#{name})")
            else:
                conditions.append(f"#{name} = :was_{name}")
                values[f":was_{name}"] = _s(json.dumps(was))
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        update = {
            "Update": {
                "TableName": self._table,
                "Key": _key(database_pk(record.tenant, record.database), COLLECTION_SK + record.id),
                "UpdateExpression": expression,
                "ConditionExpression": " AND ".join(conditions),
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": values,
            }
        }
        if previous.name == record.name:
            return [update]
        pk = database_pk(record.tenant, record.database)
        old_claim = self._delete_action(_key(pk, NAME_SK + previous.name), "collection_id = :id")
        old_claim["Delete"]["ExpressionAttributeValues"] = {":id": _s(record.id)}
        new_claim = {
            "Put": {
                "TableName": self._table,
                "Item": _name_item(record),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        return [update, old_claim, new_claim]

    def _release_name(self, found: CollectionRecord) -> dict[str, Any]:
        """The action that deletes ``found``'s name claim, if the claim is still its own."""
        claim = self._delete_action(
            _key(database_pk(found.tenant, found.database), NAME_SK + found.name),
            "collection_id = :id",
        )
        claim["Delete"]["ExpressionAttributeValues"] = {":id": _s(found.id)}
        return claim

    def delete_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        """Remove the claim, the collection item and its locator together."""
        found = self.get_collection(tenant, database, name)
        if found is None:
            return None
        claim = self._release_name(found)
        actions = [
            claim,
            self._delete_action(_collection_item(found), "attribute_exists(pk)"),
            self._delete_action(_locator_item(found)),
        ]
        try:
            self._transact(actions, name)
        except Conflict:
            return None  # someone else deleted (or renamed) it first
        self._forget([found.id])
        return found

    # -- forks ----------------------------------------------------------------------------------

    def fork_collection(self, record: CollectionRecord, source_id: str) -> None:
        """Create the fork as a collection whose sequence continues the source's."""
        source = self._collection_item_by_id(source_id)
        next_seq = int(source["next_seq"]["N"]) if source is not None else 0
        item = {**_collection_item(record), "next_seq": _n(next_seq)}
        self._transact(
            [
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": it,
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for it in (_name_item(record), item, _locator_item(record))
            ],
            record.name,
        )

    def retire_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        """Drop the name claim and mark the item retired, together; the item and its locator
        stay, so get by id (and a sweep of orphan datasets) still finds it."""
        found = self.get_collection(tenant, database, name)
        if found is None:
            return None
        claim = self._release_name(found)
        extra = {**found.extra, "retired": True}
        mark = {
            "Update": {
                "TableName": self._table,
                "Key": _key(database_pk(tenant, database), COLLECTION_SK + found.id),
                "UpdateExpression": f"SET {RETIRED} = :t, extra = :extra",
                "ConditionExpression": "attribute_exists(pk)",
                "ExpressionAttributeValues": {
                    ":t": {"BOOL": True},
                    ":extra": _s(json.dumps(extra)),
                },
            }
        }
        try:
            self._transact([claim, mark], name)
        except Conflict:
            return None  # someone else deleted (or renamed) it first
        return found

    def purge_collection(self, collection_id: str) -> None:
        found = self.get_collection_by_id(collection_id)
        if found is None:
            return
        actions = [
            self._delete_action(_collection_item(found)),
            self._delete_action(_locator_item(found)),
        ]
        self._transact(actions, found.name)
        self._forget([collection_id])

    def database_records(self, tenant: str, database: str) -> list[CollectionRecord]:
        return [_record(i) for i in self._items(database_pk(tenant, database), COLLECTION_SK)]

    # -- per-collection counters ---------------------------------------------------------------

    def _counter_key(self, collection_id: str) -> Item | None:
        """The collection item's key, unread when its location is cached (every update of
        it is conditioned on ``attribute_exists(pk)``, so a deleted one is never recreated)."""
        with self._lock:
            cached = self._locations.get(collection_id)
        if cached is not None:
            return _key(database_pk(*cached), COLLECTION_SK + collection_id)
        item = self._collection_item_by_id(collection_id)
        return None if item is None else {"pk": item["pk"], "sk": item["sk"]}

    def set_dimension(self, collection_id: str, dimension: int) -> int:
        """Set the dimension only if none is set (the first writer wins, atomically)."""
        key = self._counter_key(collection_id)
        if key is None:
            return dimension
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET dimension = :d",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(dimension)",
                ExpressionAttributeValues={":d": _n(dimension)},
            )
            return dimension
        except ClientError as e:
            if not _is_condition_failure(e):
                raise
        current = self._get(key["pk"]["S"], key["sk"]["S"])
        if current is None or "dimension" not in current:
            return dimension
        return int(current["dimension"]["N"])

    def allocate_seq(self, collection_id: str, count: int) -> int:
        """Reserve ``count`` numbers with an atomic ADD; concurrent writers never overlap."""
        key = self._counter_key(collection_id)
        if key is None:
            return 0
        try:
            result = self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="ADD next_seq :count",
                # Without the condition an ADD on a deleted collection would recreate a stub.
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":count": _n(count)},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as e:
            if _is_condition_failure(e):
                return 0
            raise
        return int(result["Attributes"]["next_seq"]["N"]) - count

    def record_version(self, collection_id: str, version: int) -> None:
        """One conditional ``SET``: only forwards, only on a collection that still exists."""
        key = self._counter_key(collection_id)
        if key is None:
            return
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=f"SET {VERSION} = :v",
                ConditionExpression=(
                    f"attribute_exists(pk) AND (attribute_not_exists({VERSION}) OR {VERSION} < :v)"
                ),
                ExpressionAttributeValues={":v": _n(version)},
            )
        except ClientError as e:
            if not _is_condition_failure(e):
                raise  # a newer version is recorded already, or the collection is gone

    def add_metadata_keys(self, collection_id: str, keys: Iterable[MetadataKey]) -> None:
        """One atomic ``ADD`` to the collection item's string set."""
        elements = sorted({json.dumps([key, value_type]) for key, value_type in keys})
        key = self._counter_key(collection_id)
        if key is None or not elements:
            return
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="ADD metadata_keys :keys",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":keys": {"SS": elements}},
            )
        except ClientError as e:
            if _is_condition_failure(e):
                return  # deleted meanwhile
            if _error_code(e) != "ValidationException" or "size" not in str(e).lower():
                raise
            # The item is at DynamoDB's 400 KB limit (tens of thousands of distinct keys).
            # The keys only describe the schema (their indexes are the defaults either way),
            # so the records stay written and the schema stops growing.
            logger.warning("metadata keys of collection %s not recorded: %s", collection_id, e)

    # -- reset ----------------------------------------------------------------------------------

    def reset(self) -> None:
        """Delete every catalog item of the table, 25 at a time, retrying unprocessed ones.

        API keys (items of kind ``api_key*``, chromalake.auth) share the table but are not
        catalog data: a reset keeps them, so the admin who reset can still get in."""
        keys = [
            {"pk": i["pk"], "sk": i["sk"]}
            for i in self._scan()
            if not i.get("kind", {}).get("S", "").startswith("api_key")
        ]
        for start in range(0, len(keys), _BATCH_LIMIT):
            requests = [{"DeleteRequest": {"Key": k}} for k in keys[start : start + _BATCH_LIMIT]]
            self._batch_write(requests)
        with self._lock:
            self._locations.clear()

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self._table: requests}
        for attempt in range(_RETRIES * 2):
            result = self._client.batch_write_item(RequestItems=pending)
            pending = result.get("UnprocessedItems") or {}
            if not pending:
                return
            time.sleep(0.05 * 2**attempt)
        raise RuntimeError(f"DynamoDB left {len(pending[self._table])} deletes unprocessed")


def _window(items: Iterator[Item], limit: int | None, offset: int | None) -> list[Item]:
    """Chroma's offset/limit over a key-ordered stream, reading no further than needed."""
    if limit is None:
        return page(list(items), None, offset)
    wanted = (offset or 0) + limit
    taken: list[Item] = []
    for item in items:
        taken.append(item)
        if len(taken) >= wanted:
            break
    return page(taken, limit, offset)
