"""Features read on demand: a decision reads the few families its inputs come from.

A decision needs a handful of features and signals, not all three hundred; reading every family
was a third of a decision's time. ``LazyFeatures`` is a dict that reads a whole family the first
time one of its features is asked for, so what a reader sees is exactly what ``Layout.read``
would have given for that feature (families write their own features only, never read
another's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rapport.profiles.family import EVENT_COUNT, Family
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.layout import Layout


class LazyFeatures(dict[str, float]):
    """An entity's features as of ``when``; each family is read on first use."""

    __slots__ = ("_empty", "_owners", "_state", "_when")

    def __init__(self, layout: Layout, state: State, when: float) -> None:
        super().__init__()
        self._owners: Mapping[str, tuple[Family, int]] = layout.owners
        self._state = state
        self._when = when
        self._empty = state[EVENT_COUNT] == 0

    def __missing__(self, name: str) -> float:
        owner = self._owners.get(name)
        if owner is None:
            raise KeyError(name)
        family, offset = owner
        if self._empty:
            # An entity with no events has no statistics (as Layout.read says).
            self.update(dict.fromkeys((spec.name for spec in family.specs()), 0.0))
        else:
            family.read(self._state, offset, self._when, self)
        return dict.__getitem__(self, name)

    def get(self, name: str, default: float | None = None) -> float | None:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default


class LazyScores(dict[str, float]):
    """Named scores computed on first use (a decision reads one or two signals of six)."""

    __slots__ = ("_compute",)

    def __init__(self, compute: Mapping[str, Callable[[], float]]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, name: str) -> float:
        compute = self._compute.get(name)
        if compute is None:
            raise KeyError(name)
        value = self[name] = compute()
        return value

    def get(self, name: str, default: float | None = None) -> float | None:  # type: ignore[override]
        try:
            return self[name]
        except KeyError:
            return default
