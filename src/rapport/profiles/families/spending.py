"""Debit spending: decayed counts and sums, velocity, and the amount z-score.

The z-score compares the latest debit with the customer's own baseline *before* it. Rather than
computing it on every write, the read removes the latest debit's own contribution (known exactly:
its amount and time are kept) from the decayed moments, which gives the same baseline and keeps
the write path short.
"""

from __future__ import annotations

import math

from rapport.events.model import BaseEvent, TransactionEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import (
    DAY,
    HOUR,
    block_add,
    block_read,
    block_size,
    decayed_mean_std,
    rates,
    ratio,
)
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.native import Kernels
from rapport.profiles.state import State

_HALF_LIVES = (("1h", HOUR), ("1d", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY), ("90d", 90 * DAY))
_RATES = rates(*(h for _, h in _HALF_LIVES))
_BASELINE_RATES = rates(90 * DAY)
# A floor on the baseline spread so that a customer who always spends the same amount is not
# flagged for a cent's difference.
_MIN_LOG_STD = 0.25
_MIN_BASELINE = 3.0


class Spending(Family):
    """Layout: latest debit amount and time; (count, sum) block; 90-day log-amount moments."""

    name = "spending"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction"})
    late_events = (
        "Sums and moments are exact decayed sums. The latest debit is the one with the latest "
        "timestamp, whatever the arrival order; ties go to the later arrival."
    )

    _AMOUNT, _TIME, _SUMS = 0, 1, 2
    _MOMENTS = _SUMS + block_size(2, _RATES)
    size = _MOMENTS + block_size(3, _BASELINE_RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            *(
                s(f"debit_count_{n}", f"Debits, {n} half-life decayed count", "transactions")
                for n, _ in _HALF_LIVES
            ),
            *(
                s(f"debit_sum_{n}", f"Debit amount, {n} half-life decayed sum", "currency")
                for n, _ in _HALF_LIVES
            ),
            s("debit_mean_amount_90d", "Mean debit amount, 90-day baseline", "currency"),
            s("debit_typical_amount_90d", "Geometric-mean debit, 90-day baseline", "currency"),
            s("debit_log_amount_std_90d", "Spread of log debit amounts, 90-day", "log-currency"),
            s("debit_velocity_ratio_1d_30d", "Debits per day, last day vs last month", "ratio"),
            s("debit_velocity_ratio_1h_7d", "Debits per hour, last hour vs last week", "ratio"),
            s("last_debit_amount", "Amount of the latest debit", "currency"),
            s(
                "last_debit_amount_zscore",
                "Latest debit's log amount against the customer's own 90-day baseline before it",
                "z",
            ),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        return kernels.family_kernel(self.name, self.size, (_RATES, _BASELINE_RATES))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, TransactionEvent)
        payload = event.payload
        if payload.direction != "debit":
            return
        amount, t = payload.amount, ctx.t
        log_amount = math.log1p(amount)
        block_add(state, offset + self._SUMS, _RATES, (1.0, amount), t)
        block_add(
            state, offset + self._MOMENTS, _BASELINE_RATES, (1.0, log_amount, log_amount**2), t
        )
        if t >= state[offset + self._TIME]:
            state[offset + self._AMOUNT] = amount
            state[offset + self._TIME] = t

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        sums = block_read(state, offset + self._SUMS, _RATES, 2, at)
        for i, (label, _) in enumerate(_HALF_LIVES):
            out[f"debit_count_{label}"] = sums[2 * i]
            out[f"debit_sum_{label}"] = sums[2 * i + 1]
        n, log_sum, log_sq = block_read(state, offset + self._MOMENTS, _BASELINE_RATES, 3, at)
        log_mean, log_std = decayed_mean_std(n, log_sum, log_sq)
        count_1h, count_1d, count_7d, count_30d = sums[0], sums[2], sums[4], sums[6]
        out["debit_mean_amount_90d"] = ratio(sums[9], sums[8])
        out["debit_typical_amount_90d"] = math.expm1(log_mean) if n > 1e-9 else 0.0
        out["debit_log_amount_std_90d"] = log_std
        out["debit_velocity_ratio_1d_30d"] = ratio(count_1d, count_30d / 30.0)
        out["debit_velocity_ratio_1h_7d"] = ratio(count_1h, count_7d / (7 * 24.0))
        amount = state[offset + self._AMOUNT]
        out["last_debit_amount"] = amount
        out["last_debit_amount_zscore"] = self._zscore(n, log_sum, log_sq, state, offset, at)

    def _zscore(
        self, n: float, log_sum: float, log_sq: float, state: State, offset: int, at: float
    ) -> float:
        last_t = state[offset + self._TIME]
        if last_t <= 0:
            return 0.0
        weight = math.exp(-_BASELINE_RATES[0] * max(0.0, at - last_t))
        log_amount = math.log1p(state[offset + self._AMOUNT])
        before = n - weight
        if before < _MIN_BASELINE:
            return 0.0
        mean, std = decayed_mean_std(
            before, log_sum - weight * log_amount, log_sq - weight * log_amount**2
        )
        return (log_amount - mean) / max(std, _MIN_LOG_STD)
