"""``chromalake maintain``: compaction, index builds and version cleanup, now."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chromalake.cli.common import first_line, missing_directory
from chromalake.cli.run import STORAGE_FLAGS, run_settings
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT


def maintain_now(args: argparse.Namespace) -> int:
    """Compact, index and clean collections now (what `chromalake run` does in the background)."""
    import json
    from dataclasses import asdict

    from chromalake.engine.factory import build_engine
    from chromalake.engine.maintenance import maintain, maintain_all

    settings = run_settings(args)
    problem = missing_directory(settings)
    if problem is not None:
        print(f"chromalake: {problem}", file=sys.stderr)
        return 1
    engine = build_engine(settings)
    if args.collection:
        ids = []
        for wanted in args.collection:
            record = find_collection(engine.catalog, wanted, args.tenant, args.database)
            if record is None:
                print(
                    f"chromalake: no collection {wanted!r} (a name in {args.tenant}/"
                    f"{args.database}, or an id)",
                    file=sys.stderr,
                )
                return 1
            ids.append(record.id)
        reports = [maintain(engine, c, force=True) for c in ids]
    else:
        reports = list(maintain_all(engine))
    for report in reports:
        if report is not None:
            print(json.dumps(asdict(report)))
    return 0


def find_collection(catalog: Any, wanted: str, tenant: str, database: str) -> Any:
    """The catalog record ``wanted`` names: a name in ``tenant``/``database``, else an id."""
    return catalog.get_collection(tenant, database, wanted) or catalog.get_collection_by_id(wanted)


def add_maintain_parser(commands: Any) -> None:
    """The ``maintain`` subcommand: ``--path`` and the storage flags of ``run``."""
    parser = commands.add_parser("maintain", help=first_line(maintain_now))
    parser.add_argument("--path", default=None, help="data directory (as for run)")
    parser.add_argument(
        "--collection",
        action="append",
        help="a collection's name or id (repeatable; default: all)",
    )
    parser.add_argument("--tenant", default=DEFAULT_TENANT, help="where --collection names live")
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    for flag in STORAGE_FLAGS:
        parser.add_argument("--" + flag.replace("_", "-"), dest=flag)
