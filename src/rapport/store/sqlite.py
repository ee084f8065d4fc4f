"""The embedded default: profiles, event log and dead letters in one SQLite file (WAL).

The data keys live in a second file beside it (``rapport.keys.db``, see
:mod:`rapport.store.keys`); the stores are wrapped so that this file holds customers' events only
sealed and their ids only as pseudonyms (:mod:`rapport.store.sealed`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rapport.store.connect import STORE_CACHE_BYTES, connect
from rapport.store.keys import CustomerKeys, MemoryKeys, open_key_file
from rapport.store.protocols import (
    ConcurrentUpdateError,
    DeadLetter,
    DuplicateEventError,
    EventRecord,
    ProfileKey,
    StoredProfile,
    Stores,
    mentions,
)
from rapport.store.sealed import PseudonymousProfileStore, SealedEventLog
from rapport.store.sql_rows import EVENT_COLUMNS, SCAN_PAGE, event_record, paged
from rapport.store.sqlite_postings import SCHEMA as POSTINGS_SCHEMA
from rapport.store.sqlite_postings import post, sequence_numbers
from rapport.store.sqlite_upgrade import PROFILES_SCHEMA, upgrade

# SQLite's default limit on bound parameters is 32766 in current builds, 999 in old ones.
_CHUNK = 900

# Python's sqlite3 binds exact int, float, str and bytearray values as they are, but sends any
# other value (bytes, and str subclasses such as an Entity, included) through its adapter
# protocol first, which fails with a formatted AttributeError per value (about 0.6 µs): blobs
# are bound as bytearray (one copy of a few hundred bytes) and entity kinds as plain str.
_blob = bytearray
_plain = str.__str__

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    time REAL NOT NULL,
    merchant_id TEXT,
    digest TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY,
    received_at REAL NOT NULL,
    code TEXT NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    event_id TEXT,
    raw TEXT NOT NULL
);
"""


class SqliteDatabase:
    """One connection to the file, with nested units of work collapsed into one transaction."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        # WAL, synchronous=NORMAL, a busy timeout, secure_delete (an erased customer's profile
        # or dead letters do not linger in free pages), a larger page cache: see
        # rapport.store.connect.
        self.connection = connect(self.path, cache_bytes=STORE_CACHE_BYTES)
        self.connection.executescript(_SCHEMA + POSTINGS_SCHEMA + PROFILES_SCHEMA)
        upgrade(self.connection)
        self._depth = 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.connection.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.connection.execute("ROLLBACK")
            raise
        self._depth = 0
        self.connection.execute("COMMIT")

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        return self.connection.execute(sql, params).fetchall()

    def close(self) -> None:
        self.connection.close()


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


class SqliteProfileStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    def get_many(self, keys: Collection[ProfileKey]) -> dict[ProfileKey, StoredProfile]:
        found: dict[ProfileKey, StoredProfile] = {}
        by_entity: dict[str, list[str]] = {}
        for entity, entity_id in keys:
            by_entity.setdefault(entity, []).append(entity_id)
        for entity, ids in by_entity.items():
            for chunk in _chunks(ids):
                marks = ",".join("?" * len(chunk))
                rows = self.db.query(
                    f"SELECT entity_id, version, data FROM profiles "
                    f"WHERE entity = ? AND entity_id IN ({marks})",
                    [_plain(entity), *chunk],
                )
                for entity_id, version, data in rows:
                    found[(entity, entity_id)] = StoredProfile(bytes(data), version)
        return found

    def put_many(self, items: Sequence[tuple[ProfileKey, bytes, int]]) -> None:
        if not items:
            return
        updates = [
            (_blob(data), _plain(e), i, version) for (e, i), data, version in items if version
        ]
        inserts = [(_plain(e), i, _blob(data)) for (e, i), data, version in items if not version]
        connection = self.db.connection
        with self.db.transaction():
            # Compare-and-set in the statements themselves: a row whose version moved on, or a
            # "new" row that someone else created first, is not written, and the counts show it.
            written = 0
            if updates:
                written += connection.executemany(
                    "UPDATE profiles SET data = ?, version = version + 1 "
                    "WHERE entity = ? AND entity_id = ? AND version = ?",
                    updates,
                ).rowcount
            if inserts:
                written += connection.executemany(
                    "INSERT INTO profiles (entity, entity_id, version, data) VALUES (?, ?, 1, ?) "
                    "ON CONFLICT (entity, entity_id) DO NOTHING",
                    inserts,
                ).rowcount
            if written != len(items):
                raise ConcurrentUpdateError(self._stale(items))

    def _stale(self, items: Sequence[tuple[ProfileKey, bytes, int]]) -> list[ProfileKey]:
        current = self.get_many([key for key, _, _ in items])
        # Inside the failed transaction the fresh rows are already written with version + 1.
        return [
            key
            for key, data, version in items
            if key not in current
            or not (current[key].version == version + 1 and current[key].data == data)
        ]

    def delete(self, key: ProfileKey) -> bool:
        with self.db.transaction():
            cursor = self.db.connection.execute(
                "DELETE FROM profiles WHERE entity = ? AND entity_id = ?", key
            )
            return cursor.rowcount > 0

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM profiles")[0][0])


class SqliteEventLog:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    def append(self, records: Sequence[EventRecord]) -> None:
        if not records:
            return
        connection = self.db.connection
        try:
            with self.db.transaction():
                # Sequence numbers are given, not left to SQLite, so that the postings can name
                # them; within the write transaction no one else can take the same ones.
                first = (
                    int(
                        connection.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
                    )
                    + 1
                )
                connection.executemany(
                    "INSERT INTO events (seq, event_id, type, customer_id, time, merchant_id, "
                    "digest, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        (
                            seq,
                            r.event_id,
                            r.type,
                            r.customer_id,
                            r.time,
                            r.merchant_id,
                            r.digest,
                            _blob(r.body),
                        )
                        for seq, r in enumerate(records, first)
                    ],
                )
                post(connection, ((r.customer_id, seq) for seq, r in enumerate(records, first)))
        except sqlite3.IntegrityError as error:
            if "events.event_id" not in str(error):
                raise  # another constraint (or a trigger) refused the batch: say which
            raise DuplicateEventError(f"an event id is already in the log: {error}") from error

    def lookup(self, event_ids: Collection[str]) -> dict[str, EventRecord]:
        found: dict[str, EventRecord] = {}
        for chunk in _chunks(list(event_ids)):
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(
                f"SELECT {EVENT_COLUMNS} FROM events WHERE event_id IN ({marks})", chunk
            ):
                record = event_record(row)
                found[record.event_id] = record
        return found

    def scan(
        self, customer_id: str | None = None, types: Collection[str] | None = None
    ) -> Iterator[EventRecord]:
        kinds = sorted(types) if types is not None else []
        of_kinds = ""
        if types is not None:
            if not kinds:
                return
            of_kinds = f" AND type IN ({','.join('?' * len(kinds))})"
        select = f"SELECT seq, {EVENT_COLUMNS} FROM events WHERE "

        def page(after: int) -> list[tuple[Any, ...]]:
            return self.db.query(
                f"{select}seq > ?{of_kinds} ORDER BY seq LIMIT {SCAN_PAGE}", [after, *kinds]
            )

        def customer_page(after: int) -> list[tuple[Any, ...]]:
            assert customer_id is not None
            rows: list[tuple[Any, ...]] = []
            for chunk in _chunks(sequence_numbers(self.db.connection, customer_id, after)):
                marks = ",".join("?" * len(chunk))
                rows += self.db.query(
                    f"{select}seq IN ({marks}){of_kinds} ORDER BY seq", [*chunk, *kinds]
                )
                if len(rows) >= SCAN_PAGE:
                    break
            return rows[:SCAN_PAGE]

        yield from paged(page if customer_id is None else customer_page)

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM events")[0][0])


class SqliteDeadLetterStore:
    def __init__(self, db: SqliteDatabase) -> None:
        self.db = db

    def put(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        with self.db.transaction():
            self.db.connection.executemany(
                "INSERT INTO dead_letters (received_at, code, field, reason, event_id, raw) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(d.received_at, d.code, d.field, d.reason, d.event_id, d.raw) for d in letters],
            )

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        rows = self.db.query(
            "SELECT received_at, code, field, reason, raw, event_id FROM dead_letters "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [DeadLetter(*row) for row in rows]

    def forget(self, identifiers: Collection[str]) -> int:
        wanted = sorted(set(identifiers))
        doomed: set[int] = set()
        for identifier in wanted:
            # SQL narrows to letters containing the identifier; the token check is done here.
            for row_id, raw, event_id in self.db.query(
                "SELECT id, raw, event_id FROM dead_letters WHERE instr(raw, ?) > 0 "
                "OR event_id = ?",
                (identifier, identifier),
            ):
                if event_id in wanted or mentions(str(raw), wanted):
                    doomed.add(int(row_id))
        with self.db.transaction():
            self.db.connection.executemany(
                "DELETE FROM dead_letters WHERE id = ?", [(row_id,) for row_id in sorted(doomed)]
            )
        return len(doomed)

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM dead_letters")[0][0])


class LegacyStoreError(RuntimeError):
    """The file was written by a Rapport that kept events in clear."""


def open_sqlite(path: str | Path) -> Stores:
    db = SqliteDatabase(path)
    first = db.query("SELECT body FROM events LIMIT 1")
    if first and bytes(first[0][0]).startswith(b"{"):
        db.close()
        raise LegacyStoreError(
            f"{path} was written by an earlier Rapport that kept events in clear; it cannot be "
            "made erasable in place: ingest its events into a new file"
        )
    if db.path == ":memory:":
        keys: CustomerKeys = MemoryKeys()
    else:
        keys = open_key_file(db.path, holds_data=bool(first))

    def close() -> None:
        db.close()
        keys.close()

    return Stores(
        profiles=PseudonymousProfileStore(SqliteProfileStore(db), keys),
        events=SealedEventLog(SqliteEventLog(db), keys),
        dead_letters=SqliteDeadLetterStore(db),
        transaction=db.transaction,
        url=f"sqlite:///{db.path}",
        close=close,
        keys=keys,
    )
