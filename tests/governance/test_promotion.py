"""Promotion through the fairness gate: refused on breaches, overridden only with a reason,
every verdict in the audit log, and the promoted policy is the one a store decides with."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.decisions.policy import LoadedPolicy, load_policy, parse_policy
from rapport.engine import Engine
from rapport.governance.audit_log import MemoryAuditLog, open_audit_log
from rapport.governance.promotion import (
    OVERRIDDEN,
    PROMOTED,
    REFUSED,
    EvidenceMismatchError,
    active_policy,
    promote,
    promoted_policy,
)

BREACH = {
    "kind": "next_best_action",
    "grouping": "age_band",
    "metric": "adverse_impact_ratio",
    "value": 0.6,
    "threshold": 0.8,
    "message": "next_best_action: age_band=65+ at 60% of the rate of 50-64",
}


def _candidate() -> LoadedPolicy:
    return parse_policy(load_policy().text.replace("decline_at: 0.5", "decline_at: 0.55"))


def _evidence(policy: LoadedPolicy, breaches: list[dict[str, Any]]) -> dict[str, Any]:
    return {"candidate": {"version": policy.version, "judged": True}, "breaches": breaches}


def test_a_fair_candidate_is_promoted_and_recorded_with_its_text() -> None:
    log, candidate = MemoryAuditLog(), _candidate()
    result = promote(candidate, _evidence(candidate, []), log, "alice")
    assert result.promoted
    assert result.act == PROMOTED
    [record] = log.scan()
    assert record.details["version"] == candidate.version
    assert record.details["judged"] is True
    promoted = promoted_policy(log)
    assert promoted is not None
    assert promoted.version == candidate.version


def test_a_breaching_candidate_is_refused_without_an_override() -> None:
    log, candidate = MemoryAuditLog(), _candidate()
    result = promote(candidate, _evidence(candidate, [BREACH]), log, "alice")
    assert not result.promoted
    assert result.act == REFUSED
    assert promoted_policy(log) is None
    [record] = log.scan()
    assert record.act == REFUSED
    assert record.details["breaches"] == [BREACH]
    assert "text" not in record.details


def test_an_override_needs_a_reason_and_is_recorded() -> None:
    log, candidate = MemoryAuditLog(), _candidate()
    blank = promote(candidate, _evidence(candidate, [BREACH]), log, "bob", override_reason="  ")
    assert not blank.promoted
    result = promote(
        candidate, _evidence(candidate, [BREACH]), log, "bob", override_reason="regulator agreed"
    )
    assert result.promoted
    assert result.act == OVERRIDDEN
    last = list(log.scan())[-1]
    assert last.actor == "bob"
    assert last.details["override_reason"] == "regulator agreed"
    assert last.details["previous_version"] is None
    assert log.verify().ok


def test_evidence_for_another_policy_is_rejected() -> None:
    with pytest.raises(EvidenceMismatchError, match="replay the candidate"):
        promote(_candidate(), _evidence(load_policy(), []), MemoryAuditLog(), "alice")


def test_no_history_promotes_unjudged() -> None:
    log = MemoryAuditLog()
    result = promote(_candidate(), None, log, "alice")
    assert result.promoted
    assert "without a fairness judgement" in result.message
    assert next(iter(log.scan())).details["judged"] is False


def test_a_store_decides_with_its_latest_promoted_policy(tmp_path: Path) -> None:
    db = tmp_path / "rapport.db"
    assert active_policy(db, None).version == load_policy().version  # no store yet
    candidate = _candidate()
    log = open_audit_log(db)
    promote(candidate, _evidence(candidate, []), log, "alice")
    log.close()
    with Engine(db) as engine:
        assert engine.decisions.policy.version == candidate.version
    assert active_policy(db, None).version == candidate.version
    assert active_policy("memory://", None).version == load_policy().version


def test_cli_refuses_a_policy_naming_a_protected_attribute_and_records_it(tmp_path: Path) -> None:
    db, policy = tmp_path / "rapport.db", tmp_path / "bad.yaml"
    policy.write_text(
        load_policy().text.replace(
            'when: "signals.vulnerability >= 0.5"', 'when: "protected.age > 60"'
        )
    )
    result = CliRunner().invoke(
        app, ["policy", "promote", str(policy), "--db", str(db), "--actor", "carol", "--json"]
    )
    assert result.exit_code == 1
    answer = json.loads(result.output.strip().splitlines()[-1])
    assert answer["act"] == REFUSED
    assert any("protected attribute" in problem for problem in answer["problems"])
    [record] = open_audit_log(db).scan()
    assert record.act == REFUSED
    assert record.actor == "carol"


def test_cli_promotes_on_a_store_without_history(tmp_path: Path) -> None:
    db, policy = tmp_path / "rapport.db", tmp_path / "p.yaml"
    policy.write_text(_candidate().text)
    result = CliRunner().invoke(
        app, ["policy", "promote", str(policy), "--db", str(db), "--actor", "dan", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1])["act"] == PROMOTED
    override = CliRunner().invoke(
        app, ["policy", "promote", str(policy), "--db", str(db), "--override-reason", "x"]
    )
    assert override.exit_code != 0  # an override must name who takes responsibility
