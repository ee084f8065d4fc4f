"""``rapport evaluate policy``: a challenger judged from a ledger and its outcome events."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport import Engine
from rapport.cli.main import app
from rapport.decisions.policy import load_policy
from rapport.decisions.record import Value
from rapport.governance.audit_log import open_audit_log
from rapport.governance.promotion import promoted_policy
from rapport.learning.artifact import Artifact, loader
from rapport.learning.model import Arm, Chooser, Model
from tests.profiles.samples import at, debit, event, salary

KIND = "next_best_action"


class _Uniform:
    def __init__(self, version: str) -> None:
        self.version = version
        self.features: tuple[str, ...] = ("signals.financial_stress",)

    def pmf(self, inputs: Mapping[str, Value], arms: Sequence[Arm]) -> list[float]:
        return [1.0 / len(arms)] * len(arms)


@loader("test-offpolicy-uniform")
def _load(artifact: Artifact) -> Model:
    chooser: Chooser = _Uniform(artifact.version)
    return chooser


def _logged(db: Path, decisions: int) -> tuple[str, list[tuple[str, float, float]]]:
    """A randomised champion's ledger: (champion model version, [(offer, propensity, reward)])."""
    history: list[dict[str, object]] = [salary("s1", at(0), 3000.0, balance_after=3000.0)]
    history += [debit(f"d{i}", at(1 + i), 40.0 + i) for i in range(10)]
    rows = []
    with Engine(str(db)) as engine:
        engine.ingest(history)
        version = engine.decisions.use_model(Artifact(KIND, "test-offpolicy-uniform", b"u")).version
        customer = str(history[0]["customer_id"])
        for i in range(decisions):
            decision = engine.decide(KIND, customer, request_id=f"r{i}")
            offer = str(decision.details["offer_id"])
            # The savings offer is taken two times in three; nothing else ever is. The last
            # decision is never answered.
            reward = 1.0 if offer == "savings-boost" and i % 3 else 0.0
            if i == decisions - 1:  # unanswered: its reward is the default, 0
                rows.append((offer, decision.propensity, 0.0))
                break
            rows.append((offer, decision.propensity, reward))
            answer = {
                "decision_id": decision.decision_id,
                "offer_id": offer,
                "response": "accepted" if reward else "declined",
            }
            engine.ingest([event(f"resp-{i}", "offer_response", answer, at(12, i / 60))])
    return version, rows


def _evaluate(db: Path, challenger: Path, *extra: str) -> dict[str, object]:
    arguments = ["evaluate", "policy", "--ledger", str(db), "--challenger", str(challenger)]
    result = CliRunner().invoke(app, [*arguments, *extra, "--json"])
    assert result.exit_code == 0, result.output
    parsed: dict[str, object] = json.loads(result.output.strip().splitlines()[-1])
    return parsed


@pytest.fixture(scope="module")
def ledger(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, str, list[tuple[str, float, float]]]:
    db = tmp_path_factory.mktemp("offpolicy") / "champion.db"
    version, rows = _logged(db, 120)
    return db, version, rows


def test_a_rules_challenger_is_weighed_by_the_champions_propensities(
    ledger: tuple[Path, str, list[tuple[str, float, float]]], tmp_path: Path
) -> None:
    db, _, rows = ledger
    offers = {offer for offer, _, _ in rows}
    assert len(offers) > 1  # the champion explored
    challenger = tmp_path / "rules.yaml"
    challenger.write_text(load_policy(None).text)
    report = _evaluate(db, challenger)
    assert (report["decisions"], report["evaluated"], report["missing_inputs"]) == (120, 120, 0)
    assert report["unanswered"] == 1
    # The default rules make the savings offer here (the best expected value, with certainty).
    ips = sum(r / p for offer, p, r in rows if offer == "savings-boost") / len(rows)
    snips_weights = sum(1 / p for offer, p, _ in rows if offer == "savings-boost")
    estimates = report["challenger"]
    assert isinstance(estimates, dict)
    assert estimates["ips"]["value"] == pytest.approx(ips)
    assert estimates["snips"]["value"] == pytest.approx(ips * len(rows) / snips_weights)
    champion = report["champion"]
    assert isinstance(champion, dict)
    assert champion["value"] == pytest.approx(sum(r for _, _, r in rows) / len(rows))
    for estimate in estimates.values():
        assert estimate["low"] < estimate["value"] < estimate["high"]


def test_the_champion_judged_as_its_own_challenger_scores_its_logged_mean(
    ledger: tuple[Path, str, list[tuple[str, float, float]]], tmp_path: Path
) -> None:
    db, version, rows = ledger
    challenger = tmp_path / "same.yaml"
    challenger.write_text(load_policy(None).text)
    report = _evaluate(db, challenger, "--model", f"{KIND}={version}", "--bootstrap", "100")
    estimates = report["challenger"]
    assert isinstance(estimates, dict)
    mean = sum(r for _, _, r in rows) / len(rows)
    assert estimates["ips"]["value"] == pytest.approx(mean)
    assert estimates["ips"]["interval"] == "bootstrap"
    assert estimates["ips"]["effective_sample_size"] == pytest.approx(len(rows))


def test_records_lacking_what_the_challenger_reads_are_reported_not_used(
    ledger: tuple[Path, str, list[tuple[str, float, float]]], tmp_path: Path
) -> None:
    db, _, _ = ledger
    text = load_policy(None).text.replace(
        '      affinity: "0.05 + 0.4 * signals.financial_stress"',
        '      affinity: "0.05 + 0.4 * features.share_gambling_30d"',
    )
    assert "share_gambling_30d" in text
    challenger = tmp_path / "reads-more.yaml"
    challenger.write_text(text)
    report = _evaluate(db, challenger)
    assert (report["evaluated"], report["missing_inputs"]) == (0, 120)
    examples = report["missing_examples"]
    assert isinstance(examples, list)
    assert examples[0]["missing"] == ["features.share_gambling_30d"]
    assert report["challenger"] == {}


def test_unknown_models_and_kinds_are_refused(
    ledger: tuple[Path, str, list[tuple[str, float, float]]], tmp_path: Path
) -> None:
    db, _, _ = ledger
    challenger = tmp_path / "rules.yaml"
    challenger.write_text(load_policy(None).text)
    base = ["evaluate", "policy", "--ledger", str(db), "--challenger", str(challenger)]
    for extra, message in (
        (["--model", f"{KIND}=nope-123"], "nope-123"),
        (["--kind", "lottery"], "no decision kind"),
    ):
        result = CliRunner().invoke(app, [*base, *extra])
        assert result.exit_code != 0
        assert message in result.output


def test_promotion_is_judged_on_the_evidence_and_audited(
    ledger: tuple[Path, str, list[tuple[str, float, float]]], tmp_path: Path
) -> None:
    db, _, _ = ledger
    better = tmp_path / "savings.yaml"
    better.write_text(load_policy(None).text)
    worse = tmp_path / "coach-only.yaml"
    worse.write_text(
        load_policy(None).text.replace(
            'eligible_when: "features.balance_mean_30d > 500"', 'eligible_when: "false"'
        )
    )
    base = ["challenger", "promote", "--ledger", str(db), "--actor", "head-of-decisioning"]
    runner = CliRunner()
    promoted = runner.invoke(app, [*base, "--challenger", str(better), "--json"])
    assert promoted.exit_code == 0, promoted.output
    verdict = json.loads(promoted.output.strip().splitlines()[-1])
    assert (verdict["verdict"], verdict["promoted"]) == ("better", True)
    assert verdict["policy_gate"]["act"] == "policy.promoted"
    refused = runner.invoke(app, [*base, "--challenger", str(worse), "--estimator", "ips"])
    assert refused.exit_code == 1
    assert "refused" in refused.output
    overridden = runner.invoke(
        app,
        [*base, "--challenger", str(worse), "--override-reason", "regulator asked for it"],
    )
    assert overridden.exit_code == 0, overridden.output
    audit = open_audit_log(str(db))
    try:
        acts = [r.act for r in audit.scan()]
        records = [r for r in audit.scan() if r.act.startswith("challenger.")]
        in_force = promoted_policy(audit)
        assert audit.verify().ok
    finally:
        audit.close()
    # Each accepted challenger then passed the fairness gate, which put it in force.
    assert acts == [
        "challenger.accepted",
        "policy.promoted",
        "challenger.refused",
        "challenger.overridden",
        "policy.promoted",
    ]
    assert in_force is not None
    assert in_force.text == worse.read_text()
    first, second, third = (r.details for r in records)
    assert first["evidence"]["challenger"]["dr"]["low"] > first["evidence"]["champion"]["value"]
    assert first["text"] == better.read_text()
    assert "text" not in second
    assert second["evidence"]["challenger"]["ips"]["value"] == 0.0
    assert third["override_reason"] == "regulator asked for it"
    assert all(r.actor == "head-of-decisioning" for r in records)
