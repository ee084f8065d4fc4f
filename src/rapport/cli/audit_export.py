"""``rapport audit export``: decisions of a window, with outcomes, policies and model cards."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from rapport.cli.common import DEFAULT_DB_VALUE, DbOption, JsonOption, console, emit_json
from rapport.engine import Engine
from rapport.governance.export import Format, build_export, write_export


def parse_bound(text: str, end: bool) -> dt.datetime:
    """A window bound: an RFC 3339 time, or a date (a ``--to`` date includes that whole day,
    in UTC). Both bounds are taken as start <= t < end."""
    try:
        if len(text) == 10:
            day = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), dt.UTC)
            return day + dt.timedelta(days=1) if end else day
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is neither a date (2026-03-31) nor an RFC 3339 time",
            param_hint="--to" if end else "--from",
        ) from None
    if moment.tzinfo is None:
        raise typer.BadParameter(
            "a time must carry its zone (e.g. +00:00)", param_hint="--to" if end else "--from"
        )
    return moment


def audit_export(
    start: Annotated[str, typer.Option("--from", help="First day or time (inclusive)")],
    end: Annotated[str, typer.Option("--to", help="Last day (inclusive) or time (exclusive)")],
    out: Annotated[Path, typer.Option("--out", help="File to write")],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", help="jsonl or parquet (default: from the file's suffix)"),
    ] = None,
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Export the decisions taken in a window of event time, with their reasons, versions and
    outcomes, the policies and model cards they name; an erased customer's as erased."""
    window = (parse_bound(start, end=False), parse_bound(end, end=True))
    if window[1] <= window[0]:
        raise typer.BadParameter("--to must come after --from", param_hint="--to")
    chosen: Format = fmt or ("parquet" if out.suffix == ".parquet" else "jsonl")
    with Engine(db) as engine:
        export = build_export(engine, *window)
    write_export(export, out, chosen)
    summary = {**export.header, "out": str(out), "format": chosen}
    if as_json:
        emit_json(summary)
        return
    verified = "verified" if export.header["ledger_verified"] else "[red]BROKEN[/red]"
    console.print(
        f"{export.header['decisions']:,} decisions ({export.header['erased']} erased, "
        f"{export.header['outcomes']:,} outcomes), {len(export.policies)} policies, "
        f"{len(export.models)} models → {out} ({chosen}); ledger chain {verified}"
    )
