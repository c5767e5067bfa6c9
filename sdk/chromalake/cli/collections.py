"""``chromalake versions|fork|export|import``: chromalake's collection extensions from a shell.

Each command works through a client: a server's (``--url``, or ``CHROMALAKE_URL``, with
``--api-key`` or ``CHROMA_API_KEY`` when it needs one), or a local data directory
(``--path``, a ``PersistentClient``). ``--tenant`` and ``--database`` choose where the
collection lives. Output is JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chromalake.cli.common import client_of, open_collection
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT


def _collection(args: argparse.Namespace) -> Any:
    return open_collection(client_of(args), args.collection)


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2))


def _list_versions(args: argparse.Namespace) -> None:
    _print(_collection(args).list_versions())


def _restore_version(args: argparse.Namespace) -> None:
    # A restore never rewrites history: it commits the old records as a new, latest version.
    version = _collection(args).restore_version(args.version)
    _print(
        {
            "collection": args.collection,
            "restored": args.version,
            "version": version,
            "note": f"version {args.version}'s records are now the latest version, {version}; "
            "a restore adds a version and keeps the ones between",
        }
    )


def _fork(args: argparse.Namespace) -> None:
    forked = _collection(args).fork(args.new_name)
    _print({"id": str(forked.id), "name": forked.name, "fork_count": forked.fork_count()})


def _export(args: argparse.Namespace) -> None:
    from chromalake.utils.backup import export_collection

    written = export_collection(_collection(args), args.file, version=args.version)
    _print({"collection": args.collection, "file": args.file, "records": written})


def _import(args: argparse.Namespace) -> None:
    from chromalake.utils.backup import import_collection

    created = import_collection(client_of(args), args.file, name=args.name)
    _print({"id": str(created.id), "name": created.name, "records": created.count()})


def _client_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="a server's URL (default: $CHROMALAKE_URL)")
    parser.add_argument("--api-key", help="an API key for --url (default: $CHROMA_API_KEY)")
    parser.add_argument("--path", help="without --url: a local data directory")
    parser.add_argument("--tenant", default=DEFAULT_TENANT)
    parser.add_argument("--database", default=DEFAULT_DATABASE)


def _command(commands: Any, name: str, run: Any, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text)
    _client_flags(parser)
    parser.set_defaults(collection_command=run)
    return parser


def add_collection_parsers(commands: Any) -> None:
    """The ``versions``, ``fork``, ``export`` and ``import`` subcommands."""
    versions = commands.add_parser("versions", help="list or restore a collection's versions")
    version_commands = versions.add_subparsers(dest="versions_command", required=True)
    listing = _command(version_commands, "list", _list_versions, "list stored versions")
    listing.add_argument("collection", help="the collection's name or id")
    restore = _command(
        version_commands, "restore", _restore_version, "restore a version (as a new one)"
    )
    restore.add_argument("collection", help="the collection's name or id")
    restore.add_argument("version", type=int)
    fork = _command(commands, "fork", _fork, "fork a collection (copy-on-write)")
    fork.add_argument("collection", help="the collection's name or id")
    fork.add_argument("new_name")
    export = _command(commands, "export", _export, "export a collection to a Parquet file")
    export.add_argument("collection", help="the collection's name or id")
    export.add_argument("file")
    export.add_argument("--version", type=int, help="export this version (default: latest)")
    load = _command(commands, "import", _import, "import a Parquet export as a new collection")
    load.add_argument("file")
    load.add_argument("--name", help="the new collection's name (default: the exported one)")


def run_collection_command(args: argparse.Namespace) -> int:
    """Run a collection command; errors are printed, not raised."""
    from chromalake.errors import ChromaError

    try:
        args.collection_command(args)
    except ChromaError as error:
        print(f"chromalake: {error.name()}: {error.message()}", file=sys.stderr)
        return 1
    except (ValueError, OSError) as error:
        print(f"chromalake: {error}", file=sys.stderr)
        return 1
    return 0
