"""Repayment behavior: lateness, minimum-payment-only habits, and credit outcomes."""

from __future__ import annotations

from rapport.events.model import BaseEvent, CreditOutcomeEvent, RepaymentEvent, StatementEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates, ratio
from rapport.profiles.family import Family, FoldContext
from rapport.profiles.state import State

_RATES = rates(90 * DAY, 365 * DAY)
_STATS = 6  # repayments, late ones, days late, minimum-only ones, delinquencies, defaults
# Paying at most this multiple of the minimum due counts as paying the minimum only.
_MINIMUM_ONLY_FACTOR = 1.05


class Repayment(Family):
    """Layout: last days late, late streak, last repayment time, last minimum due, one block."""

    name = "repayment"
    entity = Entity.CUSTOMER
    event_types = frozenset({"repayment", "statement", "credit_outcome"})
    late_events = (
        "Counts are exact decayed sums. The late streak and the last days late follow arrival "
        "order among on-time events; a late event adds to the counts only. A repayment is judged "
        "minimum-only against the latest statement that had arrived."
    )

    _LAST_LATE, _STREAK, _LAST_T, _MIN_DUE, _BLOCK = 0, 1, 2, 3, 4
    size = _BLOCK + block_size(_STATS, _RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s("repayments_90d", "Repayments, 90-day half-life decayed count", "repayments"),
            s("late_share_90d", "Share of repayments made after the due date, 90-day", "fraction"),
            s("late_share_365d", "Share of repayments made after the due date, 1-year", "fraction"),
            s(
                "mean_days_late_90d",
                "Mean days past due per repayment (on time counts 0), 90-day",
                "days",
            ),
            s(
                "min_payment_only_share_90d",
                "Share of repayments of the minimum due only, 90-day",
                "fraction",
                order_independent=False,
            ),
            s(
                "last_days_late",
                "Days past due of the latest repayment (0 = on time)",
                "days",
                order_independent=False,
            ),
            s(
                "late_streak",
                "Consecutive late repayments up to the latest",
                "repayments",
                order_independent=False,
            ),
            s("days_since_repayment", "Days since the latest repayment", "days"),
            s("delinquencies_365d", "Delinquent credit outcomes, 1-year half-life", "outcomes"),
            s("defaults_365d", "Default credit outcomes, 1-year half-life", "outcomes"),
        ]

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        if isinstance(event, StatementEvent):
            if not ctx.late:
                state[offset + self._MIN_DUE] = event.payload.minimum_due or 0.0
        elif isinstance(event, RepaymentEvent):
            payload = event.payload
            days_late = max(0, payload.days_late or 0)
            late = 1.0 if days_late > 0 else 0.0
            minimum_due = state[offset + self._MIN_DUE]
            minimum_only = (
                1.0
                if minimum_due > 0 and payload.amount <= minimum_due * _MINIMUM_ONLY_FACTOR
                else 0.0
            )
            block_add(
                state,
                offset + self._BLOCK,
                _RATES,
                (1.0, late, float(days_late), minimum_only, 0.0, 0.0),
                t,
            )
            if not ctx.late:
                state[offset + self._LAST_LATE] = float(days_late)
                state[offset + self._STREAK] = state[offset + self._STREAK] + 1.0 if late else 0.0
            state[offset + self._LAST_T] = max(state[offset + self._LAST_T], t)
        elif isinstance(event, CreditOutcomeEvent):
            status = event.payload.status
            delinquent = 1.0 if status == "delinquent" else 0.0
            default = 1.0 if status == "default" else 0.0
            if delinquent or default:
                block_add(
                    state,
                    offset + self._BLOCK,
                    _RATES,
                    (0.0, 0.0, 0.0, 0.0, delinquent, default),
                    t,
                )

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        values = block_read(state, offset + self._BLOCK, _RATES, _STATS, at)
        n90, late90, days90, min90 = values[:4]
        n365, late365 = values[_STATS], values[_STATS + 1]
        last_t = state[offset + self._LAST_T]
        out["repayments_90d"] = n90
        out["late_share_90d"] = ratio(late90, n90)
        out["late_share_365d"] = ratio(late365, n365)
        out["mean_days_late_90d"] = ratio(days90, n90)
        out["min_payment_only_share_90d"] = ratio(min90, n90)
        out["last_days_late"] = state[offset + self._LAST_LATE]
        out["late_streak"] = state[offset + self._STREAK]
        out["days_since_repayment"] = (at - last_t) / DAY if last_t > 0 else 0.0
        out["delinquencies_365d"] = values[_STATS + 4]
        out["defaults_365d"] = values[_STATS + 5]
