"""Spending-rhythm change: a change-point in the customer's own daily spending, with its onset."""

from __future__ import annotations

from rapport.profiles.decay import DAY
from rapport.signals.base import Features, Flag, Reason, SignalValue, combine, ramp

# An alarm matters most when fresh and fades over a month.
FADE_DAYS = 30.0


class RhythmChange:
    name = "rhythm_change"

    def compute(self, f: Features, at: float) -> SignalValue:
        direction = f["rhythm_change_direction"]
        if not direction:
            return combine(self.name, [])
        since_alarm = f["rhythm_change_days_ago"]
        onset_ago = f["rhythm_change_onset_days_ago"]
        way = "risen" if direction > 0 else "fallen"
        weight = 1.0 - ramp(since_alarm, 0.0, FADE_DAYS)
        reason = Reason(
            f"spending_{way}",
            f"daily spending has {way} since about {onset_ago:.0f} days ago",
            weight,
        )
        flags = [Flag(f"spending_{way}", f"daily spending has {way}", at - onset_ago * DAY)]
        return combine(self.name, [reason], flags if weight > 0 else [])
