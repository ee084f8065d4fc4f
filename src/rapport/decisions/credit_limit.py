"""Credit limits: increase, hold or decrease, within affordability, with adverse-action reasons.

The score is an estimated yearly probability of default from a transparent model over repayment
behavior, utilisation and the customer's financial stress. An increase needs a low score, a card
in use, known income to afford it and no guardrail against it (vulnerability, by default);
a decrease, or a refused increase, carries the four strongest reasons as adverse-action codes.

With a published ``Scorer`` (``rapport train credit_limit``), its calibrated probability of the
account going bad is the score; the policy's thresholds, bounds and guardrails apply unchanged,
and the adverse-action codes are the model's own four strongest contributions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from rapport.decisions.expressions import evaluate
from rapport.decisions.fraud import as_scorer
from rapport.decisions.kinds import Outcome, nest, numbers, ramp
from rapport.decisions.policy import Policy
from rapport.decisions.record import CandidateVerdict, ReasonCode, Value
from rapport.learning.model import Model
from rapport.learning.reason_codes import top_reasons

INPUTS = (
    "features.credit_limit_last",
    "features.utilisation_last",
    "features.utilisation_trend",
    "features.late_share_90d",
    "features.mean_days_late_90d",
    "features.min_payment_only_share_90d",
    "features.delinquencies_365d",
    "features.defaults_365d",
    "features.overdrawn_share_30d",
    "features.income_regularity",
    "features.last_salary_amount",
    "features.salary_interval_days",
    "features.declared_income",
    "signals.financial_stress",
    "signals.vulnerability",
)

# (adverse-action code, contribution to the log-odds of default, words)
TERMS = (
    ("ADV_LATE", lambda x: 2.5 * x["features.late_share_90d"], "repayments made late"),
    (
        "ADV_DAYS_LATE",
        lambda x: 1.5 * ramp(x["features.mean_days_late_90d"], 3, 45),
        "repayments far past due",
    ),
    (
        "ADV_MIN_PAY",
        lambda x: 1.2 * x["features.min_payment_only_share_90d"],
        "only the minimum repaid",
    ),
    (
        "ADV_UTILISATION",
        lambda x: 2.0 * ramp(x["features.utilisation_last"], 0.5, 1.0),
        "card close to its limit",
    ),
    (
        "ADV_RISING_USE",
        lambda x: 1.0 * ramp(x["features.utilisation_trend"], 0.05, 0.3),
        "card balance rising",
    ),
    (
        "ADV_DELINQUENT",
        lambda x: 1.5 * min(2.0, x["features.delinquencies_365d"]),
        "recent delinquency",
    ),
    ("ADV_DEFAULT", lambda x: 4.0 * min(1.0, x["features.defaults_365d"]), "a recent default"),
    ("ADV_OVERDRAWN", lambda x: 1.0 * x["features.overdrawn_share_30d"], "account often overdrawn"),
    ("ADV_STRESS", lambda x: 1.5 * x["signals.financial_stress"], "signs of financial stress"),
)


# Recorded with every decision although the transparent model does not read them: a model
# learned online from credit outcomes can only learn from what the decisions recorded.
LEARNING_INPUTS = (
    "features.balance_mean_30d",
    "features.balance_trend",
    "features.income_30d",
    "features.income_drop_ratio",
    "features.salary_overdue_ratio",
    "features.debit_sum_30d",
    "features.tenure_days",
    "features.late_share_365d",
    "features.late_streak",
    "features.utilisation_mean_90d",
    "features.hardship_page_views_30d",
    "features.loan_page_views_30d",
    "features.share_gambling_30d",
)


class CreditLimit:
    name = "credit_limit"
    model_version = "credit-behavioral-1"
    inputs: tuple[str, ...] = INPUTS + LEARNING_INPUTS

    def rules(self, policy: Policy) -> list[str]:
        return [rule.when for rule in policy.credit_limit.no_increase_when]

    def decide(
        self,
        inputs: Mapping[str, Value],
        policy: Policy,
        model: Model | None = None,
        seed: int = 0,
    ) -> Outcome:
        rules = policy.credit_limit
        x = numbers(inputs, INPUTS)
        if model is None:
            pd, adverse = default_probability(x, rules.baseline_log_odds)
            return _limit(inputs, policy, x, pd, lambda: adverse)
        prediction = as_scorer(model, self.name).predict_one(inputs)
        return _limit(
            inputs,
            policy,
            x,
            prediction.probability,
            # Computed only for a decrease or a refusal, the decisions that must say why.
            lambda: top_reasons(prediction.contributions, inputs, "ADV"),
        )


def _limit(
    inputs: Mapping[str, Value],
    policy: Policy,
    x: Mapping[str, float],
    pd: float,
    adverse_reasons: Callable[[], list[ReasonCode]],
) -> Outcome:
    rules = policy.credit_limit
    limit = x["features.credit_limit_last"]
    income = _monthly_income(x)
    ceiling = rules.affordability_months * income
    context = nest(inputs)
    blocked = [
        ReasonCode(f"GRD_{r.name.upper()}", r.reason, 0.0)
        for r in rules.no_increase_when
        if evaluate(r.when, context) is True
    ]
    increase_to = round(min(limit * (1 + rules.step_up), ceiling), -1)
    can_increase = (
        pd < rules.increase_below
        and not blocked
        and income > 0
        and x["features.utilisation_last"] >= 0.5
        and increase_to > limit
    )
    decrease_to = round(max(rules.minimum_limit, limit * (1 - rules.step_down)), -1)
    if pd >= rules.decrease_above and decrease_to < limit:
        action, new_limit, reasons = "decrease", decrease_to, adverse_reasons()[:4]
    elif can_increase:
        action, new_limit, reasons = "increase", increase_to, []
    else:
        action, new_limit = "hold", limit
        # A customer who uses the card heavily was refused an increase: say why.
        refused = x["features.utilisation_last"] >= 0.5
        reasons = (blocked + adverse_reasons())[:4] if refused else []
    candidates = [
        CandidateVerdict(
            "increase",
            can_increase,
            "" if can_increase else _why_not(pd, rules.increase_below, blocked, income),
        ),
        CandidateVerdict("hold", True),
        CandidateVerdict(
            "decrease",
            pd >= rules.decrease_above,
            "" if pd >= rules.decrease_above else "risk too low to reduce",
        ),
    ]
    details: dict[str, Value] = {"new_limit": new_limit, "previous_limit": limit}
    return Outcome(action, round(pd, 9), reasons, candidates, details)


def default_probability(
    x: Mapping[str, float], baseline_log_odds: float
) -> tuple[float, list[ReasonCode]]:
    """Estimated yearly probability of default, and its four strongest adverse reasons."""
    contributions = [(code, term(x), text) for code, term, text in TERMS]
    logit = baseline_log_odds - 0.8 * x["features.income_regularity"]
    logit += sum(c for _, c, _ in contributions)
    adverse = [
        ReasonCode(code, text, round(c, 6))
        for code, c, text in sorted(contributions, key=lambda t: -t[1])
        if c > 1e-6
    ][:4]
    return 1.0 / (1.0 + math.exp(-logit)), adverse


def _monthly_income(x: Mapping[str, float]) -> float:
    if x["features.last_salary_amount"] > 0 and x["features.salary_interval_days"] > 0:
        return x["features.last_salary_amount"] * 30.4 / x["features.salary_interval_days"]
    if x["features.last_salary_amount"] > 0:
        return x["features.last_salary_amount"]
    return x["features.declared_income"] / 12.0


def _why_not(pd: float, threshold: float, blocked: list[ReasonCode], income: float) -> str:
    if blocked:
        return blocked[0].text
    if pd >= threshold:
        return "risk too high"
    if income <= 0:
        return "income unknown"
    return "not needed or beyond affordability"
