"""Spending-rhythm change: Page-Hinkley change-point detection on the customer's daily spend.

Each local day's debit total becomes one observation, ``log1p(total)`` scaled by the customer's
own spread so that one threshold suits steady and erratic spenders alike. The detector is River's
``drift.PageHinkley`` recurrence (mode "both"; a test checks they raise the same alarms), kept in
the profile's fixed-size state rather than in a Python object so that it persists and replays
like every other feature. An alarm records its direction and its estimated onset, the day the
cumulative deviation was last at its extreme before the alarm; the detector then restarts so that
the new rhythm becomes the baseline.
"""

from __future__ import annotations

import math

from rapport.events.model import BaseEvent, TransactionEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.native import Kernels
from rapport.profiles.state import State

# Tuned on the simulator so that customers whose lives do not change raise an alarm in fewer
# than 5% of 90-day periods (docs/signals.md has the figures).
WARMUP_DAYS = 14  # days that only learn the customer's spread before the detector starts
MIN_DAYS = 7
DELTA = 0.6
THRESHOLD = 14.0
ALPHA = 1.0 - 0.0001
# Longest run of spend-free days fed to the detector at once: a longer silence says "inactive",
# not "spends nothing", and must not cost more than O(1).
MAX_GAP_DAYS = 45
_MIN_SCALE = 0.5


class PageHinkley:
    """River's Page-Hinkley recurrence over a slice of a state array.

    Layout: observations, mean, increase sum, decrease sum, its minimum, its maximum, the day of
    each extreme.
    """

    N, MEAN, INC, DEC, MIN_INC, MAX_DEC, MIN_DAY, MAX_DAY = range(8)
    size = 8

    def __init__(self, min_instances: int, delta: float, threshold: float, alpha: float) -> None:
        self.min_instances = min_instances
        self.delta = delta
        self.threshold = threshold
        self.alpha = alpha

    def reset(self, state: State, o: int) -> None:
        state[o + self.N] = 0.0
        state[o + self.MEAN] = 0.0
        state[o + self.INC] = 0.0
        state[o + self.DEC] = 0.0
        state[o + self.MIN_INC] = math.inf
        state[o + self.MAX_DEC] = -1.0
        state[o + self.MIN_DAY] = 0.0
        state[o + self.MAX_DAY] = 0.0

    def update(self, state: State, o: int, x: float, day: float) -> int:
        """Feed one observation; return +1 (increase), -1 (decrease) or 0 (no alarm)."""
        n = state[o + self.N] + 1.0
        mean = state[o + self.MEAN] + (x - state[o + self.MEAN]) / n
        state[o + self.N], state[o + self.MEAN] = n, mean
        deviation = x - mean
        increase = self.alpha * state[o + self.INC] + deviation - self.delta
        decrease = self.alpha * state[o + self.DEC] + deviation + self.delta
        state[o + self.INC], state[o + self.DEC] = increase, decrease
        if increase < state[o + self.MIN_INC]:
            state[o + self.MIN_INC], state[o + self.MIN_DAY] = increase, day
        if decrease > state[o + self.MAX_DEC]:
            state[o + self.MAX_DEC], state[o + self.MAX_DAY] = decrease, day
        if n < self.min_instances:
            return 0
        if increase - state[o + self.MIN_INC] > self.threshold:
            return 1
        if state[o + self.MAX_DEC] - decrease > self.threshold:
            return -1
        return 0


DETECTOR = PageHinkley(MIN_DAYS, DELTA, THRESHOLD, ALPHA)
# The same settings, in the order the compiled kernel takes them.
_KERNEL_PARAMS = (WARMUP_DAYS, MAX_GAP_DAYS, _MIN_SCALE, MIN_DAYS, DELTA, THRESHOLD, ALPHA)


def _local_time(ctx: FoldContext) -> float:
    """Event time shifted by its own zone's offset, so that days split at local midnight."""
    return ctx.t + ctx.utc_offset


class RhythmChange(Family):
    """Layout: open day, its spend; spread of daily log spend (count, mean, M2); the detector;
    last alarm (day, onset day, direction); alarms so far."""

    name = "rhythm_change"
    entity = Entity.CUSTOMER
    event_types = frozenset({"transaction"})
    late_events = (
        "Days are closed as later days arrive; a late debit for a day already closed is left "
        "out of the detector (it still counts in every spending statistic), and one for the open "
        "day is added to it."
    )

    _DAY, _TOTAL, _W_N, _W_MEAN, _W_M2, _PH = 0, 1, 2, 3, 4, 5
    _ALARM_DAY = _PH + PageHinkley.size
    _ONSET_DAY, _DIRECTION, _ALARMS = _ALARM_DAY + 1, _ALARM_DAY + 2, _ALARM_DAY + 3
    size = _ALARMS + 1

    def specs(self) -> list[FeatureSpec]:
        def s(name: str, description: str, unit: str) -> FeatureSpec:
            return self.spec(name, description, unit, order_independent=False)

        return [
            s(
                "rhythm_change_days_ago",
                "Days since the latest spending-rhythm change alarm (0 = none)",
                "days",
            ),
            s(
                "rhythm_change_onset_days_ago",
                "Days since the estimated onset of that change (0 = none)",
                "days",
            ),
            s(
                "rhythm_change_direction",
                "+1 if daily spending rose, -1 if it fell, 0 if no change",
                "sign",
            ),
            s("rhythm_changes", "Spending-rhythm change alarms so far", "alarms"),
            s(
                "rhythm_days_observed",
                "Days of spending (closed days) the detector has seen",
                "days",
            ),
        ]

    def init(self, state: State, offset: int) -> None:
        DETECTOR.reset(state, offset + self._PH)

    def compiled(self, kernels: Kernels) -> Updater:
        return kernels.family_kernel(self.name, self.size, (_KERNEL_PARAMS,))

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        assert isinstance(event, TransactionEvent)
        if event.payload.direction != "debit":
            return
        day = float(math.floor(_local_time(ctx) / DAY))
        open_day = state[offset + self._DAY]
        if open_day == 0.0:
            state[offset + self._DAY] = day
        elif day > open_day:
            self._close(state, offset, open_day, day)
            state[offset + self._DAY] = day
            state[offset + self._TOTAL] = 0.0
        elif day < open_day:
            return  # a closed day: see late_events
        state[offset + self._TOTAL] += event.payload.amount

    def _close(self, state: State, offset: int, open_day: float, next_day: float) -> None:
        """Feed the open day and the spend-free days up to ``next_day`` to the detector."""
        self._observe(state, offset, math.log1p(state[offset + self._TOTAL]), open_day)
        empty = int(min(next_day - open_day - 1, MAX_GAP_DAYS))
        for k in range(1, empty + 1):
            self._observe(state, offset, 0.0, open_day + k)

    def _observe(self, state: State, offset: int, x: float, day: float) -> None:
        n = state[offset + self._W_N]
        spread = math.sqrt(state[offset + self._W_M2] / n) if n >= 2 else 1.0
        scaled = x / max(spread, _MIN_SCALE)
        warm = n >= WARMUP_DAYS
        n += 1.0
        delta = x - state[offset + self._W_MEAN]
        state[offset + self._W_MEAN] += delta / n
        state[offset + self._W_M2] += delta * (x - state[offset + self._W_MEAN])
        state[offset + self._W_N] = n
        if not warm:
            return
        ph = offset + self._PH
        direction = DETECTOR.update(state, ph, scaled, day)
        if direction:
            onset = state[ph + (PageHinkley.MIN_DAY if direction > 0 else PageHinkley.MAX_DAY)]
            state[offset + self._ALARM_DAY] = day
            state[offset + self._ONSET_DAY] = onset
            state[offset + self._DIRECTION] = float(direction)
            state[offset + self._ALARMS] += 1.0
            DETECTOR.reset(state, ph)

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        alarms = state[offset + self._ALARMS]
        today = at / DAY
        if alarms:
            out["rhythm_change_days_ago"] = max(0.0, today - (state[offset + self._ALARM_DAY] + 1))
            out["rhythm_change_onset_days_ago"] = max(0.0, today - state[offset + self._ONSET_DAY])
            out["rhythm_change_direction"] = state[offset + self._DIRECTION]
        else:
            out["rhythm_change_days_ago"] = 0.0
            out["rhythm_change_onset_days_ago"] = 0.0
            out["rhythm_change_direction"] = 0.0
        out["rhythm_changes"] = alarms
        out["rhythm_days_observed"] = state[offset + self._W_N]
