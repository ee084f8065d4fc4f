"""The fold: route one event to the entity states it concerns and apply it to each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from rapport.events.model import EVENT_TYPES, BaseEvent, TransactionEvent
from rapport.profiles import native
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.families import default_families
from rapport.profiles.family import (
    EVENT_COUNT,
    FIRST_EVENT,
    LAST_EVENT,
    Family,
    FoldContext,
    Updater,
)
from rapport.profiles.layout import Layout
from rapport.profiles.native import Kernels
from rapport.profiles.state import State
from rapport.store.protocols import ProfileKey


def build_layouts(
    families: Iterable[Family] | None = None, kernels: Kernels | None = native.kernels
) -> dict[Entity, Layout]:
    """One layout per entity kind, from the given families (default: all shipped ones), folding
    through ``kernels`` where a family has one (None: the Python updates only)."""
    chosen = list(default_families() if families is None else families)
    return {
        entity: Layout(entity, [f for f in chosen if f.entity is entity], kernels)
        for entity in Entity
    }


# The members themselves, looked up once: reading an enum member off its class costs as much as
# building the key it goes in.
_CUSTOMER, _MERCHANT, _DEVICE = Entity.CUSTOMER, Entity.MERCHANT, Entity.DEVICE

Plan = dict[str, tuple[tuple[Updater, int], ...]]
"""For one event type, each entity kind's (update, offset) pairs (see ``Layout.updaters``)."""


def event_clock_reference(timestamp: dt.datetime) -> tuple[float, float, int, float]:
    """An event's epoch seconds, local hour of day, local weekday and zone offset (seconds)."""
    offset = timestamp.utcoffset()
    return (
        timestamp.timestamp(),
        timestamp.hour + timestamp.minute / 60.0 + timestamp.second / 3600.0,
        timestamp.weekday(),
        offset.total_seconds() if offset else 0.0,
    )


def fold_event_reference(
    plan: Plan,
    keys: list[ProfileKey],
    states: dict[ProfileKey, State],
    event: BaseEvent,
    ctx: FoldContext,
) -> None:
    """Fold one event into the state of each key in O(1): each family's update, then the
    state's clock (latest and first event time, event count)."""
    t = ctx.t
    for key in keys:
        state = states[key]
        late = ctx.late = t < state[LAST_EVENT]
        for update, offset in plan.get(key[0], ()):
            update(state, offset, event, ctx)
        if state[EVENT_COUNT] == 0 or t < state[FIRST_EVENT]:
            state[FIRST_EVENT] = t
        if not late:
            state[LAST_EVENT] = t
        state[EVENT_COUNT] += 1


class ProfileFold:
    """Applies events to customer, merchant and device states.

    ``kernels``: the compiled per-event shell (``event_clock``, ``fold_event``) to use, or None
    for the Python references; the layouts choose their families' kernels themselves.
    """

    def __init__(
        self,
        layouts: Mapping[Entity, Layout] | None = None,
        kernels: Kernels | None = native.kernels,
    ) -> None:
        self.kernels = kernels
        self.layouts = dict(layouts or build_layouts(kernels=kernels))
        self._by_name: dict[str, Layout] = {str(e): layout for e, layout in self.layouts.items()}
        self.specs: tuple[FeatureSpec, ...] = tuple(
            spec for layout in self.layouts.values() for spec in layout.specs
        )
        self._device_types = frozenset(
            t for f in self.layouts[Entity.DEVICE].families for t in f.event_types
        )
        self.device_classes: frozenset[type] = frozenset(EVENT_TYPES[t] for t in self._device_types)
        """The event classes that update a device's profile (``keys_for``)."""
        self.plans: dict[str, Plan] = {
            kind: {str(e): layout.updaters(kind) for e, layout in self.layouts.items()}
            for kind in EVENT_TYPES
        }
        self.event_clock: Callable[[dt.datetime], tuple[float, float, int, float]] = (
            event_clock_reference if kernels is None else kernels.event_clock
        )
        """The event's (t, hour, weekday, utc_offset), as ``event_clock_reference`` says."""
        self.fold_event: Callable[
            [Plan, list[ProfileKey], dict[ProfileKey, State], BaseEvent, FoldContext], None
        ] = fold_event_reference if kernels is None else kernels.fold_event
        """``fold_event_reference`` or its compiled twin: what ``apply`` runs, with the plan of
        the event's type (``plans``)."""

    def layout_of(self, key: ProfileKey) -> Layout:
        """The layout of a profile key's entity kind."""
        return self._by_name[key[0]]

    def new_state(self, key: ProfileKey) -> State:
        return self._by_name[key[0]].new_state()

    def keys_for(self, event: BaseEvent, merchant_id: str | None) -> list[ProfileKey]:
        """The entities an event updates: its customer, and its merchant and device if any."""
        keys: list[ProfileKey] = [(_CUSTOMER, event.customer_id)]
        if merchant_id is not None:
            keys.append((_MERCHANT, merchant_id))
        device_id = event.device_id
        if device_id is not None and _TAGS[type(event)] in self._device_types:
            keys.append((_DEVICE, device_id))
        return keys

    def context(self, event: BaseEvent, merchant_id: str | None) -> FoldContext:
        """What every family's update knows of the event besides the event itself."""
        t, hour, weekday, utc_offset = self.event_clock(event.timestamp)
        merchant = merchant_id if isinstance(event, TransactionEvent) else None
        return FoldContext(t, hour, weekday, False, merchant, utc_offset)

    def apply(
        self,
        event: BaseEvent,
        merchant_id: str | None,
        states: dict[ProfileKey, State],
        only: Entity | None = None,
        keys: list[ProfileKey] | None = None,
        ctx: FoldContext | None = None,
    ) -> None:
        """Fold the event into each state it concerns (of one entity kind if ``only``).

        ``states`` must hold every key the event concerns; ``keys`` and ``ctx`` may pass them
        precomputed (``keys_for``, ``context``).
        """
        if keys is None:
            keys = self.keys_for(event, merchant_id)
        if only is not None:
            keys = [key for key in keys if key[0] == only]
        self.fold_event(
            self.plans[event_type(event)],
            keys,
            states,
            event,
            self.context(event, merchant_id) if ctx is None else ctx,
        )


_TAGS: dict[type, str] = {cls: tag for tag, cls in EVENT_TYPES.items()}


def event_type(event: BaseEvent) -> str:
    """The event's ``type`` tag."""
    return _TAGS[type(event)]


EVENT_TYPE_OF: Mapping[type, str] = _TAGS
"""``event_type`` as a mapping from the event's class, for loops that call it per event."""
