"""Protected attributes (sex, age, marital status, ...) kept apart from everything that decides.

``customer_update.protected`` values are taken out of the event at ingestion: the event log
keeps the event without them, and they go here, to a store of their own. By default it is a
separate SQLite file beside the main one (``rapport.db`` → ``rapport.protected.db``) so that it
can be permissioned on its own. Only the fairness monitor reads it (DESIGN.md principle 7); a
test checks that no decision, profile, signal or learning module imports this module.

Each attribute keeps its latest value in event time: an update older than the stored one is
ignored, so that late or replayed events never roll a value back.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import msgspec

from rapport.events.model import CustomerUpdateEvent
from rapport.events.validation import canonical_json, raw_text
from rapport.profiles.admission import Candidate
from rapport.store.connect import connect, write_transaction
from rapport.store.protocols import DeadLetter
from rapport.store.urls import local_url

ProtectedValue = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ProtectedUpdate:
    """Protected values a customer_update carried, taken out of the event."""

    customer_id: str
    event_time: float
    """Event time, seconds since the epoch: the newest value of an attribute wins."""
    values: dict[str, ProtectedValue]


class ProtectedStore(Protocol):
    def put_many(self, updates: Iterable[ProtectedUpdate]) -> None:
        """Record updates; per attribute, a value older in event time than the stored one is
        ignored."""
        ...

    def get_many(self, customer_ids: Iterable[str]) -> dict[str, dict[str, ProtectedValue]]:
        """Latest protected values of the customers that have any."""
        ...

    def scan(self) -> Iterator[tuple[str, dict[str, ProtectedValue]]]:
        """Every customer with protected values, by customer id."""
        ...

    def erase(self, customer_id: str) -> int:
        """Forget a customer's protected values; returns how many attributes were removed."""
        ...

    def close(self) -> None: ...


def take_protected(
    candidates: Iterable[Candidate], letters: list[DeadLetter] | None = None
) -> dict[int, ProtectedUpdate]:
    """Take the protected values out of customer_update candidates, in place.

    Each such candidate's event, stored body and raw input (what a dead letter would keep, should
    the event be rejected later) lose their ``protected`` part (its idempotency digest, computed
    on the event as sent, is kept); the values are returned for the protected store, by the
    candidate's input index (so that only the accepted ones are kept). Inputs already rejected
    (``letters``) have theirs withheld in place. Calling it again returns nothing more.
    """
    if letters is not None:
        letters[:] = [withhold_protected(letter) for letter in letters]
    updates: dict[int, ProtectedUpdate] = {}
    for candidate in candidates:
        event = candidate.event
        if not isinstance(event, CustomerUpdateEvent) or event.payload.protected is None:
            continue
        values = dict(event.payload.protected)
        stripped = msgspec.structs.replace(
            event, payload=msgspec.structs.replace(event.payload, protected=None)
        )
        candidate.event = stripped
        candidate.body = canonical_json(stripped)
        candidate.raw = withhold_text(raw_text(candidate.raw))
        if values:
            updates[candidate.index] = ProtectedUpdate(
                event.customer_id, event.timestamp.timestamp(), values
            )
    return updates


WITHHELD = "[withheld: protected attributes are kept apart]"
# For rejected text that is not even JSON: a "protected" object without nested braces.
_PROTECTED_TEXT = re.compile(r'"protected"\s*:\s*\{[^{}]*\}?')


def withhold_text(text: str) -> str:
    """Raw input without the protected values it carried (best effort on text that is not
    JSON); anything without a ``"protected"`` key comes back unchanged."""
    if '"protected"' not in text:
        return text
    try:
        data = json.loads(text)
    except ValueError:
        return _PROTECTED_TEXT.sub(f'"protected": "{WITHHELD}"', text)
    payload = data.get("payload") if isinstance(data, dict) else None
    if isinstance(payload, dict) and "protected" in payload:
        payload["protected"] = WITHHELD
        return json.dumps(data)
    return text


def withhold_protected(letter: DeadLetter) -> DeadLetter:
    """A dead letter without the protected values its raw input carried: rejected input is
    kept, but not the data principle 7 keeps apart."""
    raw = withhold_text(letter.raw)
    return letter if raw is letter.raw else replace(letter, raw=raw)


class MemoryProtectedStore:
    def __init__(self) -> None:
        self._values: dict[str, dict[str, tuple[float, ProtectedValue]]] = {}
        self._lock = threading.Lock()

    def put_many(self, updates: Iterable[ProtectedUpdate]) -> None:
        with self._lock:
            for update in updates:
                held = self._values.setdefault(update.customer_id, {})
                for name, value in update.values.items():
                    if name not in held or held[name][0] <= update.event_time:
                        held[name] = (update.event_time, value)

    def get_many(self, customer_ids: Iterable[str]) -> dict[str, dict[str, ProtectedValue]]:
        with self._lock:
            return {
                customer_id: {name: value for name, (_, value) in held.items()}
                for customer_id in customer_ids
                if (held := self._values.get(customer_id))
            }

    def scan(self) -> Iterator[tuple[str, dict[str, ProtectedValue]]]:
        with self._lock:
            snapshot = sorted(self._values)
        yield from self.get_many(snapshot).items()

    def erase(self, customer_id: str) -> int:
        with self._lock:
            return len(self._values.pop(customer_id, {}))

    def close(self) -> None:
        return None


class SqliteProtectedStore:
    """Protected values in their own SQLite file (table ``protected``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.connection = connect(path)
        self.connection.execute(
            """
            CREATE TABLE IF NOT EXISTS protected (
                customer_id TEXT NOT NULL,
                attribute TEXT NOT NULL,
                value TEXT NOT NULL,
                event_time REAL NOT NULL,
                PRIMARY KEY (customer_id, attribute)
            )
            """
        )

    def put_many(self, updates: Iterable[ProtectedUpdate]) -> None:
        rows = [
            (update.customer_id, name, json.dumps(value), update.event_time)
            for update in updates
            for name, value in update.values.items()
        ]
        if not rows:
            return
        with write_transaction(self.connection):
            self.connection.executemany(
                "INSERT INTO protected (customer_id, attribute, value, event_time) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (customer_id, attribute) DO UPDATE SET "
                "value = excluded.value, event_time = excluded.event_time "
                "WHERE excluded.event_time >= protected.event_time",
                rows,
            )

    def get_many(self, customer_ids: Iterable[str]) -> dict[str, dict[str, ProtectedValue]]:
        wanted = list(dict.fromkeys(customer_ids))
        found: dict[str, dict[str, ProtectedValue]] = {}
        # SQLite caps bound parameters per statement; ask in slices.
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for customer_id, name, value in self.connection.execute(
                "SELECT customer_id, attribute, value FROM protected "
                f"WHERE customer_id IN ({marks})",
                chunk,
            ):
                found.setdefault(customer_id, {})[name] = json.loads(value)
        return found

    def scan(self) -> Iterator[tuple[str, dict[str, ProtectedValue]]]:
        current: str | None = None
        values: dict[str, ProtectedValue] = {}
        for customer_id, name, value in self.connection.execute(
            "SELECT customer_id, attribute, value FROM protected ORDER BY customer_id, attribute"
        ):
            if customer_id != current:
                if current is not None:
                    yield current, values
                current, values = customer_id, {}
            values[name] = json.loads(value)
        if current is not None:
            yield current, values

    def erase(self, customer_id: str) -> int:
        cursor = self.connection.execute(
            "DELETE FROM protected WHERE customer_id = ?", (customer_id,)
        )
        return cursor.rowcount

    def close(self) -> None:
        self.connection.close()


def protected_path(main_path: str | Path) -> Path:
    """The protected store's file beside the main one: ``rapport.db`` → ``rapport.protected.db``."""
    path = Path(main_path)
    if path.suffix == ".db":
        return path.with_suffix(".protected.db")
    return path.with_name(path.name + ".protected")


def open_protected_store(url: str | Path) -> ProtectedStore:
    """The protected store for a main store URL: in memory for ``memory://``, otherwise its own
    SQLite file beside the main one."""
    text = local_url(str(url))
    if text == "memory://":
        return MemoryProtectedStore()
    return SqliteProtectedStore(protected_path(text.removeprefix("sqlite:///")))
