"""``rapport profile``: an entity's behavioral profile, with what each feature means."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.common import DEFAULT_DB_VALUE, DbOption, JsonOption, console, emit_json
from rapport.engine import Engine, Profile, UnknownEntityError
from rapport.profiles.catalog import Entity


def profile(
    entity_id: Annotated[str, typer.Argument(help="Customer id (or merchant/device id)")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
    at: Annotated[
        str | None, typer.Option(help="Event time to read at, RFC 3339 (default: latest event)")
    ] = None,
    entity: Annotated[Entity, typer.Option(help="Kind of entity")] = Entity.CUSTOMER,
    all_features: Annotated[
        bool, typer.Option("--all", help="Show features that are zero too")
    ] = False,
) -> None:
    """Show the profile of one customer, merchant or device."""
    with Engine(db) as engine:
        try:
            found = engine.entity_profile(entity, entity_id, at)
        except UnknownEntityError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
        except ValueError as error:
            console.print(f"[red]{error}[/red]")
            raise typer.Exit(2) from None
    if as_json:
        emit_json(found.to_dict())
        return
    console.print(render(found, all_features))
    if found.signals:
        console.print(render_signals(found))


def render(found: Profile, all_features: bool = False) -> Table:
    as_of = found.as_of.isoformat() if found.as_of else "never"
    table = Table(
        title=f"{found.entity} {found.entity_id} — {found.event_count} events, as of {as_of}",
        title_justify="left",
    )
    table.add_column("feature", style="bold")
    table.add_column("value", justify="right")
    table.add_column("unit")
    table.add_column("meaning")
    for feature in found.features.values():
        if feature.value == 0 and not all_features:
            continue
        table.add_row(feature.name, f"{feature.value:,.3f}", feature.unit, feature.description)
    return table


def render_signals(found: Profile) -> Table:
    table = Table(title="signals: what the features mean", title_justify="left")
    table.add_column("signal", style="bold")
    table.add_column("score", justify="right")
    table.add_column("why")
    table.add_column("flags (since)")
    for name, signal in found.signals.items():
        why = "; ".join(r.text for r in signal.reasons[:3]) or "nothing notable"
        flags = "; ".join(
            f"{f.code} ({dt.datetime.fromtimestamp(f.started_at, dt.UTC):%Y-%m-%d})"
            for f in signal.flags
        )
        table.add_row(name, f"{signal.score:.2f}", why, flags)
    return table


def render_change(
    title: str, before: Profile, now: Profile, names: Sequence[str], before_label: str
) -> Table:
    """The same features at two moments, side by side, with what they mean."""
    table = Table(title=title, title_justify="left")
    table.add_column("feature", style="bold")
    table.add_column(before_label, justify="right")
    table.add_column(f"as of {now.as_of:%Y-%m-%d}" if now.as_of else "now", justify="right")
    table.add_column("meaning", style="dim")
    for name in names:
        feature = now.features[name]
        table.add_row(
            name,
            f"{before.features[name].value:,.2f}",
            f"{feature.value:,.2f}",
            f"{feature.description} ({feature.unit})",
        )
    return table
