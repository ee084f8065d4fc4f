"""Credit limits: ``rapport train credit_limit`` then ``rapport replay --model``, scored on held-out
customers, against LightGBM fitted directly on the same customers' raw table.

- **German Credit** (UCI Statlog, 1,000 real applications; ``rapport.datasets.german_credit``):
  repeated stratified 70/30 splits of the applicants. The training customers' events go through
  ``rapport train credit_limit``; the held-out customers' events through
  ``rapport replay --model credit_limit=DIR``; the score of each held-out decision is ranked
  against its applicant's class. Baselines: LightGBM with its defaults on the raw table of the
  same training applicants (all 20 attributes, categorical ones as categories) — and the same
  without the protected attributes, which the engine never reads.
- **Simulated history** (seed the tests never use): customers split 70/30; the baseline's raw
  table is ``rapport backfill``'s point-in-time customer features at each statement, labelled by
  the same outcome join.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import yaml
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedShuffleSplit
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.config import EngineConfig
from rapport.datasets.german_credit import COLUMNS, PROTECTED, Applicant, read_german, to_events
from rapport.datasets.german_credit import write_events as write_german
from rapport.decisions.policy import load_policy
from rapport.learning.collect import collect, time_ordered
from rapport.profiles.backfill import backfill
from rapport.sim import SimConfig, SimulatedBank

GERMAN_SPLITS = 10
SIM_CUSTOMERS, SIM_DAYS, SIM_SEED = 1_000, 120, 73
runner = CliRunner()


@dataclass
class Comparison:
    name: str
    engine: list[float] = field(default_factory=list)
    baselines: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, object] = field(default_factory=dict)


def _credit_policy(folder: Path) -> Path:
    """The default policy, taking credit-limit decisions only (the other kinds would only cost
    time here; the credit decisions and their inputs are the same)."""
    document = yaml.safe_load(load_policy(None).text)
    document["triggers"] = {"statement": ["credit_limit"]}
    path = folder / "policy.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def _train_and_replay(train: Path, held: Path, folder: Path) -> dict[str, float]:
    """The CLI twice: train on one file, replay the other with the model; trigger -> score."""
    model, out = folder / "model", folder / "decisions.jsonl"
    policy = ["--policy", str(_credit_policy(folder))]
    trained = runner.invoke(
        app, ["train", "credit_limit", str(train), "--out", str(model), *policy]
    )
    assert trained.exit_code == 0, (trained.output, trained.exception)
    replayed = runner.invoke(
        app,
        ["replay", str(held), "--out", str(out), "--model", f"credit_limit={model}", *policy],
    )
    assert replayed.exit_code == 0, (replayed.output, replayed.exception)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    return {r["trigger_event_id"]: r["score"] for r in rows if r["kind"] == "credit_limit"}


def _german_frame(applicants: list[Applicant], protected: bool) -> pd.DataFrame:
    rows = [
        {
            name: float(a.raw[name]) if prefix is None else a.raw[name]
            for name, prefix in COLUMNS
            if protected or name not in PROTECTED
        }
        for a in applicants
    ]
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype("category")
    return frame


def measure_german(splits: int = GERMAN_SPLITS) -> Comparison:
    applicants = read_german()
    y = np.array([a.bad for a in applicants], dtype=float)
    result = Comparison("German Credit", baselines={"raw table": [], "raw table, no protected": []})
    sampler = StratifiedShuffleSplit(splits, test_size=0.3, random_state=2026)
    for k, (train_rows, test_rows) in enumerate(sampler.split(np.zeros(len(y)), y)):
        train = [applicants[i] for i in train_rows]
        held = [applicants[i] for i in test_rows]
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            write_german(to_events(train, seed=k), folder / "train.jsonl")
            write_german(to_events(held, seed=1000 + k), folder / "held.jsonl")
            scores = _train_and_replay(folder / "train.jsonl", folder / "held.jsonl", folder)
        truth = y[test_rows]
        engine = [scores[f"{a.customer_id}-statement"] for a in held]
        result.engine.append(float(roc_auc_score(truth, engine)))
        for name, protected in (("raw table", True), ("raw table, no protected", False)):
            frame = _german_frame(train + held, protected)
            model = lgb.LGBMClassifier(verbose=-1).fit(frame.iloc[: len(train)], y[train_rows])
            predicted = np.asarray(model.predict_proba(frame.iloc[len(train) :]))[:, 1]
            result.baselines[name].append(float(roc_auc_score(truth, predicted)))
    result.notes = {"applicants": len(applicants), "splits": splits, "held_out": 0.3}
    return result


def _held_out(customer_id: str, split: int) -> bool:
    digest = hashlib.sha256(f"{split}:{customer_id}".encode()).digest()
    return digest[0] < int(0.3 * 256)


def _labels(lines: list[bytes], folder: Path) -> dict[str, float]:
    """Trigger event -> label of each labelled credit decision (the engine's own join)."""
    collected = collect("credit_limit", time_ordered(lines), str(_credit_policy(folder)))
    ids, labels = collected.table.ids, collected.table.labels
    return {collected.triggers[i]: label for i, label in zip(ids, labels, strict=True)}


def _backfill_table(lines: list[bytes], path: Path) -> pd.DataFrame:
    backfill([time_ordered(lines)], path, EngineConfig().allowed_lateness_seconds)
    frame = pq.read_table(path).to_pandas().set_index("event_id")
    return frame.drop(columns=["customer_id", "event_type", "timestamp"])


def measure_simulated(
    customers: int = SIM_CUSTOMERS, days: int = SIM_DAYS, seed: int = SIM_SEED, splits: int = 3
) -> Comparison:
    result = Comparison("simulated history", baselines={"backfill table": []})
    totals = {"train_decisions": 0, "train_bad": 0, "held_decisions": 0, "held_bad": 0}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        everything = folder / "all.jsonl"
        with everything.open("wb") as out:
            SimulatedBank(SimConfig(customers=customers, days=days, seed=seed)).run(out)
        lines = everything.read_bytes().splitlines()
        owners = [json.loads(line)["customer_id"] for line in lines]
        for split in range(splits):
            parts: dict[bool, list[bytes]] = {True: [], False: []}
            for line, customer in zip(lines, owners, strict=True):
                parts[_held_out(customer, split)].append(line)
            files = {held: folder / f"part-{held}.jsonl" for held in parts}
            for held, part in parts.items():
                files[held].write_bytes(b"\n".join(part) + b"\n")
            scores = _train_and_replay(files[False], files[True], folder)
            labels = {held: _labels(parts[held], folder) for held in (False, True)}
            test = sorted(labels[True])
            truth = np.array([labels[True][t] for t in test])
            result.engine.append(float(roc_auc_score(truth, [scores[t] for t in test])))
            tables = {
                held: _backfill_table(parts[held], folder / f"backfill-{held}.parquet")
                for held in (False, True)
            }
            train_ids = sorted(labels[False])
            model = lgb.LGBMClassifier(verbose=-1).fit(
                tables[False].loc[train_ids], np.array([labels[False][t] for t in train_ids])
            )
            predicted = np.asarray(model.predict_proba(tables[True].loc[test]))[:, 1]
            result.baselines["backfill table"].append(float(roc_auc_score(truth, predicted)))
            totals["train_decisions"] += len(train_ids)
            totals["train_bad"] += int(sum(labels[False].values()))
            totals["held_decisions"] += len(test)
            totals["held_bad"] += int(truth.sum())
    result.notes = {"customers": customers, "days": days, "seed": seed, "splits": splits}
    result.notes.update({k: v // splits for k, v in totals.items()})
    return result
