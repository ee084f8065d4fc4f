"""``rapport dead-letters``: what was rejected, why, and the raw text that was sent."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.common import DEFAULT_DB_VALUE, DbOption, JsonOption, console, emit_json
from rapport.engine import Engine


def dead_letters(
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
    limit: Annotated[int, typer.Option(min=1, help="How many, newest first")] = 20,
) -> None:
    """List the latest dead-lettered inputs with their reasons."""
    with Engine(db) as engine:
        letters = engine.dead_letters(limit)
        total = engine.stores.dead_letters.count()
    if as_json:
        emit_json(
            {
                "total": total,
                "dead_letters": [
                    {
                        "received_at": dt.datetime.fromtimestamp(d.received_at, dt.UTC).isoformat(),
                        "code": d.code,
                        "field": d.field,
                        "reason": d.reason,
                        "event_id": d.event_id,
                        "raw": d.raw,
                    }
                    for d in letters
                ],
            }
        )
        return
    table = Table(title=f"{total:,} dead letters (latest {len(letters)})", title_justify="left")
    for column in ("received", "code", "field", "reason", "raw"):
        table.add_column(column, overflow="fold")
    for d in letters:
        received = dt.datetime.fromtimestamp(d.received_at, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
        raw = d.raw if len(d.raw) <= 120 else d.raw[:117] + "..."
        table.add_row(received, d.code, d.field, d.reason, raw)
    console.print(table)
