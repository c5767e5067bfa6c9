"""Small helpers the ``chromalake`` subcommands share."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def missing_directory(settings: Any) -> str | None:
    """What is wrong when the settings' local data directory does not exist, else None.

    Commands other than ``run`` never create a data directory: a mistyped ``--path`` is an
    error rather than a new, empty store (and a failed command leaves no ``./chroma``).

    Example:
        >>> from chromalake.config import Settings
        >>> missing_directory(Settings(persist_directory="/no/such/dir"))
        'no data directory at /no/such/dir (--path)'
    """
    if settings.chromalake_table or settings.chromalake_bucket:
        return None
    path = Path(settings.persist_directory).expanduser()
    return None if path.is_dir() else f"no data directory at {path} (--path)"


def first_line(function: Any) -> str:
    """The first line of ``function``'s docstring, as help text."""
    return plain(str(function.__doc__).strip().splitlines()[0])


def plain(text: str) -> str:
    """A docstring as help text: reST's double backticks as single ones.

    Example:
        >>> plain("The ``chromalake`` command.")
        'The `chromalake` command.'
    """
    return text.replace("``", "`")
