"""Communication: which channel, at what hour, in what tone, or hold off.

The contact policy binds: a weekly cap across channels, quiet hours in the customer's own day, a
supportive tone (and no promotion) for a customer showing vulnerability or stress, and a hold-off
for one who has stopped listening (unsubscribes, messages left unopened).

These stay rules, applied first. Only when a message may go does a published contextual bandit
(a ``Chooser``), if there is one, choose the channel among the three by a seeded draw from its
distribution; the send hour and the tone remain the policy's.
"""

from __future__ import annotations

from collections.abc import Mapping

from rapport.decisions.kinds import Outcome, numbers
from rapport.decisions.policy import Policy
from rapport.decisions.record import CandidateVerdict, ReasonCode, Value
from rapport.learning.bandit_choice import as_chooser, choose, learned_reasons
from rapport.learning.bandit_features import channel_arm
from rapport.learning.model import Model

CHANNELS = ("email", "sms", "push")
INPUTS = (
    "features.habit_hour",
    "features.unsubscribes_90d",
    "features.messages_delivered_90d",
    "features.message_open_rate_90d",
    "features.response_rate_email",
    "features.response_rate_sms",
    "features.response_rate_push",
    "signals.vulnerability",
    "signals.financial_stress",
    "contacts.sent_7d",
    "event.purpose",
)
# A channel never heard from still gets a fair chance.
PRIOR_RESPONSE = 0.1


class Communication:
    name = "communication"
    model_version = "communication-rules-1"
    inputs: tuple[str, ...] = INPUTS

    def rules(self, policy: Policy) -> list[str]:
        return []

    def decide(
        self,
        inputs: Mapping[str, Value],
        policy: Policy,
        model: Model | None = None,
        seed: int = 0,
    ) -> Outcome:
        contact = policy.contact
        x = numbers(inputs, INPUTS)
        purpose = str(inputs.get("event.purpose") or "service")
        care = (
            max(x["signals.vulnerability"], x["signals.financial_stress"]) >= contact.supportive_at
        )
        hold: list[ReasonCode] = []
        if x["contacts.sent_7d"] >= contact.weekly_cap:
            hold.append(
                ReasonCode(
                    "COM_CAP",
                    f"{x['contacts.sent_7d']:.0f} messages this week; the cap is "
                    f"{contact.weekly_cap}",
                    0.0,
                )
            )
        if x["features.unsubscribes_90d"] >= 0.5 or (
            x["features.messages_delivered_90d"] >= 6 and x["features.message_open_rate_90d"] < 0.1
        ):
            hold.append(ReasonCode("COM_FATIGUE", "the customer has stopped listening", 0.0))
        if care and purpose == "offer":
            hold.append(
                ReasonCode("GRD_VULNERABLE", "no promotion to a customer in difficulty", 0.0)
            )
        rates = {c: max(x[f"features.response_rate_{c}"], PRIOR_RESPONSE) for c in CHANNELS}
        channel = max(CHANNELS, key=lambda c: (rates[c], -CHANNELS.index(c)))
        candidates = [
            CandidateVerdict(c, not hold, hold[0].text if hold else f"response rate {rates[c]:.2f}")
            for c in CHANNELS
        ]
        candidates.append(CandidateVerdict("hold_off", True))
        if hold:
            return Outcome("hold_off", 0.0, hold, candidates)
        hour = _outside_quiet(
            round(x["features.habit_hour"]) % 24, contact.quiet_start, contact.quiet_end
        )
        tone = (
            "supportive"
            if care
            else {"offer": "promotional", "payment_reminder": "urgent"}.get(purpose, "informative")
        )
        reasons = [
            ReasonCode(
                "COM_CHANNEL",
                f"answers {rates[channel]:.0%} of {channel} messages",
                round(rates[channel], 6),
            )
        ]
        propensity = 1.0
        distribution: dict[str, float] = {}
        chooser = as_chooser(model)
        if chooser is not None:
            choice = choose(chooser, inputs, [channel_arm(c) for c in CHANNELS], seed)
            channel, propensity, distribution = (
                choice.arm.id,
                choice.probability,
                choice.distribution,
            )
            reasons = learned_reasons(choice, "channel", len(CHANNELS))
        if care:
            reasons.append(
                ReasonCode(
                    "COM_SUPPORTIVE", "signs of vulnerability or stress: a supportive tone", 0.0
                )
            )
        details: dict[str, Value] = {"channel": channel, "send_hour": hour, "tone": tone}
        return Outcome(
            "send",
            round(rates[channel], 6),
            reasons,
            candidates,
            details,
            propensity=propensity,
            distribution=distribution,
        )


def _outside_quiet(hour: int, start: int, end: int) -> int:
    """The customer's usual hour, moved to the nearest edge of the day if it is quiet."""
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return hour
    to_end = (end - hour) % 24
    to_start = (hour - start) % 24
    return end if to_end <= to_start else (start - 1) % 24
