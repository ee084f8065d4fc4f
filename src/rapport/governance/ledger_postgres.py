"""The decision ledger in PostgreSQL: the SQLite ledger's records, chained by many writers.

Records are exactly the SQLite ledger's (:mod:`rapport.governance.ledger_records`): the same
sealed body, the same header, the same chain hash, built by the same functions, so ``verify``,
``replay`` and erasure behave identically on both, and a chain can be checked by either.

Several processes append at once (API replicas, stream workers). The chain needs each record to
know its predecessor's hash, so appends serialise on the chain head: a one-row table read
``FOR UPDATE`` inside the appending transaction. A second writer waits there until the first
commits, then reads the new head; positions and links therefore follow commit order, and no two
records ever claim the same predecessor. Only the few microseconds of sealing and hashing run
under the lock. The idempotency check (an id already stored returns the stored record) is made
under the same lock, so two workers deciding the same decision id store it once.

``find``, ``latest`` and ``count`` run on the same indexes as in SQLite (by trigger pseudonym,
by customer pseudonym and kind, by event time).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from rapport.decisions.record import Decision
from rapport.governance.ledger import _as_stored, _chained, _stored, check_guard
from rapport.governance.ledger_guard import CountGuard
from rapport.governance.ledger_records import GENESIS, RecordSealer, StoredDecision
from rapport.store.keys import CustomerKeys, open_key_file
from rapport.store.postgres import PostgresDatabase
from rapport.store.urls import parse_scale_out

_TABLES = """
CREATE TABLE IF NOT EXISTS decisions (
    seq BIGINT PRIMARY KEY,
    decision_id TEXT NOT NULL UNIQUE,
    customer_ref TEXT NOT NULL,
    trigger_ref TEXT NOT NULL,
    kind TEXT NOT NULL,
    action TEXT NOT NULL,
    event_time DOUBLE PRECISION NOT NULL,
    body BYTEA NOT NULL,
    prev_hash BYTEA NOT NULL,
    hash BYTEA NOT NULL
);
CREATE INDEX IF NOT EXISTS decisions_by_customer
    ON decisions (customer_ref, kind, action, event_time);
CREATE INDEX IF NOT EXISTS decisions_by_kind_time ON decisions (customer_ref, kind, event_time);
CREATE INDEX IF NOT EXISTS decisions_by_trigger ON decisions (trigger_ref, kind);
CREATE TABLE IF NOT EXISTS policies (version TEXT PRIMARY KEY, text TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ledger_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash BYTEA
);
INSERT INTO ledger_head (id, seq, hash) VALUES (1, 0, NULL) ON CONFLICT (id) DO NOTHING;
"""
_STORED = "seq, decision_id, kind, action, event_time, body, prev_hash, hash"


class PostgresLedger:
    """The ledger in the schema a ``postgresql://`` store URL names (its own connection)."""

    def __init__(self, url: str, keys: CustomerKeys | None = None) -> None:
        parsed = parse_scale_out(url)
        self.db = PostgresDatabase(parsed.postgres, parsed.schema, _TABLES)
        self._lock = threading.Lock()
        self._owns_keys = keys is None

        def open_keys() -> CustomerKeys:
            if keys is not None:
                return keys
            holds = self.db.query("SELECT 1 FROM decisions LIMIT 1")
            return open_key_file(parsed.local, holds_data=bool(holds))

        self.sealer = RecordSealer(open_keys)

    def _row(self, where: str, params: tuple[Any, ...]) -> StoredDecision | None:
        rows = self.db.query(f"SELECT {_STORED} FROM decisions WHERE {where} LIMIT 1", params)
        return _stored(rows[0]) if rows else None

    def append(self, decision: Decision, guard: CountGuard | None = None) -> Decision:
        sealer = self.sealer
        # Pseudonyms and the key first, outside the chain lock: a new customer's key is created
        # in the key file, which has its own lock.
        customer_ref = sealer.customer_ref(decision.customer_id)
        trigger_ref = sealer.trigger_ref(decision.trigger_event_id)
        sealer.keys.for_writing([customer_ref])
        connection = self.db.connection
        with self._lock, self.db.transaction():
            head = connection.execute(
                "SELECT seq, hash FROM ledger_head WHERE id = 1 FOR UPDATE"
            ).fetchone()
            assert head is not None  # inserted with the table
            existing = self._row("decision_id = %s", (decision.decision_id,))
            if existing is not None:
                return _as_stored(decision, existing, sealer)
            check_guard(self, guard)
            prev = GENESIS if head[1] is None else bytes(head[1]).hex()
            record, chained = _chained(decision, sealer, int(head[0]) + 1, prev)
            digest = bytes.fromhex(record.hash)
            connection.execute(
                "WITH added AS (INSERT INTO decisions (seq, decision_id, customer_ref, "
                "trigger_ref, kind, action, event_time, body, prev_hash, hash) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING seq) "
                "UPDATE ledger_head SET seq = (SELECT seq FROM added), hash = %s WHERE id = 1",
                (
                    record.position,
                    record.decision_id,
                    customer_ref,
                    trigger_ref,
                    record.kind,
                    record.action,
                    record.event_time,
                    record.body,
                    bytes.fromhex(record.prev_hash),
                    digest,
                    digest,
                ),
            )
            return chained

    def _readable(self, record: StoredDecision | None) -> Decision | None:
        return None if record is None else self.sealer.readable(record)

    def get(self, decision_id: str) -> Decision | None:
        return self._readable(self._row("decision_id = %s", (decision_id,)))

    def erased(self, decision_id: str) -> bool:
        record = self._row("decision_id = %s", (decision_id,))
        return record is not None and self.sealer.is_erased(record)

    def scan(self) -> Iterator[StoredDecision]:
        last = 0
        while True:
            rows = self.db.query(
                f"SELECT {_STORED} FROM decisions WHERE seq > %s ORDER BY seq LIMIT 5000", (last,)
            )
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
        with self.db.transaction():
            self.db.connection.execute(
                "INSERT INTO policies (version, text) VALUES (%s, %s) "
                "ON CONFLICT (version) DO NOTHING",
                (version, text),
            )

    def count(self, customer_id: str, kind: str, action: str, since: float) -> int:
        rows = self.db.query(
            "SELECT count(*) FROM decisions WHERE customer_ref = %s AND kind = %s "
            "AND action = %s AND event_time >= %s",
            (self.sealer.customer_ref(customer_id), kind, action, since),
        )
        return int(rows[0][0])

    def policy_text(self, version: str) -> str | None:
        rows = self.db.query("SELECT text FROM policies WHERE version = %s", (version,))
        return str(rows[0][0]) if rows else None

    def find(self, kind: str, trigger_event_id: str) -> Decision | None:
        return self._readable(
            self._row(
                "trigger_ref = %s AND kind = %s ORDER BY seq DESC",
                (self.sealer.trigger_ref(trigger_event_id), kind),
            )
        )

    def latest(self, customer_id: str, kind: str, before: float) -> Decision | None:
        return self._readable(
            self._row(
                "customer_ref = %s AND kind = %s AND event_time <= %s "
                "ORDER BY event_time DESC, seq DESC",
                (self.sealer.customer_ref(customer_id), kind, before),
            )
        )

    def erase(self, customer_id: str) -> int:
        with self.db.transaction():
            cursor = self.db.connection.execute(
                "UPDATE decisions SET customer_ref = '' WHERE customer_ref = %s",
                (self.sealer.customer_ref(customer_id),),
            )
            return cursor.rowcount

    def close(self) -> None:
        self.db.close()
        if self._owns_keys and self.sealer.opened:
            self.sealer.keys.close()
