"""``rapport demo --events examples/events.jsonl``: a guided tour of the small example bank."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.panel import Panel
from rich.table import Table

from rapport.cli.common import console, progress_bar, read_batches
from rapport.cli.profile import render_change
from rapport.engine import Engine, Profile
from rapport.profiles.catalog import Entity

# Customers of examples/events.jsonl whose stories the demo tells, and the features that tell
# each story (examples/make_example_events.py describes the stories).
STORIES: tuple[tuple[str, str, str | None, tuple[str, ...]], ...] = (
    (
        "cust-0001",
        "A steady, disciplined customer",
        None,
        (
            "income_regularity",
            "salary_interval_days",
            "late_share_90d",
            "habit_hour",
            "habit_hour_concentration",
            "familiar_merchants",
            "share_groceries_30d",
        ),
    ),
    (
        "cust-0003",
        "A compromised card, as the last fraudulent payment went through",
        "2026-07-31T16:28:00+02:00",
        (
            "last_debit_amount_zscore",
            "new_merchant_share_7d",
            "new_devices_30d",
            "new_countries_30d",
            "debit_velocity_ratio_1d_30d",
            "confirmed_frauds_90d",
        ),
    ),
    (
        "cust-0004",
        "Gambling takes hold",
        None,
        ("share_gambling_7d", "share_gambling_30d", "night_share_30d", "balance_trend"),
    ),
    (
        "cust-0005",
        "A traveller",
        None,
        (
            "familiar_countries",
            "new_countries_30d",
            "last_distance_km",
            "last_speed_kmh",
            "distance_from_home_km",
            "share_travel_30d",
        ),
    ),
)
LIFE_CHANGE = (
    "cust-0002",
    "Income stops (job loss around day 45)",
    (
        "days_since_salary",
        "salary_overdue_ratio",
        "income_drop_ratio",
        "balance_trend",
        "late_share_90d",
        "last_days_late",
        "hardship_page_views_30d",
        "loan_page_views_30d",
        "night_share_30d",
    ),
)


def tour(events: Path, db: Path) -> None:
    """Ingest the example bank and print the behavioral profiles of a few customers."""
    console.rule("[bold]Rapport demo: a small bank's 90 days")
    with Engine(db) as engine:
        accepted = duplicates = rejected = 0
        with progress_bar() as progress:
            for batch in read_batches(events, progress, "ingest", batch_lines=500):
                report = engine.ingest(batch)
                accepted += report.accepted
                duplicates += report.duplicates
                rejected += report.rejected
        console.print(
            f"Ingested [bold]{accepted:,}[/bold] events, acknowledged [bold]{duplicates}[/bold] "
            f"re-sent duplicates, dead-lettered [bold]{rejected}[/bold] bad lines:"
        )
        for letter in engine.dead_letters(10):
            where = f"{letter.field}: " if letter.field else ""
            console.print(f"  [red]{letter.code}[/red] {where}{letter.reason}")
        console.print()
        for customer, headline, at, names in STORIES:
            console.print(_story(engine.profile(customer, at=at), headline, names))
        _life_change(engine)
        _merchant(engine, "m-terminal-666")


def _story(found: Profile, headline: str, names: tuple[str, ...]) -> Panel:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_column(style="dim")
    for name in names:
        feature = found.features[name]
        table.add_row(name, f"{feature.value:,.2f} {feature.unit}", feature.description)
    as_of = f" (as of {found.as_of:%Y-%m-%d %H:%M} UTC)" if found.as_of else ""
    return Panel(table, title=f"{found.entity_id}: {headline}{as_of}", title_align="left")


def _life_change(engine: Engine) -> None:
    customer, headline, names = LIFE_CHANGE
    now = engine.profile(customer)
    assert now.as_of is not None
    before = engine.profile(customer, at=now.as_of - dt.timedelta(days=50))
    label = f"as of {before.as_of:%Y-%m-%d}" if before.as_of else "before"
    console.print(render_change(f"{customer}: {headline}", before, now, names, label))


def _merchant(engine: Engine, merchant_id: str) -> None:
    found = engine.entity_profile(Entity.MERCHANT, merchant_id)
    names = ("merchant_fraud_risk", "merchant_confirmed_frauds_30d", "merchant_txn_30d")
    console.print(_story(found, "a compromised terminal", names))
