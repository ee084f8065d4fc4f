"""A SQLite file written by an earlier Rapport is converted to this version's layout when
opened, with nothing lost: its customers' events are found through postings instead of the
``events_by_customer`` index, and its profiles move to a rowid table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from rapport.store import EventRecord
from rapport.store.sqlite import SqliteDatabase, SqliteEventLog, SqliteProfileStore

# The layout of the tables that changed, as files written before this version have them.
_EARLIER_LAYOUT = """
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    time REAL NOT NULL,
    merchant_id TEXT,
    digest TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX events_by_customer ON events (customer_id, seq);
CREATE TABLE profiles (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (entity, entity_id)
) WITHOUT ROWID;
"""


def _record(n: int, customer: str) -> EventRecord:
    return EventRecord(f"e{n}", "transaction", customer, float(n), "d", b"{}", None)


def _layout(db: SqliteDatabase) -> tuple[set[str], str]:
    indexes = {r[0] for r in db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}
    profiles = db.query("SELECT sql FROM sqlite_master WHERE name = 'profiles'")[0][0]
    return indexes, str(profiles)


def _earlier_file(path: Path, records: list[EventRecord]) -> None:
    with sqlite3.connect(path) as connection:
        connection.executescript(_EARLIER_LAYOUT)
        connection.executemany(
            "INSERT INTO events (event_id, type, customer_id, time, merchant_id, digest, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(r.event_id, r.type, r.customer_id, r.time, None, r.digest, r.body) for r in records],
        )
        connection.executemany(
            "INSERT INTO profiles VALUES (?, ?, ?, ?)",
            [("customer", f"c{n}", n + 1, bytes([n]) * 3000) for n in range(3)],
        )
    connection.close()


def test_an_earlier_file_is_converted_with_nothing_lost(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    records = [_record(n, f"c{n % 3}") for n in range(40)]
    _earlier_file(path, records)

    db = SqliteDatabase(path)
    indexes, profiles_table = _layout(db)
    assert "events_by_customer" not in indexes
    assert "WITHOUT ROWID" not in profiles_table.upper()
    log, profiles = SqliteEventLog(db), SqliteProfileStore(db)
    for customer in ("c0", "c1", "c2"):
        assert list(log.scan(customer)) == [r for r in records if r.customer_id == customer]
    stored = profiles.get_many([("customer", f"c{n}") for n in range(3)])
    assert {k: (p.data, p.version) for k, p in stored.items()} == {
        ("customer", f"c{n}"): (bytes([n]) * 3000, n + 1) for n in range(3)
    }
    # Both keep working as before: appends are found, versions still guard writes.
    log.append([_record(40, "c1")])
    assert [r.event_id for r in log.scan("c1")][-2:] == ["e37", "e40"]
    profiles.put_many([(("customer", "c2"), b"new", 3)])
    assert profiles.get_many([("customer", "c2")])[("customer", "c2")].version == 4
    db.close()

    again = SqliteDatabase(path)  # converted once: nothing left to convert
    assert _layout(again) == (indexes, profiles_table)
    assert [r.event_id for r in SqliteEventLog(again).scan("c1")][-1] == "e40"
    again.close()


def test_a_new_file_has_this_version_s_layout(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "new.db")
    indexes, profiles_table = _layout(db)
    assert "events_by_customer" not in indexes
    assert "WITHOUT ROWID" not in profiles_table.upper()
    db.close()


def test_a_file_an_earlier_version_wrote_to_after_conversion_is_converted_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "back-and-forth.db"
    records = [_record(n, f"c{n % 2}") for n in range(10)]
    _earlier_file(path, records[:6])
    SqliteDatabase(path).close()  # converted
    with sqlite3.connect(path) as connection:  # an earlier Rapport opens it and appends
        connection.execute(
            "CREATE INDEX IF NOT EXISTS events_by_customer ON events (customer_id, seq)"
        )
        connection.executemany(
            "INSERT INTO events (event_id, type, customer_id, time, merchant_id, digest, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (r.event_id, r.type, r.customer_id, r.time, None, r.digest, r.body)
                for r in records[6:]
            ],
        )
    connection.close()
    db = SqliteDatabase(path)
    for customer in ("c0", "c1"):
        wanted = [r for r in records if r.customer_id == customer]
        assert list(SqliteEventLog(db).scan(customer)) == wanted
    db.close()
