"""S3 and DynamoDB on a moto server on 127.0.0.1, for the engine's AWS backends.

Lance reads and writes S3 from Rust, outside botocore, so ``mock_aws`` cannot intercept it: the
tests need a real HTTP endpoint (``ThreadedMotoServer`` on port 0). The catalog table is
created with the key schema of ``template.yaml``'s CatalogTable, read from the template, so the
tests exercise the table that is deployed.

(Not named ``moto.py``: with pytest's rootdir import mode this directory is on ``sys.path`` and
the module would shadow the moto package.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from chromalake.cli.aws_local import moto_server
from chromalake.config import Settings

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
REGION = "us-east-1"

# Dummy credentials and region for moto, set for the whole test session of a worker (boto3
# and Lance both read them). The endpoint and allow_http are deliberately NOT put in the
# environment (AWS_ENDPOINT / AWS_ALLOW_HTTP): Lance would merge them into its S3 options and
# hide a code path that forgets the engine's storage_options. Every path the engine uses
# (create, merge_insert, delete, drop_table, open) works with storage_options alone; a future
# path that does not (lance-notes §1: clone_table) should set them in its own test.
_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
}


class _CfnLoader(yaml.SafeLoader):
    """A YAML loader that reads CloudFormation's short tags: ``!Ref x`` is ``{"Ref": "x"}``."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node)}
    if isinstance(node, yaml.MappingNode):
        return {suffix: loader.construct_mapping(node)}
    return {suffix: loader.construct_scalar(node)}


_CfnLoader.add_multi_constructor("!", _any_tag)


def load_template() -> dict[str, Any]:
    """template.yaml as data (short tags as their long forms without ``Fn::``)."""
    return yaml.load(TEMPLATE.read_text(), Loader=_CfnLoader)  # type: ignore[no-any-return]


def catalog_table_definition() -> dict[str, Any]:
    """CreateTable arguments (keys, attribute types, billing) of the template's CatalogTable."""
    props = load_template()["Resources"]["CatalogTable"]["Properties"]
    return {
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props["BillingMode"],
    }


@dataclass(frozen=True)
class MotoAws:
    """A running moto server: its endpoint and one bucket for the session."""

    endpoint: str
    bucket: str

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=self.endpoint)

    def new_table(self) -> str:
        """A fresh, empty catalog table shaped like the template's (tests never share one)."""
        name = f"catalog-{uuid.uuid4().hex[:12]}"
        self.client("dynamodb").create_table(TableName=name, **catalog_table_definition())
        return name

    def settings(self, label: str, **changes: Any) -> Settings:
        """Settings of an S3 + DynamoDB engine on this server: a fresh catalog table and a
        fresh prefix (``<label>-<random>``) in the session's bucket."""
        defaults: dict[str, Any] = {
            "chromalake_bucket": self.bucket,
            "chromalake_prefix": f"{label}-{uuid.uuid4().hex[:8]}",
            "chromalake_table": self.new_table(),
            "chromalake_s3_endpoint": self.endpoint,
            "chromalake_dynamodb_endpoint": self.endpoint,
            "chromalake_region": REGION,
        }
        return Settings(**(defaults | changes))

    def new_bucket(self) -> str:
        name = f"lake-{uuid.uuid4().hex[:12]}"
        self.client("s3").create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key under ``prefix`` in ``bucket``."""
        pages = self.client("s3").get_paginator("list_objects_v2")
        return [
            obj["Key"]
            for result in pages.paginate(Bucket=bucket, Prefix=prefix)
            for obj in result.get("Contents", [])
        ]


def start_moto() -> Iterator[MotoAws]:
    """Run a moto server on 127.0.0.1 (a free port) with dummy credentials in the environment."""
    with pytest.MonkeyPatch.context() as env:
        for name, value in _ENV.items():
            env.setenv(name, value)
        server = moto_server()
        server.start()
        try:
            host, port = server.get_host_and_port()
            endpoint = f"http://{host}:{port}"
            aws = MotoAws(endpoint=endpoint, bucket="")
            aws = MotoAws(endpoint=endpoint, bucket=aws.new_bucket())
            yield aws
        finally:
            server.stop()
