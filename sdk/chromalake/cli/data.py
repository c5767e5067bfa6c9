"""``chromalake copy`` and ``chromalake browse``: Chroma's ``chroma copy`` and ``chroma browse``.

Both work through clients, as the collection commands do (``--url``/``--api-key`` for a
server, ``--path`` for a data directory, ``--tenant``/``--database``):

- ``copy NAME_OR_ID`` copies a collection, records and embeddings as they are, to another
  server or data directory (``--to-url``, ``--to-path``, ``--to-tenant``, ``--to-database``,
  ``--to-api-key``), or beside itself under ``--name``; a progress bar (or a line per batch
  without tqdm) on stderr.
- ``browse`` lists the databases of a tenant and the collections of a database (name, id,
  count); ``browse NAME_OR_ID`` pages through the collection's records, ``--limit`` at a time,
  waiting for Enter between pages in a terminal (``q`` quits).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from chromalake.cli.common import client_of, open_collection
from chromalake.types import DEFAULT_DATABASE, DEFAULT_TENANT

INCLUDE = ["embeddings", "documents", "metadatas", "uris"]
#: Records per copied batch (below every server's max_batch_size, Lambda's 6 MB included).
COPY_BATCH = 500
#: Characters of a document shown per record by ``browse``.
PREVIEW = 80


def _destination(args: argparse.Namespace) -> argparse.Namespace:
    """The ``--to-*`` flags as the client flags of the destination (defaults: the source's)."""
    elsewhere = args.to_url is not None or args.to_path is not None
    return argparse.Namespace(
        url=args.to_url if elsewhere else args.url,
        api_key=args.to_api_key if args.to_api_key is not None else args.api_key,
        path=args.to_path if elsewhere else args.path,
        tenant=args.to_tenant or args.tenant,
        database=args.to_database or args.database,
    )


def _pages(collection: Any, size: int, include: list[str]) -> Iterator[dict[str, Any]]:
    offset = 0
    while True:
        page = collection.get(limit=size, offset=offset, include=include)
        if not page["ids"]:
            return
        yield page
        offset += len(page["ids"])


class _Progress:
    """tqdm on stderr when installed, else one line per batch."""

    def __init__(self, total: int, name: str) -> None:
        try:
            from tqdm import tqdm  # type: ignore[import-untyped]

            self.bar: Any = tqdm(total=total, desc=f"copy {name}", unit="rec", file=sys.stderr)
        except ModuleNotFoundError:
            self.bar = None
        self.total, self.done = total, 0

    def update(self, count: int) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
        else:
            print(f"copied {self.done}/{self.total}", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def copy_collection(source: Any, target_client: Any, name: str) -> Any:
    """Copy ``source`` (records, embeddings, metadata) into a new collection ``name``.

    Example:
        >>> import chromalake
        >>> client = chromalake.EphemeralClient()
        >>> col = client.get_or_create_collection("copy-src", embedding_function=None)
        >>> col.add(ids=["a"], embeddings=[[1.0, 2.0]], documents=["hi"])
        >>> copy_collection(col, client, "copy-dst").get()["documents"]
        ['hi']
    """
    total = source.count()
    created = target_client.create_collection(
        name, metadata=source.metadata, embedding_function=None
    )
    from chromalake.utils.batch_utils import add_in_batches

    progress = _Progress(total, source.name)
    try:
        for page in _pages(source, COPY_BATCH, INCLUDE):
            # each page in as many requests as the destination's limits need (Lambda's 6 MB)
            add_in_batches(
                created,
                page["ids"],
                embeddings=page["embeddings"],
                documents=page["documents"],
                metadatas=page["metadatas"],
                uris=page["uris"],
            )
            progress.update(len(page["ids"]))
    finally:
        progress.close()
    return created


def _copy(args: argparse.Namespace) -> None:
    source = open_collection(client_of(args), args.collection)
    target = _destination(args)
    name = args.name or source.name
    same_place = (target.url, target.path, target.tenant, target.database) == (
        args.url,
        args.path,
        args.tenant,
        args.database,
    )
    if same_place and name == source.name:
        raise ValueError("copying beside the source needs a new --name")
    created = copy_collection(source, client_of(target, create=True), name)
    print(json.dumps({"id": str(created.id), "name": created.name, "records": created.count()}))


def _record_lines(page: dict[str, Any]) -> Iterator[str]:
    for i, record_id in enumerate(page["ids"]):
        document = (page["documents"] or [None] * len(page["ids"]))[i]
        metadata = (page["metadatas"] or [None] * len(page["ids"]))[i]
        text = "" if document is None else document.replace("\n", " ")
        if len(text) > PREVIEW:
            text = text[: PREVIEW - 1] + "…"
        meta = "" if not metadata else " " + json.dumps(metadata, ensure_ascii=False)
        yield f"{record_id}\t{text}{meta}"


def _browse(args: argparse.Namespace) -> None:
    client = client_of(args)
    if args.collection is None:
        if args.databases:
            admin = _admin_of(client)
            for database in admin.list_databases(tenant=args.tenant):
                print(database["name"])
            return
        print("name\tid\trecords")
        for collection in client.list_collections():
            print(f"{collection.name}\t{collection.id}\t{collection.count()}")
        return
    collection = open_collection(client, args.collection)
    interactive = sys.stdin.isatty() and sys.stdout.isatty() and not args.all
    shown = 0
    total = collection.count()
    for page in _pages(collection, args.limit, ["documents", "metadatas"]):
        for line in _record_lines(page):
            print(line)
        shown += len(page["ids"])
        if interactive and shown < total:
            answer = input(f"-- {shown}/{total}: Enter for more, q to quit -- ")
            if answer.strip().lower().startswith("q"):
                return
        elif not interactive and not args.all:
            if shown < total:
                print(f"-- {shown}/{total} (--all for every record)", file=sys.stderr)
            return


def _admin_of(client: Any) -> Any:
    """An AdminClient with ``client``'s settings (a server's or a data directory's)."""
    from chromalake.api.client import AdminClient

    return AdminClient(client.get_settings())


def _client_flags(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    what = "destination: " if prefix else ""
    parser.add_argument(f"--{prefix}url", help=f"{what}a server's URL")
    parser.add_argument(f"--{prefix}api-key", help=f"{what}an API key for the server")
    parser.add_argument(f"--{prefix}path", help=f"{what}a local data directory")
    # The destination's tenant and database default to the source's.
    parser.add_argument(f"--{prefix}tenant", default=None if prefix else DEFAULT_TENANT)
    parser.add_argument(f"--{prefix}database", default=None if prefix else DEFAULT_DATABASE)


def add_data_parsers(commands: Any) -> None:
    """The ``copy`` and ``browse`` subcommands."""
    copy = commands.add_parser(
        "copy", help="copy a collection to another server, data directory or name"
    )
    copy.add_argument("collection", help="the collection's name or id")
    copy.add_argument("--name", help="the copy's name (default: the source's)")
    _client_flags(copy)
    _client_flags(copy, "to-")
    copy.set_defaults(collection_command=_copy)

    browse = commands.add_parser(
        "browse", help="list databases and collections, or page through a collection"
    )
    browse.add_argument("collection", nargs="?", help="a collection's name or id")
    browse.add_argument("--databases", action="store_true", help="list the tenant's databases")
    browse.add_argument("--limit", type=int, default=20, help="records per page (default 20)")
    browse.add_argument("--all", action="store_true", help="every record, without paging")
    _client_flags(browse)
    browse.set_defaults(collection_command=_browse)


__all__ = ["add_data_parsers", "copy_collection"]
