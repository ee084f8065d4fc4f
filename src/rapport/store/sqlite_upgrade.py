"""Bring a SQLite file written by an earlier Rapport to this version's layout, when opened.

Each step checks for the older layout, then converts it in one write transaction (checking again
inside it, in case another process converted the file first), so a file is always in one layout
or the other.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from rapport.store.connect import write_transaction
from rapport.store.sqlite_postings import post

PROFILES_SCHEMA = """
CREATE TABLE IF NOT EXISTS profiles (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    data BLOB NOT NULL,
    UNIQUE (entity, entity_id)
);
"""
"""A rowid table: a customer profile (about 3 KB) fits in its table leaf. Until this layout,
``profiles`` was a ``WITHOUT ROWID`` table, whose rows keep at most about 1 KB in the B-tree page
and the rest in an overflow page that every update frees and allocates again: about 6% more CPU
per ingested event, and more pages read and written (docs/performance.md)."""


def upgrade(connection: sqlite3.Connection) -> None:
    """Convert every older layout the file still has."""
    _convert(connection, _has_customer_index, _customer_index_to_postings)
    _convert(connection, _has_profiles_without_rowid, _profiles_to_rowid_table)


def _convert(
    connection: sqlite3.Connection,
    needed: Callable[[sqlite3.Connection], bool],
    conversion: Callable[[sqlite3.Connection], None],
) -> None:
    if not needed(connection):
        return
    with write_transaction(connection):
        if needed(connection):
            conversion(connection)


def _has_customer_index(connection: sqlite3.Connection) -> bool:
    row = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'events_by_customer'"
    ).fetchone()
    return row is not None


def _customer_index_to_postings(connection: sqlite3.Connection) -> None:
    """Until postings (rapport.store.sqlite_postings), an index found a customer's events.

    The postings are rebuilt from the events: a file an earlier Rapport wrote to after it was
    converted (and so indexed again) may hold postings already, without its later events.
    """
    connection.execute("DELETE FROM customer_postings")
    post(
        connection,
        connection.execute("SELECT customer_id, seq FROM events ORDER BY seq").fetchall(),
    )
    connection.execute("DROP INDEX events_by_customer")


def _has_profiles_without_rowid(connection: sqlite3.Connection) -> bool:
    row = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'profiles'"
    ).fetchone()
    return row is not None and "WITHOUT ROWID" in str(row[0]).upper()


def _profiles_to_rowid_table(connection: sqlite3.Connection) -> None:
    connection.execute("ALTER TABLE profiles RENAME TO profiles_without_rowid")
    connection.execute(PROFILES_SCHEMA)
    connection.execute(
        "INSERT INTO profiles (entity, entity_id, version, data) "
        "SELECT entity, entity_id, version, data FROM profiles_without_rowid"
    )
    connection.execute("DROP TABLE profiles_without_rowid")
