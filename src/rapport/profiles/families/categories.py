"""Where the money goes: decayed spend per merchant-category group, as shares of all spend."""

from __future__ import annotations

from math import exp

from rapport.events.model import BaseEvent, TransactionEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_read, block_size, rates
from rapport.profiles.families.mcc import GROUPS, group_of
from rapport.profiles.family import Family, FoldContext
from rapport.profiles.state import State

_HALF_LIVES = (("7d", 7 * DAY), ("30d", 30 * DAY))
_RATES = rates(*(h for _, h in _HALF_LIVES))
_G = len(GROUPS)


class CategoryShares(Family):
    """Layout: one block with a decayed spend sum per category group."""

    name = "categories"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction"})

    size = block_size(_G, _RATES)

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

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, TransactionEvent)
        payload = event.payload
        if payload.direction != "debit":
            return
        group = group_of(payload.mcc, payload.category)
        # Only one group receives the amount: decay the block and add to that one slot, rather
        # than adding a vector that is zero everywhere else.
        t, reference = ctx.t, state[offset]
        elapsed = abs(t - reference)
        factors = [exp(-rate * elapsed) for rate in _RATES]
        if t >= reference:
            for h, factor in enumerate(factors):
                start = offset + 1 + h * _G
                for i in range(start, start + _G):
                    state[i] *= factor
                state[start + group] += payload.amount
            state[offset] = t
        else:
            for h, factor in enumerate(factors):
                state[offset + 1 + h * _G + group] += payload.amount * factor

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        values = block_read(state, offset, _RATES, _G, at)
        for h, (label, _) in enumerate(_HALF_LIVES):
            row = values[h * _G : (h + 1) * _G]
            total = sum(row)
            for group, value in zip(GROUPS, row, strict=True):
                out[f"share_{group}_{label}"] = value / total if total > 1e-9 else 0.0
