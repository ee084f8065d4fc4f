"""Circular time habits: when in the day and the week the customer is usually active."""

from __future__ import annotations

import math

from rapport.events.model import BaseEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates, ratio
from rapport.profiles.families.activity import ACTIVITY_TYPES
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.native import Kernels
from rapport.profiles.state import State

_RATES = rates(30 * DAY, 90 * DAY)
_STATS = 6  # weight, cos/sin of hour angle, cos/sin of weekday angle, night events
_HOUR_ANGLE = 2 * math.pi / 24
_DAY_ANGLE = 2 * math.pi / 7
NIGHT_HOURS = (0.0, 5.0)
# Below this much decayed activity there is no habit to deviate from.
_MIN_HABIT_WEIGHT = 3.0


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
    """Layout: latest action's hour, weekday and time; one block of circular sums.

    The latest action's deviation from habit is measured at read time against the habit without
    that action (its own contribution is removed exactly), so writes stay cheap.
    """

    name = "habits"
    entity = Entity.CUSTOMER
    event_types = ACTIVITY_TYPES
    late_events = (
        "The circular sums are exact decayed sums. The latest action is the one with the latest "
        "timestamp, whatever the arrival order; ties go to the later arrival."
    )

    _HOUR, _DAY, _TIME, _BLOCK = 0, 1, 2, 3
    size = _BLOCK + block_size(_STATS, _RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s("habit_hour", "Usual local hour of activity (circular mean, 90-day)", "hour"),
            s("habit_hour_concentration", "How regular the hour of activity is (0-1)", "fraction"),
            s("habit_weekday", "Usual day of week of activity (circular mean, Monday = 0)", "day"),
            s(
                "habit_weekday_concentration",
                "How regular the day of activity is (0-1)",
                "fraction",
            ),
            s("night_share_30d", "Share of own actions from midnight to 5am, 30-day", "fraction"),
            s("night_share_90d", "Share of own actions from midnight to 5am, 90-day", "fraction"),
            s("last_hour_deviation", "Hours between the latest action and the usual hour", "hours"),
            s("last_weekday_deviation", "Days between the latest action and the usual day", "days"),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        return kernels.family_kernel(self.name, self.size, (_RATES,))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
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
        block_add(state, offset + self._BLOCK, _RATES, contributions, ctx.t)
        if ctx.t >= state[offset + self._TIME]:
            state[offset + self._HOUR] = ctx.hour
            state[offset + self._DAY] = float(ctx.weekday)
            state[offset + self._TIME] = ctx.t

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        values = block_read(state, offset + self._BLOCK, _RATES, _STATS, at)
        w30, night30 = values[0], values[5]
        w, hc, hs, dc, ds, night90 = values[_STATS:]
        out["habit_hour"] = circular_mean(hc, hs, w, 24.0)
        out["habit_hour_concentration"] = ratio(math.hypot(hc, hs), w)
        out["habit_weekday"] = circular_mean(dc, ds, w, 7.0)
        out["habit_weekday_concentration"] = ratio(math.hypot(dc, ds), w)
        out["night_share_30d"] = ratio(night30, w30)
        out["night_share_90d"] = ratio(night90, w)
        hour_deviation = day_deviation = 0.0
        last_t = state[offset + self._TIME]
        weight = math.exp(-_RATES[-1] * max(0.0, at - last_t)) if last_t > 0 else 0.0
        if w - weight >= _MIN_HABIT_WEIGHT:
            hour, day = state[offset + self._HOUR], state[offset + self._DAY]
            h_angle, d_angle = hour * _HOUR_ANGLE, day * _DAY_ANGLE
            usual_hour = circular_mean(
                hc - weight * math.cos(h_angle), hs - weight * math.sin(h_angle), 1.0, 24.0
            )
            usual_day = circular_mean(
                dc - weight * math.cos(d_angle), ds - weight * math.sin(d_angle), 1.0, 7.0
            )
            hour_deviation = circular_distance(hour, usual_hour, 24.0)
            day_deviation = circular_distance(day, usual_day, 7.0)
        out["last_hour_deviation"] = hour_deviation
        out["last_weekday_deviation"] = day_deviation
