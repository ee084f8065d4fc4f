"""``rapport demo``: simulate a small bank, stream it through the engine, show what it learned."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rapport.cli.common import console, progress_bar, read_batches
from rapport.cli.example_tour import tour
from rapport.cli.profile import render_change
from rapport.engine import Engine
from rapport.profiles.catalog import Entity
from rapport.sim import SimConfig, SimulatedBank

STRESS_FEATURES = (
    "days_since_salary",
    "salary_overdue_ratio",
    "balance_trend",
    "late_share_90d",
    "hardship_page_views_30d",
    "loan_page_views_30d",
    "night_share_30d",
    "share_cash_30d",
)
GAMBLING_FEATURES = ("share_gambling_7d", "share_gambling_30d", "night_share_30d", "balance_trend")


def demo(
    customers: Annotated[int, typer.Option(min=10, help="Customers in the simulated bank")] = 2_000,
    days: Annotated[int, typer.Option(min=20, help="Days to simulate")] = 60,
    seed: Annotated[int, typer.Option(help="Simulation seed")] = 2026,
    db: Annotated[Path, typer.Option(help="Demo store, recreated on each run")] = Path(
        ".demo/rapport.db"
    ),
    events: Annotated[
        Path | None, typer.Option(help="Instead, tour this example file (examples/events.jsonl)")
    ] = None,
) -> None:
    """Simulate a bank, stream it through the engine and print what the profiles show."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if events is not None:
        tour(events, db)
        return
    folder = db.parent
    folder.mkdir(parents=True, exist_ok=True)
    console.rule(f"[bold]Rapport demo: a simulated bank, {customers:,} customers, {days} days")
    bank = SimulatedBank(SimConfig(customers=customers, days=days, seed=seed))
    started = time.perf_counter()
    with progress_bar("days") as progress, (folder / "events.jsonl").open("wb") as out:
        task = progress.add_task("simulate", total=days)
        bank.run(out, on_day=lambda _: progress.advance(task))
    bank.truth.write(folder / "truth.json")
    with Engine(db) as engine:
        totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
        with progress_bar() as progress:
            for batch in read_batches(folder / "events.jsonl", progress, "ingest"):
                report = engine.ingest(batch)
                totals["accepted"] += report.accepted
                totals["duplicates"] += report.duplicates
                totals["rejected"] += report.rejected
        seconds = time.perf_counter() - started
        console.print(
            f"Streamed [bold]{totals['accepted']:,}[/bold] events through the engine in "
            f"{seconds:.0f} s ({totals['rejected']} rejected). The simulation's truth: "
            f"{len(bank.truth.life_events)} life events, {len(bank.truth.fraud)} fraudulent "
            f"transactions, {len(bank.truth.defaults)} defaults."
        )
        _life_change(engine, bank, "income_shock", "lost their income", STRESS_FEATURES)
        _life_change(engine, bank, "gambling_onset", "started gambling", GAMBLING_FEATURES)
        _fraud(engine, bank)


def _life_change(
    engine: Engine, bank: SimulatedBank, kind: str, headline: str, names: tuple[str, ...]
) -> None:
    changes = [e for e in bank.truth.life_events if e["kind"] == kind]
    # The earliest onset leaves the longest "after" to look at.
    change = min(changes, key=lambda e: (e["day"], e["customer_id"]), default=None)
    if change is None:
        return
    customer = change["customer_id"]
    onset = dt.datetime.fromisoformat(change["date"]).replace(tzinfo=dt.UTC)
    before = engine.profile(customer, at=onset - dt.timedelta(days=1))
    now = engine.profile(customer)
    title = f"{customer} {headline} on {change['date']} (the engine was never told)"
    console.print(render_change(title, before, now, names, "the day before"))
    was, is_now = before.signals["vulnerability"], now.signals["vulnerability"]
    flags = ", ".join(
        f"{f.code} since {dt.datetime.fromtimestamp(f.started_at, dt.UTC):%Y-%m-%d}"
        for f in is_now.flags
    )
    console.print(
        f"  vulnerability {was.score:.2f} → [bold]{is_now.score:.2f}[/bold]"
        + (f"; flags: {flags}" if flags else "")
        + (f"; because {is_now.reasons[0].text}" if is_now.reasons else "")
    )


def _fraud(engine: Engine, bank: SimulatedBank) -> None:
    cards = [f for f in bank.truth.fraud if f["pattern"] == "compromised_card"]
    terminals = [f for f in bank.truth.fraud if f["pattern"] == "compromised_terminal"]
    table = Table(title="Fraud, as the profiles saw it", title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("feature")
    table.add_column("value", justify="right")
    if cards:
        # The first payment of the latest stolen card: the most history before it.
        case = max(cards, key=lambda f: (f["day"], -int(f["event_id"].removeprefix("evt-"))))
        found = _event(engine, case)
        if found is not None:
            at = found["timestamp"]
            features = engine.profile(case["customer_id"], at=at).features
            for name in ("last_debit_amount_zscore", "last_device_is_new", "new_merchant_share_7d"):
                table.add_row(
                    f"{case['customer_id']}'s stolen card, at {at}",
                    name,
                    f"{features[name].value:,.2f}",
                )
    if terminals:
        merchant = _merchant(engine, terminals[0])
        if merchant:
            risk = engine.entity_profile(Entity.MERCHANT, merchant).features["merchant_fraud_risk"]
            table.add_row(f"compromised terminal {merchant}", risk.name, f"{risk.value:.4f}")
    console.print(table)


def _event(engine: Engine, case: dict[str, Any]) -> dict[str, Any] | None:
    record = engine.stores.events.lookup([case["event_id"]]).get(case["event_id"])
    if record is None:
        return None
    loaded: dict[str, Any] = json.loads(record.body)
    return loaded


def _merchant(engine: Engine, case: dict[str, Any]) -> str | None:
    record = engine.stores.events.lookup([case["event_id"]]).get(case["event_id"])
    return record.merchant_id if record else None
