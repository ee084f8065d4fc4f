"""``rapport evaluate signals``: measure the signals against the simulator's truth.

The simulated bank streams day by day through a fresh engine. For every customer whose life
changed, the signal is read each day from the onset on (detection delay: days until it first
crosses the threshold) and at a fixed horizon after the onset, beside customers whose lives did
not change read the same day (ROC AUC).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from rapport.cli.common import JsonOption, console, emit_json, progress_bar
from rapport.engine import Engine, UnknownEntityError
from rapport.signals.metrics import median_or_nan, roc_auc
from rapport.sim import SimConfig, SimulatedBank

app = typer.Typer(help="Measure Rapport against the simulator's truth.", no_args_is_help=True)

# Which signal should notice which life change.
TARGETS = {
    "income_shock": ("vulnerability", "financial_stress"),
    "gambling_onset": ("vulnerability",),
}
CONTROLS_PER_DAY = 150
RHYTHM = "rhythm_change"


def _finite(figures: dict[str, float]) -> dict[str, float | None]:
    """JSON has no NaN: a figure that could not be measured is null."""
    return {k: (None if math.isnan(v) else v) for k, v in figures.items()}


@app.command("signals")
def signals(
    customers: Annotated[int, typer.Option(min=50)] = 3_000,
    days: Annotated[int, typer.Option(min=30)] = 90,
    seed: Annotated[int, typer.Option()] = 101,
    horizon: Annotated[int, typer.Option(min=1, help="Days after onset for the AUC")] = 14,
    threshold: Annotated[
        float, typer.Option(min=0, max=1, help="Score that counts as noticed")
    ] = 0.5,
    as_json: JsonOption = False,
) -> None:
    """ROC AUC per life-event type at a horizon after onset, and median detection delay."""
    result = evaluate(customers, days, seed, horizon, threshold)
    rhythm = result.pop(RHYTHM)
    if as_json:
        emit_json(
            {
                "signals": {name: _finite(figures) for name, figures in result.items()},
                "rhythm_change": rhythm,
                "customers": customers,
                "days": days,
                "seed": seed,
                "horizon_days": horizon,
                "threshold": threshold,
            }
        )
        return
    table = Table(
        title=f"Signals against the simulator's truth (seed {seed})", title_justify="left"
    )
    for column in ("signal / life event", "ROC AUC", "median delay (days)", "events"):
        table.add_column(column)
    rate = f"false alarms: {rhythm['false_alarm_rate']:.1%} of customers per 90 days"
    table.add_row("rhythm_change / no life event", rate, "", str(rhythm["customers"]))
    for name, figures in result.items():
        table.add_row(
            name,
            f"{figures['auc']:.3f}",
            f"{figures['median_delay_days']:.1f}",
            str(figures["events"]),
        )
    console.print(table)


def evaluate(
    customers: int, days: int, seed: int, horizon: int, threshold: float
) -> dict[str, dict[str, float]]:
    bank = SimulatedBank(SimConfig(customers=customers, days=days, seed=seed))
    plan = {e.customer: e for changes in bank.life_plan.values() for e in changes}
    changed = {bank.customers[i].customer_id: e for i, e in plan.items() if e.kind in TARGETS}
    unchanged = [c.customer_id for c in bank.customers if c.index not in plan]
    rnd = random.Random(seed)
    delays: dict[str, list[float]] = {}
    positives: dict[str, list[float]] = {}
    negatives: dict[str, list[float]] = {}
    noticed: set[tuple[str, str]] = set()
    with Engine("memory://") as engine, _progress() as progress:
        task = progress.add_task("evaluate", total=days)
        for day, lines in bank.days():
            engine.ingest(lines)
            if day < 0:
                break
            at = _end_of_day(bank, day)
            horizon_today = [cid for cid, e in changed.items() if e.day + horizon == day]
            for customer_id, change in changed.items():
                if change.day > day:
                    continue
                scores = _scores(engine, customer_id, at)
                for signal in TARGETS[change.kind]:
                    key = f"{signal}/{change.kind}"
                    if (customer_id, key) not in noticed and scores.get(signal, 0.0) >= threshold:
                        noticed.add((customer_id, key))
                        delays.setdefault(key, []).append(float(day - change.day))
                    if customer_id in horizon_today:
                        positives.setdefault(key, []).append(scores.get(signal, 0.0))
            if horizon_today:
                for control in rnd.sample(unchanged, min(CONTROLS_PER_DAY, len(unchanged))):
                    scores = _scores(engine, control, at)
                    for kind in {changed[c].kind for c in horizon_today}:
                        for signal in TARGETS[kind]:
                            negatives.setdefault(f"{signal}/{kind}", []).append(
                                scores.get(signal, 0.0)
                            )
            progress.advance(task)
        final = _end_of_day(bank, days - 1)
        alarmed = sum(
            1 for customer_id in unchanged if _rhythm_alarms(engine, customer_id, final) > 0
        )
    result: dict[str, dict[str, float]] = {}
    result[RHYTHM] = {
        # Alarms among customers whose lives did not change, per 90 days of history.
        "false_alarm_rate": round(alarmed / max(1, len(unchanged)) * 90.0 / days, 4),
        "customers": len(unchanged),
    }
    for kind, names in TARGETS.items():
        events = sum(1 for e in changed.values() if e.kind == kind and e.day + horizon < days)
        for signal in names:
            key = f"{signal}/{kind}"
            result[key] = {
                "auc": round(roc_auc(positives.get(key, []), negatives.get(key, [])), 4),
                "median_delay_days": median_or_nan(delays.get(key, [])),
                "noticed_share": round(
                    len(delays.get(key, []))
                    / max(1, sum(1 for e in changed.values() if e.kind == kind)),
                    4,
                ),
                "events": events,
            }
    return result


def _scores(engine: Engine, customer_id: str, at: float) -> dict[str, float]:
    """Signal scores as of ``at`` (or the customer's latest event, if later)."""
    try:
        profile = engine.profile(customer_id)
    except UnknownEntityError:
        return {}
    if profile.as_of is not None and profile.as_of.timestamp() < at:
        profile = engine.profile(customer_id, at=at)
    return {name: value.score for name, value in profile.signals.items()}


def _rhythm_alarms(engine: Engine, customer_id: str, at: float) -> float:
    try:
        return engine.profile(customer_id).features["rhythm_changes"].value
    except UnknownEntityError:
        return 0.0


def _end_of_day(bank: SimulatedBank, day: int) -> float:
    date = bank.config.start + dt.timedelta(days=day + 1)
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC).timestamp() - 1


def _progress() -> Progress:
    return progress_bar("days")
