"""``rapport evaluate bandit``: the contextual bandit in closed loop on the simulated bank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from rapport.cli.bandit_experiment import FINAL_DAYS, BanditExperiment, run
from rapport.cli.common import JsonOption, console, emit_json, err_console
from rapport.learning.bandit_features import BanditOptions

TARGET_VS_STATIC = 1.3
TARGET_VS_ORACLE = 0.8


def bandit(
    customers: Annotated[int, typer.Option(min=20, help="Simulated customers")] = 2_000,
    days: Annotated[int, typer.Option(min=FINAL_DAYS + 1, help="Simulated days")] = 60,
    seed: Annotated[int, typer.Option(help="Simulation seed")] = 31,
    options: Annotated[
        str, typer.Option(help="The bandit's options as JSON (see docs/policy.md, learning)")
    ] = "{}",
    publish_every: Annotated[int, typer.Option(min=1, help="Outcomes between versions")] = 200,
    plot: Annotated[
        Path | None, typer.Option(help="Write the learning curve here (.png or .svg)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Offer acceptance of the learning engine against a static segment policy and the oracle,
    at the same moments (final two weeks), and its learning curve."""
    parsed = json.loads(options)
    BanditOptions.model_validate(parsed)
    progress = Progress(
        TextColumn("[bold]closed loop"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
    )
    with progress:
        task = progress.add_task("days", total=days)
        result = run(
            customers, days, seed, parsed, publish_every, lambda day: progress.advance(task)
        )
    if plot is not None:
        learning_curve(result, plot)
    if as_json:
        emit_json(result.to_dict() | ({"plot": str(plot)} if plot else {}))
        return
    console.print(summary_table(result))


def summary_table(result: BanditExperiment) -> Table:
    w = result.window
    table = Table(
        title=f"Closed loop, {result.customers:,} customers x {result.days} days, seed "
        f"{result.seed}: acceptance of the offers made in the last {FINAL_DAYS} days",
        title_justify="left",
    )
    for column in ("policy (same moments)", "acceptance", "bandit / it"):
        table.add_column(column)
    table.add_row(
        "bandit (true probability / realised)",
        f"{w['bandit']:.3f} / {w['bandit_realised']:.3f}",
        "",
    )
    table.add_row(
        "static segment (best offer per income band)",
        f"{w['static']:.3f}",
        f"{result.vs_static:.3f} (target >= {TARGET_VS_STATIC})",
    )
    table.add_row(
        "static segment, within the policy's eligibility",
        f"{w['static_eligible']:.3f}",
        f"{w['bandit'] / w['static_eligible']:.3f}",
    )
    table.add_row(
        "best fixed offer per segment of the hidden traits",
        f"{w['true_trait_segments']:.3f}",
        f"{w['bandit'] / w['true_trait_segments']:.3f}",
    )
    table.add_row(
        "oracle (best offer for the customer now)",
        f"{w['oracle']:.3f}",
        f"{result.vs_oracle:.3f} (target >= {TARGET_VS_ORACLE})",
    )
    table.add_row("a random offer", f"{w['uniform']:.3f}", f"{w['bandit'] / w['uniform']:.3f}")
    return table


def learning_curve(result: BanditExperiment, path: Path) -> None:
    """Daily acceptance of the bandit beside the static segment policy, the oracle and a random
    offer, at the bandit's own offer moments."""
    import matplotlib  # noqa: PLC0415 - plotting is optional work, loaded only when asked

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    days = [d.day for d in result.daily]
    figure, (top, bottom) = plt.subplots(
        2, 1, figsize=(8, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    for label, values, style in (
        ("oracle", [d.oracle for d in result.daily], "k--"),
        ("static segment (hindsight)", [d.static for d in result.daily], "C1-"),
        ("bandit", [d.bandit for d in result.daily], "C0-"),
        ("random offer", [d.uniform for d in result.daily], "C7:"),
    ):
        top.plot(days, values, style, label=label, linewidth=1.6)
    # Every curve falls over the first week as contacts pile up (the simulated customers tire
    # of offers); the share of the oracle shows the learning itself.
    for label, values, style in (
        ("bandit / oracle", [d.bandit / d.oracle for d in result.daily], "C0-"),
        ("static / oracle", [d.static / d.oracle for d in result.daily], "C1-"),
        ("random / oracle", [d.uniform / d.oracle for d in result.daily], "C7:"),
    ):
        bottom.plot(days, values, style, label=label, linewidth=1.6)
    for axes in (top, bottom):
        axes.axvspan(result.days - FINAL_DAYS, result.days - 1, color="0.93")
        axes.grid(alpha=0.3)
        axes.legend(loc="lower right", fontsize="small")
    bottom.axhline(TARGET_VS_ORACLE, color="C3", linewidth=0.8)
    top.set_ylabel("mean true acceptance probability")
    bottom.set_ylabel("share of the oracle")
    bottom.set_xlabel("day (shaded: the measured window)")
    top.set_title(
        f"Bandit learning curve ({result.customers:,} customers, seed {result.seed}; offers made)"
    )
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    # A fixed creation date keeps the bytes of an SVG identical from run to run.
    metadata = {"Date": None} if path.suffix == ".svg" else {}
    figure.savefig(path, dpi=110, metadata=metadata)
    plt.close(figure)
