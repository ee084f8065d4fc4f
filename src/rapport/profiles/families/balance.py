"""Balance and credit utilisation, and where they are heading."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapport.events.model import BaseEvent, StatementEvent, TransactionEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates, ratio
from rapport.profiles.families.income import looks_like_salary
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.native import Kernels

_BALANCE_RATES = rates(7 * DAY, 30 * DAY)
_BALANCE_STATS = 3  # observations, balance, overdrawn observations
_SLOW_RATES = rates(90 * DAY)
_SLOW_STATS = 4  # pre-salary observations, pre-salary balance, statements, utilisation


class Balance(Family):
    """Layout: last balance and its time, last statement facts, a fast and a slow block."""

    name = "balance"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction", "statement"})
    late_events = (
        "Means are exact decayed sums. The last balance and the last statement are those with "
        "the latest timestamp, whatever the arrival order."
    )

    _BAL, _BAL_T, _UTIL, _LIMIT, _STMT_T, _FAST = 0, 1, 2, 3, 4, 5
    _SLOW = _FAST + block_size(_BALANCE_STATS, _BALANCE_RATES)
    size = _SLOW + block_size(_SLOW_STATS, _SLOW_RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s("balance_last", "Latest known account balance", "currency"),
            s("balance_mean_7d", "Mean observed balance, 7-day half-life", "currency"),
            s("balance_mean_30d", "Mean observed balance, 30-day half-life", "currency"),
            s(
                "balance_trend",
                "Recent mean balance minus the monthly mean (negative = falling)",
                "currency",
            ),
            s(
                "overdrawn_share_30d",
                "Share of balance observations below zero, 30-day",
                "fraction",
            ),
            s(
                "pre_salary_balance_90d",
                "Mean balance just before salary arrives, 90-day",
                "currency",
            ),
            s(
                "utilisation_last",
                "Card balance over credit limit at the latest statement",
                "fraction",
            ),
            s("utilisation_mean_90d", "Mean statement utilisation, 90-day half-life", "fraction"),
            s(
                "utilisation_trend",
                "Latest utilisation minus its 90-day mean (positive = rising)",
                "fraction",
            ),
            s("credit_limit_last", "Credit limit at the latest statement", "currency"),
            s("days_since_statement", "Days since the latest statement", "days"),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        return kernels.family_kernel(
            self.name,
            self.size,
            (_BALANCE_RATES, _SLOW_RATES),
            (TransactionEvent, StatementEvent, looks_like_salary),
        )

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        if isinstance(event, TransactionEvent):
            balance = event.payload.balance_after
            if balance is None:
                return
            overdrawn = 1.0 if balance < 0 else 0.0
            block_add(state, offset + self._FAST, _BALANCE_RATES, (1.0, balance, overdrawn), t)
            if looks_like_salary(event.payload):
                before = balance - event.payload.amount
                block_add(state, offset + self._SLOW, _SLOW_RATES, (1.0, before, 0.0, 0.0), t)
            if t >= state[offset + self._BAL_T]:
                state[offset + self._BAL] = balance
                state[offset + self._BAL_T] = t
        elif isinstance(event, StatementEvent):
            payload = event.payload
            utilisation = ratio(max(payload.balance, 0.0), payload.credit_limit)
            block_add(state, offset + self._SLOW, _SLOW_RATES, (0.0, 0.0, 1.0, utilisation), t)
            if t >= state[offset + self._STMT_T]:
                state[offset + self._UTIL] = utilisation
                state[offset + self._LIMIT] = payload.credit_limit
                state[offset + self._STMT_T] = t

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        n7, b7, _, n30, b30, o30 = block_read(
            state, offset + self._FAST, _BALANCE_RATES, _BALANCE_STATS, at
        )
        pre_n, pre_sum, statements, utilisation = block_read(
            state, offset + self._SLOW, _SLOW_RATES, _SLOW_STATS, at
        )
        mean7, mean30 = ratio(b7, n7), ratio(b30, n30)
        util_mean = ratio(utilisation, statements)
        statement_t = state[offset + self._STMT_T]
        out["balance_last"] = state[offset + self._BAL]
        out["balance_mean_7d"] = mean7
        out["balance_mean_30d"] = mean30
        out["balance_trend"] = mean7 - mean30
        out["overdrawn_share_30d"] = ratio(o30, n30)
        out["pre_salary_balance_90d"] = ratio(pre_sum, pre_n)
        out["utilisation_last"] = state[offset + self._UTIL]
        out["utilisation_mean_90d"] = util_mean
        out["utilisation_trend"] = state[offset + self._UTIL] - util_mean if statements else 0.0
        out["credit_limit_last"] = state[offset + self._LIMIT]
        out["days_since_statement"] = (at - statement_t) / DAY if statement_t > 0 else 0.0
