"""``rapport ingest``: validate and apply an events file, with a verdict on every line."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.common import (
    BATCH_LINES,
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    console,
    emit_json,
    progress_bar,
    read_batches,
)
from rapport.engine import Engine
from rapport.profiles.native import kernels


def ingest(
    events: Annotated[Path, typer.Argument(help="JSON Lines file of v1 events")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
    verdicts: Annotated[
        Path | None, typer.Option(help="Write every line's verdict to this JSON Lines file")
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, help="Lines applied and written as one unit of work")
    ] = BATCH_LINES,
) -> None:
    """Ingest EVENTS: accepted events update profiles, duplicates are acknowledged, rejected
    lines are dead-lettered with the field and the reason."""
    started = time.perf_counter()
    totals: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    line_offset = 0
    verdict_file = verdicts.open("w") if verdicts else None
    try:
        with Engine(db) as engine, progress_bar() as progress:
            # Each batch is written while the next is read and folded; its report comes once it is.
            batches = read_batches(events, progress, "ingest", batch_size)
            for report in engine.ingest_batches(batches):
                for verdict in report.verdicts:
                    totals[verdict.status] += 1
                    if verdict.code:
                        codes[verdict.code] += 1
                    if verdict_file:
                        row = verdict.to_dict()
                        row["index"] = line_offset + verdict.index
                        verdict_file.write(json.dumps(row) + "\n")
                line_offset += len(report.verdicts)  # one per line of the batch
    finally:
        if verdict_file:
            verdict_file.close()
    seconds = time.perf_counter() - started
    received = sum(totals.values())
    summary = {
        "received": received,
        "accepted": totals["accepted"],
        "duplicates": totals["duplicate"],
        "rejected": totals["rejected"],
        "rejections": dict(codes),
        "seconds": round(seconds, 3),
        "events_per_second": round(received / seconds) if seconds > 0 else None,
        # The Python fold (no C compiler at install) gives the same profiles, more slowly.
        "fold": "python" if kernels is None else "compiled",
    }
    if as_json:
        emit_json(summary)
        return
    table = Table(title=f"Ingested {events}")
    table.add_column("verdict")
    table.add_column("events", justify="right")
    for label in ("accepted", "duplicates", "rejected"):
        table.add_row(label, f"{summary[label]:,}")
    for code, count in codes.most_common():
        table.add_row(f"  rejected: {code}", f"{count:,}")
    console.print(table)
    console.print(f"{received:,} events in {seconds:.2f} s ({summary['events_per_second']:,}/s)")
    if kernels is None:
        console.print(
            "[yellow]profiles folded by the Python references: the C kernels are not built "
            "(install with a C compiler for about a third more speed)[/yellow]"
        )
