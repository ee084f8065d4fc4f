"""``rapport simulate``: a synthetic bank's events, with the ground truth kept apart."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from rapport.cli.common import JsonOption, console, emit_json, err_console, progress_bar
from rapport.sim import SimConfig, SimulatedBank
from rapport.sim.figures import figures


def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder for events.jsonl and truth.json")],
    customers: Annotated[int, typer.Option(min=1, help="Customers in the bank")] = 1_000,
    days: Annotated[int, typer.Option(min=1, help="Days to simulate")] = 60,
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same bytes")] = 7,
    as_json: JsonOption = False,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="JSON file of further SimConfig fields (rates, report delay, start date...)",
        ),
    ] = None,
) -> None:
    """Simulate a bank: events.jsonl (time-ordered v1 events) and truth.json (labels, traits,
    onsets, outcomes)."""
    extra = json.loads(config_file.read_text()) if config_file else {}
    try:
        config = SimConfig.model_validate(
            {**extra, "customers": customers, "days": days, "seed": seed}
        )
    except ValidationError as error:
        err_console.print(f"[red]{config_file}: {error}[/red]")
        raise typer.Exit(2) from None
    out.mkdir(parents=True, exist_ok=True)
    bank = SimulatedBank(config)
    started = time.perf_counter()
    progress = progress_bar("days")
    with progress, (out / "events.jsonl").open("wb") as events:
        task = progress.add_task("simulate", total=days)
        written = bank.run(events, on_day=lambda _: progress.advance(task))
    bank.truth.write(out / "truth.json")
    seconds = time.perf_counter() - started
    summary = {
        "events": written,
        "customers": customers,
        "days": days,
        "seed": seed,
        "fraud_transactions": len(bank.truth.fraud),
        "plausibility": figures(bank.truth, bank.transactions, days).to_dict(),
        "life_events": len(bank.truth.life_events),
        "defaults": len(bank.truth.defaults),
        "decisions": len(bank.truth.decisions),
        "seconds": round(seconds, 2),
        "out": str(out),
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"Simulated {customers:,} customers for {days} days: {written:,} events in "
            f"{seconds:.1f} s → {out / 'events.jsonl'}, truth in {out / 'truth.json'}"
        )
