"""Backfill: point-in-time feature rows for training, from the same fold as live ingestion.

For each accepted event, the row holds its customer's features as they stood just before the
event was applied, read at the event's own time: what the engine knew then, never what it learned
later. Events are taken in file (arrival) order with the same idempotency and lateness rules as
:meth:`rapport.Engine.ingest`, so a row equals what a live engine would have served.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from rapport.events.validation import RawEvent
from rapport.profiles.admission import Admission, Candidate, parse_batch
from rapport.profiles.catalog import Entity
from rapport.profiles.fold import ProfileFold, event_type
from rapport.profiles.state import State
from rapport.store.protocols import ProfileKey

_ROWS_PER_GROUP = 20_000


@dataclass
class BackfillSummary:
    received: int = 0
    rows: int = 0
    duplicates: int = 0
    rejected: int = 0


class _RowBuffer:
    def __init__(self, feature_names: list[str]) -> None:
        self.names = feature_names
        self.clear()

    def clear(self) -> None:
        self.meta: dict[str, list[object]] = {
            "event_id": [],
            "customer_id": [],
            "event_type": [],
            "timestamp": [],
        }
        self.columns: list[list[float]] = [[] for _ in self.names]

    def __len__(self) -> int:
        return len(self.meta["event_id"])

    def add(self, candidate: Candidate, features: dict[str, float]) -> None:
        event = candidate.event
        self.meta["event_id"].append(event.event_id)
        self.meta["customer_id"].append(event.customer_id)
        self.meta["event_type"].append(event_type(event))
        self.meta["timestamp"].append(event.timestamp.astimezone(dt.UTC))
        for column, name in zip(self.columns, self.names, strict=True):
            column.append(features[name])

    def table(self, schema: pa.Schema) -> pa.Table:
        arrays = [pa.array(values) for values in self.meta.values()]
        arrays += [pa.array(column, type=pa.float64()) for column in self.columns]
        table = pa.Table.from_arrays(arrays, schema=schema)
        self.clear()
        return table


def backfill(
    raws: Iterable[Iterable[RawEvent]],
    out: str | Path,
    allowed_lateness_seconds: float,
    on_batch: Callable[[int], None] | None = None,
) -> BackfillSummary:
    """Write one Parquet row per accepted event; ``raws`` yields batches of raw events."""
    fold = ProfileFold()
    layout = fold.layouts[Entity.CUSTOMER]
    admission = Admission(fold, allowed_lateness_seconds)
    names = [spec.name for spec in layout.specs]
    schema = pa.schema(
        [
            ("event_id", pa.string()),
            ("customer_id", pa.string()),
            ("event_type", pa.string()),
            ("timestamp", pa.timestamp("us", tz="UTC")),
            *[(name, pa.float64()) for name in names],
        ]
    )
    states: dict[ProfileKey, State] = {}
    known: dict[str, str] = {}
    merchants: dict[str, str | None] = {}
    buffer = _RowBuffer(names)
    summary = BackfillSummary()

    def record_row(candidate: Candidate, state: State) -> None:
        buffer.add(candidate, layout.read(state, candidate.event.timestamp.timestamp()))

    with pq.ParquetWriter(str(out), schema, compression="zstd") as writer:
        for batch in raws:
            parsed = parse_batch(batch, time.time())
            merchants.update(parsed.merchants)
            verdicts, _, _, _ = admission.run(
                parsed.candidates,
                known,
                merchants,
                states,
                fold.new_state,
                time.time(),
                before_apply=record_row,
            )
            summary.received += len(parsed.verdicts) + len(verdicts)
            summary.rejected += len(parsed.verdicts)
            for verdict in verdicts:
                if verdict.status == "accepted":
                    summary.rows += 1
                elif verdict.status == "duplicate":
                    summary.duplicates += 1
                else:
                    summary.rejected += 1
            if len(buffer) >= _ROWS_PER_GROUP:
                writer.write_table(buffer.table(schema))
            if on_batch is not None:
                on_batch(len(parsed.verdicts) + len(verdicts))
        if len(buffer):
            writer.write_table(buffer.table(schema))
    return summary
