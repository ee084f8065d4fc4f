"""Where the money goes: decayed spend per merchant-category group, as shares of all spend."""

from __future__ import annotations

from math import exp
from typing import TYPE_CHECKING

from rapport.events.model import BaseEvent, TransactionEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, rates, ratio
from rapport.profiles.families.mcc import GROUPS, group_of
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.native import Kernels

_HALF_LIVES = (("7d", 7 * DAY), ("30d", 30 * DAY))
_RATES = rates(*(h for _, h in _HALF_LIVES))
_SLOT = 1 + len(_RATES)  # the group's own reference time, then one sum per half-life
_NAMES = tuple(tuple(f"share_{group}_{label}" for group in GROUPS) for label, _ in _HALF_LIVES)
"""Feature names per half-life, in group order (formatted once, not on every read)."""


class CategoryShares(Family):
    """Layout: per group, its reference time and its decayed spend per half-life.

    Each group keeps its own reference time, so a debit touches only its own group's slot
    instead of decaying all thirteen: the sums are the same as with one shared reference.
    """

    name = "categories"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction"})

    size = _SLOT * len(GROUPS)

    def specs(self) -> list[FeatureSpec]:
        return [
            self.spec(
                f"share_{group}_{label}",
                f"Share of debit spend on {group}, {label} half-life",
                "fraction",
            )
            for label, _ in _HALF_LIVES
            for group in GROUPS
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        groups = (_RATES, (float(len(GROUPS)),))
        return kernels.family_kernel(self.name, self.size, groups, (group_of,))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, TransactionEvent)
        payload = event.payload
        if payload.direction != "debit":
            return
        # Each group's slot is a one-statistic decayed block of its own.
        slot = offset + _SLOT * group_of(payload.mcc, payload.category)
        block_add(state, slot, _RATES, (payload.amount,), ctx.t)

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        for h, (names, rate) in enumerate(zip(_NAMES, _RATES, strict=True), start=1):
            spend = [
                state[slot + h] * exp(-rate * max(0.0, at - state[slot]))
                for slot in range(offset, offset + self.size, _SLOT)
            ]
            total = sum(spend)
            for name, value in zip(names, spend, strict=True):
                out[name] = ratio(value, total)
