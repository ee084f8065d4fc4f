"""What the commands share: consoles, the store option, reading event files with progress."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from rapport.store import DEFAULT_DB

console = Console()
# Progress and diagnostics go to stderr so that stdout stays machine-readable with --json.
err_console = Console(stderr=True)

DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        help="Store: a SQLite file path, sqlite:///PATH, memory:// or "
        "postgresql://USER@HOST/DB[?profiles=redis://HOST:PORT/N&local=PATH] (docs/storage.md)",
        envvar="RAPPORT_DB",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="End with one JSON object on the last line of stdout")
]
DEFAULT_DB_VALUE = DEFAULT_DB
# Each batch reads and writes every profile it touches once, so larger batches write less per
# event; 20,000 lines keep memory modest (a few tens of MB).
BATCH_LINES = 20_000


def progress_bar(unit: str = "") -> Progress:
    """A bar for a task counted in bytes (the default: reading a file, shown in kB and kB/s), or
    in ``unit`` (events, days), shown as done/total of them."""
    counts: tuple[ProgressColumn, ...] = (
        (MofNCompleteColumn(), TextColumn(unit))
        if unit
        else (DownloadColumn(), TransferSpeedColumn())
    )
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        *counts,
        TimeRemainingColumn(),
        console=err_console,
        transient=False,
    )


def read_batches(
    path: Path, progress: Progress, description: str, batch_lines: int = BATCH_LINES
) -> Iterator[list[bytes]]:
    """The file's non-blank lines in batches, advancing a byte-based progress bar."""
    if not path.exists():
        raise typer.BadParameter(f"{path} does not exist", param_hint="EVENTS")
    task = progress.add_task(description, total=path.stat().st_size)
    batch: list[bytes] = []
    consumed = 0
    with path.open("rb") as handle:
        for line in handle:
            consumed += len(line)
            stripped = line.strip()
            if stripped:
                batch.append(stripped)
            if len(batch) >= batch_lines:
                yield batch
                progress.update(task, completed=consumed)
                batch = []
        if batch:
            yield batch
    progress.update(task, completed=consumed)


def emit_json(payload: object) -> None:
    """Print one compact JSON object as the last line of stdout."""
    print(json.dumps(payload, separators=(",", ":"), default=str))
