"""Fraud screening: approve, step up or decline a transaction before it touches the profile.

Without a published model the score is a transparent behavioral model: log-odds that start from
the policy's baseline and rise with how far the transaction sits outside the customer's own
habits (amount against their baseline, a new merchant, device or country, travel speed, a burst
of payments) and with what is known about the merchant (confirmed frauds, card-testing traffic).
Each contribution is a reason.

With a published ``Scorer`` (a model trained by ``rapport train fraud`` or learned online from
fraud reports), its calibrated probability is the score; the policy's thresholds and guardrails
apply unchanged, and a step-up or a decline gives the model's own strongest contributions as its
reasons (an approval needs none, and skips their cost).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from rapport.decisions.expressions import evaluate
from rapport.decisions.kinds import Outcome, nest, numbers, ramp
from rapport.decisions.policy import FraudPolicy, Policy
from rapport.decisions.record import CandidateVerdict, ReasonCode, Value
from rapport.learning.model import Model, Scorer
from rapport.learning.reason_codes import PRIORS, top_reasons
from rapport.profiles.families.merchant import PRIOR_FRAUD_RATE

ACTIONS = ("approve", "step_up", "decline")
MODEL_VERSION = "fraud-behavioral-1"

# Everything the model reads, by input name.
INPUTS = (
    "event.amount",
    "event.channel",
    "features.last_debit_amount_zscore",
    "features.last_merchant_is_new",
    "features.last_device_is_new",
    "features.last_country_is_new",
    "features.last_speed_kmh",
    "features.debit_count_1h",
    "features.debit_count_7d",
    "features.failed_logins_1d",
    "features.last_hour_deviation",
    "features.debit_count_90d",
    "merchant.merchant_fraud_risk",
    "merchant.merchant_small_share_1h",
    "merchant.merchant_txn_1h",
)

# Recorded with every screening although the behavioral model does not read them: a model
# learned from fraud reports can only learn from what the decisions it answers recorded.
LEARNING_INPUTS = (
    "event.hour",
    "event.category",
    "features.debit_sum_1d",
    "features.debit_typical_amount_90d",
    "features.new_merchant_share_7d",
    "features.new_devices_30d",
    "features.distance_from_home_km",
    "features.tenure_days",
    "merchant.merchant_confirmed_frauds_30d",
    "merchant.merchant_velocity_ratio",
    "merchant.merchant_typical_amount_30d",
    "device.device_customers",
)


def _burst(x: Mapping[str, float]) -> float:
    """Other payments in the last hour (the one being screened is already counted) against the
    customer's usual hourly pace over the week."""
    hourly = x["features.debit_count_7d"] / (7 * 24.0)
    return max(0.0, x["features.debit_count_1h"] - 1.0) / max(hourly, 0.05)


Term = tuple[str, Callable[[Mapping[str, float]], float], str]

TERMS: tuple[Term, ...] = (
    (
        "FRD_AMOUNT",
        lambda x: 1.1 * min(6.0, max(0.0, x["features.last_debit_amount_zscore"] - 1.5)),
        "amount far above the customer's usual",
    ),
    (
        "FRD_NEW_MERCHANT",
        lambda x: 1.0 * x["features.last_merchant_is_new"],
        "a merchant the customer has not used",
    ),
    (
        "FRD_NEW_DEVICE",
        lambda x: 1.3 * x["features.last_device_is_new"],
        "a device the customer has not used",
    ),
    (
        "FRD_NEW_COUNTRY",
        lambda x: 1.5 * x["features.last_country_is_new"],
        "a country the customer is not active in",
    ),
    (
        "FRD_TRAVEL",
        lambda x: 2.5 * ramp(x["features.last_speed_kmh"], 300.0, 900.0),
        "implied travel speed since the last card use",
    ),
    (
        "FRD_BURST",
        lambda x: 1.2 * ramp(_burst(x), 3.0, 20.0),
        "a burst of payments against the customer's pace",
    ),
    (
        "FRD_FAILED_LOGINS",
        lambda x: 0.8 * ramp(x["features.failed_logins_1d"], 1.0, 3.0),
        "failed logins today",
    ),
    (
        "FRD_ODD_HOUR",
        lambda x: 0.5 * ramp(x["features.last_hour_deviation"], 4.0, 9.0),
        "an hour the customer is not usually active",
    ),
    (
        "FRD_MERCHANT_RISK",
        lambda x: min(
            3.0, max(0.0, math.log(max(x["merchant.merchant_fraud_risk"], 1e-9) / PRIOR_FRAUD_RATE))
        ),
        "the merchant has confirmed frauds",
    ),
    (
        "FRD_CARD_TESTING",
        lambda x: (
            2.0
            * ramp(x["merchant.merchant_small_share_1h"], 0.3, 0.8)
            * ramp(x["merchant.merchant_txn_1h"], 3.0, 10.0)
        ),
        "the merchant is seeing a burst of tiny payments",
    ),
)


PRIORS.update({code: text for code, _, text in TERMS})
# Novelty and amount mean little for a customer with almost no history: no baseline to deviate
# from.
_NEEDS_HISTORY = frozenset({"FRD_NEW_MERCHANT", "FRD_NEW_DEVICE", "FRD_NEW_COUNTRY", "FRD_AMOUNT"})


def behavioral_terms(inputs: Mapping[str, Value]) -> dict[str, float]:
    """The behavioral model's positive contributions to the log-odds of fraud, by reason code
    (the policy's baseline aside)."""
    values = numbers(inputs, INPUTS)
    history = ramp(values["features.debit_count_90d"], 0.0, 5.0)
    terms: dict[str, float] = {}
    for code, term, _ in TERMS:
        contribution = term(values)
        if code in _NEEDS_HISTORY:
            contribution *= history
        if contribution > 1e-9:
            terms[code] = contribution
    return terms


class Fraud:
    name = "fraud"
    model_version = MODEL_VERSION
    inputs: tuple[str, ...] = INPUTS + LEARNING_INPUTS

    def rules(self, policy: Policy) -> list[str]:
        return [rule.when for rule in policy.fraud.always_step_up]

    def decide(
        self,
        inputs: Mapping[str, Value],
        whole: Policy,
        model: Model | None = None,
        seed: int = 0,
    ) -> Outcome:
        """Action, estimated fraud probability, reasons and candidate verdicts."""
        if model is None:
            return _decide(inputs, whole.fraud)
        return _decide_scored(inputs, whole.fraud, as_scorer(model, self.name))


def as_scorer(model: Model, kind: str) -> Scorer:
    """The model as a ``Scorer`` (a bandit's chooser cannot score a probability)."""
    if not callable(getattr(model, "predict_one", None)):
        raise TypeError(f"{kind} decisions need a probability model (a Scorer), not {model!r}")
    return model  # type: ignore[return-value]


def _decide(inputs: Mapping[str, Value], policy: FraudPolicy) -> Outcome:
    terms = behavioral_terms(inputs)
    texts = {code: text for code, _, text in TERMS}
    logit = policy.baseline_log_odds
    reasons: list[ReasonCode] = []
    for code, contribution in terms.items():
        logit += contribution
        reasons.append(ReasonCode(code, texts[code], round(contribution, 6)))
    score = 1.0 / (1.0 + math.exp(-logit))
    return _act(inputs, policy, score, reasons)


def _decide_scored(inputs: Mapping[str, Value], policy: FraudPolicy, model: Scorer) -> Outcome:
    prediction = model.predict_one(inputs)
    outcome = _act(inputs, policy, prediction.probability, [])
    if outcome.action == "approve":
        return outcome
    # Only now are the contributions computed (TreeSHAP costs far more than the score).
    reasons = outcome.reasons + top_reasons(prediction.contributions, inputs, "FRD")
    return Outcome(outcome.action, outcome.score, reasons[:4], outcome.candidates)


def _act(
    inputs: Mapping[str, Value], policy: FraudPolicy, score: float, reasons: list[ReasonCode]
) -> Outcome:
    action = (
        "decline"
        if score >= policy.decline_at
        else "step_up"
        if score >= policy.step_up_at
        else "approve"
    )
    context = nest(inputs)
    guards: list[ReasonCode] = []
    for rule in policy.always_step_up:
        if evaluate(rule.when, context) is True:
            guards.append(ReasonCode(f"GRD_{rule.name.upper()}", rule.reason, 0.0))
    if guards and action == "approve":
        action = "step_up"
    # The guardrails that held come first, then the model's strongest contributions.
    reasons = guards + sorted(reasons, key=lambda r: -r.weight)
    candidates = [
        CandidateVerdict(
            "approve", action == "approve", "" if action == "approve" else "too risky"
        ),
        CandidateVerdict("step_up", True),
        CandidateVerdict(
            "decline",
            score >= policy.decline_at,
            "" if score >= policy.decline_at else "not risky enough",
        ),
    ]
    return Outcome(action, round(score, 9), reasons[:4], candidates)
