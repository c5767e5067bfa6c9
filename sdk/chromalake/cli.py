"""The ``chromalake`` command."""

from __future__ import annotations

import argparse
import sys
import tempfile
from typing import Any

from chromalake.cli_admin import add_admin_parsers, run_admin
from chromalake.cli_collections import add_collection_parsers, run_collection_command
from chromalake.cli_common import first_line, missing_directory, plain
from chromalake.cli_data import add_data_parsers
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT

# The storage flags `run` shares with `maintain` (each sets the Settings field RUN_FLAGS names).
STORAGE_FLAGS = ("bucket", "prefix", "table", "region", "s3_endpoint", "dynamodb_endpoint")


def demo() -> int:
    """Walk through the embedded client: create, add, filter, query (no server needed).

    A PersistentClient in a temporary directory (deleted afterwards): a collection of three
    records, their nearest neighbours of a vector, and a metadata filter, printed as it goes.
    """
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
        >>> ns = argparse.Namespace(path=None, allow_reset=True, bucket="b", port=None)
        >>> run_overrides(ns)
        {'is_persistent': True, 'allow_reset': True, 'chromalake_bucket': 'b'}
    """
    from chromalake.config import RUN_FLAGS

    # A server always persists (like `chroma run`); --path only moves where.
    overrides: dict[str, Any] = {"is_persistent": True}
    for flag, name in RUN_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            overrides[name] = value
    return overrides


def run_settings(args: argparse.Namespace) -> Any:
    """The server's settings: flags > ``--config`` file > environment > defaults."""
    from chromalake.config import Settings, load_config_file

    from_file = load_config_file(args.config) if getattr(args, "config", None) else {}
    return Settings.from_env(**{**from_file, **run_overrides(args)})


def run(args: argparse.Namespace) -> int:
    """Serve Chroma's HTTP API v2 on a local port (the same app that runs in Lambda)."""
    try:
        settings = run_settings(args)
        from chromalake.server import request_log

        request_log.configure(settings.chromalake_log_level, settings.chromalake_log_format)
    except ValueError as error:
        print(f"chromalake: {error}", file=sys.stderr)
        return 2
    local_aws = None
    if args.aws_local:
        from chromalake import aws_local

        local_aws = aws_local.start(
            bucket=settings.chromalake_bucket or aws_local.BUCKET,
            table=settings.chromalake_table or aws_local.TABLE,
        )
        settings = settings.model_copy(update=local_aws.settings_fields())
        print(
            f"chromalake: local AWS (moto) at {local_aws.endpoint}: bucket {local_aws.bucket}, "
            f"table {local_aws.table}, region {local_aws.region} (in memory, gone at exit)",
            flush=True,
        )
    try:
        return _serve(settings)
    finally:
        if local_aws is not None:
            local_aws.stop()


def _serve(settings: Any) -> int:
    from chromalake.aws_preflight import check

    problem = check(settings)
    if problem is not None:
        print(f"chromalake: {problem}", file=sys.stderr)
        return 1
    from chromalake.engine.factory import build_engine
    from chromalake.engine.maintenance import BackgroundMaintainer
    from chromalake.server.gateway import GatewayServer, serve

    engine = build_engine(settings)
    # Compaction and index builds run beside the server, shortly after writes (in AWS: the
    # maintenance Lambda, fed by a queue).
    BackgroundMaintainer(
        engine,
        delay=settings.chromalake_maintenance_delay_seconds,
        interval=settings.chromalake_maintenance_interval_seconds,
    ).start()
    app = _app(settings, engine)
    host, port = settings.chromalake_host, settings.chromalake_port
    try:
        server = GatewayServer((host, port), app, settings=settings)
    except OSError as error:
        print(f"chromalake: cannot listen on {host}:{port}: {error}", file=sys.stderr)
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
    parser = commands.add_parser("run", help=first_line(run), description=run.__doc__)
    parser.add_argument("--host", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: 8000)")
    parser.add_argument(
        "--path", default=None, help="data directory (default: $PERSIST_DIRECTORY or ./chroma)"
    )
    parser.add_argument(
        "--allow-reset",
        action="store_true",
        default=None,
        help="allow POST /api/v2/reset (wipes all data)",
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
        default=None,
        help="require API keys (see `chromalake keys`); default: open, like `chroma run`",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        help="INFO (default) logs one line per request; WARNING only refused and failed ones",
    )
    parser.add_argument(
        "--log-format", choices=("text", "json"), help="text (default) or one JSON object a line"
    )
    parser.add_argument(
        "--verbose", action="store_const", const="DEBUG", dest="log_level", help="--log-level DEBUG"
    )
    parser.add_argument(
        "--aws-local",
        action="store_true",
        help="S3 and DynamoDB on a moto server on 127.0.0.1 (pip install '.[aws-local]')",
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="a YAML file of these settings (`port: 9000`, `table: ...`); flags win over it",
    )


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
    parser.add_argument("--version", action="version", version=f"chromalake {_version()}")
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


if __name__ == "__main__":
    sys.exit(main())
