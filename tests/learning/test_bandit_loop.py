"""The bandit in closed loop on a small simulated bank: the engine decides at logins, learns from
the offer responses through its own adaptive loop, and beats a random offer at the same moments."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rapport.cli.bandit_experiment import run
from rapport.cli.main import app


def test_closed_loop_learns_and_beats_a_random_offer() -> None:
    result = run(customers=200, days=20, seed=5, publish_every=100)
    assert result.learned > 500
    assert result.versions >= 5
    window = result.window
    assert window["offers"] > 300
    # At exactly the moments the bandit made an offer: above a random offer, close to the oracle.
    assert window["bandit"] > window["uniform"] + 0.05, window
    assert window["bandit"] >= 0.8 * window["oracle"], window
    assert window["oracle"] >= window["static"] - 1e-9
    # Day 0 has no offers: the engine has seen nothing of anyone before the first day ends.
    assert [d.day for d in result.daily] == list(range(1, 20))


def test_evaluate_bandit_command_reports_json_and_plots(tmp_path: Path) -> None:
    plot = tmp_path / "curve.png"
    args = ["evaluate", "bandit", "--customers", "60", "--days", "16", "--seed", "8"]
    outcome = CliRunner().invoke(app, [*args, "--json", "--plot", str(plot)])
    assert outcome.exit_code == 0, outcome.output
    report = json.loads(outcome.output.strip().splitlines()[-1])
    assert report["days"] == 16
    window = report["window"]
    assert report["vs_oracle"] == window["bandit"] / window["oracle"]
    assert 0.0 < window["uniform"] <= window["oracle"] <= 1.0
    assert plot.read_bytes().startswith(b"\x89PNG")
