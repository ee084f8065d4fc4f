"""Acceptance: the German Credit data through the engine, and a fairness report by sex and age
band whose numbers match an independent pandas computation."""

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
from rapport.decisions.policy import load_policy
from rapport.engine import Engine
from tests.governance.german_credit import (
    GERMAN_DATA,
    applicant_events,
    outcome_events,
    read_german,
)

pytestmark = pytest.mark.skipif(
    not GERMAN_DATA.exists(),
    reason=f"the German Credit data is not at {GERMAN_DATA} (see ../shared/data/german_credit)",
)
SETTINGS = load_policy().policy.fairness
BANDS = ["under 25", "25-34", "35-49", "50-64", "65+"]


@pytest.fixture(scope="module")
def german_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """The applicants decided by the engine (a SQLite store), with each one's decision."""
    db = tmp_path_factory.mktemp("german") / "german.db"
    applicants = read_german()
    with Engine(db) as engine:
        report, decisions = engine.ingest_and_decide(applicant_events(applicants))
        assert report.rejected == 0
        credit = {d.trigger_event_id: d for d in decisions if d.kind == "credit_limit"}
        assert len(credit) == len(applicants)
        outcomes = engine.ingest(
            outcome_events(applicants, {k: d.decision_id for k, d in credit.items()})
        )
        assert outcomes.accepted == len(applicants)
    decided = applicants.assign(
        action=[credit[f"{c}-statement"].action for c in applicants.customer_id],
        score=[credit[f"{c}-statement"].score for c in applicants.customer_id],
    )
    return db, decided


def _independent(decided: pd.DataFrame, attribute: str) -> dict[str, Any]:
    """The figures straight from german.data and the decisions, with pandas only."""
    frame = decided.assign(
        favorable=decided.action == "increase",
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
    share = (decided.action == "increase").mean()
    assert 0.05 < share < 0.95, decided.action.value_counts()


@pytest.mark.parametrize("grouping", ["sex", "age_band", "sex x age_band"])
def test_report_numbers_match_pandas(
    german_store: tuple[Path, pd.DataFrame], tmp_path: Path, grouping: str
) -> None:
    db, decided = german_store
    out = tmp_path / "fairness.html"
    result = CliRunner().invoke(
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
    result = CliRunner().invoke(app, ["report", "fairness", "--db", str(db), "--out", str(out)])
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
    result = CliRunner().invoke(
        app, ["report", "fairness", "--db", str(db), "--out", str(tmp_path / "r.html"), "--json"]
    )
    figures = json.loads(result.output.strip().splitlines()[-1])
    verified = CliRunner().invoke(app, ["audit", "verify", "--db", str(db), "--json"])
    assert verified.exit_code == 0, verified.output
    audit = json.loads(verified.output.strip().splitlines()[-1])["audit_log"]
    assert (audit["records"] > 0) == bool(figures["alerts"])
    assert all(math.isfinite(a["value"]) for a in figures["alerts"])
