"""Acceptance: on a simulated history the default policy is fair, and a challenger that leans on
a proxy of age is caught by the pre-deployment check and refused at promotion.

The simulator draws age and sex and reports them only through ``customer_update.protected``;
age reaches income honestly (earnings peak mid-career, fall at retirement). The challenger gates
every offer on declared income, a rule that names no protected attribute and so loads, but
through income it withholds offers from retirees and the young.

To keep the test fast the replayed policies take the decisions the fairness section monitors
on logins and statements (next-best-action, credit limit) and leave out fraud screening of each
transaction, which is what makes a replay slow; rules and thresholds are the default policy's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.decisions.policy import load_policy, parse_policy
from rapport.engine import Engine
from rapport.sim import SimConfig, SimulatedBank

INCOME_GATE = "features.declared_income >= 30000"


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("predeployment")
    events = folder / "events.jsonl"
    with events.open("wb") as handle:
        SimulatedBank(SimConfig(customers=150, days=35, seed=11)).run(handle)
    data = yaml.safe_load(load_policy().text)
    data["triggers"] = {"login": ["next_best_action"], "statement": ["credit_limit"]}
    fair = folder / "fair.yaml"
    fair.write_text(yaml.safe_dump(data))
    for offer in data["offers"]["catalog"]:
        offer["eligible_when"] = f"({offer.get('eligible_when', 'true')}) and {INCOME_GATE}"
    biased = folder / "biased.yaml"
    biased.write_text(yaml.safe_dump(data))
    evidence = folder / "evidence.json"
    result = CliRunner().invoke(
        app,
        [
            "evaluate", "fairness", str(events),
            "--policy", str(biased), "--against", str(fair), "--out", str(evidence), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # the candidate breaks a threshold
    return {"events": events, "fair": fair, "biased": biased, "evidence": evidence}


def _evidence(history: dict[str, Path]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(history["evidence"].read_text())
    return loaded


def test_the_challenger_loads_it_names_no_protected_attribute(history: dict[str, Path]) -> None:
    biased = parse_policy(history["biased"].read_text())
    assert INCOME_GATE in biased.policy.offers.catalog[0].eligible_when


def test_the_default_policy_is_fair_on_the_history(history: dict[str, Path]) -> None:
    current = _evidence(history)["current"]
    assert current["judged"]
    assert current["figures"]["alerts"] == []
    [offers] = [k for k in current["figures"]["kinds"] if k["kind"] == "next_best_action"]
    for grouping in offers["groupings"]:
        assert grouping["adverse_impact_ratio"]["value"] >= 0.8, grouping["name"]


def test_the_proxy_challenger_is_caught_by_age_not_by_sex(history: dict[str, Path]) -> None:
    evidence = _evidence(history)
    caught = {(b["kind"], b["grouping"], b["metric"]) for b in evidence["breaches"]}
    assert ("next_best_action", "age_band", "adverse_impact_ratio") in caught
    assert not any(grouping == "sex" for _, grouping, _ in caught)
    [offers] = [
        k for k in evidence["candidate"]["figures"]["kinds"] if k["kind"] == "next_best_action"
    ]
    [by_age] = [g for g in offers["groupings"] if g["name"] == "age_band"]
    ratio = by_age["adverse_impact_ratio"]
    assert ratio["high"] < 0.8  # clearly below four-fifths, not noise
    assert "65+" in by_age["lowest_group"] or "under 25" in by_age["lowest_group"]
    side = {(r["kind"], r["grouping"], r["metric"]): r for r in evidence["side_by_side"]}
    row = side[("next_best_action", "age_band", "adverse_impact_ratio")]
    assert row["candidate"] < 0.8 <= row["current"]


def test_promotion_refuses_the_challenger_unless_an_admin_overrides(
    history: dict[str, Path], tmp_path: Path
) -> None:
    db = tmp_path / "bank.db"
    runner = CliRunner()
    base = ["policy", "promote", str(history["biased"]), "--db", str(db)]
    evidence = ["--evidence", str(history["evidence"])]
    refused = runner.invoke(app, [*base, *evidence, "--actor", "erin", "--json"])
    assert refused.exit_code == 1, refused.output
    assert json.loads(refused.output.strip().splitlines()[-1])["act"] == "policy.refused"
    with Engine(db) as engine:  # still the default policy
        assert engine.decisions.policy.version == load_policy().version
    overridden = runner.invoke(
        app,
        [*base, *evidence, "--actor", "erin", "--override-reason", "pilot approved", "--json"],
    )
    assert overridden.exit_code == 0, overridden.output
    biased = parse_policy(history["biased"].read_text())
    with Engine(db) as engine:
        assert engine.decisions.policy.version == biased.version
    verified = runner.invoke(app, ["audit", "verify", "--db", str(db), "--json"])
    audit = json.loads(verified.output.strip().splitlines()[-1])["audit_log"]
    assert audit["ok"]
    assert audit["records"] == 2
