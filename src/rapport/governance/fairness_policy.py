"""The policy's ``fairness:`` section: what the fairness monitor measures and what it tolerates.

Thresholds live in the policy, beside the rules they judge, so that a policy and the standard it
is held to are versioned together. A policy whose own figures break them is refused at
promotion unless an admin overrides with a recorded reason (``rapport policy promote``).
"""

from __future__ import annotations

from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rapport.governance.protected_names import PROTECTED_ATTRIBUTES

# The decision kinds (DecisionKind in rapport.decisions.policy, which imports this module and so
# cannot be imported here).
_KINDS = frozenset({"fraud", "credit_limit", "next_best_action", "communication", "pricing"})


class FairnessPolicy(BaseModel):
    """How decisions are monitored for unequal treatment of protected groups.

    A threshold is broken when the figure is beyond it *and*, when intervals are computed, its
    whole confidence interval is too: an alert says the disparity is clear, not noise.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    favorable_actions: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "fraud": ["approve"],
            "credit_limit": ["increase"],
            "next_best_action": ["offer"],
        }
    )
    """Decision kind -> the actions that are favorable to the customer. Kinds not named here
    are not monitored (a price or a message has no single favorable side)."""
    attributes: list[str] = Field(default_factory=lambda: ["sex", "age_band"], min_length=1)
    """Protected attributes to group by, each alone and all of them together (their
    intersection). ``age_band`` is derived from ``age`` with ``age_bands``."""
    age_bands: list[int] = Field(default_factory=lambda: [25, 35, 50, 65])
    """Ages at which a new age band starts: the default gives under 25, 25-34, 35-49, 50-64
    and 65 and over."""
    min_adverse_impact_ratio: float = Field(default=0.8, ge=0, le=1)
    """Adverse impact ratio (the lowest group's favorable rate over the highest group's) under
    which an alert is raised: 0.8 is the four-fifths rule."""
    max_equal_opportunity_gap: float = Field(default=0.1, ge=0, le=1)
    """Largest allowed difference between groups in the favorable rate among customers whose
    outcome turned out good (the true-positive rate of equal opportunity)."""
    max_calibration_gap: float | None = Field(default=None, ge=0, le=1)
    """Largest allowed difference between groups in calibration (observed bad-outcome rate
    minus the mean predicted probability); None reports it without alerting, since a replay
    window is often shorter than the horizon the scores predict."""
    min_group_size: int = Field(default=30, ge=1)
    """Groups with fewer decisions (or, for outcome-based figures, fewer known outcomes) are
    reported but neither judged nor used as the reference: their rates are too noisy."""
    min_favorable_decisions: int = Field(default=10, ge=0)
    """Fewer favorable decisions than this among the judged groups of a grouping, and its
    adverse impact ratio is shown but not judged: a handful of favorable decisions cannot
    show a disparity (one increase in a thousand decisions would give a ratio of 0)."""
    bootstrap_samples: int = Field(default=200, ge=0, le=10_000)
    """Resamples behind each confidence interval (0: no intervals)."""
    confidence: float = Field(default=0.95, gt=0, lt=1)
    """Coverage of the confidence intervals (percentile bootstrap)."""
    seed: int = Field(default=0, ge=0)
    """Seed of the bootstrap, so that the same decisions always give the same intervals."""

    @field_validator("favorable_actions")
    @classmethod
    def _known_kinds(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(value) - _KINDS)
        if unknown:
            raise ValueError(f"unknown decision kind(s) {', '.join(unknown)}")
        return value

    @field_validator("attributes")
    @classmethod
    def _protected_only(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in PROTECTED_ATTRIBUTES]
        if unknown:
            raise ValueError(f"not protected attribute names: {', '.join(unknown)}")
        if len(set(value)) != len(value):
            raise ValueError("an attribute is named twice")
        return value

    @field_validator("age_bands")
    @classmethod
    def _increasing(cls, value: list[int]) -> list[int]:
        if any(b <= a for a, b in pairwise(value)) or any(v <= 0 for v in value):
            raise ValueError("age band edges must be positive and increasing")
        return value
