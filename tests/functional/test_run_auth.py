"""``chromalake run --auth``: the first key from the CLI, the rest over the admin routes, and
``CloudClient(api_key=...)`` landing in the key's tenant, as with Chroma Cloud."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from running_server import RunningServer

import chromalake
from chromalake.errors import ChromaAuthError, NotFoundError


def cli(*args: str) -> str:
    """``chromalake ...`` as a user runs it; its stdout (it must succeed)."""
    env = {
        k: v for k, v in os.environ.items() if not k.upper().startswith(("CHROMALAKE_", "CHROMA_"))
    }
    done = subprocess.run(
        [sys.executable, "-m", "chromalake.cli", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def printed_key(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, str]]:
    path = tmp_path_factory.mktemp("auth")
    root = printed_key(
        cli("keys", "create-root", "--name", "bootstrap", "--path", str(path / "data"))
    )
    running = RunningServer(path, allow_reset=False, extra=["--auth"])
    try:
        yield running, root
    finally:
        running.stop()


def test_cloud_client_lands_in_the_keys_tenant(server: tuple[RunningServer, str]) -> None:
    running, root = server
    url = ("--url", running.url, "--api-key", root)
    cli("tenants", "create", "acme", *url)
    cli("tenants", "create-database", "--tenant", "acme", "sales", *url)
    key = printed_key(cli("keys", "create", "--tenant", "acme", "--role", "read-write",
                          "--name", "app", "--database", "sales", *url))  # fmt: skip
    port = running.url.rsplit(":", 1)[1]
    client = chromalake.CloudClient(
        api_key=key, cloud_host="127.0.0.1", cloud_port=int(port), enable_ssl=False
    )
    assert (client.tenant, client.database) == ("acme", "sales")
    client.create_collection("docs").add(ids=["1"], embeddings=[[1.0, 2.0]])
    assert client.get_collection("docs").count() == 1
    with pytest.raises(ChromaAuthError):
        chromalake.CloudClient(
            tenant="default_tenant_x", api_key=key, cloud_host="127.0.0.1",
            cloud_port=int(port), enable_ssl=False,
        )  # fmt: skip


def test_admin_client_manages_keys_and_revokes(server: tuple[RunningServer, str]) -> None:
    running, root = server
    settings = chromalake.Settings(
        chroma_api_impl="chromalake.api.client.HttpClient",
        chroma_server_host=running.url,
        chroma_client_auth_provider="chromadb.auth.token_authn.TokenAuthClientProvider",
        chroma_client_auth_credentials=root,
        chroma_auth_token_transport_header="X-Chroma-Token",
    )
    admin = chromalake.AdminClient(settings)
    admin.create_tenant("beta")
    admin.create_database("main", "beta")
    created = admin.create_api_key("beta", "read-only", "reader", ["main"])
    assert created["key"].startswith("clk_") and created["tenant"] == "beta"
    listed = admin.list_api_keys("beta")
    assert [k["name"] for k in listed] == ["reader"] and "key" not in listed[0]
    port = int(running.url.rsplit(":", 1)[1])
    reader = chromalake.CloudClient(
        api_key=created["key"], cloud_host="127.0.0.1", cloud_port=port, enable_ssl=False
    )
    assert (reader.tenant, reader.database) == ("beta", "main")
    with pytest.raises(NotFoundError):
        reader.set_tenant("acme", "sales")  # another tenant does not exist for this key
    assert admin.revoke_api_key(created["id"])["revoked"] is True
    with pytest.raises(ChromaAuthError):
        reader.list_collections()
    listing = cli("keys", "list", "--tenant", "beta", "--url", running.url, "--api-key", root)
    assert '"revoked": true' in listing and created["key"] not in listing


def test_the_embedded_admin_client_has_no_key_store() -> None:
    with pytest.raises(NotImplementedError, match="kept by a chromalake server"):
        chromalake.AdminClient().list_api_keys()


def test_without_auth_the_server_is_open(tmp_path: Path) -> None:
    running = RunningServer(tmp_path)
    try:
        client = chromalake.HttpClient(host="127.0.0.1", port=running.port)
        assert client.get_user_identity().tenant == "default_tenant"
    finally:
        running.stop()
