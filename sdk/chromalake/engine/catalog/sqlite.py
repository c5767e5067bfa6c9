"""A SQLite catalog for PersistentClient and the default local server.

One file under the persist directory. WAL mode and a busy timeout let several processes share
it; every read-modify-write runs in ``BEGIN IMMEDIATE`` so two processes cannot interleave.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from chromalake.engine.catalog.base import (
    CollectionRecord,
    Conflict,
    DatabaseRecord,
    MetadataKey,
    Stale,
    described_alike,
    new_tenant_id,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, id TEXT);
CREATE TABLE IF NOT EXISTS databases (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, tenant TEXT NOT NULL, UNIQUE (tenant, name));
CREATE TABLE IF NOT EXISTS collections (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, tenant TEXT NOT NULL, database TEXT NOT NULL,
    metadata TEXT, configuration TEXT NOT NULL, schema TEXT, dimension INTEGER,
    next_seq INTEGER NOT NULL DEFAULT 0, metadata_keys TEXT, UNIQUE (tenant, database, name));
"""
# Columns added after the first release, with their definitions: an older file gets them.
# A tenant stored before tenants had ids keeps a NULL id (read as "").
_ADDED_COLUMNS = {
    "collections": {
        "metadata_keys": "TEXT",
        "extra": "TEXT",
        "retired": "INTEGER NOT NULL DEFAULT 0",
        "version": "INTEGER",
    },
    "tenants": {"id": "TEXT"},
}

_COLLECTION_COLUMNS = (
    "id, name, tenant, database, metadata, configuration, schema, dimension, extra"
)
_SELECTED_COLUMNS = _COLLECTION_COLUMNS + ", metadata_keys, version"
# A retired collection (kept for its forks, engine/forks.py) gives its name up: the UNIQUE
# constraint then lets a new collection take it. Its own name waits in ``extra``.
_RETIRED_PREFIX = "~retired~"
_LIVE = " AND retired = 0"


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _collection(row: sqlite3.Row) -> CollectionRecord:
    extra = dict(_loads(row["extra"]) or {})
    name = extra.pop("retired_name", row["name"])
    return CollectionRecord(
        id=row["id"],
        name=name,
        tenant=row["tenant"],
        database=row["database"],
        metadata=_loads(row["metadata"]),
        configuration=_loads(row["configuration"]),
        schema=_loads(row["schema"]),
        dimension=row["dimension"],
        extra=extra,
        metadata_keys=_metadata_keys(row["metadata_keys"]),
        version=row["version"],
    )


def _metadata_keys(text: str | None) -> frozenset[MetadataKey]:
    """The stored JSON list of ``[key, value type]`` pairs."""
    return frozenset((key, value_type) for key, value_type in json.loads(text or "[]"))


def _limit_clause(limit: int | None, offset: int | None) -> str:
    # SQLite needs a LIMIT before an OFFSET; -1 means no limit.
    return f" LIMIT {int(limit) if limit is not None else -1} OFFSET {int(offset or 0)}"


class SqliteCatalog:
    resends_writes = False  # in-process: a write runs once

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self._path, timeout=60.0, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=60000")
        self._conn.executescript(_SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        with self._write() as db:
            for table, columns in _ADDED_COLUMNS.items():
                present = {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}
                for name, definition in columns.items():
                    if name not in present:
                        db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _query(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def reset(self) -> None:
        with self._write() as db:
            for table in ("collections", "databases", "tenants"):
                db.execute(f"DELETE FROM {table}")

    def create_tenant(self, name: str) -> None:
        try:
            with self._write() as db:
                db.execute("INSERT INTO tenants (name, id) VALUES (?, ?)", (name, new_tenant_id()))
        except sqlite3.IntegrityError as e:
            raise Conflict(name) from e

    def has_tenant(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM tenants WHERE name = ?", name))

    def tenant_id(self, name: str) -> str | None:
        rows = self._query("SELECT id FROM tenants WHERE name = ?", name)
        return (rows[0]["id"] or "") if rows else None

    def create_database(self, record: DatabaseRecord) -> None:
        try:
            with self._write() as db:
                db.execute(
                    "INSERT INTO databases (id, name, tenant) VALUES (?, ?, ?)",
                    (record.id, record.name, record.tenant),
                )
        except sqlite3.IntegrityError as e:
            raise Conflict(record.name) from e

    def get_database(self, tenant: str, name: str) -> DatabaseRecord | None:
        rows = self._query(
            "SELECT id, name, tenant FROM databases WHERE tenant = ? AND name = ?", tenant, name
        )
        return DatabaseRecord(**dict(rows[0])) if rows else None

    def list_databases(
        self, tenant: str, limit: int | None, offset: int | None
    ) -> list[DatabaseRecord]:
        rows = self._query(
            "SELECT id, name, tenant FROM databases WHERE tenant = ? ORDER BY name"
            + _limit_clause(limit, offset),
            tenant,
        )
        return [DatabaseRecord(**dict(r)) for r in rows]

    def delete_database(self, tenant: str, name: str) -> list[CollectionRecord] | None:
        with self._write() as db:
            gone = db.execute(
                "DELETE FROM databases WHERE tenant = ? AND name = ?", (tenant, name)
            ).rowcount
            if not gone:
                return None
            rows = db.execute(
                f"SELECT {_SELECTED_COLUMNS} FROM collections WHERE tenant = ? AND database = ?",
                (tenant, name),
            ).fetchall()
            db.execute("DELETE FROM collections WHERE tenant = ? AND database = ?", (tenant, name))
        return [_collection(r) for r in rows]

    def create_collection(self, record: CollectionRecord) -> None:
        try:
            with self._write() as db:
                self._insert(db, record)
        except sqlite3.IntegrityError as e:
            raise Conflict(record.name) from e

    @staticmethod
    def _insert(db: sqlite3.Connection, record: CollectionRecord) -> None:
        db.execute(
            f"INSERT INTO collections ({_COLLECTION_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                record.id,
                record.name,
                record.tenant,
                record.database,
                _dumps(record.metadata),
                json.dumps(record.configuration),
                _dumps(record.schema),
                record.dimension,
                _dumps(record.extra or None),
            ),
        )

    def get_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        rows = self._query(
            f"SELECT {_SELECTED_COLUMNS} FROM collections "
            "WHERE tenant = ? AND database = ? AND name = ?" + _LIVE,
            tenant,
            database,
            name,
        )
        return _collection(rows[0]) if rows else None

    def get_collection_by_id(self, collection_id: str) -> CollectionRecord | None:
        rows = self._query(
            f"SELECT {_SELECTED_COLUMNS} FROM collections WHERE id = ?", collection_id
        )
        return _collection(rows[0]) if rows else None

    def list_collections(
        self, tenant: str, database: str, limit: int | None, offset: int | None
    ) -> list[CollectionRecord]:
        rows = self._query(
            f"SELECT {_SELECTED_COLUMNS} FROM collections WHERE tenant = ? AND database = ?"
            + _LIVE
            + " ORDER BY id"
            + _limit_clause(limit, offset),
            tenant,
            database,
        )
        return [_collection(r) for r in rows]

    def count_collections(self, tenant: str, database: str) -> int:
        rows = self._query(
            "SELECT COUNT(*) AS n FROM collections WHERE tenant = ? AND database = ?" + _LIVE,
            tenant,
            database,
        )
        return int(rows[0]["n"])

    def all_collections(self) -> list[CollectionRecord]:
        return [_collection(r) for r in self._query(f"SELECT {_SELECTED_COLUMNS} FROM collections")]

    def update_collection(self, record: CollectionRecord, previous: CollectionRecord) -> None:
        try:
            with self._write() as db:
                row = db.execute(
                    f"SELECT {_SELECTED_COLUMNS} FROM collections WHERE id = ?", (record.id,)
                ).fetchone()
                if row is None:
                    return
                if not described_alike(_collection(row), previous):
                    raise Stale(record.id)
                db.execute(
                    "UPDATE collections SET name = ?, metadata = ?, configuration = ?, schema = ? "
                    "WHERE id = ?",
                    (
                        record.name,
                        _dumps(record.metadata),
                        json.dumps(record.configuration),
                        _dumps(record.schema),
                        record.id,
                    ),
                )
        except sqlite3.IntegrityError as e:
            raise Conflict(record.name) from e

    def delete_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        with self._write() as db:
            row = _live_named(db, tenant, database, name)
            if row is None:
                return None
            db.execute("DELETE FROM collections WHERE id = ?", (row["id"],))
        return _collection(row)

    def set_dimension(self, collection_id: str, dimension: int) -> int:
        with self._write() as db:
            db.execute(
                "UPDATE collections SET dimension = ? WHERE id = ? AND dimension IS NULL",
                (dimension, collection_id),
            )
            row = db.execute(
                "SELECT dimension FROM collections WHERE id = ?", (collection_id,)
            ).fetchone()
        return int(row["dimension"]) if row is not None else dimension

    def allocate_seq(self, collection_id: str, count: int) -> int:
        with self._write() as db:
            row = db.execute(
                "UPDATE collections SET next_seq = next_seq + ? WHERE id = ? RETURNING next_seq",
                (count, collection_id),
            ).fetchone()
        return int(row["next_seq"]) - count if row is not None else 0

    def add_metadata_keys(self, collection_id: str, keys: Iterable[MetadataKey]) -> None:
        with self._write() as db:
            row = db.execute(
                "SELECT metadata_keys FROM collections WHERE id = ?", (collection_id,)
            ).fetchone()
            if row is None:
                return
            union = _metadata_keys(row["metadata_keys"]) | frozenset(keys)
            db.execute(
                "UPDATE collections SET metadata_keys = ? WHERE id = ?",
                (json.dumps(sorted(union)), collection_id),
            )

    def record_version(self, collection_id: str, version: int) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE collections SET version = ? "
                "WHERE id = ? AND (version IS NULL OR version < ?)",
                (version, collection_id, version),
            )

    def fork_collection(self, record: CollectionRecord, source_id: str) -> None:
        try:
            with self._write() as db:
                self._insert(db, record)
                db.execute(
                    "UPDATE collections SET next_seq = "
                    "(SELECT next_seq FROM collections WHERE id = ?) WHERE id = ?",
                    (source_id, record.id),
                )
        except sqlite3.IntegrityError as e:
            raise Conflict(record.name) from e

    def retire_collection(self, tenant: str, database: str, name: str) -> CollectionRecord | None:
        with self._write() as db:
            row = _live_named(db, tenant, database, name)
            if row is None:
                return None
            found = _collection(row)
            extra = {**found.extra, "retired": True, "retired_name": found.name}
            db.execute(
                "UPDATE collections SET retired = 1, name = ?, extra = ? WHERE id = ?",
                (_RETIRED_PREFIX + found.id, json.dumps(extra), found.id),
            )
        return found

    def purge_collection(self, collection_id: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM collections WHERE id = ?", (collection_id,))

    def database_records(self, tenant: str, database: str) -> list[CollectionRecord]:
        rows = self._query(
            f"SELECT {_SELECTED_COLUMNS} FROM collections WHERE tenant = ? AND database = ? "
            "ORDER BY id",
            tenant,
            database,
        )
        return [_collection(r) for r in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _live_named(db: sqlite3.Connection, tenant: str, database: str, name: str) -> Any:
    """The row of the live (not retired) collection with this name, or None."""
    return db.execute(
        f"SELECT {_SELECTED_COLUMNS} FROM collections "
        "WHERE tenant = ? AND database = ? AND name = ?" + _LIVE,
        (tenant, database, name),
    ).fetchone()
