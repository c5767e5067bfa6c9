"""``chromalake run``: Chroma's HTTP API v2 on a local port (the app that runs in Lambda)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from chromalake.cli.common import first_line, version

# The storage flags `run` shares with `maintain` (each sets the Settings field RUN_FLAGS names).
STORAGE_FLAGS = ("bucket", "prefix", "table", "region", "s3_endpoint", "dynamodb_endpoint")


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
        from chromalake.cli import aws_local

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
    from chromalake.cli.aws_preflight import check

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
    print(f"chromalake {version()}: {_storage(settings)}", flush=True)
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
