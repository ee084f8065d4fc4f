"""A SQLite file written before postings (with the ``events_by_customer`` index) is converted
when opened: its customers' scans read the same events, and the index is gone."""

from __future__ import annotations

from pathlib import Path

from rapport.store import EventRecord
from rapport.store.sqlite import SqliteDatabase, SqliteEventLog


def _record(n: int, customer: str) -> EventRecord:
    return EventRecord(f"e{n}", "transaction", customer, float(n), "d", b"{}", None)


def _index_names(db: SqliteDatabase) -> set[str]:
    return {row[0] for row in db.query("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_a_file_with_the_customer_index_gets_postings_instead(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = SqliteDatabase(path)
    records = [_record(n, f"c{n % 3}") for n in range(40)]
    SqliteEventLog(db).append(records[:25])
    SqliteEventLog(db).append(records[25:])
    # What an earlier Rapport left: the index, and no postings.
    db.connection.execute("CREATE INDEX events_by_customer ON events (customer_id, seq)")
    db.connection.execute("DELETE FROM customer_postings")
    assert list(SqliteEventLog(db).scan("c1")) == []
    db.close()

    reopened = SqliteDatabase(path)
    assert "events_by_customer" not in _index_names(reopened)
    log = SqliteEventLog(reopened)
    for customer in ("c0", "c1", "c2"):
        assert list(log.scan(customer)) == [r for r in records if r.customer_id == customer]
    log.append([_record(40, "c1")])
    assert [r.event_id for r in log.scan("c1")][-2:] == ["e37", "e40"]
    reopened.close()
    again = SqliteDatabase(path)  # converted once: nothing left to convert
    assert "events_by_customer" not in _index_names(again)
    assert list(SqliteEventLog(again).scan("c2")) == [r for r in records if r.customer_id == "c2"]
    again.close()
