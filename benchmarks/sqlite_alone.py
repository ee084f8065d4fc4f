"""SQLite alone: the statements the SQLite store ran for the workload, replayed with no Rapport.

The SQLite row of ``make bench`` is Rapport's work plus SQLite's. To tell them apart, one more
ingest runs with the store's connection wrapped in a recorder, which keeps every statement and
its parameters in order. The replay runs them again, as they were, against a fresh file opened
with the store's own schema and settings: the lookups of a batch's event ids and profiles, the
event rows and postings, the profile updates, the commits. Its time is what SQLite (with
Python's ``sqlite3`` binding the parameters) takes to do this workload's reads and writes: the
part of the SQLite row that no change to Rapport's own code can remove, only a change to what
it stores or how.
"""

from __future__ import annotations

import contextlib
import gc
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from benchmarks.report import Timing
from rapport import Engine
from rapport.store.sealed import PseudonymousProfileStore
from rapport.store.sqlite import SqliteDatabase, SqliteProfileStore

_PROFILES = "SELECT entity, entity_id, version, data FROM profiles ORDER BY entity, entity_id"


@dataclass(frozen=True)
class Statement:
    sql: str
    rows: list[Sequence[Any]]
    """The parameters: one row for ``execute``, every row for ``executemany``."""
    many: bool


class RecordingConnection:
    """A connection that keeps every statement run through it (the store uses no others)."""

    def __init__(self, inner: sqlite3.Connection) -> None:
        self.inner = inner
        self.statements: list[Statement] = []

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        self.statements.append(Statement(sql, [tuple(params)], many=False))
        return self.inner.execute(sql, params)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> sqlite3.Cursor:
        kept = list(rows)
        self.statements.append(Statement(sql, kept, many=True))
        return self.inner.executemany(sql, kept)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _database(engine: Engine) -> SqliteDatabase:
    profiles = engine.stores.profiles
    assert isinstance(profiles, PseudonymousProfileStore)
    assert isinstance(profiles.inner, SqliteProfileStore)
    return profiles.inner.db


def record(path: Path, batches: list[list[bytes]]) -> list[Statement]:
    """Every statement a fresh SQLite engine at ``path`` runs to ingest ``batches``."""
    engine = Engine(str(path))
    try:
        db = _database(engine)
        recorder = RecordingConnection(db.connection)
        db.connection = cast(sqlite3.Connection, recorder)
        for batch in batches:
            engine.ingest(batch)
        db.connection = recorder.inner
        return recorder.statements
    finally:
        engine.close()


def replay(connection: sqlite3.Connection, statements: list[Statement]) -> None:
    """Run ``statements`` in order, fetching what each query finds."""
    for statement in statements:
        if statement.many:
            connection.executemany(statement.sql, statement.rows)
        else:
            connection.execute(statement.sql, statement.rows[0]).fetchall()


def measure_sqlite_alone(
    tmp: Path, repeats: int, batches: list[list[bytes]], timing: Timing
) -> None:
    """Record one ingest's statements, then time ``repeats`` replays of them into ``timing``."""
    statements = record(tmp / "recorded.db", batches)
    with contextlib.closing(sqlite3.connect(tmp / "recorded.db")) as recorded:
        recorded_profiles = recorded.execute(_PROFILES).fetchall()
    for attempt in range(repeats):
        # A fresh file with the store's schema and settings, opened outside the timing.
        db = SqliteDatabase(tmp / f"replayed-{attempt}.db")
        try:
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            replay(db.connection, statements)
            timing.wall.append(time.perf_counter() - wall)
            timing.cpu.append(time.process_time() - cpu)
            # The replay wrote what the ingest did: every event, and the same profiles.
            assert db.query("SELECT count(*) FROM events")[0][0] == timing.events
            assert db.query(_PROFILES) == recorded_profiles
        finally:
            db.close()
