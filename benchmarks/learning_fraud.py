"""Fraud learned live from delayed reports, against LightGBM trained offline on backfill features.

One simulated history (seed the tests never use), events in time order, split at the middle day:

- **engine, live**: the file streams through an engine whose policy learns fraud online
  (learner ``lightgbm-fraud``, default options, a version published every ``publish_every``
  joined reports). Each screening's score is the one the engine gave *at decision time*, with
  only the reports that had arrived by then.
- **baseline**: ``rapport backfill`` point-in-time features of the customer before each
  transaction, plus the transaction's own fields (amount, channel, category, MCC, hour, country,
  direction), LightGBM trained on every transaction of the first half with every report the file
  holds on them — including reports that arrived after the split, which the engine could not yet
  have seen then. Trained twice: with Rapport's trainer (time-ordered validation, calibration)
  and with LightGBM's defaults.

Both are scored on the second half against the simulator's truth (every fraud, reported or not).
Also shown, from the same run: the behavioral score alone (what the engine does without
learning), and LightGBM trained offline on the engine's own recorded inputs of the first half
with all its reports (what the engine's inputs allow with hindsight).
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pyarrow.parquet as pq
import yaml
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from rapport import Engine
from rapport.config import EngineConfig
from rapport.decisions.fraud import _decide
from rapport.decisions.policy import load_policy
from rapport.decisions.record import Decision, Value
from rapport.decisions.service import Spaces
from rapport.events.model import FraudReportEvent, TransactionEvent
from rapport.events.validation import parse_event
from rapport.learning.artifact import load
from rapport.learning.collect import time_ordered
from rapport.learning.gbm import GbmScorer, encode_rows
from rapport.learning.gbm_config import GbmConfig
from rapport.learning.training import TrainingTable, train_scorer
from rapport.profiles.backfill import backfill
from rapport.sim import SimConfig, SimulatedBank

CUSTOMERS, DAYS, SEED = 1_000, 60, 71
PUBLISH_EVERY = 25


@dataclass
class Scored:
    name: str
    average_precision: float
    roc_auc: float
    brier: float | None = None
    mean_score: float | None = None


@dataclass
class FraudResult:
    customers: int
    days: int
    seed: int
    transactions: int
    frauds: int
    reported: int
    test_transactions: int
    test_frauds: int
    published: int
    seconds: float
    rows: list[Scored] = field(default_factory=list)

    def row(self, name: str) -> Scored:
        return next(r for r in self.rows if r.name == name)


def _policy(folder: Path) -> Path:
    document = yaml.safe_load(load_policy(None).text)
    document["triggers"] = {"transaction": ["fraud"]}
    document["learning"] = {
        "fraud": {"learner": "lightgbm-fraud", "publish_every": PUBLISH_EVERY, "options": {}}
    }
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _raw_fields(event: TransactionEvent) -> dict[str, Value]:
    payload, stamp = event.payload, event.timestamp
    return {
        "event.amount": payload.amount,
        "event.direction": payload.direction,
        "event.channel": event.channel,
        "event.category": payload.category,
        "event.mcc": payload.mcc,
        "event.hour": stamp.hour + stamp.minute / 60.0,
        "event.country": event.location.country if event.location else None,
        "event.has_device": 1.0 if event.device_id else 0.0,
    }


def _score(name: str, y: np.ndarray, s: np.ndarray, probabilities: bool = True) -> Scored:
    return Scored(
        name,
        float(average_precision_score(y, s)),
        float(roc_auc_score(y, s)),
        float(brier_score_loss(y, s)) if probabilities else None,
        float(np.mean(s)) if probabilities else None,
    )


@dataclass
class History:
    """One simulated history, replayed live, with what the baseline needs."""

    truth: set[str]
    transactions: dict[str, TransactionEvent]
    reported: set[str]
    live: dict[str, Decision]
    """Trigger event id -> the fraud decision the live engine took on it."""
    backfilled: dict[str, dict[str, Value]]
    published: int


def _history(config: SimConfig, folder: Path) -> History:
    bank = SimulatedBank(config)
    with (folder / "events.jsonl").open("wb") as out:
        bank.run(out)
    lines = time_ordered((folder / "events.jsonl").read_bytes().splitlines())
    transactions: dict[str, TransactionEvent] = {}
    reported: set[str] = set()
    for line in lines:
        event = parse_event(line)
        if isinstance(event, TransactionEvent):
            transactions[event.event_id] = event
        elif isinstance(event, FraudReportEvent) and event.payload.is_fraud:
            reported.add(event.payload.transaction_event_id)
    # The engine, live, learning from the reports as they arrive.
    live: dict[str, Decision] = {}

    def keep(decision: Decision, spaces: Spaces) -> None:
        if decision.kind == "fraud":
            live.setdefault(decision.trigger_event_id, decision)

    engine_config = EngineConfig(store_url="memory://", policy_path=str(_policy(folder)))
    with Engine("memory://", engine_config) as engine:
        engine.decisions.observers.append(keep)
        for start in range(0, len(lines), 5_000):
            engine.ingest_and_decide(lines[start : start + 5_000])
        published = engine.learning.counts.published
    # The baseline's features: the customer's backfilled state before each transaction.
    parquet = folder / "features.parquet"
    backfill([lines], parquet, EngineConfig().allowed_lateness_seconds)
    frame = pq.read_table(parquet).to_pandas()
    frame = frame[frame["event_type"] == "transaction"]
    meta = {"event_id", "customer_id", "event_type", "timestamp"}
    columns = [c for c in frame.columns if c not in meta]
    backfilled: dict[str, dict[str, Value]] = {
        row[0]: {f"features.{name}": float(v) for name, v in zip(columns, row[1:], strict=True)}
        for row in frame[["event_id", *columns]].itertuples(index=False)
    }
    truth = {str(f["event_id"]) for f in bank.truth.fraud}
    return History(truth, transactions, reported, live, backfilled, published)


def _defaults(train: TrainingTable, later: list[dict[str, Value]]) -> np.ndarray:
    """LightGBM with its default settings (text inputs as category codes)."""
    columns = sorted({name for row in train.inputs for name in row})
    text = [name for name in columns if any(isinstance(r.get(name), str) for r in train.inputs)]
    categories = {
        name: {
            v: k for k, v in enumerate(sorted({str(r[name]) for r in train.inputs if r.get(name)}))
        }
        for name in text
    }
    model = lgb.LGBMClassifier(verbose=-1).fit(
        encode_rows(train.inputs, columns, categories), np.asarray(train.labels)
    )
    return np.asarray(
        np.asarray(model.predict_proba(encode_rows(later, columns, categories)))[:, 1]
    )


def _trained(train: TrainingTable, later: list[dict[str, Value]], config: GbmConfig) -> np.ndarray:
    scorer = load(train_scorer(train, config))
    assert isinstance(scorer, GbmScorer)
    return scorer.probabilities(later)


def measure_fraud(customers: int = CUSTOMERS, days: int = DAYS, seed: int = SEED) -> FraudResult:
    started = time.perf_counter()
    config = SimConfig(customers=customers, days=days, seed=seed)
    with tempfile.TemporaryDirectory() as tmp:
        h = _history(config, Path(tmp))
    split = dt.datetime.combine(config.start, dt.time(), dt.UTC) + dt.timedelta(days=days / 2)
    ids = sorted(h.live, key=lambda i: (h.transactions[i].timestamp, i))
    first = [i for i in ids if h.transactions[i].timestamp < split]
    later = [i for i in ids if h.transactions[i].timestamp >= split]
    y = np.array([1.0 if i in h.truth else 0.0 for i in later])
    result = FraudResult(
        customers,
        days,
        seed,
        len(h.transactions),
        len(h.truth),
        len(h.reported & h.truth),
        len(later),
        int(y.sum()),
        h.published,
        0.0,
    )
    result.rows.append(_score("engine, live", y, np.array([h.live[i].score for i in later])))
    policy = load_policy(None).policy.fraud
    behavioral = np.array([_decide(h.live[i].inputs, policy).score for i in later])
    result.rows.append(_score("behavioral score alone", y, behavioral))

    def table(source: dict[str, dict[str, Value]]) -> TrainingTable:
        rows = TrainingTable("fraud")
        for i in first:
            label = 1.0 if i in h.reported else 0.0
            rows.add(i, h.transactions[i].timestamp.timestamp(), source[i], label)
        return rows

    baseline = {i: {**h.backfilled[i], **_raw_fields(h.transactions[i])} for i in ids}
    later_rows = [baseline[i] for i in later]
    result.rows.append(
        _score(
            "baseline: backfill + event fields, Rapport's trainer",
            y,
            _trained(table(baseline), later_rows, GbmConfig(max_features=None)),
        )
    )
    result.rows.append(
        _score(
            "baseline: backfill + event fields, LightGBM defaults",
            y,
            _defaults(table(baseline), later_rows),
        )
    )
    recorded = {i: dict(h.live[i].inputs) for i in ids}
    result.rows.append(
        _score(
            "engine's recorded inputs, offline, first half with all reports",
            y,
            _trained(table(recorded), [recorded[i] for i in later], GbmConfig()),
        )
    )
    result.seconds = time.perf_counter() - started
    return result
