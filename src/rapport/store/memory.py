"""In-memory backends: the test double and the store of one-off runs (backfill, replay)."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator, Sequence

from rapport.store.protocols import (
    ConcurrentUpdateError,
    DeadLetter,
    EventRecord,
    ProfileKey,
    StoredProfile,
    Stores,
)


class MemoryProfileStore:
    def __init__(self) -> None:
        self._rows: dict[ProfileKey, StoredProfile] = {}

    def get_many(self, keys: Collection[ProfileKey]) -> dict[ProfileKey, StoredProfile]:
        rows = self._rows
        return {key: rows[key] for key in keys if key in rows}

    def put_many(self, items: Sequence[tuple[ProfileKey, bytes, int]]) -> None:
        rows = self._rows
        stale = [key for key, _, version in items if _version(rows.get(key)) != version]
        if stale:
            raise ConcurrentUpdateError(stale)
        for key, data, version in items:
            rows[key] = StoredProfile(data, version + 1)

    def delete(self, key: ProfileKey) -> bool:
        return self._rows.pop(key, None) is not None

    def count(self) -> int:
        return len(self._rows)


class MemoryEventLog:
    def __init__(self) -> None:
        self._by_id: dict[str, EventRecord] = {}
        self._order: list[EventRecord] = []

    def append(self, records: Sequence[EventRecord]) -> None:
        seen = set()
        for record in records:
            if record.event_id in self._by_id or record.event_id in seen:
                raise ValueError(f"event {record.event_id!r} is already in the log")
            seen.add(record.event_id)
        for record in records:
            self._by_id[record.event_id] = record
            self._order.append(record)

    def lookup(self, event_ids: Collection[str]) -> dict[str, EventRecord]:
        by_id = self._by_id
        return {i: by_id[i] for i in event_ids if i in by_id}

    def scan(self, customer_id: str | None = None) -> Iterator[EventRecord]:
        for record in list(self._order):
            if customer_id is None or record.customer_id == customer_id:
                yield record

    def count(self) -> int:
        return len(self._order)


class MemoryDeadLetterStore:
    def __init__(self) -> None:
        self._letters: list[DeadLetter] = []

    def put(self, letters: Sequence[DeadLetter]) -> None:
        self._letters.extend(letters)

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        return self._letters[::-1][:limit]

    def count(self) -> int:
        return len(self._letters)


def _version(stored: StoredProfile | None) -> int:
    return 0 if stored is None else stored.version


def open_memory() -> Stores:
    return Stores(
        profiles=MemoryProfileStore(),
        events=MemoryEventLog(),
        dead_letters=MemoryDeadLetterStore(),
        transaction=contextlib.nullcontext,
        url="memory://",
        close=lambda: None,
    )
