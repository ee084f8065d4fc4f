"""The right to erasure: forget a customer by crypto-shredding, and keep the audit trail whole.

``erase_customer`` does, in order:

1. reads the customer's events (while it still can) to learn their personal identifiers:
   the customer id, their event ids, and the ``device_id``, ``account_id`` and ``session_id``
   values their events carry;
2. deletes the customer's profile and the profiles of every device they used (a device id
   identifies its owner as surely as a customer id; a device shared with others loses its
   history too — erring towards forgetting), and every dead letter that mentions one of those
   identifiers, in one unit of work;
3. detaches the customer's decisions from the ledger's customer index, and destroys the
   customer's data key: their events and decisions stay in place, sealed and chained, but can
   never be read again (``rapport audit verify`` still passes; a replay says the decision is
   erased);
4. forgets their protected attributes and any unjoinable-outcome report naming them;
5. records a tombstone (and, when the governance audit log is there, an audit record) naming the
   customer only by pseudonym;
6. in SQLite, checkpoints and truncates the WAL (and rewrites the protected store's small file),
   so that no page image of the deleted rows survives in a store file.

What stays, by design: event types, event times and merchant ids of the customer's events, and
the kind, action and time of their decisions — none names a person, and they keep the event log
and the ledger whole for everyone else (merchant risk, the chain, counts).
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from rapport.engine import Engine
from rapport.governance.audit_log import open_audit_log
from rapport.governance.protected import protected_path
from rapport.governance.tombstones import Tombstone, Tombstones, open_tombstones
from rapport.profiles.catalog import Entity
from rapport.store.urls import local_url

PERSONAL_FIELDS = ("device_id", "account_id", "session_id")
"""Identifier fields of an event (envelope or payload) that are treated as personal."""

Clock = Callable[[], dt.datetime]
_TOMBSTONES: weakref.WeakKeyDictionary[Engine, Tombstones] = weakref.WeakKeyDictionary()


class UnknownCustomerError(LookupError):
    """Nothing is held about this customer."""


class AlreadyErasedError(LookupError):
    """The customer was erased and nothing was held about them since."""

    def __init__(self, tombstone: Tombstone) -> None:
        super().__init__(f"the customer was already erased at {tombstone.erased_at}")
        self.tombstone = tombstone


@dataclass(frozen=True)
class ErasureReport:
    tombstone: Tombstone
    wal_truncated: bool
    """Whether the main file's WAL was checkpointed and emptied (False if another process
    held a read transaction open; it is emptied at that process's next checkpoint)."""

    def to_dict(self) -> dict[str, Any]:
        return {**self.tombstone.to_dict(), "wal_truncated": self.wal_truncated}


def tombstones_of(engine: Engine) -> Tombstones:
    """The engine's tombstones (one store per engine, so ``memory://`` keeps them too)."""
    found = _TOMBSTONES.get(engine)
    if found is None:
        found = _TOMBSTONES[engine] = open_tombstones(engine.stores.url)
    return found


def personal_identifiers(engine: Engine, customer_id: str) -> tuple[set[str], set[str], int]:
    """(every personal identifier, the device ids among them, how many events) of a customer,
    read from their sealed events."""
    identifiers, devices, events = {customer_id}, set(), 0
    for record in engine.stores.events.scan(customer_id):
        events += 1
        identifiers.add(record.event_id)
        body = msgspec.json.decode(record.body)
        payload = body.get("payload") or {}
        for name in PERSONAL_FIELDS:
            for value in (body.get(name), payload.get(name)):
                if isinstance(value, str) and value:
                    identifiers.add(value)
                    if name == "device_id":
                        devices.add(value)
    return identifiers, devices, events


def erase_customer(
    engine: Engine,
    customer_id: str,
    actor: str,
    *,
    vacuum: bool = False,
    clock: Clock = lambda: dt.datetime.now(dt.UTC),
) -> ErasureReport:
    """Erase a customer (see the module docstring). ``vacuum`` also rewrites the whole main
    file (slow on a large log; secure deletion already zeroes what erasure deletes)."""
    stores = engine.stores
    ledger = engine.decisions.ledger
    tombstones = tombstones_of(engine)
    ref = stores.keys.pseudonym(customer_id)
    identifiers, devices, events = personal_identifiers(engine, customer_id)
    profile_keys = [(str(Entity.CUSTOMER), customer_id)]
    profile_keys += [(str(Entity.DEVICE), device) for device in sorted(devices)]
    if not events and not stores.profiles.get_many(profile_keys[:1]):
        earlier = tombstones.of(ref)
        if earlier:
            raise AlreadyErasedError(earlier[-1])
        raise UnknownCustomerError(f"nothing is held about customer {customer_id!r}")
    with stores.transaction():
        profiles = sum(stores.profiles.delete(key) for key in profile_keys)
        letters = stores.dead_letters.forget(identifiers)
    decisions = ledger.erase(customer_id)
    keys = stores.keys.destroy(ref)
    protected = engine.protected.erase(customer_id)
    main = _main_path(stores.url)
    outcomes = _forget_unjoined_outcomes(main, identifiers) if main else 0
    counts = {
        "events": events,
        "decisions": decisions,
        "profiles": profiles,
        "dead_letters": letters,
        "protected_attributes": protected,
        "outcome_reports": outcomes,
        "keys_destroyed": keys,
    }
    tombstone = Tombstone("era-" + secrets.token_hex(8), ref, clock().isoformat(), actor, counts)
    tombstones.add(tombstone)
    _audit(engine, tombstone)
    truncated = _scrub_files(main, vacuum) if main else True
    return ErasureReport(tombstone, truncated)


def _audit(engine: Engine, tombstone: Tombstone) -> None:
    details = {"erasure_id": tombstone.erasure_id, "customer_ref": tombstone.customer_ref}
    details.update({name: str(value) for name, value in tombstone.counts.items()})
    monitors = getattr(engine, "monitors", None)
    audit = getattr(monitors, "audit", None)
    if audit is not None:
        audit.append("customer.erased", tombstone.actor, details)
        return
    if engine.stores.url != "memory://":
        log = open_audit_log(engine.stores.url)
        try:
            log.append("customer.erased", tombstone.actor, details)
        finally:
            log.close()


def _main_path(url: str) -> Path | None:
    """The SQLite file to scrub: the store's, or a scale-out store's ``local=`` file (the
    PostgreSQL side holds the customer's events and decisions only sealed)."""
    url = local_url(url)
    if url == "memory://" or url.endswith(":memory:"):
        return None
    return Path(url.removeprefix("sqlite:///"))


def _secure_connection(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(str(path), isolation_level=None)
    connection.execute("PRAGMA busy_timeout=10000")
    connection.execute("PRAGMA secure_delete=ON")
    return connection


def _forget_unjoined_outcomes(main: Path, identifiers: set[str]) -> int:
    """The outcome join reports outcomes it cannot join with their customer and event id."""
    connection = _secure_connection(main)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        if "unjoined_outcomes" not in tables:
            return 0
        marks = ",".join("?" * len(identifiers))
        ordered = sorted(identifiers)
        cursor = connection.execute(
            f"DELETE FROM unjoined_outcomes WHERE customer_id IN ({marks}) "
            f"OR event_id IN ({marks})",
            [*ordered, *ordered],
        )
        return cursor.rowcount
    finally:
        connection.close()


def _scrub_files(main: Path, vacuum: bool) -> bool:
    """Leave no page image of deleted rows in the store files: empty the main file's WAL (and
    rewrite it whole if asked); rewrite the protected store's file, which is small and whose
    deletes are not secure."""
    protected = protected_path(main)
    if protected.exists():
        connection = _secure_connection(protected)
        try:
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            connection.close()
    connection = _secure_connection(main)
    try:
        if vacuum:
            connection.execute("VACUUM")
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy
    finally:
        connection.close()
