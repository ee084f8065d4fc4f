"""`rapport replay`, `explain` and `audit verify` from the command line, on a simulated bank."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.governance.ledger import SqliteLedger

runner = CliRunner()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sim")
    result = runner.invoke(
        app, ["simulate", "--customers", "60", "--days", "25", "--seed", "44", "--out", str(folder)]
    )
    assert result.exit_code == 0, result.output
    return folder / "events.jsonl"


def test_replay_decides_every_trigger_and_is_byte_identical(history: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for out in (first, second):
        result = runner.invoke(app, ["replay", str(history), "--out", str(out)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    triggers = {"transaction": "fraud", "statement": "credit_limit", "login": "next_best_action"}
    expected = {
        (e["event_id"], triggers[e["type"]])
        for e in map(json.loads, history.read_text().splitlines())
        if e["type"] in triggers
    }
    rows = [json.loads(line) for line in first.read_text().splitlines()]
    assert {(r["trigger_event_id"], r["kind"]) for r in rows} == expected
    for field in (
        "decision_id",
        "kind",
        "customer_id",
        "timestamp",
        "action",
        "score",
        "propensity",
        "reasons",
        "policy_version",
        "model_versions",
    ):
        assert all(field in r for r in rows)


def test_explain_reproduces_and_audit_verify_catches_a_forged_row(
    history: Path, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    out = tmp_path / "d.jsonl"
    assert (
        runner.invoke(app, ["replay", str(history), "--out", str(out), "--db", str(db)]).exit_code
        == 0
    )
    with contextlib.closing(SqliteLedger(db)) as ledger:
        count, average = ledger.stored_size()
    assert count > 0
    assert average <= 1024  # the ledger's size budget per stored record
    decision_id = json.loads(out.read_text().splitlines()[5])["decision_id"]
    explained = runner.invoke(app, ["explain", decision_id, "--db", str(db), "--json"])
    assert explained.exit_code == 0, explained.output
    assert json.loads(explained.stdout.strip().splitlines()[-1])["reproduced"] is True
    verified = runner.invoke(app, ["audit", "verify", "--db", str(db), "--json"])
    assert verified.exit_code == 0
    assert json.loads(verified.stdout.strip().splitlines()[-1])["ok"] is True
    ledger = SqliteLedger(db)
    stored = {record.position: record for record in ledger.scan()}[7]
    forged = ledger.sealer.seal(msgspec.structs.replace(ledger.read(stored), seed=1))
    ledger.close()
    assert forged != stored.body
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE decisions SET body = ? WHERE seq = 7", (forged,))
    broken = runner.invoke(app, ["audit", "verify", "--db", str(db), "--json"])
    assert broken.exit_code == 1
    report = json.loads(broken.stdout.strip().splitlines()[-1])
    assert report["broken_at"] == 7
    assert report["decision_id"]


def test_explain_of_an_unknown_decision_fails_clearly(tmp_path: Path) -> None:
    result = runner.invoke(app, ["explain", "dec-nope", "--db", str(tmp_path / "empty.db")])
    assert result.exit_code == 1
    assert "dec-nope" in result.output
