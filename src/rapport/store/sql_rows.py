"""What the SQLite and PostgreSQL event logs share: the columns of an event row, how a row
becomes an :class:`EventRecord`, and reading a scan page by page (each page starts after the
last sequence number seen, so a scan holds no cursor open while its reader works)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from rapport.store.protocols import EventRecord

EVENT_COLUMNS = "event_id, type, customer_id, time, merchant_id, digest, body"
"""An event row's columns, in the order :func:`event_record` reads them."""
SCAN_PAGE = 5000
"""Rows per page of a scan."""


def event_record(row: Sequence[Any]) -> EventRecord:
    event_id, kind, customer_id, time, merchant_id, digest, body = row
    return EventRecord(event_id, kind, customer_id, time, digest, bytes(body), merchant_id)


def paged(fetch: Callable[[int], list[tuple[Any, ...]]]) -> Iterator[EventRecord]:
    """Every record of the pages ``fetch(after)`` gives: rows of (seq, *EVENT_COLUMNS) with
    seq > after, in seq order, at most :data:`SCAN_PAGE` of them; an empty page ends it."""
    last = 0
    while True:
        rows = fetch(last)
        if not rows:
            return
        for row in rows:
            yield event_record(row[1:])
        last = int(rows[-1][0])
