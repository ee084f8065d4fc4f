"""Shadow mode: a challenger decides beside the champion on live traffic, and only logs.

After every champion decision (a ``DecisionService`` observer), the challenger gathers *its own*
inputs from the same namespaces the champion's were gathered from, decides with its policy and
models and the champion decision's seed, and the would-be decision is written to its own table
(``shadow_decisions``, in the ledger's file; not in the hash-chained ledger, since nothing was
decided): the champion's decision id and arm, the challenger's arm, its probability, and the
challenger's whole distribution over arms, so that the challenger can later be judged
off-policy on exactly what it would have done (``judge_shadow``), inputs the champion never
gathered included.

A challenger that fails on a decision never harms the champion's: the failure is logged and
counted, and the champion's decision stands.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rapport.decisions.policy import load_policy
from rapport.decisions.record import Decision
from rapport.decisions.service import KINDS, gather
from rapport.learning.challenger import (
    Challenger,
    ChallengerReport,
    arm_of,
    distribution,
    estimate_into,
    named_models,
)
from rapport.learning.offpolicy import Round
from rapport.learning.registry import open_registry
from rapport.store.connect import connect
from rapport.store.urls import local_url

if TYPE_CHECKING:
    from rapport.decisions.service import Spaces

log = logging.getLogger("rapport.learning.shadow")


@dataclass(frozen=True)
class ShadowDecision:
    champion_decision_id: str
    kind: str
    customer_id: str
    event_time: str
    champion_arm: str
    champion_propensity: float
    challenger_version: str
    """The challenger policy's version."""
    challenger_model: str
    """The model version the challenger decided with (its kind's built-in model if none)."""
    action: str
    arm: str
    """The arm the challenger would have chosen (its action, or the offer it would make)."""
    probability: float
    """The challenger's probability of that arm."""
    distribution: dict[str, float]
    """The challenger's probability of every arm: its propensity for the champion's arm is
    ``distribution.get(champion_arm, 0)``."""


class ShadowLog(Protocol):
    def record(self, row: ShadowDecision) -> None: ...

    def rows(self, kind: str | None = None) -> Iterator[ShadowDecision]: ...

    def count(self) -> int: ...

    def close(self) -> None: ...


class MemoryShadowLog:
    def __init__(self) -> None:
        self._rows: dict[str, ShadowDecision] = {}

    def record(self, row: ShadowDecision) -> None:
        self._rows.setdefault(row.champion_decision_id + "|" + row.challenger_version, row)

    def rows(self, kind: str | None = None) -> Iterator[ShadowDecision]:
        return iter([r for r in self._rows.values() if kind is None or r.kind == kind])

    def count(self) -> int:
        return len(self._rows)

    def close(self) -> None:
        return None


class SqliteShadowLog:
    """Table ``shadow_decisions`` in the ledger's SQLite file: one row per champion decision and
    challenger version (a re-sent trigger is recorded once)."""

    def __init__(self, path: str | Path) -> None:
        # WAL with synchronous=NORMAL: a shadow row per decision must not cost a disk sync.
        self.connection = connect(path)
        self.connection.execute(
            "CREATE TABLE IF NOT EXISTS shadow_decisions (champion_decision_id TEXT NOT NULL, "
            "challenger_version TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, "
            "PRIMARY KEY (champion_decision_id, challenger_version))"
        )
        self._lock = threading.Lock()

    def record(self, row: ShadowDecision) -> None:
        with self._lock:
            self.connection.execute(
                "INSERT OR IGNORE INTO shadow_decisions VALUES (?, ?, ?, ?)",
                (
                    row.champion_decision_id,
                    row.challenger_version,
                    row.kind,
                    json.dumps(asdict(row), sort_keys=True),
                ),
            )

    def rows(self, kind: str | None = None) -> Iterator[ShadowDecision]:
        query = "SELECT body FROM shadow_decisions"
        cursor = (
            self.connection.execute(query + " WHERE kind = ? ORDER BY rowid", (kind,))
            if kind is not None
            else self.connection.execute(query + " ORDER BY rowid")
        )
        for (body,) in cursor:
            yield ShadowDecision(**json.loads(body))

    def count(self) -> int:
        return int(self.connection.execute("SELECT count(*) FROM shadow_decisions").fetchone()[0])

    def close(self) -> None:
        self.connection.close()


def open_shadow_log(url: str) -> ShadowLog:
    """The shadow log beside the stores a URL names (``memory://`` or a SQLite file)."""
    if url == "memory://":
        return MemoryShadowLog()
    return SqliteShadowLog(local_url(url).removeprefix("sqlite:///"))


class Shadow:
    """Runs a challenger beside the champion: ``observe`` is a ``DecisionService`` observer."""

    def __init__(self, challenger: Challenger, shadow_log: ShadowLog) -> None:
        self.challenger = challenger
        self.log = shadow_log
        self.observed = 0
        self.failures = 0

    def observe(self, decision: Decision, spaces: Spaces) -> None:
        kind = decision.kind
        try:
            inputs = gather(self.challenger.reads(kind), spaces)
            outcome = self.challenger.decide(kind, inputs, decision.seed)
            spread = distribution(kind, outcome)
            arm = arm_of(kind, outcome.action, outcome.details)
            model = self.challenger.model(kind)
            row = ShadowDecision(
                champion_decision_id=decision.decision_id,
                kind=kind,
                customer_id=decision.customer_id,
                event_time=decision.event_time,
                champion_arm=arm_of(kind, decision.action, decision.details),
                champion_propensity=decision.propensity,
                challenger_version=self.challenger.version,
                challenger_model=model.version if model is not None else KINDS[kind].model_version,
                action=outcome.action,
                arm=arm,
                probability=spread.get(arm, 0.0),
                distribution=spread,
            )
            self.log.record(row)
            self.observed += 1
        except Exception:
            # The champion's decision is already taken and recorded; the shadow must not undo it.
            self.failures += 1
            log.exception(
                "challenger %s failed on %s", self.challenger.version, decision.decision_id
            )


def challenger_from(path: str | Path, models: Iterable[str], store_url: str) -> Challenger:
    """A challenger from its policy file and ``KIND=VERSION`` models in the store's registry."""
    registry = open_registry(store_url)
    try:
        return Challenger(load_policy(path), named_models(models, registry))
    finally:
        registry.close()


def judge_shadow(
    rows: Iterable[ShadowDecision],
    reward_of: Mapping[str, float],
    kind: str,
    *,
    missing_reward: float = 0.0,
    clip: float | None = None,
    confidence: float = 0.95,
    bootstrap: int = 0,
    seed: int = 0,
) -> ChallengerReport:
    """The shadowed challenger's off-policy value from what it would have done (its logged
    distributions) and the champion's rewards; DR's reward model is per-arm means here."""
    report = ChallengerReport(kind, "", "", 0, 0, 0, missing_reward=missing_reward)
    rounds: list[Round] = []
    agree = certain = 0
    for row in rows:
        if row.kind != kind:
            continue
        report.decisions += 1
        report.challenger_version = row.challenger_version
        reward = reward_of.get(row.champion_decision_id)
        if reward is None:
            report.unanswered += 1
            reward = missing_reward
        agree += row.arm == row.champion_arm
        certain += row.champion_propensity >= 1.0
        rounds.append(Round(row.champion_arm, row.champion_propensity, reward, row.distribution))
    return estimate_into(report, kind, rounds, agree, certain, clip, confidence, bootstrap, seed)
