"""Declared attributes: what the customer told the bank (an application's answers), by name.

``customer_update.attributes`` may carry any scalar a bank collects — loan duration, number of
dependants, years at the current address, housing. This family keeps the latest value of each
in a fixed number of slots (open addressing on a stable hash of the attribute's name), so that
the profile keeps its fixed size whatever a bank declares. Decisions read them by name in the
``declared`` namespace (``declared.duration_months``) through :func:`declared_view`; a learned
model names the ones it reads and the decision records them like any other input.

Numbers are kept as they are and booleans as 0/1; a text value is kept as a stable code of the
text (equal texts compare equal, but the code carries no order: declare numbers where a scale
exists). ``customer_update.protected`` never reaches this family (DESIGN.md principle 7): the
engine takes those values out of the event before it is folded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from rapport.events.model import BaseEvent, CustomerUpdateEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.family import Family, FoldContext
from rapport.profiles.layout import Layout
from rapport.profiles.sketches import stable_hash
from rapport.profiles.state import State

SLOTS = 32
"""Attributes a profile keeps (an event may carry up to 64; beyond this many distinct names the
newcomers are counted as dropped)."""
# Below a million, so that a code survives the six significant digits decisions record.
_TEXT_CODE_MODULUS = 999_983.0


def _key(name: str) -> float:
    # 0 marks an empty slot, so a name hashing to 0 takes 1.
    return stable_hash(name) or 1.0


def encode_value(value: object) -> float | None:
    """How a declared value is stored (None: not storable, e.g. null)."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return 1.0 + stable_hash(value) % _TEXT_CODE_MODULUS
    return None


class DeclaredAttributes(Family):
    """Layout: time of the latest update, dropped count, then SLOTS pairs (name key, value)."""

    name = "declared_attributes"
    entity = Entity.CUSTOMER
    event_types = frozenset({"customer_update"})
    late_events = (
        "An update older in event time than the latest one applied is ignored, so the values "
        "are those of the latest updates whatever the arrival order."
    )

    _T, _DROPPED, _SLOTS = 0, 1, 2
    size = _SLOTS + 2 * SLOTS

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s(
                "declared_attributes",
                "Attributes the customer declared that the profile holds (read them as declared.*)",
                "attributes",
                order_independent=False,
            ),
            s(
                "declared_attributes_dropped",
                f"Declared attributes not kept because {SLOTS} distinct names were already held",
                "attributes",
                order_independent=False,
            ),
        ]

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, CustomerUpdateEvent)
        if ctx.t < state[offset + self._T]:
            return
        state[offset + self._T] = ctx.t
        for name, value in event.payload.attributes.items():
            stored = encode_value(value)
            if stored is None:
                continue
            slot = _find(state, offset + self._SLOTS, _key(name))
            if slot is None:
                state[offset + self._DROPPED] += 1.0
                continue
            state[slot] = _key(name)
            state[slot + 1] = stored

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        base = offset + self._SLOTS
        out["declared_attributes"] = float(
            sum(1 for i in range(SLOTS) if state[base + 2 * i] != 0.0)
        )
        out["declared_attributes_dropped"] = state[offset + self._DROPPED]


def _find(state: State, base: int, key: float) -> int | None:
    """The slot holding ``key``, else the first empty one on its probe path (None: full)."""
    start = int(key) % SLOTS
    for step in range(SLOTS):
        slot = base + 2 * ((start + step) % SLOTS)
        if state[slot] == key or state[slot] == 0.0:
            return slot
    return None


class DeclaredView(Mapping[str, float]):
    """A customer's declared attributes, looked up by name (names themselves are not stored, so
    the view cannot list them: it answers for the names a decision asks for)."""

    def __init__(self, state: State, base: int) -> None:
        self._state = state
        self._base = base

    def __getitem__(self, name: str) -> float:
        key = _key(name)
        slot = _find(self._state, self._base, key)
        if slot is None or self._state[slot] != key:
            raise KeyError(name)
        return self._state[slot + 1]

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


EMPTY_VIEW: Mapping[str, float] = {}


def declared_view(layout: Layout, state: State) -> Mapping[str, float]:
    """The ``declared`` namespace of a customer state (empty if the layout lacks the family)."""
    for family, offset in zip(layout.families, layout.offsets, strict=True):
        if isinstance(family, DeclaredAttributes):
            return DeclaredView(state, offset + DeclaredAttributes._SLOTS)
    return EMPTY_VIEW
