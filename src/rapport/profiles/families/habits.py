"""Circular time habits: when in the day and the week the customer is usually active."""

from __future__ import annotations

import math

from rapport.events.model import BaseEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_read_rate, block_size, rates
from rapport.profiles.families.activity import ACTIVITY_TYPES
from rapport.profiles.family import Family, FoldContext

_RATES = rates(30 * DAY, 90 * DAY)
_STATS = 6  # weight, cos/sin of hour angle, cos/sin of weekday angle, night events
_HOUR_ANGLE = 2 * math.pi / 24
_DAY_ANGLE = 2 * math.pi / 7
NIGHT_HOURS = (0.0, 5.0)


def circular_mean(cos_sum: float, sin_sum: float, weight: float, period: float) -> float:
    """Mean position on a circle of the given period, in [0, period)."""
    if weight <= 1e-12:
        return 0.0
    return (math.atan2(sin_sum, cos_sum) / (2 * math.pi) * period) % period


def circular_distance(a: float, b: float, period: float) -> float:
    """Shortest distance between two positions on a circle, in [0, period / 2]."""
    d = abs(a - b) % period
    return min(d, period - d)


class TimeHabits(Family):
    """Layout: last hour deviation, last weekday deviation, one block of circular sums."""

    name = "habits"
    entity = Entity.CUSTOMER
    event_types = ACTIVITY_TYPES
    late_events = (
        "The circular sums are exact decayed sums. The last deviations are the latest "
        "arrival's, measured against the habit as it stood on arrival."
    )

    _HOUR_DEV, _DAY_DEV, _BLOCK = 0, 1, 2
    size = _BLOCK + block_size(_STATS, _RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s("habit_hour", "Usual local hour of activity (circular mean, 90-day)", "hour"),
            s(
                "habit_hour_concentration",
                "How regular the hour of activity is (0 spread, 1 fixed)",
                "fraction",
            ),
            s("habit_weekday", "Usual day of week of activity (circular mean, Monday = 0)", "day"),
            s("habit_weekday_concentration", "How regular the day of activity is", "fraction"),
            s(
                "night_share_30d",
                "Share of own actions between midnight and 5am local, 30-day",
                "fraction",
            ),
            s(
                "night_share_90d",
                "Share of own actions between midnight and 5am local, 90-day",
                "fraction",
            ),
            s(
                "last_hour_deviation",
                "Hours between the latest action and the usual hour",
                "hours",
                order_independent=False,
            ),
            s(
                "last_weekday_deviation",
                "Days between the latest action's weekday and the usual one",
                "days",
                order_independent=False,
            ),
        ]

    def update(self, state: list[float], offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        block = offset + self._BLOCK
        if not ctx.late:
            w, hc, hs, dc, ds, _ = block_read_rate(state, block, _RATES, _STATS, -1, ctx.t)
            if w >= 3.0:
                state[offset + self._HOUR_DEV] = circular_distance(
                    ctx.hour, circular_mean(hc, hs, w, 24.0), 24.0
                )
                state[offset + self._DAY_DEV] = circular_distance(
                    float(ctx.weekday), circular_mean(dc, ds, w, 7.0), 7.0
                )
        hour_angle = ctx.hour * _HOUR_ANGLE
        day_angle = ctx.weekday * _DAY_ANGLE
        night = 1.0 if NIGHT_HOURS[0] <= ctx.hour < NIGHT_HOURS[1] else 0.0
        contributions = (
            1.0,
            math.cos(hour_angle),
            math.sin(hour_angle),
            math.cos(day_angle),
            math.sin(day_angle),
            night,
        )
        block_add(state, block, _RATES, contributions, ctx.t)

    def read(self, state: list[float], offset: int, at: float, out: dict[str, float]) -> None:
        values = block_read(state, offset + self._BLOCK, _RATES, _STATS, at)
        w30, night30 = values[0], values[5]
        w, hc, hs, dc, ds, night90 = values[_STATS:]
        out["habit_hour"] = circular_mean(hc, hs, w, 24.0)
        out["habit_hour_concentration"] = math.hypot(hc, hs) / w if w > 1e-9 else 0.0
        out["habit_weekday"] = circular_mean(dc, ds, w, 7.0)
        out["habit_weekday_concentration"] = math.hypot(dc, ds) / w if w > 1e-9 else 0.0
        out["night_share_30d"] = night30 / w30 if w30 > 1e-9 else 0.0
        out["night_share_90d"] = night90 / w if w > 1e-9 else 0.0
        out["last_hour_deviation"] = state[offset + self._HOUR_DEV]
        out["last_weekday_deviation"] = state[offset + self._DAY_DEV]
