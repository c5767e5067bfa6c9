"""The ``chromalake`` command."""

from __future__ import annotations

import argparse
import sys
import tempfile
from typing import Any

from chromalake.cli_admin import add_admin_parsers, run_admin
from chromalake.cli_collections import add_collection_parsers, run_collection_command

# `chromalake run` flags that map onto Settings fields (flag dest -> field).
STORAGE_FLAGS = {
    "bucket": "chromalake_bucket",
    "prefix": "chromalake_prefix",
    "table": "chromalake_table",
    "region": "chromalake_region",
    "s3_endpoint": "chromalake_s3_endpoint",
    "dynamodb_endpoint": "chromalake_dynamodb_endpoint",
}


def demo() -> int:
    """Walk through the embedded client: create, add, filter, query (no server needed)."""
    import chromalake

    with tempfile.TemporaryDirectory() as path:
        client = chromalake.PersistentClient(path)
        col = client.create_collection("demo", metadata={"hnsw:space": "cosine"})
        col.add(
            ids=["cat", "dog", "car"],
            embeddings=[[0.9, 0.1, 0.0], [0.8, 0.2, 0.1], [0.0, 0.1, 0.9]],
            documents=["a cat sleeps", "a dog barks", "a car drives"],
            metadatas=[{"kind": "animal"}, {"kind": "animal"}, {"kind": "vehicle"}],
        )
        print(f"chromalake {chromalake.__version__}: {col.count()} records in {col!r}")
        hits = col.query(query_embeddings=[[1.0, 0.0, 0.0]], n_results=2)
        print(
            "nearest to [1, 0, 0]:", list(zip(hits["ids"][0], hits["distances"][0], strict=False))
        )
        animals = col.get(where={"kind": "animal"})
        print("where kind == animal:", animals["ids"])
    return 0


def run_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Settings fields the ``run`` flags set; a flag left out defers to the environment.

    Example:
        >>> ns = argparse.Namespace(path=None, allow_reset=True, bucket="b", prefix=None,
        ...     table=None, region=None, s3_endpoint=None, dynamodb_endpoint=None)
        >>> run_overrides(ns)
        {'is_persistent': True, 'allow_reset': True, 'chromalake_bucket': 'b'}
    """
    # A server always persists (like `chroma run`); --path only moves where.
    overrides: dict[str, Any] = {"is_persistent": True}
    if args.path is not None:
        overrides["persist_directory"] = args.path
    if args.allow_reset:
        overrides["allow_reset"] = True
    if getattr(args, "auth", False):
        overrides["chromalake_auth"] = True
    for flag, name in STORAGE_FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            overrides[name] = value
    return overrides


def run(args: argparse.Namespace) -> int:
    """Serve Chroma's HTTP API v2 on a local port (the same app that runs in Lambda)."""
    from chromalake.config import Settings
    from chromalake.engine.factory import build_engine
    from chromalake.engine.maintenance import BackgroundMaintainer
    from chromalake.server.gateway import GatewayServer, serve

    settings = Settings.from_env(**run_overrides(args))
    engine = build_engine(settings)
    # Compaction and index builds run beside the server, shortly after writes (in AWS: the
    # maintenance Lambda, fed by a queue).
    BackgroundMaintainer(
        engine,
        delay=settings.chromalake_maintenance_delay_seconds,
        interval=settings.chromalake_maintenance_interval_seconds,
    ).start()
    app = _app(settings, engine)
    try:
        server = GatewayServer((args.host, args.port), app, settings=settings, verbose=args.verbose)
    except OSError as error:
        print(f"chromalake: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(f"chromalake {_version()}: {_storage(settings)}", flush=True)
    return serve(server)


def _app(settings: Any, engine: Any) -> Any:
    """The REST app; with auth, behind the same authorizer API Gateway would call."""
    from chromalake.server import build_app

    if not settings.chromalake_auth:
        return build_app(engine, settings)
    from chromalake.auth.factory import build_authenticator, build_key_admin, build_key_store
    from chromalake.server.local_auth import AuthorizingResolver

    authenticator = build_authenticator(settings, build_key_store(settings), engine.catalog)
    app = build_app(engine, settings, build_key_admin(settings, authenticator))
    return AuthorizingResolver(app, authenticator)


def _storage(settings: Any) -> str:
    from chromalake.engine.factory import persist_root, storage_root

    catalog = (
        f"DynamoDB table {settings.chromalake_table}"
        if settings.chromalake_table
        else f"SQLite under {persist_root(settings)}"
    )
    return f"catalog in {catalog}, collections in {storage_root(settings)}"


def _version() -> str:
    import chromalake

    return str(chromalake.__version__)


def add_run_parser(commands: Any) -> None:
    """The ``run`` subcommand's flags: Chroma's (``--host --port --path``) plus storage."""
    parser = commands.add_parser("run", help=run.__doc__, description=run.__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on")
    parser.add_argument(
        "--path", default=None, help="data directory (default: $PERSIST_DIRECTORY or ./chroma)"
    )
    parser.add_argument(
        "--allow-reset", action="store_true", help="allow POST /api/v2/reset (wipes all data)"
    )
    parser.add_argument("--bucket", help="keep collections in this S3 bucket")
    parser.add_argument("--prefix", help="key prefix inside the bucket")
    parser.add_argument("--table", help="keep the catalog in this DynamoDB table")
    parser.add_argument("--region", help="AWS region of the bucket and table")
    parser.add_argument("--s3-endpoint", help="S3 endpoint URL (moto, MinIO, ...)")
    parser.add_argument("--dynamodb-endpoint", help="DynamoDB endpoint URL (moto, ...)")
    parser.add_argument(
        "--auth",
        action="store_true",
        help="require API keys (see `chromalake keys`); default: open, like `chroma run`",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")


def maintain_now(args: argparse.Namespace) -> int:
    """Compact, index and clean collections now (what `chromalake run` does in the background)."""
    import json
    from dataclasses import asdict

    from chromalake.config import Settings
    from chromalake.engine.factory import build_engine
    from chromalake.engine.maintenance import maintain, maintain_all

    engine = build_engine(Settings.from_env(**run_overrides(args)))
    if args.collection:
        reports = [maintain(engine, c, force=True) for c in args.collection]
    else:
        reports = list(maintain_all(engine))
    for report in reports:
        if report is not None:
            print(json.dumps(asdict(report)))
    return 0


def add_maintain_parser(commands: Any) -> None:
    """The ``maintain`` subcommand: ``--path`` and the storage flags of ``run``."""
    parser = commands.add_parser("maintain", help=maintain_now.__doc__)
    parser.add_argument("--path", default=None, help="data directory (as for run)")
    parser.add_argument(
        "--collection", action="append", help="a collection id (repeatable; default: all)"
    )
    for flag in STORAGE_FLAGS:
        parser.add_argument("--" + flag.replace("_", "-"), dest=flag)
    parser.set_defaults(allow_reset=False)


def main(argv: list[str] | None = None) -> int:
    """The ``chromalake`` command line.

    Example:
        >>> main(["run", "--help"])  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        SystemExit: 0
    """
    parser = argparse.ArgumentParser(prog="chromalake", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help=demo.__doc__)
    add_run_parser(commands)
    add_admin_parsers(commands)
    add_maintain_parser(commands)
    add_collection_parsers(commands)
    args = parser.parse_args(argv)
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
    if args.command in ("versions", "fork", "export", "import"):
        return run_collection_command(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
