"""Pricing: a rate inside the product's regulatory band, lower for steadier customers.

The estimated yearly probability of default (the credit model's own) places the customer in the
band: at or below ``low_risk`` the lowest rate, at or above ``high_risk`` the highest.
"""

from __future__ import annotations

from collections.abc import Mapping

from rapport.decisions.credit_limit import INPUTS as CREDIT_INPUTS
from rapport.decisions.credit_limit import default_probability
from rapport.decisions.kinds import Outcome, numbers, ramp
from rapport.decisions.policy import Policy
from rapport.decisions.record import CandidateVerdict, ReasonCode, Value
from rapport.learning.model import Model

INPUTS = (*CREDIT_INPUTS, "event.product")


class Pricing:
    name = "pricing"
    model_version = "pricing-band-1"
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
        product = str(inputs.get("event.product") or "")
        band = policy.pricing.bands.get(product)
        if band is None:
            known = ", ".join(sorted(policy.pricing.bands)) or "none"
            reason = ReasonCode(
                "PRC_UNKNOWN", f"no band for product {product!r} (known: {known})", 0.0
            )
            return Outcome(
                "no_price", 0.0, [reason], [CandidateVerdict("price", False, reason.text)]
            )
        x = numbers(inputs, CREDIT_INPUTS)
        pd, adverse = default_probability(x, policy.credit_limit.baseline_log_odds)
        position = ramp(pd, policy.pricing.low_risk, policy.pricing.high_risk)
        rate = round(band.min_rate + (band.max_rate - band.min_rate) * position, 5)
        reasons = [
            ReasonCode("PRC_POSITION", f"{position:.0%} of the way up the band", round(position, 6))
        ]
        reasons += adverse[:3] if position > 0 else []
        details: dict[str, Value] = {
            "product": product,
            "rate": rate,
            "min_rate": band.min_rate,
            "max_rate": band.max_rate,
        }
        return Outcome("price", round(pd, 9), reasons, [CandidateVerdict("price", True)], details)
