"""Shadow mode: a challenger decides beside each champion decision on the same gathered inputs
and only logs; its log judges it off-policy; its failures never touch the champion."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport import Engine
from rapport.cli.main import app
from rapport.decisions.policy import load_policy, parse_policy
from rapport.decisions.record import Value
from rapport.decisions.service import KINDS
from rapport.governance.ledger import verify
from rapport.learning.artifact import Artifact, loader
from rapport.learning.challenger import Challenger, judge
from rapport.learning.model import Arm, Chooser, Model
from rapport.learning.model_dir import write_model_dir
from rapport.learning.shadow import challenger_from, judge_shadow
from tests.profiles.samples import at, debit, event, salary

KIND = "next_best_action"


class _Uniform:
    def __init__(self, version: str, broken: bool = False) -> None:
        self.version = version
        self.features: tuple[str, ...] = ()
        self.broken = broken

    def pmf(self, inputs: Mapping[str, Value], arms: Sequence[Arm]) -> list[float]:
        if self.broken:
            raise RuntimeError("challenger model failed")
        return [1.0 / len(arms)] * len(arms)


@loader("test-shadow-uniform")
def _load(artifact: Artifact) -> Model:
    chooser: Chooser = _Uniform(artifact.version, broken=artifact.payload == b"broken")
    return chooser


def _history() -> list[dict[str, object]]:
    events: list[dict[str, object]] = [salary("s1", at(0), 3000.0, balance_after=3000.0)]
    events += [debit(f"d{i}", at(1 + i), 40.0 + i) for i in range(10)]
    events.append(debit("bet", at(11), 60.0, mcc="7995"))
    return events


def _gambling_reader() -> Challenger:
    """A challenger whose budgeting offer reads a feature the champion never gathers."""
    text = load_policy(None).text.replace(
        '      affinity: "0.05 + 0.4 * signals.financial_stress"',
        '      affinity: "0.05 + 40 * features.share_gambling_30d"',
    )
    assert "share_gambling_30d" in text
    return Challenger(parse_policy(text))


def _run(db: str, challenger: Challenger, decisions: int) -> Engine:
    engine = Engine(db, challenger=challenger)
    engine.ingest(_history())
    engine.decisions.use_model(Artifact(KIND, "test-shadow-uniform", b"champion"))
    customer = str(_history()[0]["customer_id"])
    for i in range(decisions):
        decision = engine.decide(KIND, customer, request_id=f"r{i}")
        answer = {
            "decision_id": decision.decision_id,
            "offer_id": str(decision.details["offer_id"]),
            "response": "accepted" if decision.details["offer_id"] == "budget-coach" else "ignored",
        }
        engine.ingest([event(f"resp-{i}", "offer_response", answer, at(12, i / 60))])
    return engine


def test_each_champion_decision_gets_one_shadow_row_on_its_own_inputs(tmp_path: Path) -> None:
    challenger = _gambling_reader()
    with _run(str(tmp_path / "r.db"), challenger, 40) as engine:
        shadow = engine.shadow
        assert shadow is not None
        rows = list(shadow.log.rows(KIND))
        champion = {d.decision_id: d for d in engine.decisions.ledger.records()}
        assert [r.champion_decision_id for r in rows] == list(champion)
        assert (shadow.observed, shadow.failures) == (40, 0)
        # The chained ledger holds the champion's decisions only, and still verifies.
        assert verify(engine.decisions.ledger).ok
        assert len(champion) == 40
        for row in rows:
            decided = champion[row.champion_decision_id]
            assert row.champion_propensity == decided.propensity
            assert row.champion_arm == decided.details["offer_id"]
            assert row.challenger_version == challenger.version
            assert row.distribution == {row.arm: 1.0}  # a rules challenger decides for sure
            assert "features.share_gambling_30d" not in decided.inputs
        # The gambling share (~6% of spend) makes the challenger's budgeting affinity win.
        assert {r.arm for r in rows} == {"budget-coach"}
        # From the ledger alone it could not be judged: what it reads was never recorded.
        report = judge(challenger, champion.values(), {}, KIND)
        assert (report.evaluated, report.missing_inputs) == (0, 40)
        # From its shadow log it can: IPS = accepted budget-coach offers over their propensity.
        rewards = {
            d.decision_id: float(d.details["offer_id"] == "budget-coach") for d in champion.values()
        }
        judged = judge_shadow(shadow.log.rows(KIND), rewards, KIND)
        expected = sum(r / champion[k].propensity for k, r in rewards.items()) / 40
        assert judged.estimates["ips"].value == pytest.approx(expected)
        assert judged.agreement == pytest.approx(sum(rewards.values()) / 40)
    with Engine(str(tmp_path / "r.db"), challenger=challenger) as reopened:
        reopened.decisions  # noqa: B018 - opens the shadow log beside the ledger
        assert reopened.shadow is not None
        assert reopened.shadow.log.count() == 40


def test_a_failing_challenger_never_touches_the_champion(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = Challenger(load_policy(None), [Artifact(KIND, "test-shadow-uniform", b"broken")])
    with _run("memory://", broken, 5) as engine:
        shadow = engine.shadow
        assert shadow is not None
        assert (shadow.observed, shadow.failures, shadow.log.count()) == (0, 5, 0)
        assert len(list(engine.decisions.ledger.records())) == 5
    assert any(
        "challenger" in r.getMessage() and "failed" in r.getMessage() for r in caplog.records
    )


def test_a_challenger_names_its_models_from_the_registry(tmp_path: Path) -> None:
    db = str(tmp_path / "r.db")
    policy = tmp_path / "challenger.yaml"
    policy.write_text(load_policy(None).text)
    with Engine(db) as engine:
        version = engine.decisions.use_model(Artifact(KIND, "test-shadow-uniform", b"v2")).version
    challenger = challenger_from(policy, [f"{KIND}={version}"], db)
    model = challenger.model(KIND)
    assert model is not None
    assert model.version == version
    assert challenger.model("fraud") is None
    with pytest.raises(ValueError, match="nor in the registry"):
        challenger_from(policy, [f"{KIND}=missing-1"], db)
    # Or a `rapport train` folder, checked to serve the kind it is given for.
    folder = tmp_path / "model"
    write_model_dir(Artifact(KIND, "test-shadow-uniform", b"v3"), folder)
    from_folder = challenger_from(policy, [f"{KIND}={folder}"], db).model(KIND)
    assert from_folder is not None
    assert from_folder.version.startswith("test-shadow-uniform-")
    assert from_folder.version != version
    with pytest.raises(ValueError, match="serves next_best_action, not fraud"):
        challenger_from(policy, [f"fraud={folder}"], db)
    assert KINDS[KIND].model_version != version


def test_the_cli_judges_a_challenger_from_its_shadow_log(tmp_path: Path) -> None:
    challenger = _gambling_reader()
    db = tmp_path / "r.db"
    _run(str(db), challenger, 30).close()
    policy = tmp_path / "challenger.yaml"
    policy.write_text(challenger.policy.text)
    base = ["evaluate", "policy", "--ledger", str(db), "--challenger", str(policy), "--json"]
    from_ledger = CliRunner().invoke(app, base)
    from_shadow = CliRunner().invoke(app, [*base, "--shadow"])
    assert from_ledger.exit_code == 0, from_ledger.output
    assert from_shadow.exit_code == 0, from_shadow.output
    ledger_report = json.loads(from_ledger.output.strip().splitlines()[-1])
    shadow_report = json.loads(from_shadow.output.strip().splitlines()[-1])
    assert (ledger_report["evaluated"], ledger_report["missing_inputs"]) == (0, 30)
    assert (shadow_report["evaluated"], shadow_report["missing_inputs"]) == (30, 0)
    assert shadow_report["challenger_version"] == challenger.version
    # Only the budgeting offer is ever accepted, and the challenger always makes it.
    assert shadow_report["challenger"]["ips"]["value"] > shadow_report["champion"]["value"]
