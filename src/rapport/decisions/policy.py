"""Policy as data: one YAML file, validated field by field, content-hashed into a version."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

from rapport.decisions.expressions import ExpressionError, compile_rule
from rapport.decisions.learning_policy import KindLearning
from rapport.decisions.monitor_policy import KindMonitors
from rapport.decisions.policy_inputs import unknown_inputs
from rapport.governance.fairness_policy import FairnessPolicy
from rapport.governance.protected_names import refuse_protected

DecisionKind = Literal["fraud", "credit_limit", "next_best_action", "communication", "pricing"]


def _must_compile(source: str) -> str:
    try:
        compile_rule(source)
    except ExpressionError as error:
        raise ValueError(f"expression does not compile: {error}") from None
    return source


Expression = Annotated[str, AfterValidator(_must_compile), AfterValidator(refuse_protected)]
"""A rule in zen-engine's expression language, checked when the policy loads to compile and to
name no protected attribute (DESIGN.md principle 7)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Rule(_Strict):
    """A named condition over the decision context, in zen-engine's expression language."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    """Stable name; it appears in reasons and in the ledger."""
    when: Expression
    """Expression, e.g. ``signals.vulnerability >= 0.5``."""
    reason: str
    """What the rule means, in words."""


class FraudPolicy(_Strict):
    """How transactions are screened before they are applied to the profile."""

    step_up_at: float = Field(default=0.08, gt=0, lt=1)
    """Estimated fraud probability from which the customer is asked to confirm (step-up)."""
    decline_at: float = Field(default=0.5, gt=0, le=1)
    """Estimated fraud probability from which the transaction is declined."""
    baseline_log_odds: float = -5.3
    """Log-odds of fraud for a transaction entirely in the customer's habits (about 0.5%)."""
    always_step_up: list[Rule] = Field(default_factory=list)
    """Guardrails: any rule that holds forces at least a step-up."""

    @field_validator("decline_at")
    @classmethod
    def _above_step_up(cls, value: float, info: object) -> float:
        data = getattr(info, "data", {})
        if "step_up_at" in data and value <= data["step_up_at"]:
            raise ValueError("decline_at must be above step_up_at")
        return value


class CreditPolicy(_Strict):
    """How card limits move at each statement (or on request)."""

    increase_below: float = Field(default=0.03, gt=0, lt=1)
    """Estimated yearly probability of default under which an increase may be offered."""
    decrease_above: float = Field(default=0.2, gt=0, lt=1)
    """Estimated yearly probability of default above which the limit comes down."""
    step_up: float = Field(default=0.2, gt=0, le=1)
    """Size of an increase, as a share of the current limit."""
    step_down: float = Field(default=0.2, gt=0, lt=1)
    """Size of a decrease, as a share of the current limit."""
    affordability_months: float = Field(default=1.5, gt=0, le=12)
    """A limit never exceeds this many months of income."""
    minimum_limit: float = Field(default=250.0, ge=0)
    """A limit never goes below this."""
    baseline_log_odds: float = -3.8
    """Log-odds of default for a customer with a clean record (about 2% a year)."""
    no_increase_when: list[Rule] = Field(default_factory=list)
    """Guardrails: any rule that holds refuses an increase (vulnerability, for one)."""


class Offer(_Strict):
    """One product the bank may offer."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    """Stable offer id."""
    product: str
    """What it is, in words."""
    value: float = Field(ge=0)
    """What an acceptance is worth to the bank (a relative unit)."""
    promotional: bool = True
    """Promotional offers are never shown to a vulnerable customer."""
    eligible_when: Expression = "true"
    """Expression: who may receive it."""
    affinity: Expression
    """Expression: estimated acceptance probability, in [0, 1]."""


class OfferPolicy(_Strict):
    """What the next-best-action may offer, to whom."""

    catalog: list[Offer] = Field(default_factory=list)
    """The products, each with its eligibility and affinity."""
    vulnerable_at: float = Field(default=0.5, ge=0, le=1)
    """Vulnerability score from which promotional offers are withheld."""
    minimum_expected_value: float = Field(default=0.5, ge=0)
    """Below this expected value, offer nothing."""


class ContactPolicy(_Strict):
    """When and how often the bank may contact a customer."""

    weekly_cap: int = Field(default=3, ge=0, le=50)
    """Messages sent to one customer in any seven days, all channels together."""
    quiet_start: int = Field(default=21, ge=0, le=23)
    """Local hour from which no message is sent..."""
    quiet_end: int = Field(default=8, ge=0, le=23)
    """...until this local hour."""
    supportive_at: float = Field(default=0.5, ge=0, le=1)
    """Vulnerability or stress score from which the tone is supportive and promotion waits."""


class Band(_Strict):
    """A product's regulatory rate band."""

    min_rate: float = Field(ge=0, le=1)
    """Lowest rate the product may carry."""
    max_rate: float = Field(ge=0, le=1)
    """Highest rate the product may carry."""

    @field_validator("max_rate")
    @classmethod
    def _ordered(cls, value: float, info: object) -> float:
        data = getattr(info, "data", {})
        if "min_rate" in data and value < data["min_rate"]:
            raise ValueError("max_rate must not be below min_rate")
        return value


class PricingPolicy(_Strict):
    """Risk-based prices, always inside each product's band."""

    bands: dict[str, Band] = Field(default_factory=dict)
    """Product -> its band."""
    low_risk: float = Field(default=0.01, gt=0, lt=1)
    """Yearly default probability at or below which the band's lowest rate applies."""
    high_risk: float = Field(default=0.2, gt=0, le=1)
    """Yearly default probability at or above which the band's highest rate applies."""


class Policy(_Strict):
    """Everything a decision may depend on besides the profile and the models."""

    name: str
    """Human name of the policy."""
    triggers: dict[str, list[DecisionKind]] = Field(default_factory=dict)
    """Event type -> the decision kinds it triggers."""
    fraud: FraudPolicy = Field(default_factory=FraudPolicy)
    """Fraud screening."""
    credit_limit: CreditPolicy = Field(default_factory=CreditPolicy)
    """Card limit management."""
    offers: OfferPolicy = Field(default_factory=OfferPolicy)
    """Next-best-action."""
    contact: ContactPolicy = Field(default_factory=ContactPolicy)
    """Communication: caps, quiet hours, tone."""
    pricing: PricingPolicy = Field(default_factory=PricingPolicy)
    """Pricing bands."""
    learning: dict[DecisionKind, KindLearning] = Field(default_factory=dict)
    """Decision kind -> its online learner (kinds not named decide with their built-in
    transparent models)."""
    fairness: FairnessPolicy = Field(default_factory=FairnessPolicy)
    """What the fairness monitor measures and the thresholds a policy must meet."""
    monitors: dict[DecisionKind, KindMonitors] = Field(default_factory=dict)
    """Decision kind -> the drift monitors on its inputs, scores and outcome rate, and what an
    alarm does (``rapport.learning.monitors``)."""


class PolicyError(ValueError):
    """A policy file with mistakes; ``problems`` lists each as 'field.path: reason'."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.problems = problems


class LoadedPolicy:
    """A validated policy and its version: the hash of its canonical content."""

    def __init__(self, policy: Policy, text: str) -> None:
        self.policy = policy
        self.text = text
        canonical = policy.model_dump_json()
        self.version = "pol-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def parse_policy(text: str, source: str = "policy", recorded: bool = False) -> LoadedPolicy:
    """``text`` validated into a policy. A policy to decide with must read only inputs the
    engine has; a ``recorded`` one (read back from the ledger to replay or learn from the
    decisions it took) is exempt: its decisions carry the inputs they read, and a feature
    renamed since must not make them unreplayable."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise PolicyError(source, [f"not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise PolicyError(source, ["a policy is a YAML mapping"])
    try:
        policy = Policy.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()
        ]
        raise PolicyError(source, problems) from None
    unknown = [] if recorded else unknown_inputs(policy, _must_compile)
    if unknown:
        raise PolicyError(source, unknown)
    return LoadedPolicy(policy, text)


def load_policy(path: str | Path | None = None) -> LoadedPolicy:
    """The policy in ``path``, or the default policy that ships with Rapport."""
    if path is None:
        text = resources.files("rapport.decisions").joinpath("default_policy.yaml").read_text()
        return parse_policy(text, "default policy")
    return parse_policy(Path(path).read_text(), str(path))
