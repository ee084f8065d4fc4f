"""Policy as data: one YAML file, validated field by field, content-hashed into a version."""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rapport.decisions.expressions import ExpressionError, compile_rule

DecisionKind = Literal["fraud", "credit_limit", "next_best_action", "communication", "pricing"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Rule(_Strict):
    """A named condition over the decision context, in zen-engine's expression language."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    """Stable name; it appears in reasons and in the ledger."""
    when: str
    """Expression, e.g. ``signals.vulnerability >= 0.5``."""
    reason: str
    """What the rule means, in words."""

    @field_validator("when")
    @classmethod
    def _compiles(cls, source: str) -> str:
        try:
            compile_rule(source)
        except ExpressionError as error:
            raise ValueError(f"expression does not compile: {error}") from None
        return source


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


class Policy(_Strict):
    """Everything a decision may depend on besides the profile and the models."""

    name: str
    """Human name of the policy."""
    triggers: dict[str, list[DecisionKind]] = Field(default_factory=dict)
    """Event type -> the decision kinds it triggers."""
    fraud: FraudPolicy = Field(default_factory=FraudPolicy)
    """Fraud screening."""


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


def parse_policy(text: str, source: str = "policy") -> LoadedPolicy:
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
    return LoadedPolicy(policy, text)


def load_policy(path: str | Path | None = None) -> LoadedPolicy:
    """The policy in ``path``, or the default policy that ships with Rapport."""
    if path is None:
        text = resources.files("rapport.decisions").joinpath("default_policy.yaml").read_text()
        return parse_policy(text, "default policy")
    return parse_policy(Path(path).read_text(), str(path))
