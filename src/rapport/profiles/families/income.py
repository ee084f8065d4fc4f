"""Income: credits, salary-like credits and how regular they are."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from rapport.events.model import BaseEvent, TransactionEvent, TransactionPayload
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, decayed_mean_std, rates
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.native import Kernels

_RATES = rates(30 * DAY, 90 * DAY)
_STATS = 4  # credits, credit amount, salary credits, salary amount
_REGULARITY_RATES = rates(180 * DAY)
# salary credits, amount, amount squared, intervals, interval days, interval days squared
_REGULARITY_STATS = 6
_SALARY_WORDS = ("salary", "payroll", "wage", "pension", "benefit")


def looks_like_salary(payload: TransactionPayload) -> bool:
    """A credit labelled as pay: salary, payroll, wages, pension or benefits."""
    if payload.direction != "credit":
        return False
    for label in (payload.category, payload.counterparty):
        if label is not None:
            lowered = label.lower()
            if any(word in lowered for word in _SALARY_WORDS):
                return True
    return False


class Income(Family):
    """Layout: last salary time and amount; a credits block; a salary-regularity block."""

    name = "income"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction"})
    late_events = (
        "Credit and salary sums are exact decayed sums. A late salary credit adds no interval "
        "(the interval it would split is already counted); the last salary is the latest in time."
    )

    _LAST_T, _LAST_AMOUNT, _CREDITS = 0, 1, 2
    _REGULARITY = _CREDITS + block_size(_STATS, _RATES)
    size = _REGULARITY + block_size(_REGULARITY_STATS, _REGULARITY_RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s("income_30d", "Credits received, 30-day half-life decayed sum", "currency"),
            s("income_90d", "Credits received, 90-day half-life decayed sum", "currency"),
            s("salary_30d", "Salary-like credits, 30-day half-life decayed sum", "currency"),
            s("salary_count_90d", "Salary-like credits, 90-day half-life decayed count", "credits"),
            s(
                "income_drop_ratio",
                "Salary per day over the last month vs the last quarter (1 = steady)",
                "ratio",
            ),
            s("days_since_salary", "Days since the latest salary-like credit", "days"),
            s("last_salary_amount", "Amount of the latest salary-like credit", "currency"),
            s(
                "salary_interval_days",
                "Mean days between salary-like credits",
                "days",
                order_independent=False,
            ),
            s(
                "salary_interval_cv",
                "Variation of the days between salary credits (0 = clockwork)",
                "ratio",
                order_independent=False,
            ),
            s("salary_amount_cv", "Variation of salary amounts (0 = always the same)", "ratio"),
            s(
                "salary_overdue_ratio",
                "Days since salary over the usual interval (>1 = pay is late)",
                "ratio",
                order_independent=False,
            ),
            s(
                "income_regularity",
                "How regular pay is, from interval and amount stability",
                "score",
                order_independent=False,
            ),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        groups = (_RATES, _REGULARITY_RATES)
        return kernels.family_kernel(self.name, self.size, groups, (looks_like_salary,))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, TransactionEvent)
        payload = event.payload
        if payload.direction != "credit":
            return
        t, amount = ctx.t, payload.amount
        salary = looks_like_salary(payload)
        block_add(
            state,
            offset + self._CREDITS,
            _RATES,
            (1.0, amount, 1.0 if salary else 0.0, amount if salary else 0.0),
            t,
        )
        if not salary:
            return
        last_t = state[offset + self._LAST_T]
        interval = (t - last_t) / DAY if last_t > 0 and t > last_t else None
        contributions = (1.0, amount, amount * amount) + (
            (1.0, interval, interval * interval) if interval is not None else (0.0, 0.0, 0.0)
        )
        block_add(state, offset + self._REGULARITY, _REGULARITY_RATES, contributions, t)
        if t >= last_t:
            state[offset + self._LAST_T] = t
            state[offset + self._LAST_AMOUNT] = amount

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        _, i30, _, s30, _, i90, s90n, s90 = block_read(
            state, offset + self._CREDITS, _RATES, _STATS, at
        )
        salaries, amount, amount_sq, n, days, days_sq = block_read(
            state, offset + self._REGULARITY, _REGULARITY_RATES, _REGULARITY_STATS, at
        )
        interval, interval_std = decayed_mean_std(n, days, days_sq)
        amount_mean, amount_std = decayed_mean_std(salaries, amount, amount_sq)
        last_t = state[offset + self._LAST_T]
        since = (at - last_t) / DAY if last_t > 0 else 0.0
        interval_cv = interval_std / interval if interval > 1e-9 else 0.0
        amount_cv = amount_std / amount_mean if amount_mean > 1e-9 else 0.0
        out["income_30d"] = i30
        out["income_90d"] = i90
        out["salary_30d"] = s30
        out["salary_count_90d"] = s90n
        out["income_drop_ratio"] = (s30 / 30.0) / (s90 / 90.0) if s90 > 1e-9 else 0.0
        out["days_since_salary"] = since
        out["last_salary_amount"] = state[offset + self._LAST_AMOUNT]
        out["salary_interval_days"] = interval
        out["salary_interval_cv"] = interval_cv
        out["salary_amount_cv"] = amount_cv
        out["salary_overdue_ratio"] = since / interval if interval > 1e-9 else 0.0
        out["income_regularity"] = (
            math.exp(-2.0 * interval_cv) * math.exp(-2.0 * amount_cv) if n >= 1.5 else 0.0
        )
