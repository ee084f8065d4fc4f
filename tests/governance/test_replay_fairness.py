"""``rapport replay --fairness-against``: the replayed policy's fairness beside the current
policy's, written as promotion evidence that ``rapport policy promote`` accepts."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.decisions.policy import load_policy, parse_policy
from tests.governance.test_fairness_api import _history


def test_replay_reports_fairness_beside_the_current_policy(tmp_path: Path) -> None:
    events, current, candidate = tmp_path / "e.jsonl", tmp_path / "cur.yaml", tmp_path / "c.yaml"
    events.write_text("".join(json.dumps(e) + "\n" for e in _history()))
    current.write_text(load_policy().text)
    candidate.write_text(load_policy().text.replace("decline_at: 0.5", "decline_at: 0.6"))
    out = tmp_path / "decisions.jsonl"
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "replay", str(events), "--out", str(out), "--policy", str(candidate),
            "--fairness-against", str(current), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["decisions"] == 120
    assert any(b["grouping"] == "sex" for b in summary["fairness_breaches"])
    evidence_path = Path(summary["fairness_evidence"])
    assert evidence_path == tmp_path / "decisions.fairness.json"
    evidence = json.loads(evidence_path.read_text())
    assert evidence["candidate"]["version"] == parse_policy(candidate.read_text()).version
    assert evidence["current"]["version"] == load_policy().version
    rows = {(r["kind"], r["grouping"], r["metric"]): r for r in evidence["side_by_side"]}
    by_sex = rows[("credit_limit", "sex", "adverse_impact_ratio")]
    assert by_sex["candidate"] == by_sex["current"] == 0.0  # the same credit rules
    assert by_sex["threshold"] == 0.8
    promoted = runner.invoke(
        app,
        [
            "policy", "promote", str(candidate), "--db", str(tmp_path / "bank.db"),
            "--evidence", str(evidence_path), "--json",
        ],
    )  # fmt: skip
    assert promoted.exit_code == 1
    assert json.loads(promoted.output.strip().splitlines()[-1])["act"] == "policy.refused"
    other = runner.invoke(
        app,
        [
            "policy", "promote", str(current), "--db", str(tmp_path / "bank.db"),
            "--evidence", str(evidence_path),
        ],
    )  # fmt: skip
    assert other.exit_code != 0  # evidence judges another policy
    assert "replay the candidate again" in other.output
