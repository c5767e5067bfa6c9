"""``chromalake versions|fork|export|import`` on a data directory and against a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from running_server import RunningServer

import chromalake
from chromalake.cli import main


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def _seed(client: object) -> None:
    col = client.create_collection("notes", embedding_function=None)  # type: ignore[attr-defined]
    col.add(ids=["a"], embeddings=[[1.0, 0.0]], documents=["first"])
    col.add(ids=["b"], embeddings=[[0.0, 1.0]], documents=["second"])


def _walk(flags: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["versions", "list", "notes", *flags]) == 0
    versions = _json(capsys)
    assert isinstance(versions, list) and versions[-1]["rows"] == 2
    first_full = next(v["version"] for v in versions if v["rows"] == 1)
    backup = str(tmp_path / "notes.parquet")
    assert main(["export", "notes", backup, "--version", str(first_full), *flags]) == 0
    assert _json(capsys) == {"collection": "notes", "file": backup, "records": 1}
    assert main(["import", backup, "--name", "notes-old", *flags]) == 0
    assert _json(capsys)["records"] == 1  # type: ignore[index]
    assert main(["fork", "notes", "notes-fork", *flags]) == 0
    assert _json(capsys)["fork_count"] == 1  # type: ignore[index]
    assert main(["versions", "restore", "notes", str(first_full), *flags]) == 0
    assert _json(capsys)["version"] > versions[-1]["version"]  # type: ignore[index]
    assert main(["fork", "notes", "notes-fork", *flags]) == 1  # the name is taken
    assert "already exists" in capsys.readouterr().err


def test_collection_commands_on_a_data_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    _seed(chromalake.PersistentClient(path=str(data)))
    _walk(["--path", str(data)], tmp_path, capsys)
    client = chromalake.PersistentClient(path=str(data))
    assert client.get_collection("notes").count() == 1
    assert client.get_collection("notes-fork").count() == 2
    assert client.get_collection("notes-old").get()["documents"] == ["first"]


def test_collection_commands_against_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = RunningServer(tmp_path)
    try:
        client = chromalake.HttpClient(host="127.0.0.1", port=server.port)
        _seed(client)
        _walk(["--url", server.url], tmp_path, capsys)
        assert client.get_collection("notes").count() == 1
        assert client.get_collection("notes-old").get()["documents"] == ["first"]
    finally:
        server.stop()
