"""The ``chromalake`` command: its parser and the dispatch to each command group's module."""

from __future__ import annotations

import argparse
import sys

from chromalake.cli.admin import add_admin_parsers, run_admin
from chromalake.cli.collections import add_collection_parsers, run_collection_command
from chromalake.cli.common import first_line, plain, version
from chromalake.cli.data import add_data_parsers
from chromalake.cli.demo import demo
from chromalake.cli.maintain import add_maintain_parser, maintain_now
from chromalake.cli.run import add_run_parser, run

DESCRIPTION = """Chroma's API, serverless: a local server, its data, and a deployment's admin tasks.

Start with `chromalake demo` (the embedded client in a temporary directory) or
`chromalake run` (Chroma's HTTP API v2 on localhost:8000, like `chroma run`).
"""


def main(argv: list[str] | None = None) -> int:
    """The ``chromalake`` command line.

    Example:
        >>> main(["run", "--help"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        SystemExit: 0
    """
    parser = argparse.ArgumentParser(
        prog="chromalake",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chromalake {version()}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help=first_line(demo), description=plain(str(demo.__doc__)))
    add_run_parser(commands)
    add_admin_parsers(commands)
    add_maintain_parser(commands)
    add_collection_parsers(commands)
    add_data_parsers(commands)
    args = parser.parse_args(argv)
    from chromalake.extras import MissingExtraError

    try:
        return _dispatch(args)
    except MissingExtraError as error:  # a slim install: one line naming the extra
        print(f"chromalake: {error}", file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "maintain":
        return maintain_now(args)
    if args.command == "demo":
        return demo()
    if args.command == "run":
        try:
            return run(args)
        except KeyboardInterrupt:  # Ctrl-C while still starting (imports take seconds)
            return 130
    if args.command in ("keys", "tenants"):
        return run_admin(args)
    return run_collection_command(args)
