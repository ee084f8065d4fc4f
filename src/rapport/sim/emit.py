"""Collect events, write them in time order with sequential ids, as JSON Lines.

Customers live in different time zones, so a local day of one overlaps the next local day of
another: the stream buffers events and writes only those no later day can precede.
"""

from __future__ import annotations

import datetime as dt
import heapq
from typing import IO, Any

import msgspec

Event = dict[str, Any]
_encoder = msgspec.json.Encoder()


def zone(offset_hours: int) -> str:
    sign = "+" if offset_hours >= 0 else "-"
    return f"{sign}{abs(offset_hours):02d}:00"


class EventStream:
    """Events of the simulation, written in time order with ids ``evt-0000000001`` onward."""

    def __init__(self, start: dt.date, out: IO[bytes], max_offset_hours: int) -> None:
        self.start = start
        self.out = out
        self.max_offset = max_offset_hours
        self._heap: list[tuple[float, int, Event]] = []
        self._sequence = 0
        self.next_id = 1
        self.written = 0
        self.counts: dict[str, int] = {}
        self.day = 0
        self.date = start.isoformat()
        self.midnight_utc = 0.0
        self.open_day(0)

    def open_day(self, day: int) -> None:
        """Make ``day`` the local day that :meth:`add` times refer to."""
        date = self.start + dt.timedelta(days=day)
        self.day, self.date = day, date.isoformat()
        self.midnight_utc = dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp()

    def add(
        self,
        customer_id: str,
        kind: str,
        second: float,
        offset_hours: int,
        payload: Event,
        **envelope: Any,
    ) -> Event:
        """Record an event at a local second of the current day; its id comes when written."""
        second = int(min(max(second, 0.0), 86_399.0))
        h, rest = divmod(second, 3600)
        m, s = divmod(rest, 60)
        event: Event = {
            "event_id": "",
            "type": kind,
            "customer_id": customer_id,
            "timestamp": f"{self.date}T{h:02d}:{m:02d}:{s:02d}{zone(offset_hours)}",
        }
        event.update(envelope)
        event["payload"] = payload
        self.counts[kind] = self.counts.get(kind, 0) + 1
        epoch = self.midnight_utc + second - offset_hours * 3600
        heapq.heappush(self._heap, (epoch, self._sequence, event))
        self._sequence += 1
        return event

    def close_day(self) -> None:
        """Write every buffered event that no later local day can precede."""
        next_midnight = self.midnight_utc + 86_400.0
        self._write_until(next_midnight - self.max_offset * 3600)

    def finish(self) -> None:
        self._write_until(float("inf"))

    def _write_until(self, limit: float) -> None:
        lines = []
        heap = self._heap
        while heap and heap[0][0] < limit:
            _, _, event = heapq.heappop(heap)
            event["event_id"] = f"evt-{self.next_id:010d}"
            self.next_id += 1
            lines.append(_encoder.encode(event))
        if lines:
            self.out.write(b"\n".join(lines) + b"\n")
            self.written += len(lines)
