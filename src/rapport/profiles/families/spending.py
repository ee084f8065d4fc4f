"""Debit spending: decayed counts, sums and log-amount moments; velocity; amount z-score."""

from __future__ import annotations

import math

from rapport.events.model import BaseEvent, TransactionEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import (
    DAY,
    HOUR,
    block_add,
    block_read,
    block_read_rate,
    block_size,
    decayed_mean_std,
    rates,
)
from rapport.profiles.family import Family, FoldContext

_HALF_LIVES = (("1h", HOUR), ("1d", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY), ("90d", 90 * DAY))
_RATES = rates(*(h for _, h in _HALF_LIVES))
_STATS = 4  # count, amount, log amount, log amount squared
# A floor on the baseline spread so that a customer who always spends the same amount is not
# flagged for a cent's difference.
_MIN_LOG_STD = 0.25


class Spending(Family):
    """Layout: last amount, last z-score, one block of (count, sum, log-sum, log-square)."""

    name = "spending"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction"})
    late_events = (
        "Sums and moments are exact decayed sums. The last amount and its z-score are those of "
        "the latest-arriving debit, scored against the baseline as it stood on arrival."
    )

    _AMOUNT, _Z, _BLOCK = 0, 1, 2
    size = _BLOCK + block_size(_STATS, _RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        specs = [
            s(
                f"debit_count_{n}",
                f"Card and account debits, {n} half-life decayed count",
                "transactions",
            )
            for n, _ in _HALF_LIVES
        ]
        specs += [
            s(f"debit_sum_{n}", f"Debit amount, {n} half-life decayed sum", "currency")
            for n, _ in _HALF_LIVES
        ]
        return [
            *specs,
            s("debit_mean_amount_90d", "Mean debit amount, 90-day baseline", "currency"),
            s(
                "debit_typical_amount_90d",
                "Geometric-mean debit amount, 90-day baseline",
                "currency",
            ),
            s(
                "debit_log_amount_std_90d",
                "Spread of log debit amounts, 90-day baseline",
                "log-currency",
            ),
            s(
                "debit_velocity_ratio_1d_30d",
                "Debits per day over the last day vs the last month",
                "ratio",
            ),
            s(
                "debit_velocity_ratio_1h_7d",
                "Debits per hour over the last hour vs the last week",
                "ratio",
            ),
            s(
                "last_debit_amount",
                "Amount of the latest debit",
                "currency",
                order_independent=False,
            ),
            s(
                "last_debit_amount_zscore",
                "Latest debit's log amount against the customer's own 90-day baseline before it",
                "z",
                order_independent=False,
            ),
        ]

    def update(self, state: list[float], offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, TransactionEvent)
        payload = event.payload
        if payload.direction != "debit":
            return
        amount = payload.amount
        log_amount = math.log1p(amount)
        block = offset + self._BLOCK
        if not ctx.late:
            n, _, s1, s2 = block_read_rate(state, block, _RATES, _STATS, -1, ctx.t)
            mean, std = decayed_mean_std(n, s1, s2)
            state[offset + self._Z] = (
                (log_amount - mean) / max(std, _MIN_LOG_STD) if n >= 3 else 0.0
            )
            state[offset + self._AMOUNT] = amount
        block_add(state, block, _RATES, (1.0, amount, log_amount, log_amount * log_amount), ctx.t)

    def read(self, state: list[float], offset: int, at: float, out: dict[str, float]) -> None:
        values = block_read(state, offset + self._BLOCK, _RATES, _STATS, at)
        for i, (label, _) in enumerate(_HALF_LIVES):
            out[f"debit_count_{label}"] = values[i * _STATS]
            out[f"debit_sum_{label}"] = values[i * _STATS + 1]
        n90, sum90, log90, sq90 = values[-_STATS:]
        log_mean, log_std = decayed_mean_std(n90, log90, sq90)
        count_1h, count_1d, count_7d, count_30d = (values[i * _STATS] for i in range(4))
        out["debit_mean_amount_90d"] = sum90 / n90 if n90 > 1e-9 else 0.0
        out["debit_typical_amount_90d"] = math.expm1(log_mean) if n90 > 1e-9 else 0.0
        out["debit_log_amount_std_90d"] = log_std
        out["debit_velocity_ratio_1d_30d"] = (
            count_1d / (count_30d / 30.0) if count_30d > 1e-9 else 0.0
        )
        out["debit_velocity_ratio_1h_7d"] = (
            count_1h / (count_7d / (7 * 24.0)) if count_7d > 1e-9 else 0.0
        )
        out["last_debit_amount"] = state[offset + self._AMOUNT]
        out["last_debit_amount_zscore"] = state[offset + self._Z]
