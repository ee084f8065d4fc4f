"""Activity volume and inter-event rhythm of a customer's own actions."""

from __future__ import annotations

import math

from rapport.events.model import BaseEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import (
    DAY,
    block_add,
    block_read,
    block_size,
    decayed_mean_std,
    rates,
    ratio,
)
from rapport.profiles.family import FIRST_EVENT, Family, FoldContext, Updater
from rapport.profiles.native import Kernels
from rapport.profiles.state import State

ACTIVITY_TYPES = frozenset({"transaction", "login", "page_view"})
_COUNT_RATES = rates(DAY, 7 * DAY, 30 * DAY)
_GAP_RATES = rates(30 * DAY)
_MIN_GAPS = 3.0
_MIN_LOG_STD = 0.5


def _log_gap(seconds: float) -> float:
    return math.log1p(seconds / 60.0)


class ActivityRhythm(Family):
    """Layout: last activity time, last gap, last gap z-score, count block, gap block."""

    name = "activity"
    entity = Entity.CUSTOMER
    event_types = ACTIVITY_TYPES
    late_events = (
        "Counts are exact decayed sums. A late event adds no gap (it would split a gap already "
        "counted); the latest activity time is the maximum seen."
    )

    _LAST, _GAP, _COUNTS = 0, 1, 2
    _GAPS = _COUNTS + block_size(1, _COUNT_RATES)
    size = _GAPS + block_size(3, _GAP_RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s(
                "activity_events_1d",
                "Own actions (transactions, logins, page views), 1-day decay",
                "events",
            ),
            s("activity_events_7d", "Own actions, 7-day half-life decayed count", "events"),
            s("activity_events_30d", "Own actions, 30-day half-life decayed count", "events"),
            s(
                "activity_rate_ratio_7d_30d",
                "Daily action rate over the last week vs the last month",
                "ratio",
            ),
            s("days_since_activity", "Days since the latest own action", "days"),
            s("tenure_days", "Days since the customer's first event", "days"),
            s(
                "gap_typical_hours",
                "Typical (geometric mean) time between actions, 30-day baseline",
                "hours",
                order_independent=False,
            ),
            s(
                "gap_log_std",
                "Spread of log inter-action gaps, 30-day baseline",
                "log-minutes",
                order_independent=False,
            ),
            s(
                "last_gap_hours",
                "Time between the latest action and the one before it",
                "hours",
                order_independent=False,
            ),
            s(
                "last_gap_zscore",
                "Latest gap against the customer's own gap baseline",
                "z",
                order_independent=False,
            ),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        return kernels.family_kernel(self.name, self.size, (_COUNT_RATES, _GAP_RATES))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        block_add(state, offset + self._COUNTS, _COUNT_RATES, (1.0,), t)
        last = state[offset + self._LAST]
        if ctx.late or last <= 0.0:
            state[offset + self._LAST] = max(last, t)
            return
        gap = _log_gap(t - last)
        block_add(state, offset + self._GAPS, _GAP_RATES, (1.0, gap, gap * gap), t)
        state[offset + self._GAP] = t - last
        state[offset + self._LAST] = t

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        c1, c7, c30 = block_read(state, offset + self._COUNTS, _COUNT_RATES, 1, at)
        n, total, squares = block_read(state, offset + self._GAPS, _GAP_RATES, 3, at)
        mean, std = decayed_mean_std(n, total, squares)
        last = state[offset + self._LAST]
        last_gap = state[offset + self._GAP]
        out["activity_events_1d"] = c1
        out["activity_events_7d"] = c7
        out["activity_events_30d"] = c30
        out["activity_rate_ratio_7d_30d"] = ratio(c7 / 7.0, c30 / 30.0)
        out["days_since_activity"] = (at - last) / DAY if last > 0 else 0.0
        out["tenure_days"] = max(0.0, at - state[FIRST_EVENT]) / DAY
        out["gap_typical_hours"] = math.expm1(mean) / 60.0 if n > 1e-9 else 0.0
        out["gap_log_std"] = std
        out["last_gap_hours"] = last_gap / 3600.0
        out["last_gap_zscore"] = self._gap_zscore(n, total, squares, last_gap, last, at)

    @staticmethod
    def _gap_zscore(
        n: float, total: float, squares: float, last_gap: float, last: float, at: float
    ) -> float:
        """The latest gap against the gaps before it (its own contribution removed)."""
        if last_gap <= 0:
            return 0.0
        gap = _log_gap(last_gap)
        weight = math.exp(-_GAP_RATES[0] * max(0.0, at - last))
        before = n - weight
        if before < _MIN_GAPS:
            return 0.0
        mean, std = decayed_mean_std(before, total - weight * gap, squares - weight * gap * gap)
        return (gap - mean) / max(std, _MIN_LOG_STD)
