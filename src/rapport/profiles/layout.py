"""An entity's fixed-size state: its families laid out side by side in one float list."""

from __future__ import annotations

import math
import struct
import zlib
from array import array
from collections.abc import Sequence

from rapport.profiles import native
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.family import (
    CLOCK_SIZE,
    EVENT_COUNT,
    LAST_EVENT,
    Family,
    Updater,
)
from rapport.profiles.lazy import LazyFeatures
from rapport.profiles.native import Kernels
from rapport.profiles.state import State

_HEADER = struct.Struct("<4sII")
_MAGIC = b"RPF1"


class ProfileFormatError(ValueError):
    """A stored profile does not match this version's layout."""


class Layout:
    """The state layout of one entity kind, and the fold and read over it."""

    def __init__(
        self, entity: Entity, families: Sequence[Family], kernels: Kernels | None = native.kernels
    ) -> None:
        """``kernels``: the compiled fold to use where a family has one (None: Python only)."""
        self.entity = entity
        self.families = tuple(families)
        offsets: list[int] = []
        cursor = CLOCK_SIZE
        for family in self.families:
            if family.entity is not entity:
                raise ValueError(f"family {family.name} belongs to {family.entity}, not {entity}")
            offsets.append(cursor)
            cursor += family.size
        self.offsets = tuple(offsets)
        self.size = cursor
        self.specs: tuple[FeatureSpec, ...] = tuple(s for f in self.families for s in f.specs())
        self.owners: dict[str, tuple[Family, int]] = {
            spec.name: (family, offset)
            for family, offset in zip(self.families, self.offsets, strict=True)
            for spec in family.specs()
        }
        names = [s.name for s in self.specs]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"features declared twice: {sorted(duplicates)}")
        fingerprint = "|".join(f"{f.name}:{f.size}" for f in self.families) + "|" + ",".join(names)
        self.fingerprint = zlib.crc32(fingerprint.encode())
        # Per event type, the updates of the families it concerns (compiled where they can be,
        # chosen once here), so the hot loop neither filters families nor looks methods up.
        self._updaters: dict[str, list[tuple[Updater, int]]] = {}
        for family, offset in zip(self.families, self.offsets, strict=True):
            compiled = None if kernels is None else family.compiled(kernels)
            for event_type in family.event_types:
                self._updaters.setdefault(event_type, []).append(
                    (family.update if compiled is None else compiled, offset)
                )
        self._blank = array("d", bytes(8 * self.size))
        self._blank[LAST_EVENT] = -math.inf
        for family, offset in zip(self.families, self.offsets, strict=True):
            family.init(self._blank, offset)

    @property
    def serialized_size(self) -> int:
        return _HEADER.size + 8 * self.size

    def new_state(self) -> State:
        return array("d", self._blank)

    def last_event_time(self, state: State) -> float:
        return state[LAST_EVENT]

    def updaters(self, event_type: str) -> tuple[tuple[Updater, int], ...]:
        """The (update, offset) of each family an event of this type concerns, in layout order:
        what ``fold.fold_event`` runs on this entity's state for such an event."""
        return tuple(self._updaters.get(event_type, ()))

    def read(self, state: State, at: float | None = None) -> dict[str, float]:
        """Every feature of the entity as of ``at`` (default: its latest event time)."""
        if state[EVENT_COUNT] == 0:
            # An entity with no events has no statistics, not statistics measured from 1970.
            return dict.fromkeys((spec.name for spec in self.specs), 0.0)
        last = state[LAST_EVENT]
        when = last if at is None or at < last else at
        out: dict[str, float] = {}
        for family, offset in zip(self.families, self.offsets, strict=True):
            family.read(state, offset, when, out)
        return out

    def read_lazily(self, state: State, at: float | None = None) -> LazyFeatures:
        """The features of ``read``, each family read only when one of its features is."""
        last = state[LAST_EVENT]
        return LazyFeatures(self, state, last if at is None or at < last else at)

    def dumps(self, state: State) -> bytes:
        return _HEADER.pack(_MAGIC, self.fingerprint, self.size) + state.tobytes()

    def loads(self, data: bytes) -> State:
        magic, fingerprint, size = _HEADER.unpack_from(data)
        if magic != _MAGIC or fingerprint != self.fingerprint or size != self.size:
            raise ProfileFormatError(
                f"stored {self.entity} profile has layout {fingerprint:#x}/{size}; this version "
                f"expects {self.fingerprint:#x}/{self.size}: rebuild profiles with a replay"
            )
        values = array("d")
        values.frombytes(memoryview(data)[_HEADER.size :])
        return values
