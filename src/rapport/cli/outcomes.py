"""``rapport outcomes``: how outcome events joined their decisions, and those that did not."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.common import DEFAULT_DB_VALUE, DbOption, JsonOption, console, emit_json
from rapport.engine import Engine


def outcomes(
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, help="How many unjoined outcomes, newest last")] = 20,
) -> None:
    """List outcome events that found no decision to join, with the reason."""
    with Engine(db) as engine:
        log = engine.learning.outcomes
        total = log.count()
        rows = log.unjoined(limit)
    if as_json:
        emit_json(
            {
                "unjoined": total,
                "outcomes": [
                    {"event_id": u.event_id, "type": u.type, "reason": u.reason} for u in rows
                ],
            }
        )
        return
    table = Table(
        title=f"{total:,} outcome events joined no decision (latest {len(rows)})",
        title_justify="left",
    )
    for column in ("event", "type", "reason"):
        table.add_column(column, overflow="fold")
    for u in rows:
        table.add_row(u.event_id, u.type, u.reason)
    console.print(table)
