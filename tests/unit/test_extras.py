"""A part whose extra is missing says which extra to install (issue 19), in a fresh process
whose import system finds no such package (``sys.modules[name] = None``)."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _fails_with(missing: str, code: str) -> str:
    probe = f"import sys; sys.modules[{missing!r}] = None\n{code}"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode != 0, out.stdout
    return out.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("missing", "code", "extra"),
    [
        ("pyarrow", "import chromalake; chromalake.EphemeralClient().heartbeat()", "embedded"),
        (
            "lancedb",
            "import chromalake; chromalake.EphemeralClient().create_collection('col', "
            "embedding_function=None).add(ids=['a'], embeddings=[[1.0]])",
            "embedded",
        ),
        ("aws_lambda_powertools", "from chromalake.server import build_app", "server"),
        ("pyarrow", "import chromalake.server.gateway", "embedded"),
        ("boto3", "import chromalake.engine.catalog.dynamodb", "server"),
        ("boto3", "import chromalake.auth.dynamodb_store", "server"),
    ],
)
def test_a_missing_extra_is_named(missing: str, code: str, extra: str) -> None:
    last = _fails_with(missing, code)
    assert last.startswith("chromalake.extras.MissingExtraError: chromalake needs "), last
    assert f"pip install 'chromalake[{extra}]'" in last
    assert f"pip install '.[{extra}]'" in last


def test_the_error_is_still_a_module_not_found_error() -> None:
    """Code that catches ImportError (as chromadb's users do) keeps working."""
    from chromalake.extras import MissingExtraError

    assert issubclass(MissingExtraError, ModuleNotFoundError)
