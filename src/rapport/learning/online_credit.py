"""Credit risk learned online: ``credit_outcome`` labels refit a LightGBM scorer for
``credit_limit``, published at the loop's bounded intervals.

Unlike fraud reports, credit outcomes answer both ways (``current`` 0, ``delinquent`` or
``default`` 1), so every labelled decision is an example as soon as its outcome arrives; a
decision answered several times keeps its worst outcome. Examples are the inputs the decision
recorded (the joined ledger record), the newest ``max_rows`` of them. ``publish`` refits with a
time-ordered validation split and calibration, exactly as ``rapport train credit_limit`` does,
once ``min_positives`` bad and as many good outcomes have been seen; until then decisions keep
the built-in transparent model.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from rapport.decisions.record import Value
from rapport.learning.artifact import Artifact
from rapport.learning.gbm_config import GbmConfig
from rapport.learning.loop import learner
from rapport.learning.outcomes import JoinedOutcome
from rapport.learning.training import TrainingError, TrainingTable, train_scorer

_IGNORED = frozenset({"event.type"})


class OnlineCreditOptions(BaseModel):
    """Options of the ``lightgbm-refit`` learner (the policy's ``learning.<kind>.options``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    max_rows: int = Field(default=50_000, ge=100)
    """Most labelled decisions kept (the newest)."""
    min_positives: int = Field(default=30, ge=5)
    """Bad outcomes (and as many good ones) needed before a model is published."""
    validation_share: float = Field(default=0.25, gt=0.0, lt=0.9)
    """Latest share of the examples held out for early stopping and calibration."""
    max_features: int = Field(default=32, ge=1)
    """Most recorded inputs the model reads."""
    num_leaves: int = Field(default=15, ge=2, le=255)
    """Leaves per tree."""
    max_rounds: int = Field(default=300, ge=1, le=5000)
    """Most trees per refit."""


class OnlineCreditLearner:
    def __init__(self, kind: str, options: OnlineCreditOptions) -> None:
        self.kind = kind
        self.options = options
        self.examples: collections.OrderedDict[str, tuple[float, dict[str, Value], float]] = (
            collections.OrderedDict()
        )
        self._changed = False

    def learn_one(self, outcome: JoinedOutcome) -> None:
        decision = outcome.decision
        if decision.kind != self.kind or outcome.label is None:
            return
        previous = self.examples.pop(decision.decision_id, None)
        label = max(float(outcome.label), previous[2] if previous else 0.0)
        when = dt.datetime.fromisoformat(decision.event_time).timestamp()
        inputs: dict[str, Value] = {
            k: v for k, v in decision.inputs.items() if v is not None and k not in _IGNORED
        }
        self.examples[decision.decision_id] = (when, inputs, label)
        while len(self.examples) > self.options.max_rows:
            self.examples.popitem(last=False)
        self._changed = True

    def publish(self) -> Artifact | None:
        if not self._changed:
            return None
        labels = [label for _, _, label in self.examples.values()]
        bad = sum(1 for label in labels if label > 0.5)
        if min(bad, len(labels) - bad) < self.options.min_positives:
            return None
        table = TrainingTable(self.kind)
        rows = sorted(self.examples.items(), key=lambda item: (item[1][0], item[0]))
        for key, (when, inputs, label) in rows:
            table.add(key, when, inputs, label)
        options = self.options
        config = GbmConfig(
            validation_share=options.validation_share,
            max_features=options.max_features,
            num_leaves=options.num_leaves,
            max_rounds=options.max_rounds,
            refit=False,
            threads=1,
        )
        try:
            artifact = train_scorer(table, config)
        except TrainingError:
            return None
        self._changed = False
        card = {**dict(artifact.card), "learner": "lightgbm-refit", "options": options.model_dump()}
        return Artifact(artifact.kind, artifact.type, artifact.payload, card)


@learner("lightgbm-refit")
def make_learner(kind: str, options: Mapping[str, object]) -> OnlineCreditLearner:
    if kind != "credit_limit":
        # Fraud reports label almost only frauds: fraud needs lightgbm-fraud's matured negatives.
        raise ValueError(f"lightgbm-refit learns credit_limit, not {kind}")
    return OnlineCreditLearner(kind, OnlineCreditOptions.model_validate(dict(options)))
