"""The protocol every feature family follows, and the per-event context it receives."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import msgspec

from rapport.events.model import BaseEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.native import Kernels

# The clock at the head of every entity state: latest event time, first event time, event count.
LAST_EVENT, FIRST_EVENT, EVENT_COUNT = 0, 1, 2
CLOCK_SIZE = 3


Updater = Callable[[State, int, "BaseEvent", "FoldContext"], None]
"""What folds one event into a family: ``Family.update``, or its compiled form."""


class FoldContext(msgspec.Struct, gc=False):
    """What the fold knows about the event being applied, computed once per event.

    A msgspec struct rather than a dataclass: one is built per event, and a struct builds in C.
    """

    t: float
    """Event time, seconds since the Unix epoch."""
    hour: float
    """Local hour of day in [0, 24), from the timestamp's own zone offset."""
    weekday: int
    """Local day of week, Monday = 0."""
    late: bool = False
    """True when the entity has already applied an event with a later timestamp."""
    merchant_id: str | None = None
    """The merchant the event concerns (a transaction's, or a fraud report's resolved one)."""
    utc_offset: float = 0.0
    """The timestamp's own zone offset from UTC, seconds (local time is ``t + utc_offset``)."""


class Family:
    """A family of related features of one entity, computed incrementally from events.

    A family owns ``size`` consecutive floats of its entity's fixed-size state. ``update`` folds
    one event in O(1); ``read`` writes the family's features, as of time ``at``, into ``out``.
    ``late_events`` says how the family's order-dependent parts treat a late event.

    A family may also fold through a compiled kernel (``rapport.profiles.native``): ``compiled``
    returns that update, which the layout then uses instead of ``update``. ``update`` stays the
    specification, and what runs where the extension is not built;
    tests/profiles/test_family_kernels.py holds the two to the same bits.
    """

    name: ClassVar[str]
    entity: ClassVar[Entity]
    event_types: ClassVar[frozenset[str]]
    late_events: ClassVar[str] = "All statistics are decayed sums: exact whatever the order."
    size: int = 0

    def specs(self) -> list[FeatureSpec]:
        raise NotImplementedError

    def init(self, state: State, offset: int) -> None:
        """Set the initial state (zeros are already there)."""

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        raise NotImplementedError

    def compiled(self, kernels: Kernels) -> Updater | None:
        """``update`` folded by the family's C kernel (the same bits), or None if it has none."""
        return None

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        raise NotImplementedError

    def spec(
        self, name: str, description: str, unit: str, *, order_independent: bool = True
    ) -> FeatureSpec:
        return FeatureSpec(name, self.entity, description, unit, self.name, order_independent)
