"""In-memory backends: the test double and the store of one-off runs (backfill, replay).

Events are sealed under their customer's key here too, so that erasure means the same on every
backend; profile keys stay in clear, since nothing here reaches a disk and erasure deletes the
profiles themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager

from rapport.store.keys import MemoryKeys
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
from rapport.store.sealed import SealedEventLog


class UndoLog:
    """Transactions for the in-memory stores: every write inside one records how to undo it."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] | None = None

    def record(self, undo: Callable[[], None]) -> None:
        if self._undo is not None:
            self._undo.append(undo)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._undo is not None:
            yield
            return
        self._undo = []
        try:
            yield
        except BaseException:
            for undo in reversed(self._undo):
                undo()
            raise
        finally:
            self._undo = None


class MemoryProfileStore:
    def __init__(self, undo: UndoLog | None = None) -> None:
        self._rows: dict[ProfileKey, StoredProfile] = {}
        self._undo = undo or UndoLog()

    def get_many(self, keys: Collection[ProfileKey]) -> dict[ProfileKey, StoredProfile]:
        rows = self._rows
        return {key: rows[key] for key in keys if key in rows}

    def put_many(self, items: Sequence[tuple[ProfileKey, bytes, int]]) -> None:
        rows = self._rows
        stale = [key for key, _, version in items if _version(rows.get(key)) != version]
        if stale:
            raise ConcurrentUpdateError(stale)
        previous = {key: rows.get(key) for key, _, _ in items}
        for key, data, version in items:
            rows[key] = StoredProfile(data, version + 1)
        self._undo.record(lambda: self._restore(previous))

    def _restore(self, previous: dict[ProfileKey, StoredProfile | None]) -> None:
        for key, row in previous.items():
            if row is None:
                self._rows.pop(key, None)
            else:
                self._rows[key] = row

    def delete(self, key: ProfileKey) -> bool:
        row = self._rows.pop(key, None)
        if row is None:
            return False
        self._undo.record(lambda: self._restore({key: row}))
        return True

    def count(self) -> int:
        return len(self._rows)


class MemoryEventLog:
    def __init__(self, undo: UndoLog | None = None) -> None:
        self._undo = undo or UndoLog()
        self._by_id: dict[str, EventRecord] = {}
        self._order: list[EventRecord] = []

    def append(self, records: Sequence[EventRecord]) -> None:
        ids = [record.event_id for record in records]
        by_id = self._by_id
        if len(set(ids)) != len(ids) or not by_id.keys().isdisjoint(ids):
            seen: set[str] = set()
            for event_id in ids:
                if event_id in by_id or event_id in seen:
                    raise DuplicateEventError(f"event {event_id!r} is already in the log")
                seen.add(event_id)
        by_id.update(zip(ids, records, strict=True))
        self._order.extend(records)
        self._undo.record(lambda: self._truncate(len(records)))

    def _truncate(self, count: int) -> None:
        for record in self._order[len(self._order) - count :]:
            del self._by_id[record.event_id]
        del self._order[len(self._order) - count :]

    def lookup(self, event_ids: Collection[str]) -> dict[str, EventRecord]:
        by_id = self._by_id
        return {i: by_id[i] for i in event_ids if i in by_id}

    def scan(
        self, customer_id: str | None = None, types: Collection[str] | None = None
    ) -> Iterator[EventRecord]:
        for record in list(self._order):
            if (customer_id is None or record.customer_id == customer_id) and (
                types is None or record.type in types
            ):
                yield record

    def count(self) -> int:
        return len(self._order)


class MemoryDeadLetterStore:
    def __init__(self, undo: UndoLog | None = None) -> None:
        self._undo = undo or UndoLog()
        self._letters: list[DeadLetter] = []

    def put(self, letters: Sequence[DeadLetter]) -> None:
        size = len(self._letters)
        self._letters.extend(letters)
        self._undo.record(lambda: self._letters.__delitem__(slice(size, None)))

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        return self._letters[::-1][:limit]

    def forget(self, identifiers: Collection[str]) -> int:
        wanted = set(identifiers)
        kept = [
            letter
            for letter in self._letters
            if letter.event_id not in wanted and not mentions(letter.raw, wanted)
        ]
        forgotten = len(self._letters) - len(kept)
        previous, self._letters = self._letters, kept
        self._undo.record(lambda: setattr(self, "_letters", previous))
        return forgotten

    def count(self) -> int:
        return len(self._letters)


def _version(stored: StoredProfile | None) -> int:
    return 0 if stored is None else stored.version


def open_memory() -> Stores:
    undo = UndoLog()
    keys = MemoryKeys()
    return Stores(
        profiles=MemoryProfileStore(undo),
        events=SealedEventLog(MemoryEventLog(undo), keys),
        dead_letters=MemoryDeadLetterStore(undo),
        transaction=undo.transaction,
        url="memory://",
        close=lambda: None,
        keys=keys,
    )
