"""The governance audit log: chained, verifiable, tamper-evident, shared between processes."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.governance.audit_log import (
    GENESIS,
    AuditLog,
    MemoryAuditLog,
    SqliteAuditLog,
    open_audit_log,
)


def _fixed_clock() -> dt.datetime:
    return dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(params=["memory", "sqlite"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> AuditLog:
    if request.param == "memory":
        return MemoryAuditLog(_fixed_clock)
    return SqliteAuditLog(tmp_path / "rapport.db", _fixed_clock)


def test_records_chain_in_order_and_verify(log: AuditLog) -> None:
    first = log.append("policy.promoted", "alice", {"version": "v1"})
    second = log.append("fairness.alert", "fairness-monitor", {"ratio": 0.7, "nan": math.nan})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS
    assert second.prev_hash == first.hash != second.hash
    assert second.details == {"ratio": 0.7, "nan": None}  # JSON has no NaN
    assert second.at == "2026-11-29T12:00:00+00:00"
    assert [r.act for r in log.scan()] == ["policy.promoted", "fairness.alert"]
    result = log.verify()
    assert result.ok
    assert result.records == 2


def test_empty_log_verifies(log: AuditLog) -> None:
    assert log.verify().ok
    assert log.verify().records == 0


def test_act_and_actor_are_required(log: AuditLog) -> None:
    with pytest.raises(ValueError, match="act and an actor"):
        log.append("", "alice", {})
    with pytest.raises(ValueError, match="act and an actor"):
        log.append("policy.promoted", "", {})


def test_tampered_details_are_named(tmp_path: Path) -> None:
    path = tmp_path / "rapport.db"
    log = SqliteAuditLog(path)
    for index in range(3):
        log.append("policy.promoted", "alice", {"version": f"v{index}"})
    log.close()
    with sqlite3.connect(path) as connection:
        connection.execute('UPDATE audit_log SET details = \'{"version":"forged"}\' WHERE seq = 2')
    result = open_audit_log(str(path)).verify()
    assert not result.ok
    assert result.broken_at == 2
    assert "content" in result.problem


def test_removed_record_is_named(tmp_path: Path) -> None:
    path = tmp_path / "rapport.db"
    log = SqliteAuditLog(path)
    for index in range(3):
        log.append("policy.promoted", "alice", {"version": f"v{index}"})
    log.close()
    with sqlite3.connect(path) as connection:
        connection.execute("DELETE FROM audit_log WHERE seq = 2")
    result = open_audit_log(f"sqlite:///{path}").verify()
    assert not result.ok
    assert result.broken_at == 3
    assert "removed" in result.problem


def test_two_connections_share_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "rapport.db"
    one, two = SqliteAuditLog(path), SqliteAuditLog(path)
    one.append("a", "x", {})
    two.append("b", "y", {})
    one.append("c", "z", {})
    assert [r.act for r in two.scan()] == ["a", "b", "c"]
    assert two.verify().ok


def test_audit_verify_command_checks_the_audit_log_too(tmp_path: Path) -> None:
    path = tmp_path / "rapport.db"
    log = SqliteAuditLog(path)
    log.append("policy.promoted", "alice", {"version": "v1"})
    log.append("policy.promoted", "alice", {"version": "v2"})
    log.close()
    runner = CliRunner()
    verified = runner.invoke(app, ["audit", "verify", "--db", str(path), "--json"])
    assert verified.exit_code == 0, verified.output
    figures = json.loads(verified.output.strip().splitlines()[-1])
    assert figures["ok"]
    assert figures["audit_log"]["records"] == 2
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1")
    broken = runner.invoke(app, ["audit", "verify", "--db", str(path), "--json"])
    assert broken.exit_code == 1
    figures = json.loads(broken.output.strip().splitlines()[-1])
    assert not figures["ok"]
    assert figures["audit_log"]["broken_at"] == 1
