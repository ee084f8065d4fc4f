"""Tombstones: the record that a customer was erased — who did it, when, and what went.

A tombstone names the customer only by the deployment's keyed pseudonym (never the id), so it
proves an erasure happened without keeping what was erased. Whoever holds the key file can still
answer "was customer X erased?" by computing X's pseudonym: that is deliberate (a bank must be
able to show it honoured a request), and it reveals nothing else about X.

In SQLite the tombstones are table ``erasures`` in the main file; ``memory://`` keeps them in
memory. When the governance audit log is there too, erasures are also appended to it
(:mod:`rapport.governance.erasure`).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

from rapport.store.connect import connect
from rapport.store.urls import local_url


@dataclass(frozen=True)
class Tombstone:
    erasure_id: str
    customer_ref: str
    """The keyed pseudonym of the erased customer's id."""
    erased_at: str
    """Wall-clock UTC, RFC 3339: an erasure is an act, not an event."""
    actor: str
    counts: dict[str, int]
    """What was deleted or made unreadable, by store."""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class Tombstones(Protocol):
    def add(self, tombstone: Tombstone) -> None: ...

    def of(self, customer_ref: str) -> list[Tombstone]:
        """Every erasure of a customer (one who came back can be erased again), oldest first."""
        ...

    def all(self) -> list[Tombstone]: ...

    def close(self) -> None: ...


class MemoryTombstones:
    def __init__(self) -> None:
        self._rows: list[Tombstone] = []
        self._lock = threading.Lock()

    def add(self, tombstone: Tombstone) -> None:
        with self._lock:
            self._rows.append(tombstone)

    def of(self, customer_ref: str) -> list[Tombstone]:
        return [row for row in self._rows if row.customer_ref == customer_ref]

    def all(self) -> list[Tombstone]:
        return list(self._rows)

    def close(self) -> None:
        return None


class SqliteTombstones:
    def __init__(self, path: str | Path) -> None:
        self.connection = connect(path)
        self.connection.execute(
            """
            CREATE TABLE IF NOT EXISTS erasures (
                seq INTEGER PRIMARY KEY,
                erasure_id TEXT NOT NULL UNIQUE,
                customer_ref TEXT NOT NULL,
                erased_at TEXT NOT NULL,
                actor TEXT NOT NULL,
                counts TEXT NOT NULL
            )
            """
        )
        self.connection.execute(
            "CREATE INDEX IF NOT EXISTS erasures_by_customer ON erasures (customer_ref)"
        )

    def add(self, tombstone: Tombstone) -> None:
        self.connection.execute(
            "INSERT INTO erasures (erasure_id, customer_ref, erased_at, actor, counts) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                tombstone.erasure_id,
                tombstone.customer_ref,
                tombstone.erased_at,
                tombstone.actor,
                json.dumps(tombstone.counts, sort_keys=True),
            ),
        )

    def _select(self, where: str, params: tuple[str, ...]) -> list[Tombstone]:
        rows = self.connection.execute(
            "SELECT erasure_id, customer_ref, erased_at, actor, counts FROM erasures "
            f"{where} ORDER BY seq",
            params,
        )
        return [
            Tombstone(str(e), str(ref), str(at), str(actor), json.loads(counts))
            for e, ref, at, actor, counts in rows
        ]

    def of(self, customer_ref: str) -> list[Tombstone]:
        return self._select("WHERE customer_ref = ?", (customer_ref,))

    def all(self) -> list[Tombstone]:
        return self._select("", ())

    def close(self) -> None:
        self.connection.close()


def open_tombstones(url: str) -> Tombstones:
    if url == "memory://":
        return MemoryTombstones()
    return SqliteTombstones(local_url(url).removeprefix("sqlite:///"))
