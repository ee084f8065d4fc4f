"""Acceptance: the German Credit data through the engine, and a fairness report by sex and age
band whose numbers match an independent pandas computation.

The applicants are the product's conversion (``rapport.datasets.german_credit``): the application
declared, a statement for the credit asked for, its outcome a year later. Nothing in those events
feeds the default transparent credit model (no repayments, no income), so under the default
policy every applicant gets the same score and a hold, and the comparison would say nothing. The
store therefore decides as a lender would with this data: with a model trained on it (``rapport
train credit_limit``), under a promoted policy that differs from the default in one line: the
statement is the credit asked for, so ``hold`` (granted as asked) is favorable beside
``increase``, and ``decrease`` (granted less) is not.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.datasets.german_credit import (
    DEFAULT_PATH,
    applicant_frame,
    read_german,
    to_events,
    write_events,
)
from rapport.decisions.policy import load_policy, parse_policy
from rapport.engine import Engine
from rapport.governance.audit_log import open_audit_log
from rapport.learning.model_dir import read_model_dir, use_models

pytestmark = pytest.mark.skipif(
    not DEFAULT_PATH.exists(),
    reason=f"the German Credit data is not at {DEFAULT_PATH} (see ../shared/data/german_credit)",
)
DEFAULT_FAVORABLE = "credit_limit: [increase]"
POLICY_TEXT = (
    load_policy()
    .text.replace("name: default", "name: german-credit-applications", 1)
    .replace(DEFAULT_FAVORABLE, "credit_limit: [increase, hold]", 1)
)
SETTINGS = parse_policy(POLICY_TEXT, "german credit policy").policy.fairness
FAVORABLE = SETTINGS.favorable_actions["credit_limit"]
BANDS = ["under 25", "25-34", "35-49", "50-64", "65+"]
runner = CliRunner()


def _train(events: Path, out: Path) -> Path:
    result = runner.invoke(app, ["train", "credit_limit", str(events), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def _promote(policy: Path, db: Path) -> None:
    result = runner.invoke(
        app, ["policy", "promote", str(policy), "--db", str(db), "--actor", "test", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["promoted"]


@pytest.fixture(scope="module")
def german_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The applicants decided by the engine (a SQLite store), with each one's decision."""
    assert FAVORABLE == ["increase", "hold"]  # the default policy still reads as expected
    folder = tmp_path_factory.mktemp("german")
    db, policy, events_file = folder / "german.db", folder / "policy.yaml", folder / "events.jsonl"
    applicants = read_german()
    events = to_events(applicants)
    write_events(events, events_file)
    model = read_model_dir(_train(events_file, folder / "model"))
    policy.write_text(POLICY_TEXT)
    _promote(policy, db)
    with Engine(db) as engine:
        use_models(engine, [model])
        report, decisions = engine.ingest_and_decide(json.dumps(e).encode() for e in events)
        assert report.accepted == len(events)
        assert engine.learning.outcomes.count() == 0  # every credit_outcome joined its decision
    credit = {d.customer_id: d for d in decisions if d.kind == "credit_limit"}
    assert len(credit) == len(applicants)
    assert {d.trigger_event_id for d in credit.values()} == {f"{c}-statement" for c in credit}
    decided = applicant_frame(applicants)
    return db, decided.assign(
        action=[credit[c].action for c in decided.customer_id],
        score=[credit[c].score for c in decided.customer_id],
    )


def _independent(decided: pd.DataFrame, attribute: str) -> dict[str, Any]:
    """The figures straight from german.data and the decisions, with pandas only."""
    frame = decided.assign(
        favorable=decided.action.isin(FAVORABLE),
        bad=(~decided.good).astype(float),
        age_band=pd.cut(decided.age, [0, 25, 35, 50, 65, np.inf], right=False, labels=BANDS).astype(
            str
        ),
    )
    if attribute == "sex x age_band":
        frame = frame.assign(key=frame.sex + " & " + frame.age_band)
    else:
        frame = frame.assign(key=frame[attribute])
    minimum = SETTINGS.min_group_size
    sizes = frame.groupby("key").size()
    rates = frame.groupby("key").favorable.mean()
    judged = rates[sizes >= minimum]
    good = frame[frame.good]
    tpr = good.groupby("key").favorable.mean()
    tpr_judged = tpr[good.groupby("key").size() >= minimum]
    calibration = frame.groupby("key").bad.mean() - frame.groupby("key").score.mean()
    return {
        "rates": rates.to_dict(),
        "sizes": sizes.to_dict(),
        "ratio": judged.min() / judged.max(),
        "eo_gap": tpr_judged.max() - tpr_judged.min(),
        "calibration_gap": calibration[sizes >= minimum].max()
        - calibration[sizes >= minimum].min(),
    }


def test_credit_decisions_vary_over_the_applicants(german_store: tuple[Path, pd.DataFrame]) -> None:
    _, decided = german_store
    share = decided.action.isin(FAVORABLE).mean()
    assert 0.05 < share < 0.95, decided.action.value_counts()
    # The model's scores, not one score for everyone (the default model's verdict on these events).
    assert decided.score.nunique() > 100


@pytest.mark.parametrize("grouping", ["sex", "age_band", "sex x age_band"])
def test_report_numbers_match_pandas(
    german_store: tuple[Path, pd.DataFrame], tmp_path: Path, grouping: str
) -> None:
    db, decided = german_store
    out = tmp_path / "fairness.html"
    result = runner.invoke(
        app, ["report", "fairness", "--db", str(db), "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    [credit] = [k for k in figures["kinds"] if k["kind"] == "credit_limit"]
    assert credit["decisions"] == len(decided)
    [reported] = [g for g in credit["groupings"] if g["name"] == grouping]
    expected = _independent(decided, grouping)
    for group in reported["groups"]:
        key = " & ".join(group["group"].values())
        assert group["decisions"] == expected["sizes"][key]
        assert group["favorable_rate"]["value"] == pytest.approx(expected["rates"][key])
        low, high = group["favorable_rate"]["low"], group["favorable_rate"]["high"]
        assert low <= group["favorable_rate"]["value"] <= high
    assert {" & ".join(g["group"].values()) for g in reported["groups"]} == set(expected["sizes"])
    assert reported["adverse_impact_ratio"]["value"] == pytest.approx(expected["ratio"])
    assert reported["equal_opportunity_gap"]["value"] == pytest.approx(expected["eo_gap"])
    assert reported["calibration_gap"]["value"] == pytest.approx(expected["calibration_gap"])


def test_the_report_is_one_self_contained_page(
    german_store: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    db, _ = german_store
    out = tmp_path / "fairness.html"
    result = runner.invoke(app, ["report", "fairness", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 5  # rates by each of 3 groupings; over time by sex, age band
    for attribute in ("by sex", "by age_band", "by sex x age_band", "Over time, by sex"):
        assert attribute in page
    # Nothing to fetch: no scripts, stylesheets or images from elsewhere.
    for needle in ("<script", "<link", "src=", "@import", "url(http"):
        assert needle not in page
    assert "under 25" in page
    assert "adverse impact ratio" in page


def test_alerts_are_in_the_audit_log(
    german_store: tuple[Path, pd.DataFrame], tmp_path: Path
) -> None:
    db, _ = german_store
    result = runner.invoke(
        app, ["report", "fairness", "--db", str(db), "--out", str(tmp_path / "r.html"), "--json"]
    )
    figures = json.loads(result.output.strip().splitlines()[-1])
    verified = runner.invoke(app, ["audit", "verify", "--db", str(db), "--json"])
    assert verified.exit_code == 0, verified.output
    # The log also holds the policy's promotion: count the fairness alerts only.
    audit_log = open_audit_log(db)
    try:
        acts = [record.act for record in audit_log.scan()]
    finally:
        audit_log.close()
    assert json.loads(verified.output.strip().splitlines()[-1])["audit_log"]["records"] == len(acts)
    assert acts[0] == "policy.promoted"
    assert ("fairness.alert" in acts) == bool(figures["alerts"])
    assert all(math.isfinite(a["value"]) for a in figures["alerts"])
