"""Next-best-action: one offer from the eligible catalog, or none.

Eligibility and affinity are expressions in the policy; a vulnerable customer sees no
promotional offer (the help offers stay eligible). Without a learned model the offer with the
best expected value wins (its affinity times what an acceptance is worth). With a published
contextual bandit (a ``Chooser``), the bandit's distribution over the *eligible* offers decides
and a seeded draw picks: guardrails and eligibility are settled before the bandit sees anything,
so it can never explore its way past them. The score stays the policy's expected value.
"""

from __future__ import annotations

from collections.abc import Mapping

from rapport.decisions.expressions import evaluate
from rapport.decisions.kinds import Outcome, nest
from rapport.decisions.policy import Offer, Policy
from rapport.decisions.record import CandidateVerdict, ReasonCode, Value
from rapport.learning.bandit_choice import as_chooser, choose, learned_reasons
from rapport.learning.bandit_features import offer_arm
from rapport.learning.model import Model

INPUTS = ("signals.vulnerability",)
_WITHHELD = "promotional offers withheld from a vulnerable customer"
_UNKNOWN = "not eligible: an input its eligibility rule reads is missing"


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
        eligible: list[tuple[Offer, float, float]] = []  # offer, affinity, expected value
        best: tuple[float, str, float] | None = None
        for offer in offers.catalog:
            if vulnerable and offer.promotional:
                candidates.append(CandidateVerdict(offer.id, False, "customer is vulnerable"))
                continue
            eligible_now = evaluate(offer.eligible_when, context)
            if eligible_now is not True:
                why = "not eligible" if eligible_now is not None else _UNKNOWN
                candidates.append(CandidateVerdict(offer.id, False, why))
                continue
            affinity = evaluate(offer.affinity, context)
            p = min(1.0, max(0.0, float(affinity))) if isinstance(affinity, int | float) else 0.0
            expected = round(p * offer.value, 6)
            candidates.append(CandidateVerdict(offer.id, True, f"expected value {expected:g}"))
            eligible.append((offer, p, expected))
            if best is None or expected > best[0]:
                best = (expected, offer.id, p)
        guard = [ReasonCode("GRD_VULNERABLE", _WITHHELD, 0.0)] if vulnerable else []
        chooser = as_chooser(model)
        if chooser is not None and eligible:
            arms = [offer_arm(offer) for offer, _, _ in eligible]
            choice = choose(chooser, inputs, arms, seed)
            expected = next(e for offer, _, e in eligible if offer.id == choice.arm.id)
            reasons = learned_reasons(choice, "offer", len(eligible))
            return Outcome(
                "offer",
                expected,
                reasons + guard,
                candidates,
                {"offer_id": choice.arm.id},
                propensity=choice.probability,
                distribution=choice.distribution,
            )
        if best is None or best[0] < offers.minimum_expected_value:
            reasons = [ReasonCode("NBA_NONE", "no offer is worth making now", 0.0)]
            return Outcome("none", 0.0, guard + reasons, candidates)
        expected, offer_id, p = best
        reasons = [
            ReasonCode(
                "NBA_BEST",
                f"best expected value of {sum(c.eligible for c in candidates)} eligible offers",
                round(p, 6),
            )
        ]
        return Outcome("offer", expected, reasons + guard, candidates, {"offer_id": offer_id})
