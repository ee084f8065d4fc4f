"""The settings every connection to the one SQLite file gets, and the stores' larger cache."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rapport.store.connect import AUTOCHECKPOINT_PAGES, STORE_CACHE_BYTES, connect
from rapport.store.sqlite import SqliteDatabase


def _pragma(connection: sqlite3.Connection, name: str) -> object:
    return connection.execute(f"PRAGMA {name}").fetchone()[0]


def test_every_connection_is_wal_with_normal_sync_and_secure_delete(tmp_path: Path) -> None:
    connection = connect(tmp_path / "rapport.db")
    try:
        assert _pragma(connection, "journal_mode") == "wal"
        assert _pragma(connection, "synchronous") == 1  # NORMAL
        assert _pragma(connection, "secure_delete") == 1
        assert _pragma(connection, "wal_autocheckpoint") == AUTOCHECKPOINT_PAGES
    finally:
        connection.close()


def test_the_stores_connection_has_the_larger_cache_and_others_keep_the_default(
    tmp_path: Path,
) -> None:
    plain = connect(tmp_path / "rapport.db")
    store = SqliteDatabase(tmp_path / "rapport.db")
    try:
        assert _pragma(store.connection, "cache_size") == -(STORE_CACHE_BYTES // 1024)
        assert _pragma(plain, "cache_size") == -2000  # SQLite's default: about 2 MB
    finally:
        store.close()
        plain.close()
