"""``chromalake run --aws-local``: the AWS backends on a moto server on 127.0.0.1.

Starts moto's S3 and DynamoDB on a free loopback port, creates the bucket and the catalog
table with the key schema of ``template.yaml``'s ``CatalogTable`` (:data:`CATALOG_TABLE`; a
test keeps the two equal), and returns the settings that point the engine at them: the same
code path as a deployment (DynamoDB catalog, Lance datasets in S3), in memory, gone at exit.

moto is not a runtime dependency: ``pip install '.[aws-local]'``. Lance talks to S3 from Rust,
outside botocore, so moto runs as a real HTTP server rather than an in-process mock; and its
requests are applied one at a time (:class:`OneRequestAtATime`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

REGION = "us-east-1"
BUCKET = "chromalake-local"
TABLE = "chromalake-local-catalog"
#: Dummy credentials: moto accepts any, and nothing in this process may reach real AWS.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "chromalake-local",
    "AWS_SECRET_ACCESS_KEY": "chromalake-local",
    "AWS_SESSION_TOKEN": "chromalake-local",
}
#: CreateTable arguments of template.yaml's CatalogTable (keys, attribute types, billing).
CATALOG_TABLE: dict[str, Any] = {
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ],
    "BillingMode": "PAY_PER_REQUEST",
}


class OneRequestAtATime:
    """A WSGI app that lets moto answer one request at a time.

    moto is not safe for concurrent requests: a TransactWriteItems copies the whole table
    first and, when its condition fails, puts the copy back, undoing every write another
    thread made meanwhile; a conditional update checks and writes without a lock. DynamoDB
    and S3 apply each request atomically, and chromalake's concurrent writers rely on that,
    so the requests are served on many connections but applied one by one.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


def moto_server(host: str = "127.0.0.1", port: int = 0) -> Any:
    """moto's ThreadedMotoServer (not started), its requests applied one at a time."""
    try:
        from moto.moto_server.threaded_moto_server import (  # type: ignore[attr-defined]
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
            make_server,
        )
        from moto.server import ThreadedMotoServer
    except ModuleNotFoundError as error:
        from chromalake.extras import missing_extra

        raise missing_extra(error) from None

    class Server(ThreadedMotoServer):
        def _server_entry(self) -> None:
            app = OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=MotoRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever()

    # werkzeug logs every request at INFO.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    return Server(ip_address=host, port=port, verbose=False)


@dataclass
class LocalAws:
    """A running moto server: its endpoint, and the bucket and table made on it."""

    server: Any
    endpoint: str
    bucket: str = BUCKET
    table: str = TABLE
    region: str = REGION

    def client(self, service: str) -> Any:
        """A boto3 client of ``service`` on this server."""
        import boto3  # type: ignore[import-untyped]

        return boto3.client(service, region_name=self.region, endpoint_url=self.endpoint)

    def settings_fields(self) -> dict[str, Any]:
        """The Settings fields that point the engine at this server."""
        return {
            "chromalake_bucket": self.bucket,
            "chromalake_table": self.table,
            "chromalake_region": self.region,
            "chromalake_s3_endpoint": self.endpoint,
            "chromalake_dynamodb_endpoint": self.endpoint,
        }

    def stop(self) -> None:
        """Stop the server (its data goes with it)."""
        self.server.stop()


def start(bucket: str = BUCKET, table: str = TABLE, region: str = REGION) -> LocalAws:
    """Start moto on 127.0.0.1, with dummy credentials, a bucket and a catalog table.

    The credentials are set in this process's environment (boto3 and Lance both read them),
    replacing any real ones: with ``--aws-local`` nothing may reach an AWS account.

    Example (needs the aws-local extra, so not run here)::

        aws = start()
        settings = Settings.from_env(**aws.settings_fields())
    """
    os.environ.update(CREDENTIALS)
    os.environ["AWS_DEFAULT_REGION"] = os.environ["AWS_REGION"] = region
    server = moto_server()
    server.start()
    host, port = server.get_host_and_port()
    aws = LocalAws(server, f"http://{host}:{port}", bucket, table, region)
    aws.client("s3").create_bucket(Bucket=bucket)
    aws.client("dynamodb").create_table(TableName=table, **CATALOG_TABLE)
    return aws


__all__ = ["CATALOG_TABLE", "LocalAws", "OneRequestAtATime", "moto_server", "start"]
