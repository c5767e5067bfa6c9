"""The ``chromalake`` command's frictions of issue 19: --version, help text, names or ids,
no directory made by a command that fails or only reads, what restore answers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

import chromalake
from chromalake.cli import main


def _parsers() -> list[argparse.ArgumentParser]:
    """Every parser of the command, subcommands' included."""
    found: list[argparse.ArgumentParser] = []
    captured: dict[str, argparse.ArgumentParser] = {}

    def walk(parser: argparse.ArgumentParser) -> None:
        found.append(parser)
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    captured[name] = sub
                    walk(sub)

    original = argparse.ArgumentParser.parse_args

    def grab(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> object:
        walk(self)
        raise SystemExit(0)

    argparse.ArgumentParser.parse_args = grab  # type: ignore[assignment,method-assign]
    try:
        with pytest.raises(SystemExit):
            main([])
    finally:
        argparse.ArgumentParser.parse_args = original  # type: ignore[method-assign]
    return found


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"chromalake {chromalake.__version__}"


def test_help_has_no_raw_double_backticks() -> None:
    parsers = _parsers()
    assert len(parsers) > 10
    for parser in parsers:
        assert "``" not in parser.format_help(), parser.prog


def test_demo_is_documented_and_runs(capsys: pytest.CaptureFixture[str]) -> None:
    (demo,) = [p for p in _parsers() if p.prog.endswith(" demo")]
    assert "PersistentClient in a temporary directory" in demo.format_help()
    assert main(["demo"]) == 0
    assert "where kind == animal: ['cat', 'dog']" in capsys.readouterr().out


def _seed(path: Path) -> str:
    col = chromalake.PersistentClient(path=str(path)).create_collection(
        "notes", embedding_function=None
    )
    col.add(ids=["a"], embeddings=[[1.0, 0.0]])
    col.add(ids=["b"], embeddings=[[0.0, 1.0]])
    return str(col.id)


def test_maintain_takes_a_name_or_an_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    collection_id = _seed(data)
    for wanted in ("notes", collection_id):
        assert main(["maintain", "--path", str(data), "--collection", wanted]) == 0
        assert json.loads(capsys.readouterr().out)["collection_id"] == collection_id
    assert main(["maintain", "--path", str(data), "--collection", "nope"]) == 1
    assert "no collection 'nope'" in capsys.readouterr().err


def test_collection_commands_take_an_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    collection_id = _seed(data)
    assert main(["versions", "list", collection_id, "--path", str(data)]) == 0
    versions = json.loads(capsys.readouterr().out)
    first = next(v["version"] for v in versions if v["rows"] == 1)
    assert main(["versions", "restore", "notes", str(first), "--path", str(data)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["restored"] == first and answer["version"] > versions[-1]["version"]
    assert (
        f"version {first}'s records are now the latest version, {answer['version']}"
        in (answer["note"])
    )


@pytest.mark.parametrize(
    "command",
    [
        ["versions", "list", "notes"],
        ["export", "notes", "out.parquet"],
        ["fork", "notes", "copy"],
        ["maintain"],
        ["keys", "list"],
        ["tenants", "create-database", "--tenant", "t", "db"],
    ],
)
def test_no_directory_is_made_by_a_command_that_fails_or_reads(
    command: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PERSIST_DIRECTORY", raising=False)
    missing = tmp_path / "nonexistent"
    assert main([*command, "--path", str(missing)]) == 1
    assert f"chromalake: no data directory at {missing}" in capsys.readouterr().err
    assert not missing.exists()
    assert main(command) == 1  # the default, ./chroma
    assert not (tmp_path / "chroma").exists()


def test_a_missing_extra_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    """``run --aws-local`` without moto: the extra to install, not a traceback."""
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['moto'] = None\n"
        "from chromalake.cli import main; sys.exit(main(['run', '--aws-local', '--port', '0']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "chromalake: chromalake needs moto, which is not installed: "
        "pip install 'chromalake[aws-local]' (from a checkout: pip install '.[aws-local]')"
    )
