"""``rapport catalog``: every feature the profiles compute, with its meaning and unit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.common import JsonOption, console, emit_json
from rapport.profiles.describe import catalog_markdown, update_document
from rapport.profiles.fold import build_layouts
from rapport.signals import SIGNALS


def catalog(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print as Markdown")] = False,
    write: Annotated[
        Path | None, typer.Option(help="Rewrite the catalog section of this Markdown file")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the feature catalog (with --json: per entity, each feature's name, family, unit and
    meaning, and the signals' names, as rule expressions and model inputs name them)."""
    if write is not None:
        changed = update_document(write)
        console.print(f"{write}: {'updated' if changed else 'already up to date'}")
        return
    if markdown:
        print(catalog_markdown())
        return
    if as_json:
        emit_json(
            {
                "entities": {
                    str(entity): [
                        {
                            "name": spec.name,
                            "family": spec.family,
                            "unit": spec.unit,
                            "meaning": spec.description,
                        }
                        for spec in layout.specs
                    ]
                    for entity, layout in build_layouts().items()
                },
                "signals": [signal.name for signal in SIGNALS],
            }
        )
        return
    for entity, layout in build_layouts().items():
        table = Table(title=f"{entity} features", title_justify="left")
        for column in ("feature", "family", "unit", "meaning"):
            table.add_column(column)
        for spec in layout.specs:
            table.add_row(spec.name, spec.family, spec.unit, spec.description)
        console.print(table)
