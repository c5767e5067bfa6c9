"""``chromalake run --aws-local`` and AWS mistakes at start-up as one line (issue 19)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from moto_server import MotoAws, catalog_table_definition
from running_server import RunningServer, free_port

import chromalake
from chromalake.cli.aws_local import CATALOG_TABLE
from chromalake.cli.aws_preflight import FIX_CREDENTIALS, FIX_REGION, check
from chromalake.config import Settings


def test_the_local_table_is_the_template_s() -> None:
    assert catalog_table_definition() == CATALOG_TABLE


def test_run_aws_local_serves_on_moto(tmp_path: Path) -> None:
    server = RunningServer(tmp_path, extra=["--aws-local"])
    try:
        client = chromalake.HttpClient(host="127.0.0.1", port=server.port)
        col = client.create_collection("on-moto", embedding_function=None)
        col.add(ids=["a", "b"], embeddings=[[1.0, 0.0], [0.0, 1.0]])
        assert col.query(query_embeddings=[[1.0, 0.1]], n_results=1)["ids"] == [["a"]]
    finally:
        code, out, err = server.stop()
    assert code == 0, err
    assert "local AWS (moto) at http://127.0.0.1:" in out
    assert "catalog in DynamoDB table chromalake-local-catalog" in out
    assert "s3://chromalake-local" in out


def _run(*flags: str, env: dict[str, str]) -> tuple[int, str]:
    """``chromalake run`` with ``flags`` that must fail at start-up: (exit code, stderr)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CHROMALAKE_"))}
    # No profile files and no instance metadata: only what ``env`` gives counts.
    base |= {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    base["AWS_EC2_METADATA_DISABLED"] = "true"
    command = [sys.executable, "-m", "chromalake.cli", "run", "--port", str(free_port())]
    done = subprocess.run(
        command + list(flags), capture_output=True, text=True, env=base | env, timeout=120
    )
    return done.returncode, done.stderr


KEYS = {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}


def test_no_credentials_is_one_line() -> None:
    code, err = _run("--table", "t", "--region", "eu-west-1", env={})
    assert code == 1
    assert err.strip() == f"chromalake: {FIX_CREDENTIALS}"


def test_no_region_is_one_line() -> None:
    code, err = _run("--table", "t", env=KEYS)
    assert (code, err.strip()) == (1, f"chromalake: {FIX_REGION}")


def test_an_endpoint_nobody_answers_is_one_line() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"
    code, err = _run(
        "--table", "t", "--region", "us-east-1", "--dynamodb-endpoint", endpoint, env=KEYS
    )
    assert code == 1
    assert err.strip().splitlines() == [
        f"chromalake: cannot reach {endpoint}/: is the endpoint (or the region) right?"
    ]


@pytest.mark.usefixtures("moto_aws")
def test_a_missing_table_or_bucket_is_one_line(moto_aws: MotoAws) -> None:
    where = {
        "chromalake_region": "us-east-1",
        "chromalake_dynamodb_endpoint": moto_aws.endpoint,
        "chromalake_s3_endpoint": moto_aws.endpoint,
    }
    assert check(Settings(chromalake_table="nope", **where)) == (
        "DynamoDB table nope does not exist in us-east-1 (`sam deploy` creates it; "
        "its name is the stack's CatalogTableName output)"
    )
    table = moto_aws.new_table()
    assert check(Settings(chromalake_table=table, chromalake_bucket="no-such-bucket", **where)) == (
        "S3 bucket no-such-bucket does not exist in us-east-1"
    )
    assert (
        check(Settings(chromalake_table=table, chromalake_bucket=moto_aws.bucket, **where)) is None
    )
    assert check(Settings()) is None  # local disk: nothing to ask


def _keys(*flags: str, env: dict[str, str]) -> tuple[int, str]:
    """``chromalake keys create-root`` (the guide's first key) with ``flags``."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CHROMALAKE_"))}
    base |= {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    base["AWS_EC2_METADATA_DISABLED"] = "true"
    command = [sys.executable, "-m", "chromalake.cli", "keys", "create-root", "--name", "x"]
    done = subprocess.run(
        command + list(flags), capture_output=True, text=True, env=base | env, timeout=120
    )
    return done.returncode, done.stderr


def test_the_cli_s_first_key_says_aws_mistakes_in_one_line(moto_aws: MotoAws) -> None:
    code, err = _keys("--table", "t", "--region", "eu-west-1", env={})
    assert (code, err.strip()) == (1, f"chromalake: {FIX_CREDENTIALS}")
    flags = ["--table", "nope", "--region", "us-east-1", "--dynamodb-endpoint", moto_aws.endpoint]
    code, err = _keys(*flags, env=KEYS)
    assert code == 1
    assert err.strip().splitlines() == [
        "chromalake: DynamoDB table nope does not exist in us-east-1 (`sam deploy` creates it; "
        "its name is the stack's CatalogTableName output)"
    ]
