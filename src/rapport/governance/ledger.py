"""The decision ledger: append-only, hash-chained, verifiable, replayable — and erasable.

Each record keeps its decision sealed under the customer's data key, and its hash covers the
stored bytes and the previous record's hash (:mod:`rapport.governance.ledger_records`): altering
any row, or removing one, breaks the chain at that point and ``verify`` names the first record
where it breaks, while erasing a customer (destroying the key) breaks nothing. Policies are kept
by version beside the decisions so that a replay can use exactly the policy that decided.

The ledger indexes decisions by keyed pseudonyms of the customer and of the trigger event, never
by the ids themselves. An erased customer's decisions read as absent (``get``, ``find`` and
``latest`` return None, so an outcome arriving after the erasure is simply unjoinable);
``erased`` tells an erased decision from one that never existed.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import msgspec

from rapport.decisions.record import Decision
from rapport.governance.ledger_guard import CountGuard, StaleCountError
from rapport.governance.ledger_records import (
    GENESIS,
    DecisionErasedError,
    RecordSealer,
    StoredDecision,
    Verification,
    chain_hash,
    verify_records,
)
from rapport.store.connect import connect
from rapport.store.keys import CustomerKeys, MemoryKeys, open_key_file
from rapport.store.urls import is_scale_out

__all__ = [
    "GENESIS",
    "DecisionErasedError",
    "DecisionLedger",
    "MemoryLedger",
    "SqliteLedger",
    "StoredDecision",
    "Verification",
    "open_ledger",
    "verify",
]


class DecisionLedger(Protocol):
    def append(self, decision: Decision, guard: CountGuard | None = None) -> Decision:
        """Chain and store a decision; an id already stored returns the stored record.

        With a ``guard``, the count it names is re-checked in the same atomic step and a
        changed count raises ``StaleCountError`` (nothing is stored)."""
        ...

    def get(self, decision_id: str) -> Decision | None:
        """The decision, or None if there is none or its customer was erased."""
        ...

    def erased(self, decision_id: str) -> bool:
        """Whether the decision exists but its customer was erased."""
        ...

    def scan(self) -> Iterator[StoredDecision]:
        """Every stored record in chain order, as stored (sealed)."""
        ...

    def read(self, record: StoredDecision) -> Decision:
        """Open a stored record; raises :class:`DecisionErasedError` for an erased customer's."""
        ...

    def records(self) -> Iterator[Decision]:
        """Every readable decision in chain order (an erased customer's are left out)."""
        ...

    def save_policy(self, version: str, text: str) -> None: ...

    def count(self, customer_id: str, kind: str, action: str, since: float) -> int:
        """Decisions of a kind and action for a customer, taken at event time ``since`` or
        later (seconds since the epoch): the contact policy counts what was sent."""
        ...

    def policy_text(self, version: str) -> str | None: ...

    def find(self, kind: str, trigger_event_id: str) -> Decision | None:
        """The latest decision of ``kind`` its trigger event took (the outcome join of a
        fraud report, which names the transaction, not the decision)."""
        ...

    def latest(self, customer_id: str, kind: str, before: float) -> Decision | None:
        """A customer's latest decision of ``kind`` taken at event time ``before`` or earlier
        (a credit outcome joins the credit decision in force when it happened)."""
        ...

    def erase(self, customer_id: str) -> int:
        """Detach a customer's decisions from the customer (their sealed bodies stay, chained;
        destroying the customer's key makes them unreadable); returns how many."""
        ...

    def close(self) -> None: ...


def verify(ledger: DecisionLedger) -> Verification:
    """Walk the chain; report the first record whose hash or link does not hold."""
    return verify_records(ledger.scan())


def check_guard(ledger: DecisionLedger, guard: CountGuard | None) -> None:
    """Inside an append's atomic step: refuse it if the guarded count changed."""
    if guard is None:
        return
    found = ledger.count(guard.customer_id, guard.kind, guard.action, guard.since)
    if found != guard.expected:
        raise StaleCountError(guard, found)


def _event_epoch(decision: Decision) -> float:
    return (
        dt.datetime.fromisoformat(decision.event_time).timestamp() if decision.event_time else 0.0
    )


def _chained(
    decision: Decision, sealer: RecordSealer, position: int, prev: str
) -> tuple[StoredDecision, Decision]:
    """The stored record of a new decision after ``prev``, and the decision as returned."""
    body = sealer.seal(decision)
    t = _event_epoch(decision)
    digest = chain_hash(prev, decision.decision_id, decision.kind, decision.action, t, body)
    record = StoredDecision(
        position, decision.decision_id, decision.kind, decision.action, t, body, prev, digest
    )
    return record, msgspec.structs.replace(decision, prev_hash=prev, hash=digest)


def _as_stored(decision: Decision, record: StoredDecision, sealer: RecordSealer) -> Decision:
    """What ``append`` returns for an id already stored: the stored record, or, if its customer
    was erased, the decision offered, with the stored chain (it is not stored again)."""
    stored = sealer.readable(record)
    if stored is not None:
        return stored
    return msgspec.structs.replace(decision, prev_hash=record.prev_hash, hash=record.hash)


class MemoryLedger:
    def __init__(self, keys: CustomerKeys | None = None) -> None:
        own = keys or MemoryKeys()
        self.sealer = RecordSealer(lambda: own)
        self._records: list[StoredDecision] = []
        self._customers: list[str] = []
        """Each record's customer pseudonym ('' once erased)."""
        self._triggers: dict[tuple[str, str], int] = {}
        self._by_id: dict[str, int] = {}
        self._policies: dict[str, str] = {}

    def append(self, decision: Decision, guard: CountGuard | None = None) -> Decision:
        index = self._by_id.get(decision.decision_id)
        if index is not None:
            return _as_stored(decision, self._records[index], self.sealer)
        check_guard(self, guard)
        prev = self._records[-1].hash if self._records else GENESIS
        record, chained = _chained(decision, self.sealer, len(self._records) + 1, prev)
        index = len(self._records)
        self._by_id[decision.decision_id] = index
        self._triggers[(decision.kind, self.sealer.trigger_ref(decision.trigger_event_id))] = index
        self._records.append(record)
        self._customers.append(self.sealer.customer_ref(decision.customer_id))
        return chained

    def _at(self, index: int | None) -> Decision | None:
        return None if index is None else self.sealer.readable(self._records[index])

    def get(self, decision_id: str) -> Decision | None:
        return self._at(self._by_id.get(decision_id))

    def erased(self, decision_id: str) -> bool:
        index = self._by_id.get(decision_id)
        return index is not None and self.sealer.is_erased(self._records[index])

    def scan(self) -> Iterator[StoredDecision]:
        yield from list(self._records)

    def read(self, record: StoredDecision) -> Decision:
        return self.sealer.open(record)

    def records(self) -> Iterator[Decision]:
        for record in list(self._records):
            decision = self.sealer.readable(record)
            if decision is not None:
                yield decision

    def save_policy(self, version: str, text: str) -> None:
        self._policies.setdefault(version, text)

    def count(self, customer_id: str, kind: str, action: str, since: float) -> int:
        ref = self.sealer.customer_ref(customer_id)
        return sum(
            1
            for record, customer in zip(self._records, self._customers, strict=True)
            if customer == ref
            and record.kind == kind
            and record.action == action
            and record.event_time >= since
        )

    def policy_text(self, version: str) -> str | None:
        return self._policies.get(version)

    def find(self, kind: str, trigger_event_id: str) -> Decision | None:
        return self._at(self._triggers.get((kind, self.sealer.trigger_ref(trigger_event_id))))

    def latest(self, customer_id: str, kind: str, before: float) -> Decision | None:
        ref = self.sealer.customer_ref(customer_id)
        best: tuple[float, int] | None = None
        for index, record in enumerate(self._records):
            mine = self._customers[index] == ref and record.kind == kind
            if (
                mine
                and record.event_time <= before
                and (best is None or record.event_time >= best[0])
            ):
                best = (record.event_time, index)
        return None if best is None else self._at(best[1])

    def erase(self, customer_id: str) -> int:
        ref = self.sealer.customer_ref(customer_id)
        positions = [i for i, customer in enumerate(self._customers) if customer == ref]
        for index in positions:
            self._customers[index] = ""
        return len(positions)

    def close(self) -> None:
        return None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY,
    decision_id TEXT NOT NULL UNIQUE,
    customer_ref TEXT NOT NULL,
    trigger_ref TEXT NOT NULL,
    kind TEXT NOT NULL,
    action TEXT NOT NULL,
    event_time REAL NOT NULL,
    body BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_customer
    ON decisions (customer_ref, kind, action, event_time);
CREATE INDEX IF NOT EXISTS decisions_by_kind_time ON decisions (customer_ref, kind, event_time);
CREATE INDEX IF NOT EXISTS decisions_by_trigger ON decisions (trigger_ref, kind);
CREATE TABLE IF NOT EXISTS policies (version TEXT PRIMARY KEY, text TEXT NOT NULL);
"""
_STORED = "seq, decision_id, kind, action, event_time, body, prev_hash, hash"
# The chain hashes are stored as their 32 raw bytes (half their hex): records must stay within
# the 1 KiB budget with their sealed body, and the hashes would otherwise take an eighth of it.


class LedgerFormatError(RuntimeError):
    """The file holds a ledger written by an earlier Rapport (decisions in clear)."""


def _stored(row: tuple[object, ...]) -> StoredDecision:
    seq, decision_id, kind, action, event_time, body, prev_hash, digest = row
    return StoredDecision(
        int(seq),  # type: ignore[call-overload]
        str(decision_id),
        str(kind),
        str(action),
        float(event_time),  # type: ignore[arg-type]
        bytes(body),  # type: ignore[call-overload]
        bytes(prev_hash).hex(),  # type: ignore[call-overload]
        bytes(digest).hex(),  # type: ignore[call-overload]
    )


class SqliteLedger:
    """The ledger in the engine's SQLite file (its own tables, its own connection)."""

    def __init__(self, path: str | Path, keys: CustomerKeys | None = None) -> None:
        # The stores' settings (WAL, synchronous=NORMAL, busy timeout, secure_delete: erasure
        # rewrites index entries, and the old ones are zeroed rather than left in free space).
        self.connection = connect(path)
        self._head: tuple[int, str] | None = None
        """The chain's last (position, hash) as this connection last saw it; another process
        may have appended since, which the next insert finds out."""
        columns = {row[1] for row in self.connection.execute("PRAGMA table_info(decisions)")}
        if columns and "customer_ref" not in columns:
            raise LedgerFormatError(
                f"{path} holds a ledger written by an earlier Rapport, with decisions in clear; "
                "it cannot be made erasable in place: start a new file"
            )
        self.connection.executescript(_SCHEMA)
        self._owns_keys = keys is None

        def open_keys() -> CustomerKeys:
            if keys is not None:
                return keys
            holds = self.connection.execute("SELECT 1 FROM decisions LIMIT 1").fetchone()
            return open_key_file(path, holds_data=holds is not None)

        self.sealer = RecordSealer(open_keys)

    def _row(self, where: str, params: tuple[object, ...]) -> StoredDecision | None:
        row = self.connection.execute(
            f"SELECT {_STORED} FROM decisions WHERE {where} LIMIT 1", params
        ).fetchone()
        return None if row is None else _stored(row)

    def append(self, decision: Decision, guard: CountGuard | None = None) -> Decision:
        if guard is not None:
            return self._append_guarded(decision, guard)
        # One INSERT, its own transaction: the primary key on the position makes it fail if the
        # chain moved since this connection last saw its head (another process appended), and
        # the unique decision id if the decision is already stored. A decision takes a single
        # statement instead of five, and writers hold SQLite's write lock for that one only.
        while True:
            position, prev = self._head or self._read_head()
            record, chained = _chained(decision, self.sealer, position + 1, prev)
            try:
                self._insert(record, decision)
            except sqlite3.IntegrityError as error:
                self._head = None
                if error.sqlite_errorname == "SQLITE_CONSTRAINT_PRIMARYKEY":
                    continue
                existing = self._row("decision_id = ?", (decision.decision_id,))
                if existing is None:
                    raise
                return _as_stored(decision, existing, self.sealer)
            self._head = (record.position, record.hash)
            return chained

    def _append_guarded(self, decision: Decision, guard: CountGuard) -> Decision:
        """The count the guard names, and the append, in one write transaction."""
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            existing = self._row("decision_id = ?", (decision.decision_id,))
            if existing is not None:
                connection.execute("COMMIT")
                return _as_stored(decision, existing, self.sealer)
            check_guard(self, guard)
            position, prev = self._read_head()
            record, chained = _chained(decision, self.sealer, position + 1, prev)
            self._insert(record, decision)
            connection.execute("COMMIT")
        except BaseException:
            self._head = None
            connection.execute("ROLLBACK")
            raise
        self._head = (record.position, record.hash)
        return chained

    def _read_head(self) -> tuple[int, str]:
        last = self.connection.execute(
            "SELECT seq, hash FROM decisions ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (int(last[0]), bytes(last[1]).hex()) if last else (0, GENESIS)

    def _insert(self, record: StoredDecision, decision: Decision) -> None:
        sealer = self.sealer
        self.connection.execute(
            "INSERT INTO decisions (seq, decision_id, customer_ref, trigger_ref, kind, action, "
            "event_time, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.position,
                record.decision_id,
                sealer.customer_ref(decision.customer_id),
                sealer.trigger_ref(decision.trigger_event_id),
                record.kind,
                record.action,
                record.event_time,
                record.body,
                bytes.fromhex(record.prev_hash),
                bytes.fromhex(record.hash),
            ),
        )

    def _readable(self, record: StoredDecision | None) -> Decision | None:
        return None if record is None else self.sealer.readable(record)

    def get(self, decision_id: str) -> Decision | None:
        return self._readable(self._row("decision_id = ?", (decision_id,)))

    def erased(self, decision_id: str) -> bool:
        record = self._row("decision_id = ?", (decision_id,))
        return record is not None and self.sealer.is_erased(record)

    def scan(self) -> Iterator[StoredDecision]:
        last = 0
        while True:
            rows = self.connection.execute(
                f"SELECT {_STORED} FROM decisions WHERE seq > ? ORDER BY seq LIMIT 5000", (last,)
            ).fetchall()
            if not rows:
                return
            for row in rows:
                yield _stored(row)
            last = int(rows[-1][0])

    def read(self, record: StoredDecision) -> Decision:
        return self.sealer.open(record)

    def records(self) -> Iterator[Decision]:
        for record in self.scan():
            decision = self.sealer.readable(record)
            if decision is not None:
                yield decision

    def save_policy(self, version: str, text: str) -> None:
        self.connection.execute(
            "INSERT OR IGNORE INTO policies (version, text) VALUES (?, ?)", (version, text)
        )

    def count(self, customer_id: str, kind: str, action: str, since: float) -> int:
        row = self.connection.execute(
            "SELECT count(*) FROM decisions WHERE customer_ref = ? AND kind = ? AND action = ? "
            "AND event_time >= ?",
            (self.sealer.customer_ref(customer_id), kind, action, since),
        ).fetchone()
        return int(row[0])

    def policy_text(self, version: str) -> str | None:
        row = self.connection.execute(
            "SELECT text FROM policies WHERE version = ?", (version,)
        ).fetchone()
        return str(row[0]) if row else None

    def find(self, kind: str, trigger_event_id: str) -> Decision | None:
        return self._readable(
            self._row(
                "trigger_ref = ? AND kind = ? ORDER BY seq DESC",
                (self.sealer.trigger_ref(trigger_event_id), kind),
            )
        )

    def latest(self, customer_id: str, kind: str, before: float) -> Decision | None:
        return self._readable(
            self._row(
                "customer_ref = ? AND kind = ? AND event_time <= ? "
                "ORDER BY event_time DESC, seq DESC",
                (self.sealer.customer_ref(customer_id), kind, before),
            )
        )

    def erase(self, customer_id: str) -> int:
        cursor = self.connection.execute(
            "UPDATE decisions SET customer_ref = '' WHERE customer_ref = ?",
            (self.sealer.customer_ref(customer_id),),
        )
        return cursor.rowcount

    def stored_size(self) -> tuple[int, float]:
        """Records held, and their mean size in bytes as stored: the sealed body, the chain
        hashes, the id and the pseudonyms it is indexed by (the budget is per record)."""
        count, mean = self.connection.execute(
            "SELECT count(*), avg(length(body) + length(prev_hash) + length(hash) "
            "+ length(decision_id) + length(customer_ref) + length(trigger_ref)) FROM decisions"
        ).fetchone()
        return int(count), float(mean or 0.0)

    def close(self) -> None:
        self.connection.close()
        if self._owns_keys and self.sealer.opened:
            self.sealer.keys.close()


def open_ledger(url: str, keys: CustomerKeys | None = None) -> DecisionLedger:
    """The ledger beside the stores a URL names (``memory://``, a SQLite file, or the schema of
    a ``postgresql://`` URL, see :mod:`rapport.store.urls`).

    ``keys`` must be the stores' own key table when there is one (``Engine`` passes it), so that
    a key destroyed through the stores is gone for the ledger at once.
    """
    if url == "memory://":
        return MemoryLedger(keys)
    if is_scale_out(url):
        # Imported here: it builds on this module's record functions (and loads psycopg).
        from rapport.governance.ledger_postgres import PostgresLedger  # noqa: PLC0415

        return PostgresLedger(url, keys)
    return SqliteLedger(url.removeprefix("sqlite:///"), keys)
