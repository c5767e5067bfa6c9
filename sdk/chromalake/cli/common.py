"""What the ``chromalake`` subcommands share: help text, the version, and the client that
``--url``/``--path`` name."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import Any

from chromalake.config import Settings


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


def version() -> str:
    """chromalake's version, as ``--version`` and ``run``'s first line print it."""
    import chromalake

    return str(chromalake.__version__)


def client_of(args: argparse.Namespace, create: bool = False) -> Any:
    """The client the flags name: a server's HttpClient, else a PersistentClient (of an
    existing data directory, unless ``create``: a copy's destination)."""
    import chromalake

    settings = Settings.from_env()
    url = args.url or settings.chromalake_url
    tenant, database = args.tenant, args.database
    if url:  # a full URL: HttpClient takes its scheme, host and port apart
        key = args.api_key or settings.chroma_api_key
        return chromalake.HttpClient(
            host=url,
            headers={"x-chroma-token": key} if key else None,
            tenant=tenant,
            database=database,
        )
    path = args.path or settings.persist_directory
    problem = (
        None
        if create
        else missing_directory(settings.model_copy(update={"persist_directory": path}))
    )
    if problem is not None:  # never leave a new, empty store behind a mistyped --path
        raise ValueError(problem)
    return chromalake.PersistentClient(path=path, tenant=tenant, database=database)


def open_collection(client: Any, wanted: str) -> Any:
    """The collection ``wanted`` names in the client's database: a name, else an id.

    Example:
        >>> import chromalake
        >>> client = chromalake.EphemeralClient()
        >>> made = client.get_or_create_collection("by-id", embedding_function=None)
        >>> open_collection(client, str(made.id)).name
        'by-id'
    """
    from chromalake.errors import NotFoundError

    try:
        return client.get_collection(wanted, embedding_function=None)
    except (NotFoundError, ValueError) as by_name:
        try:
            uuid.UUID(wanted)
        except ValueError:
            raise by_name from None
        return client.get_collection_by_id(wanted, embedding_function=None)
