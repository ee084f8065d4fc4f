"""Engagement style: how, when and how much a customer wants to hear from the bank."""

from __future__ import annotations

from rapport.profiles.decay import DAY
from rapport.profiles.families.offers import CHANNEL_GROUPS
from rapport.signals.base import Features, Flag, SignalValue, combine, ramp, why


class Engagement:
    """Score = how engaged the customer is; reasons name the responsive channels and hours;
    flags raise contact fatigue and a disengagement trend."""

    name = "engagement"

    def compute(self, f: Features, at: float) -> SignalValue:
        rates = {g: f[f"response_rate_{g}"] for g in CHANNEL_GROUPS}
        best = max(sorted(rates), key=rates.__getitem__)
        reasons = [
            why(
                "active",
                0.5 * ramp(f["logins_30d"], 2, 30),
                lambda: f"{f['logins_30d']:.0f} logins a month (decayed)",
            ),
            why(
                "browses",
                0.3 * ramp(f["page_views_30d"], 5, 60),
                lambda: f"{f['page_views_30d']:.0f} pages a month",
            ),
            why(
                f"responsive_{best}",
                0.5 * rates[best],
                lambda: (
                    f"answers {rates[best]:.0%} of {best} messages; usually active around "
                    f"{f['habit_hour']:.0f}h"
                ),
            ),
            why(
                "accepts_offers",
                0.4 * ramp(f["offer_acceptance_rate_90d"], 0.05, 0.4),
                lambda: f"accepts {f['offer_acceptance_rate_90d']:.0%} of offers",
            ),
        ]
        flags = []
        fatigue = f["unsubscribes_90d"] >= 0.5 or (
            f["messages_delivered_90d"] >= 6 and f["message_open_rate_90d"] < 0.15
        )
        if fatigue:
            flags.append(Flag("contact_fatigue", "unsubscribing or no longer opening messages", at))
        if f["activity_rate_ratio_7d_30d"] < 0.4 and f["activity_events_30d"] >= 5:
            flags.append(
                Flag("disengaging", "activity this week well below the month's", at - 7 * DAY)
            )
        return combine(self.name, reasons, flags)
