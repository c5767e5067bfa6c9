"""API keys in SQLite: one table in the local server's catalog file.

Autocommit statements only: every write is one statement, so no transaction is needed, and
WAL mode lets a ``chromalake keys`` command write while the server reads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any, cast

from chromalake.auth.keys import ApiKey, Role

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY, key_hash TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, databases TEXT,
    role TEXT NOT NULL, name TEXT NOT NULL, created_at TEXT NOT NULL, last_used_at TEXT,
    revoked INTEGER NOT NULL DEFAULT 0, tenant_id TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant, id);
"""
# Added after the first release: a key stored before it is bound to no tenant id ("").
_ADDED_COLUMNS = {"tenant_id": "TEXT NOT NULL DEFAULT ''"}
_COLUMNS = (
    "id, key_hash, tenant, databases, role, name, created_at, last_used_at, revoked, tenant_id"
)


def _key(row: sqlite3.Row) -> ApiKey:
    databases = json.loads(row["databases"]) if row["databases"] is not None else None
    return ApiKey(
        id=row["id"],
        key_hash=row["key_hash"],
        tenant=row["tenant"],
        databases=tuple(databases) if databases is not None else None,
        role=cast(Role, row["role"]),
        name=row["name"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        revoked=bool(row["revoked"]),
        tenant_id=row["tenant_id"],
    )


class SqliteKeyStore:
    """Keys in the ``api_keys`` table of a SQLite file (the catalog's, by default)."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            Path(path), timeout=60.0, isolation_level=None, check_same_thread=False
        )
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA busy_timeout=60000")
        self._conn.executescript(_SCHEMA)
        self._add_missing_columns()

    def _add_missing_columns(self) -> None:
        # In one write transaction: two processes opening an older file add a column once.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            present = {row["name"] for row in self._conn.execute("PRAGMA table_info(api_keys)")}
            for name, definition in _ADDED_COLUMNS.items():
                if name not in present:
                    self._conn.execute(f"ALTER TABLE api_keys ADD COLUMN {name} {definition}")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def _rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def add_key(self, key: ApiKey) -> None:
        databases = json.dumps(list(key.databases)) if key.databases is not None else None
        self._rows(
            f"INSERT INTO api_keys ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            key.id,
            key.key_hash,
            key.tenant,
            databases,
            key.role,
            key.name,
            key.created_at,
            key.last_used_at,
            int(key.revoked),
            key.tenant_id,
        )

    def find_by_hash(self, key_hash: str) -> ApiKey | None:
        rows = self._rows(f"SELECT {_COLUMNS} FROM api_keys WHERE key_hash = ?", key_hash)
        return _key(rows[0]) if rows else None

    def get_key(self, key_id: str) -> ApiKey | None:
        rows = self._rows(f"SELECT {_COLUMNS} FROM api_keys WHERE id = ?", key_id)
        return _key(rows[0]) if rows else None

    def list_keys(self, tenant: str | None = None) -> list[ApiKey]:
        if tenant is None:
            rows = self._rows(f"SELECT {_COLUMNS} FROM api_keys ORDER BY id")
        else:
            sql = f"SELECT {_COLUMNS} FROM api_keys WHERE tenant = ? ORDER BY id"
            rows = self._rows(sql, tenant)
        return [_key(r) for r in rows]

    def revoke_key(self, key_id: str) -> ApiKey | None:
        self._rows("UPDATE api_keys SET revoked = 1 WHERE id = ?", key_id)
        return self.get_key(key_id)

    def touch_key(self, key_id: str, when: str) -> None:
        self._rows("UPDATE api_keys SET last_used_at = ? WHERE id = ?", when, key_id)
