"""``rapport backfill``: point-in-time feature rows for training."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rapport.cli.common import JsonOption, console, emit_json, progress_bar, read_batches
from rapport.config import EngineConfig
from rapport.profiles.backfill import backfill as run_backfill


def backfill(
    events: Annotated[Path, typer.Argument(help="JSON Lines file of v1 events, in arrival order")],
    out: Annotated[Path, typer.Option("--out", help="Parquet file to write")],
    as_json: JsonOption = False,
    lateness_hours: Annotated[
        float, typer.Option(help="Lateness bound, as for live ingestion")
    ] = EngineConfig().allowed_lateness_seconds / 3600,
) -> None:
    """Write, for each accepted event, its customer's features just before that event."""
    with progress_bar() as progress:
        summary = run_backfill(
            read_batches(events, progress, "backfill"), out, lateness_hours * 3600
        )
    result = {
        "received": summary.received,
        "rows": summary.rows,
        "duplicates": summary.duplicates,
        "rejected": summary.rejected,
        "out": str(out),
    }
    if as_json:
        emit_json(result)
    else:
        console.print(
            f"Wrote {summary.rows:,} point-in-time rows to {out} "
            f"({summary.duplicates:,} duplicates and {summary.rejected:,} rejected lines skipped)"
        )
