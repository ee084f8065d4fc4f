"""The fold: route one event to the entity states it concerns and apply it to each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from rapport.events.model import EVENT_TYPES, BaseEvent, TransactionEvent
from rapport.profiles import native
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.families import default_families
from rapport.profiles.family import Family, FoldContext
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


class ProfileFold:
    """Applies events to customer, merchant and device states."""

    def __init__(self, layouts: Mapping[Entity, Layout] | None = None) -> None:
        self.layouts = dict(layouts or build_layouts())
        self._by_name: dict[str, Layout] = {str(e): layout for e, layout in self.layouts.items()}
        self.specs: tuple[FeatureSpec, ...] = tuple(
            spec for layout in self.layouts.values() for spec in layout.specs
        )
        self._device_types = frozenset(
            t for f in self.layouts[Entity.DEVICE].families for t in f.event_types
        )

    def layout_of(self, key: ProfileKey) -> Layout:
        """The layout of a profile key's entity kind."""
        return self._by_name[key[0]]

    def new_state(self, key: ProfileKey) -> State:
        return self._by_name[key[0]].new_state()

    def keys_for(self, event: BaseEvent, merchant_id: str | None) -> list[ProfileKey]:
        """The entities an event updates: its customer, and its merchant and device if any."""
        keys: list[ProfileKey] = [(Entity.CUSTOMER, event.customer_id)]
        if merchant_id is not None:
            keys.append((Entity.MERCHANT, merchant_id))
        if event.device_id is not None and event_type(event) in self._device_types:
            keys.append((Entity.DEVICE, event.device_id))
        return keys

    def apply(
        self,
        event: BaseEvent,
        merchant_id: str | None,
        states: Mapping[ProfileKey, State],
        only: Entity | None = None,
        keys: list[ProfileKey] | None = None,
        t: float | None = None,
    ) -> None:
        """Fold the event into each state it concerns (of one entity kind if ``only``).

        ``states`` must hold every key the event concerns; ``keys`` may pass them precomputed.
        """
        kind = event_type(event)
        timestamp = event.timestamp
        ctx = FoldContext(
            t=timestamp.timestamp() if t is None else t,
            hour=timestamp.hour + timestamp.minute / 60.0 + timestamp.second / 3600.0,
            weekday=timestamp.weekday(),
            merchant_id=merchant_id if isinstance(event, TransactionEvent) else None,
        )
        by_name = self._by_name
        for key in self.keys_for(event, merchant_id) if keys is None else keys:
            if only is None or key[0] == only:
                by_name[key[0]].update(states[key], event, kind, ctx)


_TAGS: dict[type, str] = {cls: tag for tag, cls in EVENT_TYPES.items()}


def event_type(event: BaseEvent) -> str:
    """The event's ``type`` tag."""
    return _TAGS[type(event)]
