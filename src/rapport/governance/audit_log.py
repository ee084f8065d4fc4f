"""The governance audit log: an append-only, hash-chained record of governance acts.

Decisions have their own ledger; this log records what people and monitors did *to* the
system: policy promotions and their refusals or overrides, fairness alerts, erasures, model
promotions. Each record's hash covers its canonical JSON and the previous record's hash, so
altering or removing any record breaks the chain there, and ``verify`` names the first record
where it breaks. In SQLite it lives in the ledger's file (table ``audit_log``).

The API is deliberately small: ``append(act, actor, details)``, ``scan()``, ``verify()``.
``details`` must be JSON data; non-finite floats are stored as null (JSON has no NaN), and
other non-JSON values (dates, paths) as their string form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rapport.store.connect import connect, write_transaction
from rapport.store.urls import local_url

GENESIS = "0" * 64

Clock = Callable[[], dt.datetime]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class AuditRecord:
    """One governance act, chained to the one before it."""

    seq: int
    """Position in the log (1-based)."""
    act: str
    """What was done, e.g. ``policy.promoted``, ``policy.refused``, ``fairness.alert``."""
    at: str
    """When (wall-clock UTC, RFC 3339): acts are taken by people and monitors, not by events."""
    actor: str
    """Who: a person, an API key's name, or a component such as ``fairness-monitor``."""
    details: dict[str, Any]
    """What the act concerned, as JSON data."""
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    records: int
    broken_at: int | None = None
    """Position (1-based) of the first record that does not verify."""
    problem: str = ""


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(item) for item in value]
    return value


def canonical_details(details: dict[str, Any]) -> str:
    """The details as stored and hashed: sorted keys, no whitespace, strict JSON."""
    return json.dumps(
        _json_safe(details), sort_keys=True, separators=(",", ":"), allow_nan=False, default=str
    )


def record_hash(prev_hash: str, act: str, at: str, actor: str, details_json: str) -> str:
    body = json.dumps(
        {"act": act, "at": at, "actor": actor, "details": details_json, "prev_hash": prev_hash},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(prev_hash.encode() + body.encode()).hexdigest()


def verify_records(rows: Iterator[tuple[int, str, str, str, str, str, str]]) -> AuditVerification:
    """Walk stored rows (seq, act, at, actor, details JSON, prev_hash, hash) in order."""
    prev = GENESIS
    count = 0
    for seq, act, at, actor, details_json, prev_hash, stored_hash in rows:
        count += 1
        if prev_hash != prev:
            return AuditVerification(
                False,
                count,
                seq,
                "its previous hash does not match the record before it "
                "(a record was removed or reordered)",
            )
        if record_hash(prev, act, at, actor, details_json) != stored_hash:
            return AuditVerification(False, count, seq, "its content does not match its hash")
        prev = stored_hash
    return AuditVerification(True, count)


class AuditLog(Protocol):
    def append(self, act: str, actor: str, details: dict[str, Any]) -> AuditRecord:
        """Chain and store one act; returns the stored record."""
        ...

    def scan(self) -> Iterator[AuditRecord]:
        """Every record in chain order."""
        ...

    def verify(self) -> AuditVerification: ...

    def close(self) -> None: ...


Row = tuple[int, str, str, str, str, str, str]


def _record(row: Row) -> AuditRecord:
    seq, act, at, actor, details_json, prev_hash, stored_hash = row
    return AuditRecord(seq, act, at, actor, json.loads(details_json), prev_hash, stored_hash)


def _new_row(seq: int, prev: str, act: str, actor: str, details: dict[str, Any], at: str) -> Row:
    if not act or not actor:
        raise ValueError("an audit record needs an act and an actor")
    details_json = canonical_details(details)
    return (
        seq,
        act,
        at,
        actor,
        details_json,
        prev,
        record_hash(prev, act, at, actor, details_json),
    )


class MemoryAuditLog:
    def __init__(self, clock: Clock = _utc_now) -> None:
        self._rows: list[Row] = []
        self._clock = clock
        self._lock = threading.Lock()

    def append(self, act: str, actor: str, details: dict[str, Any]) -> AuditRecord:
        with self._lock:
            prev = self._rows[-1][6] if self._rows else GENESIS
            row = _new_row(
                len(self._rows) + 1, prev, act, actor, details, self._clock().isoformat()
            )
            self._rows.append(row)
        return _record(row)

    def scan(self) -> Iterator[AuditRecord]:
        for row in list(self._rows):
            yield _record(row)

    def verify(self) -> AuditVerification:
        return verify_records(iter(list(self._rows)))

    def close(self) -> None:
        return None


class SqliteAuditLog:
    """The audit log as table ``audit_log`` in the ledger's SQLite file (its own connection)."""

    def __init__(self, path: str | Path, clock: Clock = _utc_now) -> None:
        self._clock = clock
        self.connection = connect(path)
        self.connection.execute(
            """
            CREATE TABLE IF NOT EXISTS audit_log (
                seq INTEGER PRIMARY KEY,
                act TEXT NOT NULL,
                at TEXT NOT NULL,
                actor TEXT NOT NULL,
                details TEXT NOT NULL,
                prev_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """
        )

    def append(self, act: str, actor: str, details: dict[str, Any]) -> AuditRecord:
        connection = self.connection
        # IMMEDIATE: two writers (say the API and a CLI promotion) must not chain on one head.
        with write_transaction(connection):
            last = connection.execute(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq, prev = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS)
            row = _new_row(seq, prev, act, actor, details, self._clock().isoformat())
            connection.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        return _record(row)

    def _rows(self) -> Iterator[Row]:
        yield from self.connection.execute(
            "SELECT seq, act, at, actor, details, prev_hash, hash FROM audit_log ORDER BY seq"
        )

    def scan(self) -> Iterator[AuditRecord]:
        for row in self._rows():
            yield _record(row)

    def verify(self) -> AuditVerification:
        return verify_records(self._rows())

    def close(self) -> None:
        self.connection.close()


def open_audit_log(url: str | Path) -> AuditLog:
    """The audit log beside the ledger a store URL names (``memory://`` or a SQLite file)."""
    text = local_url(str(url))
    if text == "memory://":
        return MemoryAuditLog()
    return SqliteAuditLog(text.removeprefix("sqlite:///"))
