"""The decision ledger: append-only, hash-chained, verifiable, replayable.

Each record's hash covers its canonical JSON (with the hash field empty) and the previous
record's hash, so altering any row, or removing one, breaks the chain at that point, and
``verify`` names the first record where it breaks. Policies are kept by version beside the
decisions so that a replay can use exactly the policy that decided.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import msgspec

from rapport.decisions.record import Decision, decode, encode

GENESIS = "0" * 64


def pack(decision: Decision) -> bytes:
    """A record as stored: its canonical JSON, deflated (records run to about a kilobyte of
    repetitive JSON; deflated they take about half). The hash covers the JSON itself."""
    return zlib.compress(encode(decision), 6)


def unpack(body: bytes) -> Decision:
    return decode(zlib.decompress(body))


def chain_hash(decision: Decision, prev_hash: str) -> str:
    body = encode(msgspec.structs.replace(decision, prev_hash=prev_hash, hash=""))
    return hashlib.sha256(prev_hash.encode() + body).hexdigest()


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    broken_at: int | None = None
    """Position (1-based) of the first record that does not verify."""
    decision_id: str | None = None
    problem: str = ""


class DecisionLedger(Protocol):
    def append(self, decision: Decision) -> Decision:
        """Chain and store a decision; an id already stored returns the stored record."""
        ...

    def get(self, decision_id: str) -> Decision | None: ...

    def scan(self) -> Iterator[tuple[int, bytes]]:
        """(position, stored bytes) in chain order."""
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

    def close(self) -> None: ...


def verify(ledger: DecisionLedger) -> Verification:
    """Walk the chain; report the first record whose hash or link does not hold."""
    prev = GENESIS
    count = 0
    for position, body in ledger.scan():
        count += 1
        try:
            decision = unpack(body)
        except (msgspec.DecodeError, msgspec.ValidationError, zlib.error) as error:
            return Verification(False, count, position, None, f"unreadable record: {error}")
        if decision.prev_hash != prev:
            return Verification(
                False,
                count,
                position,
                decision.decision_id,
                "its previous hash does not match the record before it "
                "(a record was removed or reordered)",
            )
        if chain_hash(decision, prev) != decision.hash:
            return Verification(
                False, count, position, decision.decision_id, "its content does not match its hash"
            )
        prev = decision.hash
    return Verification(True, count)


def _event_epoch(decision: Decision) -> float:
    return (
        dt.datetime.fromisoformat(decision.event_time).timestamp() if decision.event_time else 0.0
    )


class MemoryLedger:
    def __init__(self) -> None:
        self._index: list[tuple[str, str, str, float]] = []
        self._triggers: dict[tuple[str, str], int] = {}
        self._bodies: list[bytes] = []
        self._by_id: dict[str, int] = {}
        self._policies: dict[str, str] = {}
        self._last = GENESIS

    def append(self, decision: Decision) -> Decision:
        if decision.decision_id in self._by_id:
            return unpack(self._bodies[self._by_id[decision.decision_id]])
        chained = msgspec.structs.replace(
            decision, prev_hash=self._last, hash=chain_hash(decision, self._last)
        )
        self._by_id[decision.decision_id] = len(self._bodies)
        self._triggers[(decision.kind, decision.trigger_event_id)] = len(self._bodies)
        self._bodies.append(pack(chained))
        self._index.append(
            (decision.customer_id, decision.kind, decision.action, _event_epoch(decision))
        )
        self._last = chained.hash
        return chained

    def get(self, decision_id: str) -> Decision | None:
        index = self._by_id.get(decision_id)
        return None if index is None else unpack(self._bodies[index])

    def scan(self) -> Iterator[tuple[int, bytes]]:
        yield from enumerate(list(self._bodies), start=1)

    def save_policy(self, version: str, text: str) -> None:
        self._policies.setdefault(version, text)

    def count(self, customer_id: str, kind: str, action: str, since: float) -> int:
        return sum(
            1 for row in self._index if row[:3] == (customer_id, kind, action) and row[3] >= since
        )

    def policy_text(self, version: str) -> str | None:
        return self._policies.get(version)

    def find(self, kind: str, trigger_event_id: str) -> Decision | None:
        index = self._triggers.get((kind, trigger_event_id))
        return None if index is None else unpack(self._bodies[index])

    def latest(self, customer_id: str, kind: str, before: float) -> Decision | None:
        best: tuple[float, int] | None = None
        for position, row in enumerate(self._index):
            in_force = row[0] == customer_id and row[1] == kind and row[3] <= before
            if in_force and (best is None or row[3] >= best[0]):
                best = (row[3], position)
        return None if best is None else unpack(self._bodies[best[1]])

    def close(self) -> None:
        return None


class SqliteLedger:
    """The ledger in the engine's SQLite file (its own tables, its own connection)."""

    def __init__(self, path: str | Path) -> None:
        self.connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.connection.execute("PRAGMA journal_mode=WAL")
        # As for the stores: in WAL mode no committed record is lost to an application crash,
        # and the file never corrupts; only an OS crash can drop the latest commits.
        self.connection.execute("PRAGMA synchronous=NORMAL")
        self.connection.execute("PRAGMA busy_timeout=10000")
        self.connection.executescript(
            """
            CREATE TABLE IF NOT EXISTS decisions (
                seq INTEGER PRIMARY KEY,
                decision_id TEXT NOT NULL UNIQUE,
                customer_id TEXT NOT NULL,
                kind TEXT NOT NULL,
                action TEXT NOT NULL,
                event_time REAL NOT NULL,
                body BLOB NOT NULL
            );
            CREATE INDEX IF NOT EXISTS decisions_by_customer
                ON decisions (customer_id, kind, action, event_time);
            CREATE TABLE IF NOT EXISTS policies (version TEXT PRIMARY KEY, text TEXT NOT NULL);
            """
        )
        columns = {row[1] for row in self.connection.execute("PRAGMA table_info(decisions)")}
        if "trigger_event_id" not in columns:
            # Ledgers written before outcomes were joined lack the column; they keep working and
            # their older decisions simply cannot be found by trigger.
            self.connection.execute(
                "ALTER TABLE decisions ADD COLUMN trigger_event_id TEXT NOT NULL DEFAULT ''"
            )
        self.connection.executescript(
            """
            CREATE INDEX IF NOT EXISTS decisions_by_trigger ON decisions (trigger_event_id, kind);
            CREATE INDEX IF NOT EXISTS decisions_by_kind_time
                ON decisions (customer_id, kind, event_time);
            """
        )

    def _last_hash(self) -> str:
        row = self.connection.execute(
            "SELECT body FROM decisions ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return unpack(bytes(row[0])).hash if row else GENESIS

    def append(self, decision: Decision) -> Decision:
        connection = self.connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT body FROM decisions WHERE decision_id = ?", (decision.decision_id,)
            ).fetchone()
            if row:
                connection.execute("COMMIT")
                return unpack(bytes(row[0]))
            last = self._last_hash()
            chained = msgspec.structs.replace(
                decision, prev_hash=last, hash=chain_hash(decision, last)
            )
            connection.execute(
                "INSERT INTO decisions (decision_id, customer_id, kind, action, event_time, "
                "trigger_event_id, body) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    decision.decision_id,
                    decision.customer_id,
                    decision.kind,
                    decision.action,
                    _event_epoch(decision),
                    decision.trigger_event_id,
                    pack(chained),
                ),
            )
            connection.execute("COMMIT")
            return chained
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    def get(self, decision_id: str) -> Decision | None:
        row = self.connection.execute(
            "SELECT body FROM decisions WHERE decision_id = ?", (decision_id,)
        ).fetchone()
        return unpack(bytes(row[0])) if row else None

    def scan(self) -> Iterator[tuple[int, bytes]]:
        for seq, body in self.connection.execute("SELECT seq, body FROM decisions ORDER BY seq"):
            yield seq, bytes(body)

    def save_policy(self, version: str, text: str) -> None:
        self.connection.execute(
            "INSERT OR IGNORE INTO policies (version, text) VALUES (?, ?)", (version, text)
        )

    def count(self, customer_id: str, kind: str, action: str, since: float) -> int:
        row = self.connection.execute(
            "SELECT count(*) FROM decisions WHERE customer_id = ? AND kind = ? AND action = ? "
            "AND event_time >= ?",
            (customer_id, kind, action, since),
        ).fetchone()
        return int(row[0])

    def policy_text(self, version: str) -> str | None:
        row = self.connection.execute(
            "SELECT text FROM policies WHERE version = ?", (version,)
        ).fetchone()
        return str(row[0]) if row else None

    def find(self, kind: str, trigger_event_id: str) -> Decision | None:
        row = self.connection.execute(
            "SELECT body FROM decisions WHERE trigger_event_id = ? AND kind = ? "
            "ORDER BY seq DESC LIMIT 1",
            (trigger_event_id, kind),
        ).fetchone()
        return unpack(bytes(row[0])) if row else None

    def latest(self, customer_id: str, kind: str, before: float) -> Decision | None:
        row = self.connection.execute(
            "SELECT body FROM decisions WHERE customer_id = ? AND kind = ? AND event_time <= ? "
            "ORDER BY event_time DESC, seq DESC LIMIT 1",
            (customer_id, kind, before),
        ).fetchone()
        return unpack(bytes(row[0])) if row else None

    def close(self) -> None:
        self.connection.close()


def open_ledger(url: str) -> DecisionLedger:
    """The ledger beside the stores a URL names (``memory://`` or a SQLite file)."""
    if url == "memory://":
        return MemoryLedger()
    return SqliteLedger(url.removeprefix("sqlite:///"))
