"""`rapport simulate` writes the same bytes for the same arguments, and a truth file."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rapport.cli.main import app

runner = CliRunner()


def simulate(out: Path, seed: int = 12) -> dict[str, object]:
    result = runner.invoke(
        app,
        [
            "simulate",
            "--customers",
            "80",
            "--days",
            "32",
            "--seed",
            str(seed),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return summary


def test_same_arguments_give_byte_identical_files(tmp_path: Path) -> None:
    first = simulate(tmp_path / "a")
    simulate(tmp_path / "b")
    assert (tmp_path / "a" / "events.jsonl").read_bytes() == (
        tmp_path / "b" / "events.jsonl"
    ).read_bytes()
    assert (tmp_path / "a" / "truth.json").read_bytes() == (
        tmp_path / "b" / "truth.json"
    ).read_bytes()
    lines = (tmp_path / "a" / "events.jsonl").read_bytes().splitlines()
    assert first["events"] == len(lines)


def test_truth_holds_traits_onsets_and_labels(tmp_path: Path) -> None:
    simulate(tmp_path)
    truth = json.loads((tmp_path / "truth.json").read_text())
    assert len(truth["customers"]) == 80
    customer = truth["customers"][0]
    for trait in (
        "age",
        "sex",
        "annual_income",
        "pay_cycle",
        "discipline",
        "impulsivity",
        "risk_appetite",
        "responsiveness",
        "needs",
        "default_propensity",
    ):
        assert trait in customer
    assert all({"customer_id", "kind", "day", "date"} <= set(e) for e in truth["life_events"])
    assert all({"event_id", "pattern", "customer_id"} <= set(f) for f in truth["fraud"])
    assert all({"p_accept", "best_p_accept", "best_offer"} <= set(d) for d in truth["decisions"])


def test_config_file_sets_rates_and_refuses_unknown_fields(tmp_path: Path) -> None:
    config = tmp_path / "sim.json"
    config.write_text(
        json.dumps(
            {
                "card_fraud_rate": 0.0,
                "card_testing_rate": 0.0,
                "takeover_rate": 0.0,
                "terminal_compromise_rate": 0.0,
            }
        )
    )
    result = runner.invoke(
        app,
        [
            "simulate",
            "--customers",
            "50",
            "--days",
            "20",
            "--out",
            str(tmp_path / "o"),
            "--config",
            str(config),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout.strip().splitlines()[-1])["fraud_transactions"] == 0
    config.write_text(json.dumps({"fraud_rate": 0.5}))
    refused = runner.invoke(
        app, ["simulate", "--out", str(tmp_path / "p"), "--config", str(config)]
    )
    assert refused.exit_code == 2
    assert "fraud_rate" in refused.output
