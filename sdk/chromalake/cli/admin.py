"""``chromalake keys ...`` and ``chromalake tenants ...``: API keys and tenants.

Two ways to reach the keys:

- a server (``--url``, or ``CHROMALAKE_URL``), with an admin key (``--api-key``, or
  ``CHROMA_API_KEY``): a deployment's API URL or ``chromalake run --auth``. The requests are
  the ``AdminClient``'s.
- the storage itself, without a server (no ``--url``): ``--path`` for a local server's data
  directory, or ``--table`` (``--region``, ``--dynamodb-endpoint``) for a deployment's
  DynamoDB table with your AWS credentials. This is how the first (root) key is made:
  ``chromalake keys create-root --name bootstrap``.

A created key is printed once, on its own line; nothing stores it.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from chromalake.config import Settings

DIRECT_FLAGS = {
    "path": "persist_directory",
    "table": "chromalake_table",
    "region": "chromalake_region",
    "dynamodb_endpoint": "chromalake_dynamodb_endpoint",
}


class _Target:
    """Where the commands go: a server's admin routes, or the key store directly."""

    def __init__(self, args: argparse.Namespace) -> None:
        overrides = {
            field: getattr(args, flag)
            for flag, field in DIRECT_FLAGS.items()
            if getattr(args, flag) is not None
        }
        self.settings = Settings.from_env(is_persistent=True, **overrides)
        self.url = args.url or self.settings.chromalake_url
        self.api_key = args.api_key or self.settings.chroma_api_key
        self.creates_store = args.admin_command is _create_root

    def admin_client(self) -> Any:
        from chromalake.api.client import HTTP_IMPL, AdminClient

        if not self.api_key:
            raise SystemExit("chromalake: a server needs an admin key (--api-key, CHROMA_API_KEY)")
        settings = self.settings.model_copy(
            update={
                "chroma_api_impl": HTTP_IMPL,
                "chroma_server_host": self.url,
                "chroma_client_auth_provider": "chromadb.auth.token_authn.TokenAuthClientProvider",
                "chroma_client_auth_credentials": self.api_key,
                "chroma_auth_token_transport_header": "X-Chroma-Token",
            }
        )
        return AdminClient(settings)

    def key_admin(self) -> Any:
        from chromalake.auth.factory import build_key_admin

        self._existing_store()
        return build_key_admin(self.settings)

    def catalog(self) -> Any:
        from chromalake.engine.factory import build_catalog

        self._existing_store()
        return build_catalog(self.settings)

    def _existing_store(self) -> None:
        """A local data directory must exist: a mistyped --path never makes a new store.

        ``keys create-root`` may make one (the first key of a server not yet run).
        """
        from chromalake.cli.common import missing_directory

        problem = None if self.creates_store else missing_directory(self.settings)
        if problem is not None:
            raise ValueError(problem)


def _print(value: Any) -> None:
    print(json.dumps(value, indent=2))


def _create_key(target: _Target, args: argparse.Namespace) -> None:
    databases = args.database or None
    if target.url:
        created = target.admin_client().create_api_key(args.tenant, args.role, args.name, databases)
    else:
        from chromalake.auth.admin import ROOT

        if args.tenant != "*" and not target.catalog().has_tenant(args.tenant):
            raise SystemExit(f"chromalake: tenant {args.tenant} does not exist")
        record, key = target.key_admin().create_key(
            ROOT, args.tenant, databases, args.role, args.name
        )
        created = {**record.public(), "key": key}
    _print({k: v for k, v in created.items() if k != "key"})
    print(f"API key (shown once, keep it secret):\n{created['key']}")


def _create_root(target: _Target, args: argparse.Namespace) -> None:
    if target.url:
        raise SystemExit("chromalake: create-root writes to the storage: drop --url")
    record, key = target.key_admin().create_root_key(args.name)
    _print(record.public())
    print(f"API key (shown once, keep it secret):\n{key}")


def _list_keys(target: _Target, args: argparse.Namespace) -> None:
    if target.url:
        _print(target.admin_client().list_api_keys(args.tenant))
    else:
        from chromalake.auth.admin import ROOT

        _print([k.public() for k in target.key_admin().list_keys(ROOT, args.tenant)])


def _revoke_key(target: _Target, args: argparse.Namespace) -> None:
    if target.url:
        _print(target.admin_client().revoke_api_key(args.key_id))
    else:
        from chromalake.auth.admin import ROOT

        _print(target.key_admin().revoke_key(ROOT, args.key_id).public())


def _create_tenant(target: _Target, args: argparse.Namespace) -> None:
    if target.url:
        target.admin_client().create_tenant(args.name)
    else:
        from chromalake.engine.catalog import Conflict

        try:
            target.catalog().create_tenant(args.name)
        except Conflict:
            raise SystemExit(f"chromalake: tenant {args.name} already exists") from None
    print(f"tenant {args.name} created")


def _create_database(target: _Target, args: argparse.Namespace) -> None:
    if target.url:
        target.admin_client().create_database(args.name, args.tenant)
    else:
        import uuid

        from chromalake.engine.catalog import Conflict, DatabaseRecord

        record = DatabaseRecord(id=str(uuid.uuid4()), name=args.name, tenant=args.tenant)
        try:
            target.catalog().create_database(record)
        except Conflict:
            raise SystemExit(f"chromalake: database {args.name} already exists") from None
    print(f"database {args.name} created in tenant {args.tenant}")


def _target_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="a server's URL (default: $CHROMALAKE_URL)")
    parser.add_argument("--api-key", help="an admin key for --url (default: $CHROMA_API_KEY)")
    parser.add_argument("--path", help="without --url: a local server's data directory")
    parser.add_argument("--table", help="without --url: a deployment's DynamoDB table")
    parser.add_argument("--region", help="AWS region of the table")
    parser.add_argument("--dynamodb-endpoint", help="DynamoDB endpoint URL (moto, ...)")


def _command(commands: Any, name: str, run: Any, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(name, help=help_text)
    _target_flags(parser)
    parser.set_defaults(admin_command=run)
    return parser


def add_admin_parsers(commands: Any) -> None:
    """The ``keys`` and ``tenants`` subcommands."""
    keys = commands.add_parser("keys", help="create, list and revoke API keys")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    create = _command(key_commands, "create", _create_key, "create a key (printed once)")
    create.add_argument("--tenant", required=True, help="the key's tenant")
    create.add_argument(
        "--role", required=True, choices=["admin", "read-write", "read-only"], help="its role"
    )
    create.add_argument("--name", required=True, help="what the key is for")
    create.add_argument(
        "--database", action="append", help="a database it may use (repeat; default: all)"
    )
    root = _command(key_commands, "create-root", _create_root, "create a key of every tenant")
    root.add_argument("--name", required=True, help="what the key is for")
    listing = _command(key_commands, "list", _list_keys, "list keys (never the keys themselves)")
    listing.add_argument("--tenant", help="only this tenant's keys")
    revoke = _command(key_commands, "revoke", _revoke_key, "revoke a key by its id")
    revoke.add_argument("key_id")

    tenants = commands.add_parser("tenants", help="create tenants and their databases")
    tenant_commands = tenants.add_subparsers(dest="tenants_command", required=True)
    _command(tenant_commands, "create", _create_tenant, "create a tenant").add_argument("name")
    database = _command(
        tenant_commands, "create-database", _create_database, "create a database in a tenant"
    )
    database.add_argument("--tenant", required=True)
    database.add_argument("name")


def run_admin(args: argparse.Namespace) -> int:
    """Run a ``keys``/``tenants`` command; errors are printed, not raised."""
    from chromalake.cli.aws_preflight import describe
    from chromalake.errors import ChromaError

    target = _Target(args)
    try:
        args.admin_command(target, args)
    except ChromaError as error:
        print(f"chromalake: {error.name()}: {error.message()}", file=sys.stderr)
        return 1
    except (ValueError, NotImplementedError) as error:
        print(f"chromalake: {error}", file=sys.stderr)
        return 1
    except Exception as error:  # AWS mistakes (credentials, region, table) in one line
        line = describe(error, target.settings)
        if line is None:
            raise
        print(f"chromalake: {line}", file=sys.stderr)
        return 1
    return 0
