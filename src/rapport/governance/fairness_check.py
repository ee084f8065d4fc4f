"""Pre-deployment bias check: a candidate policy's fairness over history, beside the current's.

History is an events file (or the events a store has logged) replayed, in event time, through a
fresh in-memory engine deciding with the policy under test; the decisions it takes are joined
to the protected attributes (from the events' ``customer_update.protected``, or a store's
protected store when the logged events no longer carry them) and to the outcomes in the same
history. Both policies are judged by one standard: the current policy's ``fairness`` section
(the standard in force), or the candidate's own when there is no current policy, so that a
candidate cannot pass by loosening its own thresholds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import pandas as pd

from rapport.config import EngineConfig
from rapport.decisions.policy import LoadedPolicy
from rapport.engine import Engine
from rapport.events.validation import EventRejectedError, parse_event
from rapport.governance.fairness import FairnessReport, assess
from rapport.governance.fairness_data import (
    decision_table,
    ledger_decisions,
    logged_outcomes,
    outcome_labels,
)
from rapport.governance.fairness_policy import FairnessPolicy
from rapport.governance.protected import ProtectedStore

REPLAY_CHUNK = 2_000


@dataclass
class PolicyFairness:
    """One policy's decisions over a history, and its fairness figures."""

    version: str
    name: str
    report: FairnessReport
    table: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "name": self.name,
            "judged": self.report.judged(),
            "decisions": len(self.table),
            "figures": self.report.to_dict(),
        }


def ordered(lines: Iterable[bytes]) -> list[bytes]:
    """Lines in event-time order (stable; unparseable lines first, where ingest rejects them)."""
    keyed = []
    for index, line in enumerate(lines):
        try:
            when = parse_event(line).timestamp.timestamp()
        except EventRejectedError:
            when = float("-inf")
        keyed.append((when, index, line))
    keyed.sort()
    return [line for _, _, line in keyed]


def judge_engine(
    engine: Engine, settings: FairnessPolicy, protected: ProtectedStore | None = None
) -> tuple[FairnessReport, pd.DataFrame]:
    """The fairness figures of every decision in an engine's ledger."""
    ledger = engine.decisions.ledger
    labels = outcome_labels(logged_outcomes(engine.stores.events), ledger)
    table = decision_table(
        ledger_decisions(ledger), protected or engine.protected, labels, settings
    )
    return assess(table, settings), table


def replay_fairness(
    lines: Sequence[bytes],
    policy: LoadedPolicy,
    settings: FairnessPolicy,
    protected: ProtectedStore | None = None,
) -> PolicyFairness:
    """Replay time-ordered events under ``policy`` in memory and judge its decisions."""
    with Engine("memory://", EngineConfig(store_url="memory://")) as engine:
        engine.use_policy(policy.text)
        for start in range(0, len(lines), REPLAY_CHUNK):
            engine.ingest_and_decide(lines[start : start + REPLAY_CHUNK])
        report, table = judge_engine(engine, settings, protected)
    return PolicyFairness(policy.version, policy.policy.name, report, table)


def logged_history(engine: Engine) -> list[bytes]:
    """A store's logged events as lines in event-time order (protected values are not in them:
    pass the store's protected store to ``replay_fairness``)."""
    records = sorted(engine.stores.events.scan(), key=lambda record: record.time)
    return [record.body for record in records]


@dataclass
class Comparison:
    """A candidate's fairness beside the current policy's, judged by one standard."""

    standard: FairnessPolicy
    candidate: PolicyFairness
    current: PolicyFairness | None
    events: int

    @property
    def breaches(self) -> list[dict[str, Any]]:
        return [asdict(alert) for alert in self.candidate.report.alerts]

    def side_by_side(self) -> list[dict[str, Any]]:
        """Per kind, grouping and figure: candidate, current, and the threshold."""
        current = _summary(self.current.report) if self.current else {}
        rows = []
        for key, value in _summary(self.candidate.report).items():
            kind, grouping, metric = key
            rows.append(
                {
                    "kind": kind,
                    "grouping": grouping,
                    "metric": metric,
                    "candidate": value,
                    "current": current.get(key),
                    "threshold": _threshold(self.standard, metric),
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "standard": self.standard.model_dump(),
            "candidate": self.candidate.to_dict(),
            "current": self.current.to_dict() if self.current else None,
            "breaches": self.breaches,
            "side_by_side": self.side_by_side(),
        }


def _summary(report: FairnessReport) -> dict[tuple[str, str, str], float | None]:
    out: dict[tuple[str, str, str], float | None] = {}
    for kind in report.kinds:
        out[(kind.kind, "all", "favorable_rate")] = kind.favorable_rate
        for grouping in kind.groupings:
            for metric in ("adverse_impact_ratio", "equal_opportunity_gap", "calibration_gap"):
                estimate = getattr(grouping, metric)
                out[(kind.kind, grouping.name, metric)] = estimate.value if estimate else None
    return out


def _threshold(standard: FairnessPolicy, metric: str) -> float | None:
    return {
        "adverse_impact_ratio": standard.min_adverse_impact_ratio,
        "equal_opportunity_gap": standard.max_equal_opportunity_gap,
        "calibration_gap": standard.max_calibration_gap,
    }.get(metric)


def compare(
    lines: Iterable[bytes],
    candidate: LoadedPolicy,
    current: LoadedPolicy | None,
    protected: ProtectedStore | None = None,
) -> Comparison:
    """Replay history under the candidate (and the current policy) and judge both."""
    history = ordered(lines)
    standard = (current or candidate).policy.fairness
    judged_candidate = replay_fairness(history, candidate, standard, protected)
    judged_current = (
        replay_fairness(history, current, standard, protected) if current is not None else None
    )
    return Comparison(standard, judged_candidate, judged_current, len(history))
