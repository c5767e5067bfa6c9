"""``chromalake copy`` and ``chromalake browse`` (Chroma's ``chroma copy`` / ``chroma browse``)
between data directories and a running server (issue 19)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from running_server import RunningServer

import chromalake
from chromalake.cli import main

COUNT = 1_234  # more than one copied page


def _seed(path: Path) -> Any:
    col = chromalake.PersistentClient(path=str(path)).create_collection(
        "notes", embedding_function=None, metadata={"team": "a"}
    )
    col.add(
        ids=[f"id{i}" for i in range(COUNT)],
        embeddings=[[float(i), 1.0] for i in range(COUNT)],
        documents=[f"document {i}" for i in range(COUNT)],
        metadatas=[{"i": i} for i in range(COUNT)],
    )
    return col


def _same_records(a: Any, b: Any) -> None:
    include = ["embeddings", "documents", "metadatas"]
    left, right = a.get(include=include), b.get(include=include)
    assert left["ids"] == right["ids"] and len(left["ids"]) == COUNT
    assert left["documents"] == right["documents"]
    assert left["metadatas"] == right["metadatas"]
    assert (left["embeddings"] == right["embeddings"]).all()


def test_copy_between_data_directories_and_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _seed(tmp_path / "src")
    # data directory -> a new data directory (made by the copy), by id
    assert main(["copy", str(source.id), "--path", str(tmp_path / "src"),
                 "--to-path", str(tmp_path / "dst")]) == 0  # fmt: skip
    out = capsys.readouterr()
    assert json.loads(out.out)["records"] == COUNT
    assert "copy notes" in out.err or f"copied {COUNT}/{COUNT}" in out.err  # progress
    copied = chromalake.PersistentClient(path=str(tmp_path / "dst")).get_collection("notes")
    _same_records(source, copied)
    assert copied.metadata == {"team": "a"}

    server = RunningServer(tmp_path / "server")
    try:
        # data directory -> server -> another name on the same server
        assert main(["copy", "notes", "--path", str(tmp_path / "src"),
                     "--to-url", server.url]) == 0  # fmt: skip
        assert main(["copy", "notes", "--url", server.url, "--name", "notes-2"]) == 0
        client = chromalake.HttpClient(host="127.0.0.1", port=server.port)
        _same_records(source, client.get_collection("notes"))
        _same_records(source, client.get_collection("notes-2"))
        capsys.readouterr()
        assert main(["copy", "notes", "--url", server.url]) == 1  # beside itself, no --name
        assert "needs a new --name" in capsys.readouterr().err
        assert main(["browse", "--url", server.url]) == 0
        listing = capsys.readouterr().out.splitlines()
        assert listing[0] == "name\tid\trecords"
        assert sorted(line.split("\t")[0] for line in listing[1:]) == ["notes", "notes-2"]
    finally:
        server.stop()


def test_browse_pages_through_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _seed(tmp_path / "data")
    flags = ["--path", str(tmp_path / "data")]
    assert main(["browse", "notes", "--limit", "3", *flags]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [
        'id0\tdocument 0 {"i": 0}',
        'id1\tdocument 1 {"i": 1}',
        'id2\tdocument 2 {"i": 2}',
    ]
    assert f"3/{COUNT} (--all for every record)" in out.err
    assert main(["browse", "notes", "--all", *flags]) == 0
    assert len(capsys.readouterr().out.splitlines()) == COUNT
    assert main(["browse", "--databases", *flags]) == 0
    assert capsys.readouterr().out.split() == ["default_database"]
    assert main(["browse", "nope", *flags]) == 1
    assert "does not exist" in capsys.readouterr().err


def test_browse_waits_for_enter_in_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(tmp_path / "data")
    answers = iter(["", "q"])
    prompts: list[str] = []
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", answer)
    assert main(["browse", "notes", "--limit", "2", "--path", str(tmp_path / "data")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4  # two pages, then q
    assert prompts == [
        f"-- 2/{COUNT}: Enter for more, q to quit -- ",
        f"-- 4/{COUNT}: Enter for more, q to quit -- ",
    ]
