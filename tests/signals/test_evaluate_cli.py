"""`rapport evaluate signals --json` ends with the figures, as valid JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rapport.cli.main import app


def _refuse(constant: str) -> float:
    raise ValueError(f"not JSON: {constant}")


def test_evaluate_signals_reports_auc_and_delay_per_life_event() -> None:
    result = CliRunner().invoke(
        app, ["evaluate", "signals", "--customers", "300", "--days", "45", "--seed", "5", "--json"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout.strip().splitlines()[-1], parse_constant=_refuse)
    assert set(report["signals"]) == {
        "vulnerability/income_shock",
        "financial_stress/income_shock",
        "vulnerability/gambling_onset",
    }
    for figures in report["signals"].values():
        assert {"auc", "median_delay_days"} <= set(figures)
        assert figures["auc"] is None or 0.0 <= figures["auc"] <= 1.0
    assert 0.0 <= report["rhythm_change"]["false_alarm_rate"] <= 1.0
