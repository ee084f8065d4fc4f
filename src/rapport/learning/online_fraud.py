"""Fraud learning online: delayed fraud reports teach a LightGBM model boosted from the behavioral
score, refitted on what has been labelled so far and published at the loop's bounded intervals.

Labels come late and one-sided. A ``fraud_report`` confirms a fraud (or clears a suspicion)
days after the screening; most transactions are never reported at all, and those are the
genuine ones — but only with hindsight. So the learner keeps:

- every confirmed fraud and every cleared report, with the inputs its screening *recorded*
  (the joined ledger record, never today's profile), and the delay of each confirmed report;
- a deterministic sample of all other screenings (it sees each decision through the decision
  service's observer hook, ``observe_decision``), each standing for ``1 / negative_sample``
  decisions; a report arriving later turns a sampled screening into a fraud.

``publish`` refits on (``delayed_labels``):

- ``reweight`` (default, once the delays are known): every screening old enough for some
  frauds to have been reported, unreported ones as genuine, each confirmed fraud weighted by one
  over the share of frauds reported by its age — it stands for its peers not reported yet, the
  classic inverse-probability correction for delayed feedback — so the recent weeks count;
- ``mature``: only screenings older than the maturity (the age by which 90% of frauds get
  reported), where both classes have settled.

Frauds are never learned early *without* their genuine neighbours: that teaches the model what
*recent* looks like (tenure, merchant age...) rather than what fraud looks like — measured, it
cost a third of the average precision. The refit uses a time-ordered validation split and
calibration, as ``rapport train`` does. The trees start from the built-in behavioral log-odds
(a LightGBM *offset*), so with few labels the model stays close to the transparent score, and
its terms remain among the reasons. Until ``min_positives`` frauds are in the window, nothing is
published and decisions keep the behavioral model. Every refit is bounded (``max_rows``), so
publication cost does not grow with history.
"""

from __future__ import annotations

import bisect
import collections
import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from rapport.decisions.record import Decision, Value
from rapport.learning.artifact import Artifact
from rapport.learning.gbm_config import GbmConfig
from rapport.learning.loop import learner
from rapport.learning.outcomes import JoinedOutcome
from rapport.learning.training import TrainingError, TrainingTable, train_scorer

DAY = 86400.0
_DELAYS_NEEDED = 20
_DEFAULT_MATURITY_DAYS = 14.0
_MIN_MATURITY_DAYS, _MAX_MATURITY_DAYS = 1.0, 120.0
_IGNORED = frozenset({"event.type"})


class OnlineFraudOptions(BaseModel):
    """Options of the ``lightgbm-fraud`` learner (the policy's ``learning.fraud.options``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    maturity_days: float | None = Field(default=None, gt=0.0, le=365.0)
    """Days after which an unreported screening counts as genuine (and the window trained on
    ends). None: learned from the reports themselves — the ``maturity_quantile`` of the delays
    between screening and confirmed report seen so far (14 days until 20 have been seen), so
    the window follows how fast this bank's frauds actually get reported."""
    maturity_quantile: float = Field(default=0.9, gt=0.5, lt=1.0)
    """Share of confirmed frauds reported within the learned maturity."""
    delayed_labels: Literal["reweight", "mature"] = "reweight"
    """How the not-yet-reported are handled. ``mature``: learn only from screenings older than
    the maturity. ``reweight``: learn from every screening old enough for
    ``min_reported_share`` of frauds to have been reported, unreported ones as genuine, and
    weigh each confirmed fraud by one over the share of frauds reported by its age (its
    not-yet-reported peers), so the recent weeks count without looking less fraudulent. Both
    use the delays seen so far; ``mature`` is used until 20 have been seen."""
    min_reported_share: float = Field(default=0.2, gt=0.0, lt=1.0)
    """``reweight``: screenings younger than the age by which this share of frauds are
    reported are left out; no fraud weighs more than one over it."""
    negative_sample: float = Field(default=0.5, gt=0.0, le=1.0)
    """Share of unreported screenings kept as genuine examples (each weighs 1/share)."""
    max_rows: int = Field(default=50_000, ge=1_000)
    """Most examples a refit uses: the newest genuine ones are kept, frauds first."""
    min_positives: int = Field(default=30, ge=5)
    """Matured frauds needed before a model is published."""
    validation_share: float = Field(default=0.25, gt=0.0, lt=0.9)
    """Latest share of the matured window held out for early stopping and calibration."""
    max_features: int = Field(default=32, ge=1)
    """Most recorded inputs the model reads."""
    learning_rate: float = Field(default=0.05, gt=0.0, le=1.0)
    """Shrinkage of each tree."""
    num_leaves: int = Field(default=15, ge=2, le=255)
    """Leaves per tree."""
    max_rounds: int = Field(default=300, ge=1, le=5000)
    """Most trees per refit."""
    start_from_behavioral: bool = True
    """Boost the trees from the behavioral model's log-odds (its terms stay among the reasons)
    rather than from a constant."""


def _sampled(decision_id: str, share: float) -> bool:
    """A deterministic coin per decision: replaying the same history samples the same rows."""
    digest = hashlib.blake2b(decision_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / float(1 << 64) < share


def _epoch(decision: Decision) -> float:
    return dt.datetime.fromisoformat(decision.event_time).timestamp()


def _features(inputs: Mapping[str, Value]) -> dict[str, Value]:
    return {k: v for k, v in inputs.items() if v is not None and k not in _IGNORED}


Example = tuple[float, dict[str, Value], float, float]
"""(decision time, recorded inputs, label, weight)."""


class OnlineFraudLearner:
    """Learns ``fraud`` from delayed reports; see the module docstring."""

    def __init__(self, kind: str, options: OnlineFraudOptions) -> None:
        if kind != "fraud":
            raise ValueError(f"lightgbm-fraud learns fraud decisions, not {kind}")
        self.kind = kind
        self.options = options
        self.labelled: dict[str, Example] = {}
        """Decision id -> a reported example (fraud or cleared)."""
        self.pending: collections.OrderedDict[str, tuple[float, dict[str, Value]]] = (
            collections.OrderedDict()
        )
        """Sampled unreported screenings, oldest first."""
        self.now = float("-inf")
        self.delays: list[float] = []
        self.timed_delays: list[tuple[float, float]] = []
        """(screening time, days to its confirmed report) of every confirmed fraud."""
        self._sorted_delays: list[float] = []
        """Days from screening to confirmed report, of every confirmed fraud so far."""
        self._changed = False
        self.published: Artifact | None = None
        self.refits = 0

    # --- what the loop and the decision service hand over ---------------------------------

    def observe_decision(self, decision: Decision, spaces: object = None) -> None:
        """Every decision taken (the service's observer hook): sample the screenings."""
        if decision.kind != self.kind:
            return
        when = _epoch(decision)
        self.now = max(self.now, when)
        if decision.decision_id in self.labelled or decision.decision_id in self.pending:
            return
        if _sampled(decision.decision_id, self.options.negative_sample):
            self.pending[decision.decision_id] = (when, _features(decision.inputs))
            self._changed = True
            # Bounded memory: beyond the newest max_rows sampled screenings, the oldest go.
            while len(self.pending) > self.options.max_rows:
                self.pending.popitem(last=False)

    def learn_one(self, outcome: JoinedOutcome) -> None:
        decision = outcome.decision
        if decision.kind != self.kind or outcome.label is None:
            return
        self.now = max(self.now, outcome.event.epoch)
        if outcome.label > 0.5:
            delay = max(0.0, outcome.event.epoch - _epoch(decision)) / DAY
            self.delays.append(delay)
            self.timed_delays.append((_epoch(decision), delay))
        self.pending.pop(decision.decision_id, None)
        self.labelled[decision.decision_id] = (
            _epoch(decision),
            _features(decision.inputs),
            float(outcome.label),
            1.0,
        )
        self._changed = True

    # --- what decisions get ---------------------------------------------------------------

    def maturity_days(self) -> float:
        """The age from which an unreported screening counts as genuine (see the option)."""
        if self.options.maturity_days is not None:
            return self.options.maturity_days
        if len(self.delays) < _DELAYS_NEEDED:
            return _DEFAULT_MATURITY_DAYS
        learned = float(np.quantile(self.delays, self.options.maturity_quantile))
        return min(_MAX_MATURITY_DAYS, max(_MIN_MATURITY_DAYS, learned))

    def _reported_by(self, age_days: float) -> float:
        """Share of the confirmed frauds seen so far that had been reported by this age."""
        delays = self._sorted_delays
        return bisect.bisect_right(delays, age_days) / len(delays) if delays else 0.0

    def table(self) -> TrainingTable:
        """The examples a refit learns from (see ``delayed_labels``)."""
        options = self.options
        floor = options.min_reported_share
        reweight = False
        if options.delayed_labels == "reweight" and len(self.delays) >= _DELAYS_NEEDED:
            # Delays are right-censored: a fraud screened last week with a long delay is not
            # reported yet. Only screenings older than nearly every delay seen tell the delay
            # distribution without that bias.
            settled = self.now - float(np.quantile(self.delays, 0.95)) * DAY
            cohort = sorted(delay for when, delay in self.timed_delays if when <= settled)
            reweight = len(cohort) >= _DELAYS_NEEDED
            self._sorted_delays = cohort
        if reweight:
            youngest = float(np.quantile(self._sorted_delays, floor))
            horizon = self.now - youngest * DAY
        else:
            horizon = self.now - self.maturity_days() * DAY
        table = TrainingTable(self.kind)
        rows: list[tuple[float, str, dict[str, Value], float, float]] = []
        for key, (when, inputs, label, kept_weight) in self.labelled.items():
            if when > horizon:
                continue
            weight = kept_weight
            if reweight and label > 0.5:
                # A fraud this young had only that share of chances to be reported yet: it
                # stands for the ones not reported yet (inverse-probability weight).
                share = self._reported_by((self.now - when) / DAY)
                weight = kept_weight / max(share, floor)
            rows.append((when, key, inputs, label, weight))
        weight = 1.0 / options.negative_sample
        genuine = [
            (when, key, inputs, 0.0, weight)
            for key, (when, inputs) in self.pending.items()
            if when <= horizon
        ]
        room = max(0, options.max_rows - len(rows))
        rows += genuine[-room:] if room else []
        for when, key, inputs, label, w in sorted(rows, key=lambda r: (r[0], r[1])):
            table.add(key, when, inputs, label, w)
        return table

    def publish(self) -> Artifact | None:
        if not self._changed:
            return None
        table = self.table()
        positives = sum(1 for label in table.labels if label > 0.5)
        if positives < self.options.min_positives:
            return None
        options = self.options
        config = GbmConfig(
            validation_share=options.validation_share,
            max_features=options.max_features,
            learning_rate=options.learning_rate,
            num_leaves=options.num_leaves,
            max_rounds=options.max_rounds,
            offset="fraud-behavioral" if options.start_from_behavioral else None,
            refit=False,
            threads=1,
        )
        try:
            artifact = train_scorer(table, config)
        except TrainingError:
            return None
        self._changed = False
        self.refits += 1
        self.published = Artifact(
            artifact.kind,
            artifact.type,
            artifact.payload,
            {**dict(artifact.card), "learner": "lightgbm-fraud", "options": options.model_dump()},
        )
        return self.published


@learner("lightgbm-fraud")
def make_learner(kind: str, options: Mapping[str, object]) -> OnlineFraudLearner:
    return OnlineFraudLearner(kind, OnlineFraudOptions.model_validate(dict(options)))
