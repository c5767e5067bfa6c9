"""Building an engine from Settings: which catalog, which storage root.

| settings | catalog | collections |
| --- | --- | --- |
| not ``is_persistent`` | memory | Lance in memory |
| ``is_persistent`` | SQLite under ``persist_directory`` | Lance under ``persist_directory`` |
| ``chromalake_table`` | DynamoDB table | (as the next rows say) |
| ``chromalake_bucket`` | (as above) | Lance under ``s3://bucket/prefix`` |
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from chromalake.config import Settings
from chromalake.engine.catalog import Catalog, MemoryCatalog, SqliteCatalog
from chromalake.extras import missing_extra

try:  # Lance and pyarrow: a slim install is told which extra brings them
    from chromalake.engine.engine import Engine
    from chromalake.engine.mirror import Mirror
    from chromalake.engine.policy import MaintenancePolicy
    from chromalake.engine.store import MEMORY_ROOT, LanceStore
    from chromalake.engine.stored_files import IndexFiles, LocalFiles, S3Files
except ModuleNotFoundError as error:
    raise missing_extra(error) from None

SQLITE_FILE = "chromalake.sqlite3"


def persist_root(settings: Settings) -> Path:
    return Path(settings.persist_directory).expanduser().resolve()


def storage_options(settings: Settings) -> dict[str, str] | None:
    """Lance's object-store options for S3 (endpoint and region when given)."""
    if settings.chromalake_bucket is None:
        return None
    options: dict[str, str] = {}
    if settings.chromalake_region:
        options["aws_region"] = settings.chromalake_region
    if settings.chromalake_s3_endpoint:
        options["aws_endpoint"] = settings.chromalake_s3_endpoint
        if settings.chromalake_s3_endpoint.startswith("http://"):
            options["allow_http"] = "true"
    return options or None


def storage_root(settings: Settings) -> str:
    if settings.chromalake_bucket is not None:
        prefix = settings.chromalake_prefix.strip("/")
        return f"s3://{settings.chromalake_bucket}" + (f"/{prefix}" if prefix else "")
    if not settings.is_persistent:
        return MEMORY_ROOT
    return str(persist_root(settings))


def build_catalog(settings: Settings) -> Catalog:
    if settings.chromalake_table is not None:
        from chromalake.engine.catalog.dynamodb import DynamoDBCatalog

        return DynamoDBCatalog(
            settings.chromalake_table,
            region=settings.chromalake_region,
            endpoint_url=settings.chromalake_dynamodb_endpoint,
        )
    if not settings.is_persistent:
        return MemoryCatalog()
    root = persist_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    return SqliteCatalog(root / SQLITE_FILE)


# The most a cache directory holds when its size is not set (Lambda's ephemeral storage is at
# most 10 GiB).
DEFAULT_CACHE_CEILING = 8 * 1024**3


def build_mirror(settings: Settings) -> Mirror | None:
    """Local copies for the reads of an S3 store (none for memory and local disk, or when
    ``chromalake_cache_bytes`` is 0).

    Example:
        >>> build_mirror(Settings()) is None  # local disk: reads need no copy
        True
    """
    if settings.chromalake_bucket is None or settings.chromalake_cache_bytes == 0:
        return None
    from chromalake.engine.mirror import S3Reader

    directory = _cache_dir(settings)
    budget = settings.chromalake_cache_bytes
    if budget is None:
        budget = min(DEFAULT_CACHE_CEILING, shutil.disk_usage(directory).free * 3 // 4)
    return Mirror(directory, budget, S3Reader(storage_options(settings)))


def build_index_files(settings: Settings) -> IndexFiles | None:
    """Where the warm indexes maintenance builds are stored (engine/stored_index.py): beside
    datasets on local disk, or on S3 and fetched into the cache directory; none in memory.

    Example:
        >>> build_index_files(Settings()) is None
        True
    """
    if settings.chromalake_bucket is not None:
        from chromalake.engine.mirror import s3_client

        return S3Files(s3_client(storage_options(settings)), _cache_dir(settings) / "indexes")
    return LocalFiles() if settings.is_persistent else None


def _cache_dir(settings: Settings) -> Path:
    directory = Path(settings.chromalake_cache_dir or tempfile.gettempdir()) / "chromalake-cache"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def build_engine(settings: Settings) -> Engine:
    """The engine these settings describe.

    Example:
        >>> build_engine(Settings()).store.in_memory
        True
    """
    store = LanceStore(storage_root(settings), storage_options(settings), build_mirror(settings))
    engine = Engine(
        build_catalog(settings),
        store,
        settings.allow_reset,
        policy=MaintenancePolicy.from_settings(settings),
    )
    engine.index_files = build_index_files(settings)
    if engine.index_files is not None:
        # A process that may serve stored indexes imports faiss now (0.05-0.6 s), not in its
        # first query: as LanceStore imports lancedb when it is made.
        import faiss  # noqa: F401
    return engine
