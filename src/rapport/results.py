"""What the engine answers: ingest reports, profiles, previews, and the helpers its faces share.

Kept apart from ``rapport.engine`` so that the facade holds behaviour only.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from rapport.events.model import BaseEvent, TransactionEvent
from rapport.profiles.admission import Verdict
from rapport.profiles.catalog import Entity, FeatureValue
from rapport.profiles.fold import event_type
from rapport.signals import SignalValue

TimeLike = dt.datetime | float | str


@dataclass
class IngestReport:
    """The verdict on every input of one ``ingest`` call, in input order."""

    verdicts: list[Verdict] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return sum(1 for v in self.verdicts if v.status == "accepted")

    @property
    def duplicates(self) -> int:
        return sum(1 for v in self.verdicts if v.status == "duplicate")

    @property
    def rejected(self) -> int:
        return sum(1 for v in self.verdicts if v.status == "rejected")

    def summary(self) -> dict[str, int]:
        return {
            "received": len(self.verdicts),
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
        }


@dataclass(frozen=True)
class Profile:
    """An entity's features as of one moment of event time."""

    entity: Entity
    entity_id: str
    as_of: dt.datetime | None
    """The event time the features are read at (None for an entity never seen)."""
    event_count: int
    features: dict[str, FeatureValue]
    signals: dict[str, SignalValue] = field(default_factory=dict)
    """What the features mean (customers only): scores in [0, 1] with their reasons."""

    def values(self) -> dict[str, float]:
        return {name: f.value for name, f in self.features.items()}

    def to_dict(self) -> dict[str, object]:
        return {
            "entity": str(self.entity),
            "entity_id": self.entity_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "event_count": self.event_count,
            "features": {
                name: {"value": f.value, "unit": f.unit, "description": f.description}
                for name, f in self.features.items()
            },
            "signals": {name: value.to_dict() for name, value in self.signals.items()},
        }


@dataclass(frozen=True)
class Preview:
    """An event seen against the profiles, before it is applied."""

    event: BaseEvent
    features: Mapping[str, float]
    """The customer's features as if the event were applied: its own context included."""
    merchant: Mapping[str, float]
    """The merchant's features before the event."""
    device: Mapping[str, float]
    """The device's features before the event."""
    signals: Mapping[str, float]
    """The customer's signal scores before the event."""
    declared: Mapping[str, float] = field(default_factory=dict)
    """The customer's declared attributes by name (``declared.*``), the event's included."""


class UnknownEntityError(LookupError):
    """No event was ever accepted for this entity."""


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the cyclic garbage collector off for one batch.

    A batch allocates a few objects per event (decoded events, verdicts, log records), none in
    reference cycles, and keeps most of them; left on, the collector would rescan them, and the
    ever larger set of objects that survived earlier batches, over and over (about a tenth of
    ingest time). Whatever garbage a batch does leave is collected once it is over.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def event_context(event: BaseEvent) -> dict[str, object]:
    context: dict[str, object] = {"type": event_type(event), "channel": event.channel}
    timestamp = event.timestamp
    # The local hour of the event itself (its own zone offset), as the profiles' habits read it.
    context["hour"] = timestamp.hour + timestamp.minute / 60.0
    if event.location is not None and event.location.country is not None:
        context["country"] = event.location.country
    if isinstance(event, TransactionEvent):
        payload = event.payload
        context.update(amount=payload.amount, direction=payload.direction)
        if payload.category is not None:
            context["category"] = payload.category
        if payload.mcc is not None:
            context["mcc"] = payload.mcc
    return context


def epoch(value: TimeLike) -> float:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        raise ValueError("`at` must carry a time zone (event time is zoned, RFC 3339)")
    return value.timestamp()
