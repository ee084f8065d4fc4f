"""The narrow protocols every storage backend implements (DESIGN.md principle 8).

Each backend passes the shared conformance suite in ``tests/conformance``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import msgspec

from rapport.store.keys import CustomerKeys

ProfileKey = tuple[str, str]
"""(entity kind, entity id)."""


class DuplicateEventError(ValueError):
    """An appended event's id is already in the log, or twice in the batch: the append wrote
    nothing (and the unit of work it belongs to fails)."""


class ConcurrentUpdateError(RuntimeError):
    """A profile changed since it was read: the writer must re-read and re-apply."""

    def __init__(self, keys: Collection[ProfileKey]) -> None:
        super().__init__(f"profiles changed concurrently: {sorted(keys)[:5]}")
        self.keys = list(keys)

    def __reduce__(self) -> tuple[type[ConcurrentUpdateError], tuple[list[ProfileKey]]]:
        # Raised in the pipelined ingest's writer process, and handed back to the engine.
        return ConcurrentUpdateError, (self.keys,)


# The records below are created once per event or profile on the ingest path: as frozen msgspec
# structs they build several times faster than frozen dataclasses (which set each field through
# object.__setattr__), and, holding only scalars, they stay out of the garbage collector's way
# (gc=False) however many the in-memory log keeps.
class StoredProfile(msgspec.Struct, frozen=True, gc=False):
    data: bytes
    version: int
    """Incremented on every write; 0 means "not stored yet"."""


class EventRecord(msgspec.Struct, frozen=True, gc=False):
    """An accepted event as the log keeps it."""

    event_id: str
    type: str
    customer_id: str
    time: float
    """Event time, seconds since the Unix epoch."""
    digest: str
    """Hash of the canonical body: a re-sent event with the same id and digest is a duplicate."""
    body: bytes
    """Canonical JSON of the event."""
    merchant_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A rejected input, kept with the reason so that nothing sent is ever silently lost."""

    received_at: float
    code: str
    field: str
    reason: str
    raw: str
    event_id: str | None = None


@runtime_checkable
class ProfileStore(Protocol):
    def get_many(self, keys: Collection[ProfileKey]) -> dict[ProfileKey, StoredProfile]:
        """The stored profiles among ``keys``; absent keys are left out."""
        ...

    def put_many(self, items: Sequence[tuple[ProfileKey, bytes, int]]) -> None:
        """Write (key, data, version read) for each item, all or nothing.

        Raises :class:`ConcurrentUpdateError` if any stored version is not the one read.
        """
        ...

    def delete(self, key: ProfileKey) -> bool: ...

    def count(self) -> int: ...


@runtime_checkable
class EventLog(Protocol):
    def append(self, records: Sequence[EventRecord]) -> None:
        """Append new events in arrival order. An id already logged (or given twice) is a
        :class:`DuplicateEventError`, and nothing of ``records`` is appended."""
        ...

    def lookup(self, event_ids: Collection[str]) -> dict[str, EventRecord]:
        """The logged events among ``event_ids``."""
        ...

    def scan(
        self, customer_id: str | None = None, types: Collection[str] | None = None
    ) -> Iterator[EventRecord]:
        """Logged events in arrival order, optionally of one customer and of some types."""
        ...

    def count(self) -> int: ...


@runtime_checkable
class DeadLetterStore(Protocol):
    def put(self, letters: Sequence[DeadLetter]) -> None: ...

    def recent(self, limit: int = 100) -> list[DeadLetter]:
        """The latest dead letters, newest first."""
        ...

    def forget(self, identifiers: Collection[str]) -> int:
        """Delete every dead letter that mentions one of ``identifiers`` (see :func:`mentions`)
        in its raw text or event id; returns how many were deleted. Erasure uses it."""
        ...

    def count(self) -> int: ...


# Identifiers are 1 to 128 characters without spaces or control characters; in a raw text one
# stands alone when the characters around it could not be part of it in JSON or in prose.
_BOUNDARY = r"""[\s"',:;{}\[\]()<>=]"""


def mentions(text: str, identifiers: Collection[str]) -> bool:
    """Whether ``text`` names one of ``identifiers`` as a whole token (``cust-1`` is not
    mentioned by ``cust-10``), however the text is broken (dead letters often are)."""
    for identifier in identifiers:
        if identifier and identifier in text:
            pattern = rf"(?:^|(?<={_BOUNDARY})){re.escape(identifier)}(?=$|{_BOUNDARY})"
            if re.search(pattern, text):
                return True
    return False


@dataclass
class Stores:
    """The backends one engine uses, and a unit of work spanning them where they allow it."""

    profiles: ProfileStore
    events: EventLog
    dead_letters: DeadLetterStore
    transaction: TransactionFactory
    url: str
    close: Closer
    keys: CustomerKeys
    """The customers' data keys and the deployment's pseudonyms (crypto-shredding)."""


class TransactionFactory(Protocol):
    def __call__(self) -> AbstractContextManager[None]: ...


class Closer(Protocol):
    def __call__(self) -> None: ...
