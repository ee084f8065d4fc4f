"""The scale-out stores: event log, dead letters (and profiles, unless on Redis) in PostgreSQL.

One schema per deployment (``schema=`` in the URL, default ``rapport``) holds the tables; the
decision ledger adds its own (:mod:`rapport.governance.ledger_postgres`). Batches go in one
round trip each: events and dead letters by binary ``COPY``, profile writes as one ``UPDATE``
and one ``INSERT`` over ``unnest``-ed arrays, each with its compare-and-set in the statement
(a row whose version moved on is not written, and the row count shows it). Under READ
COMMITTED a concurrent writer's committed update makes the ``version = read version`` condition
fail, so no update is lost; the loser's unit of work rolls back and the engine retries it.

The stores are wrapped like every backend (:mod:`rapport.store.sealed`): PostgreSQL holds events
only sealed and customers only as pseudonyms. Where the keys live is argued in
:func:`open_postgres`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import errors

from rapport.store.keys import open_key_file
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
from rapport.store.redis_store import open_redis_profiles
from rapport.store.sealed import PseudonymousProfileStore, SealedEventLog
from rapport.store.sql_rows import EVENT_COLUMNS, SCAN_PAGE, event_record, paged
from rapport.store.urls import parse_scale_out

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    time DOUBLE PRECISION NOT NULL,
    merchant_id TEXT,
    digest TEXT NOT NULL,
    body BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_customer ON events (customer_id, seq);
CREATE TABLE IF NOT EXISTS dead_letters (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at DOUBLE PRECISION NOT NULL,
    code TEXT NOT NULL,
    field TEXT NOT NULL,
    reason TEXT NOT NULL,
    event_id TEXT,
    raw TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_event ON dead_letters (event_id);
CREATE TABLE IF NOT EXISTS profiles (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (entity, entity_id)
);
"""
_EVENT_TYPES = ["text", "text", "text", "float8", "text", "text", "bytea"]
_LETTER_TYPES = ["float8", "text", "text", "text", "text", "text"]


class PostgresDatabase:
    """One connection to one schema, with nested units of work collapsed into one transaction.

    Callers on several threads share it: a lock keeps one thread's statements out of another's
    transaction (as the SQLite file's single writer does)."""

    def __init__(self, url: str, schema: str, tables: str = _SCHEMA) -> None:
        self.schema = schema
        self.connection = psycopg.connect(url, autocommit=True)
        self._lock = threading.RLock()
        self._depth = 0
        self._after_commit: list[Callable[[], None]] = []
        with self.connection.transaction():
            # Two processes creating the schema at once would race in the catalog.
            self.connection.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (schema,))
            self.connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            self.connection.execute(f'SET search_path TO "{schema}"')
            self.connection.execute(tables)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self.connection.transaction():
                    yield
            except BaseException:
                self._after_commit.clear()
                raise
            finally:
                self._depth = 0
            hooks, self._after_commit = self._after_commit, []
        for hook in hooks:
            hook()

    def after_commit(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the current unit of work commits (at once outside one)."""
        if self._depth:
            self._after_commit.append(hook)
        else:
            hook()

    def transaction_lock(self) -> threading.RLock:
        """Held for a statement that must run outside any transaction (VACUUM)."""
        return self._lock

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self.connection.execute(sql, params).fetchall()

    def close(self) -> None:
        self.connection.close()


class PostgresProfileStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    def get_many(self, keys: Collection[ProfileKey]) -> dict[ProfileKey, StoredProfile]:
        if not keys:
            return {}
        entities, ids = zip(*keys, strict=True)
        rows = self.db.query(
            "SELECT p.entity, p.entity_id, p.version, p.data FROM profiles p "
            "JOIN unnest(%s::text[], %s::text[]) AS k(entity, entity_id) "
            "ON p.entity = k.entity AND p.entity_id = k.entity_id",
            (list(entities), list(ids)),
        )
        return {(e, i): StoredProfile(bytes(data), int(v)) for e, i, v, data in rows}

    def put_many(self, items: Sequence[tuple[ProfileKey, bytes, int]]) -> None:
        if not items:
            return
        updates = [(e, i, version, data) for (e, i), data, version in items if version]
        inserts = [(e, i, data) for (e, i), data, version in items if not version]
        connection = self.db.connection
        with self.db.transaction():
            written = 0
            if updates:
                written += connection.execute(
                    "UPDATE profiles AS p SET data = u.data, version = p.version + 1 "
                    "FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::bytea[]) "
                    "AS u(entity, entity_id, version, data) WHERE p.entity = u.entity "
                    "AND p.entity_id = u.entity_id AND p.version = u.version",
                    [list(column) for column in zip(*updates, strict=True)],
                ).rowcount
            if inserts:
                written += connection.execute(
                    "INSERT INTO profiles (entity, entity_id, version, data) "
                    "SELECT entity, entity_id, 1, data FROM unnest(%s::text[], %s::text[], "
                    "%s::bytea[]) AS u(entity, entity_id, data) "
                    "ON CONFLICT (entity, entity_id) DO NOTHING",
                    [list(column) for column in zip(*inserts, strict=True)],
                ).rowcount
            if written != len(items):
                current = self.get_many([key for key, _, _ in items])
                # Inside the failed transaction the fresh rows are already written, version + 1.
                raise ConcurrentUpdateError(
                    [
                        key
                        for key, data, version in items
                        if key not in current
                        or not (current[key].version == version + 1 and current[key].data == data)
                    ]
                )

    def delete(self, key: ProfileKey) -> bool:
        with self.db.transaction():
            cursor = self.db.connection.execute(
                "DELETE FROM profiles WHERE entity = %s AND entity_id = %s", key
            )
            return cursor.rowcount > 0

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM profiles")[0][0])


class PostgresEventLog:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    def append(self, records: Sequence[EventRecord]) -> None:
        if not records:
            return
        try:
            with self.db.transaction(), self.db.connection.cursor() as cursor:
                statement = f"COPY events ({EVENT_COLUMNS}) FROM STDIN (FORMAT BINARY)"
                with cursor.copy(statement) as copy:
                    copy.set_types(_EVENT_TYPES)
                    for r in records:
                        row = (r.event_id, r.type, r.customer_id, r.time, r.merchant_id, r.digest)
                        copy.write_row((*row, r.body))
        except errors.UniqueViolation as error:
            raise DuplicateEventError(f"an event id is already in the log: {error}") from error

    def lookup(self, event_ids: Collection[str]) -> dict[str, EventRecord]:
        if not event_ids:
            return {}
        rows = self.db.query(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE event_id = ANY(%s)", (list(event_ids),)
        )
        return {row[0]: event_record(row) for row in rows}

    def scan(
        self, customer_id: str | None = None, types: Collection[str] | None = None
    ) -> Iterator[EventRecord]:
        where: list[str] = ["seq > %s"]
        params: list[Any] = []
        if customer_id is not None:
            where.append("customer_id = %s")
            params.append(customer_id)
        if types is not None:
            if not types:
                return
            where.append("type = ANY(%s)")
            params.append(sorted(types))

        def page(after: int) -> list[tuple[Any, ...]]:
            return self.db.query(
                f"SELECT seq, {EVENT_COLUMNS} FROM events WHERE {' AND '.join(where)} "
                f"ORDER BY seq LIMIT {SCAN_PAGE}",
                [after, *params],
            )

        yield from paged(page)

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM events")[0][0])


class PostgresDeadLetterStore:
    def __init__(self, db: PostgresDatabase) -> None:
        self.db = db

    def put(self, letters: Sequence[DeadLetter]) -> None:
        if not letters:
            return
        columns = "received_at, code, field, reason, event_id, raw"
        statement = f"COPY dead_letters ({columns}) FROM STDIN (FORMAT BINARY)"
        with (
            self.db.transaction(),
            self.db.connection.cursor() as cursor,
            cursor.copy(statement) as copy,
        ):
            copy.set_types(_LETTER_TYPES)
            for d in letters:
                copy.write_row((d.received_at, d.code, d.field, d.reason, d.event_id, d.raw))

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        rows = self.db.query(
            "SELECT received_at, code, field, reason, raw, event_id FROM dead_letters "
            "ORDER BY id DESC LIMIT %s",
            (limit,),
        )
        return [DeadLetter(*row) for row in rows]

    def forget(self, identifiers: Collection[str]) -> int:
        wanted = sorted(set(identifiers))
        if not wanted:
            return 0
        # SQL narrows to letters containing an identifier; the token check is done here.
        rows = self.db.query(
            "SELECT id, raw, event_id FROM dead_letters d WHERE event_id = ANY(%s) "
            "OR EXISTS (SELECT 1 FROM unnest(%s::text[]) AS w(i) WHERE strpos(d.raw, w.i) > 0)",
            (wanted, wanted),
        )
        doomed = sorted(
            int(row_id)
            for row_id, raw, event_id in rows
            if event_id in wanted or mentions(str(raw), wanted)
        )
        if doomed:
            with self.db.transaction():
                self.db.connection.execute("DELETE FROM dead_letters WHERE id = ANY(%s)", (doomed,))
            # Dead letters are plaintext: have their dead row versions reclaimed now, not at
            # autovacuum's leisure (WAL archives and base backups keep them for their retention).
            self.db.after_commit(self._vacuum)
        return len(doomed)

    def _vacuum(self) -> None:
        with self.db.transaction_lock():
            self.db.connection.execute("VACUUM dead_letters")

    def count(self) -> int:
        return int(self.db.query("SELECT count(*) FROM dead_letters")[0][0])


def open_postgres(url: str) -> Stores:
    """The stores a ``postgresql://`` URL names (see :mod:`rapport.store.urls`).

    **Where the keys are.** The customers' data keys and the pseudonym secret stay in the SQLite
    key file beside the ``local=`` file, *not* in PostgreSQL. Erasure is the destruction of a
    key, and a key in PostgreSQL would outlive its ``DELETE``: in the dead row version until a
    vacuum reclaims it, in the WAL and its archive, in every base backup and on every streaming
    replica, all of which a bank keeps for weeks to years. Kept apart, the PostgreSQL side (and
    all its copies) only ever holds ciphertext and pseudonyms, and destroying the key in the
    small key file (``secure_delete``, rollback journal; see :mod:`rapport.store.keys`) makes
    every copy unreadable at once. Workers on one host share the key file; across hosts it goes
    on a shared volume, or a KMS goes behind :class:`rapport.store.keys.CustomerKeys`.
    """
    parsed = parse_scale_out(url)
    db = PostgresDatabase(parsed.postgres, parsed.schema)
    holds_data = bool(db.query("SELECT 1 FROM events LIMIT 1"))
    with ExitStack() as undo:
        undo.callback(db.close)
        Path(parsed.local).parent.mkdir(parents=True, exist_ok=True)
        keys = open_key_file(parsed.local, holds_data=holds_data)
        undo.callback(keys.close)
        redis_profiles = (
            None if parsed.profiles is None else open_redis_profiles(parsed.profiles, parsed.prefix)
        )
        undo.pop_all()

    @contextmanager
    def transaction() -> Iterator[None]:
        # Redis's script runs when its unit ends, inside PostgreSQL's: a profile conflict rolls
        # the event log and the dead letters back with it.
        with db.transaction():
            if redis_profiles is None:
                yield
            else:
                with redis_profiles.transaction():
                    yield

    def close() -> None:
        db.close()
        keys.close()
        if redis_profiles is not None:
            redis_profiles.close()

    inner = PostgresProfileStore(db) if redis_profiles is None else redis_profiles
    return Stores(
        profiles=PseudonymousProfileStore(inner, keys),
        events=SealedEventLog(PostgresEventLog(db), keys),
        dead_letters=PostgresDeadLetterStore(db),
        transaction=transaction,
        url=url,
        close=close,
        keys=keys,
    )


def drop_schema(url: str) -> None:
    """Drop the URL's schema and its Redis keys (tests and teardown)."""
    parsed = parse_scale_out(url)
    with psycopg.connect(parsed.postgres, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA IF EXISTS "{parsed.schema}" CASCADE')
    if parsed.profiles is not None:
        profiles = open_redis_profiles(parsed.profiles, parsed.prefix)
        try:
            profiles.drop()
        finally:
            profiles.close()
