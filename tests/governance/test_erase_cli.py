"""``rapport erase`` and what ``rapport explain`` / ``rapport audit verify`` say afterwards."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rapport.cli.main import app
from rapport.engine import Engine
from tests.governance.erasure_samples import ERASED, erased_history, other_history

runner = CliRunner()


def _last_json(output: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(output.strip().splitlines()[-1])
    return loaded


def test_erase_then_explain_says_erased_and_verify_passes(tmp_path: Path) -> None:
    db = tmp_path / "rapport.db"
    with Engine(db) as engine:
        events = sorted([*erased_history(), *other_history()], key=lambda e: str(e["timestamp"]))
        _, decisions = engine.ingest_and_decide(events)
    mine = next(d.decision_id for d in decisions if d.customer_id == ERASED)
    theirs = next(d.decision_id for d in decisions if d.customer_id != ERASED)

    erased = runner.invoke(app, ["erase", ERASED, "--db", str(db), "--actor", "dpo", "--json"])
    assert erased.exit_code == 0, erased.output
    report = _last_json(erased.stdout)
    assert report["erased"] is True
    assert report["actor"] == "dpo"
    assert ERASED not in erased.stdout

    explained = runner.invoke(app, ["explain", mine, "--db", str(db), "--json"])
    assert explained.exit_code == 3
    assert _last_json(explained.stdout)["erased"] is True
    kept = runner.invoke(app, ["explain", theirs, "--db", str(db), "--json"])
    assert kept.exit_code == 0
    assert _last_json(kept.stdout)["reproduced"] is True

    verified = runner.invoke(app, ["audit", "verify", "--db", str(db), "--json"])
    assert verified.exit_code == 0, verified.output
    assert _last_json(verified.stdout)["ok"] is True

    again = runner.invoke(app, ["erase", ERASED, "--db", str(db), "--json"])
    assert again.exit_code == 2
    assert _last_json(again.stdout)["code"] == "already_erased"
    stranger = runner.invoke(app, ["erase", "nobody", "--db", str(db)])
    assert stranger.exit_code == 1
    assert "nothing is held" in stranger.output
