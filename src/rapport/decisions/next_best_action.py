"""Next-best-action: one offer from the eligible catalog, or none, by expected value.

Eligibility and affinity are expressions in the policy; a vulnerable customer sees no
promotional offer (the help offers stay eligible). The score is the chosen offer's expected
value: its affinity times what an acceptance is worth.
"""

from __future__ import annotations

from collections.abc import Mapping

from rapport.decisions.expressions import evaluate
from rapport.decisions.kinds import Outcome, nest
from rapport.decisions.policy import Policy
from rapport.decisions.record import CandidateVerdict, ReasonCode, Value
from rapport.learning.model import Model

INPUTS = ("signals.vulnerability",)


class NextBestAction:
    name = "next_best_action"
    model_version = "nba-affinity-1"
    inputs: tuple[str, ...] = INPUTS

    def rules(self, policy: Policy) -> list[str]:
        return [s for o in policy.offers.catalog for s in (o.eligible_when, o.affinity)]

    def decide(
        self,
        inputs: Mapping[str, Value],
        policy: Policy,
        model: Model | None = None,
        seed: int = 0,
    ) -> Outcome:
        offers = policy.offers
        context = nest(inputs)
        vulnerability = inputs.get("signals.vulnerability")
        vulnerable = (
            isinstance(vulnerability, int | float) and vulnerability >= offers.vulnerable_at
        )
        candidates: list[CandidateVerdict] = []
        best: tuple[float, str, float] | None = None
        for offer in offers.catalog:
            if vulnerable and offer.promotional:
                candidates.append(CandidateVerdict(offer.id, False, "customer is vulnerable"))
                continue
            if evaluate(offer.eligible_when, context) is not True:
                candidates.append(CandidateVerdict(offer.id, False, "not eligible"))
                continue
            affinity = evaluate(offer.affinity, context)
            p = min(1.0, max(0.0, float(affinity))) if isinstance(affinity, int | float) else 0.0
            expected = round(p * offer.value, 6)
            candidates.append(CandidateVerdict(offer.id, True, f"expected value {expected:g}"))
            if best is None or expected > best[0]:
                best = (expected, offer.id, p)
        if best is None or best[0] < offers.minimum_expected_value:
            reasons = [ReasonCode("NBA_NONE", "no offer is worth making now", 0.0)]
            if vulnerable:
                reasons.insert(
                    0,
                    ReasonCode(
                        "GRD_VULNERABLE",
                        "promotional offers withheld from a vulnerable customer",
                        0.0,
                    ),
                )
            return Outcome("none", 0.0, reasons, candidates)
        expected, offer_id, p = best
        reasons = [
            ReasonCode(
                "NBA_BEST",
                f"best expected value of {sum(c.eligible for c in candidates)} eligible offers",
                round(p, 6),
            )
        ]
        if vulnerable:
            reasons.append(
                ReasonCode(
                    "GRD_VULNERABLE", "promotional offers withheld from a vulnerable customer", 0.0
                )
            )
        return Outcome("offer", expected, reasons, candidates, {"offer_id": offer_id})
