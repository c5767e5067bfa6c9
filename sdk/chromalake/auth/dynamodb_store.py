"""API keys in the catalog's DynamoDB table (three items per key; infrastructure/catalog.md).

| item | pk | sk | holds |
| --- | --- | --- | --- |
| key | ``APIKEY#<id>`` | ``APIKEY`` | the record (hash, tenant, databases, role, ...) |
| hash lookup | ``KEYHASH#<sha256 hex>`` | ``KEYHASH`` | the id of the key with that hash |
| tenant's list | ``TENANT#<tenant>`` | ``APIKEY#<id>`` | the id (a tenant's keys are one Query) |

The three are written in one transaction. The hash item is how a presented key is found:
the key is never stored, and the hash is the partition key, so nothing scans for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from chromalake.extras import missing_extra

try:  # boto3 comes with the server extra (and with the Lambda runtime)
    import boto3  # type: ignore[import-untyped]
    from botocore.exceptions import ClientError  # type: ignore[import-untyped]
except ModuleNotFoundError as error:
    raise missing_extra(error) from None

from chromalake.auth.keys import ApiKey, Role
from chromalake.engine.catalog.dynamodb import tenant_pk

Item = dict[str, dict[str, Any]]
KIND_KEY, KIND_KEY_HASH, KIND_KEY_REF = "api_key", "api_key_hash", "api_key_ref"
KEY_SK, HASH_SK, REF_SK = "APIKEY", "KEYHASH", "APIKEY#"
_BATCH_GET_LIMIT = 100


def key_pk(key_id: str) -> str:
    return f"APIKEY#{key_id}"


def hash_pk(key_hash: str) -> str:
    return f"KEYHASH#{key_hash}"


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _key_item(key: ApiKey) -> Item:
    item: Item = {
        "pk": _s(key_pk(key.id)),
        "sk": _s(KEY_SK),
        "kind": _s(KIND_KEY),
        "id": _s(key.id),
        "key_hash": _s(key.key_hash),
        "tenant": _s(key.tenant),
        "role": _s(key.role),
        "name": _s(key.name),
        "created_at": _s(key.created_at),
        "revoked": {"BOOL": key.revoked},
    }
    if key.databases is not None:  # absent: every database of the tenant
        item["databases"] = {"L": [_s(d) for d in key.databases]}
    if key.last_used_at is not None:
        item["last_used_at"] = _s(key.last_used_at)
    if key.tenant_id:  # absent: a root key, or one stored before tenants had ids
        item["tenant_id"] = _s(key.tenant_id)
    return item


def _api_key(item: Item) -> ApiKey:
    databases = item.get("databases")
    return ApiKey(
        id=item["id"]["S"],
        key_hash=item["key_hash"]["S"],
        tenant=item["tenant"]["S"],
        databases=tuple(d["S"] for d in databases["L"]) if databases else None,
        role=cast(Role, item["role"]["S"]),
        name=item["name"]["S"],
        created_at=item["created_at"]["S"],
        last_used_at=item["last_used_at"]["S"] if "last_used_at" in item else None,
        revoked=bool(item.get("revoked", {}).get("BOOL", False)),
        tenant_id=item.get("tenant_id", {}).get("S", ""),
    )


def _is_condition_failure(error: ClientError) -> bool:
    return bool(error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException")


class DynamoDBKeyStore:
    """Keys as items of the catalog table (reads strongly consistent, as the catalog's)."""

    def __init__(
        self, table: str, *, region: str | None = None, endpoint_url: str | None = None
    ) -> None:
        self._table = table
        self._client = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint_url)

    def _get(self, pk: str, sk: str) -> Item | None:
        found = self._client.get_item(
            TableName=self._table, Key={"pk": _s(pk), "sk": _s(sk)}, ConsistentRead=True
        )
        return cast("Item | None", found.get("Item"))

    def add_key(self, key: ApiKey) -> None:
        ref: Item = {
            "pk": _s(tenant_pk(key.tenant)),
            "sk": _s(REF_SK + key.id),
            "kind": _s(KIND_KEY_REF),
            "key_id": _s(key.id),
        }
        lookup: Item = {
            "pk": _s(hash_pk(key.key_hash)),
            "sk": _s(HASH_SK),
            "kind": _s(KIND_KEY_HASH),
            "key_id": _s(key.id),
        }
        new = "attribute_not_exists(pk)"
        self._client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self._table, "Item": i, "ConditionExpression": new}}
                for i in (_key_item(key), lookup, ref)
            ]
        )

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        lookup = self._get(hash_pk(key_hash), HASH_SK)
        return None if lookup is None else self.get_key(lookup["key_id"]["S"])

    def get_key(self, key_id: str) -> ApiKey | None:
        item = self._get(key_pk(key_id), KEY_SK)
        return None if item is None else _api_key(item)

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        ids = self._all_ids() if tenant is None else self._tenant_ids(tenant)
        return sorted(self._batch_get(sorted(set(ids))), key=lambda k: k.id)

    def _tenant_ids(self, tenant: str) -> Iterator[str]:
        pages = self._client.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
            ExpressionAttributeValues={":pk": _s(tenant_pk(tenant)), ":sk": _s(REF_SK)},
            ConsistentRead=True,
        )
        for result in pages:
            yield from (i["key_id"]["S"] for i in result.get("Items", []))

    def _all_ids(self) -> Iterator[str]:
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table,
            FilterExpression="kind = :kind",
            ExpressionAttributeValues={":kind": _s(KIND_KEY)},
            ConsistentRead=True,
        )
        for result in pages:
            yield from (i["id"]["S"] for i in result.get("Items", []))

    def _batch_get(self, ids: list[str]) -> list[ApiKey]:
        found: list[ApiKey] = []
        for start in range(0, len(ids), _BATCH_GET_LIMIT):
            keys = [
                {"pk": _s(key_pk(i)), "sk": _s(KEY_SK)}
                for i in ids[start : start + _BATCH_GET_LIMIT]
            ]
            pending: dict[str, Any] = {self._table: {"Keys": keys, "ConsistentRead": True}}
            while pending:
                result = self._client.batch_get_item(RequestItems=pending)
                found += [_api_key(i) for i in result["Responses"].get(self._table, [])]
                pending = result.get("UnprocessedKeys") or {}
        return found

    def revoke_key(self, key_id: str) -> ApiKey | None:
        return self._update(key_id, "SET revoked = :v", {":v": {"BOOL": True}})

    def touch_key(self, key_id: str, when: str) -> None:
        self._update(key_id, "SET last_used_at = :v", {":v": _s(when)})

    def _update(self, key_id: str, expression: str, values: Item) -> ApiKey | None:
        try:
            result = self._client.update_item(
                TableName=self._table,
                Key={"pk": _s(key_pk(key_id)), "sk": _s(KEY_SK)},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",  # never create a stub key
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return None
            raise
        return _api_key(result["Attributes"])
