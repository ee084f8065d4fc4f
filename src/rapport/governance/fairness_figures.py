"""The fairness monitor's results: figures with intervals, per group, grouping and kind, and
the alerts; plain data that serialises to JSON (non-finite figures as null)."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Estimate:
    """A figure with its bootstrap confidence interval (None bounds: no resampling done)."""

    value: float
    low: float | None = None
    high: float | None = None


@dataclass(frozen=True)
class GroupFigures:
    group: dict[str, str]
    """The group's attribute values, e.g. ``{"sex": "female", "age_band": "25-34"}``."""
    decisions: int
    favorable_rate: Estimate
    judged: bool
    """Large enough (``min_group_size`` decisions) to be judged and taken as reference."""
    qualified: int = 0
    """Decisions whose outcome turned out good (repaid, not fraud)."""
    true_positive_rate: Estimate | None = None
    """Favorable rate among the qualified (equal opportunity)."""
    labelled: int = 0
    """Decisions with a known outcome and a score."""
    mean_score: Estimate | None = None
    observed_bad_rate: Estimate | None = None

    @property
    def label(self) -> str:
        return " & ".join(f"{name}={value}" for name, value in self.group.items())


@dataclass(frozen=True)
class GroupingFigures:
    attributes: tuple[str, ...]
    groups: list[GroupFigures]
    adverse_impact_ratio: Estimate | None = None
    """Lowest judged group's favorable rate over the highest's (None: fewer than two judged
    groups, or no favorable decision at all)."""
    lowest_group: str | None = None
    highest_group: str | None = None
    equal_opportunity_gap: Estimate | None = None
    """Highest minus lowest true-positive rate among groups with enough qualified decisions."""
    calibration_gap: Estimate | None = None
    """Spread between groups of (observed bad rate - mean predicted probability)."""

    @property
    def name(self) -> str:
        return " x ".join(self.attributes)


@dataclass(frozen=True)
class Alert:
    kind: str
    grouping: str
    metric: str
    value: float
    threshold: float
    message: str


@dataclass
class KindFigures:
    kind: str
    decisions: int
    favorable_rate: float
    groupings: list[GroupingFigures]
    alerts: list[Alert] = field(default_factory=list)


@dataclass
class FairnessReport:
    kinds: list[KindFigures]
    unattributed: int = 0
    """Decisions left out because the customer has no protected values on record."""

    @property
    def alerts(self) -> list[Alert]:
        return [alert for kind in self.kinds for alert in kind.alerts]

    def judged(self) -> bool:
        """Whether any grouping had two or more groups large enough to be compared."""
        return any(g.adverse_impact_ratio is not None for k in self.kinds for g in k.groupings)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = _finite(
            {
                "unattributed": self.unattributed,
                "alerts": [asdict(alert) for alert in self.alerts],
                "kinds": [
                    {
                        "kind": kind.kind,
                        "decisions": kind.decisions,
                        "favorable_rate": kind.favorable_rate,
                        "groupings": [_grouping_dict(g) for g in kind.groupings],
                    }
                    for kind in self.kinds
                ],
            }
        )
        return data


def _grouping_dict(grouping: GroupingFigures) -> dict[str, Any]:
    data = asdict(grouping)
    data["attributes"] = list(grouping.attributes)
    data["name"] = grouping.name
    for group, original in zip(data["groups"], grouping.groups, strict=True):
        group["label"] = original.label
    return data


def _finite(value: Any) -> Any:
    """JSON has no NaN: non-finite figures become null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value
