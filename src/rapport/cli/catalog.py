"""``rapport catalog``: every feature the profiles compute, with its meaning and unit."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.common import console
from rapport.profiles.describe import catalog_markdown
from rapport.profiles.fold import build_layouts


def catalog(
    markdown: Annotated[bool, typer.Option("--markdown", help="Print as Markdown")] = False,
) -> None:
    """List the feature catalog."""
    if markdown:
        print(catalog_markdown())
        return
    for entity, layout in build_layouts().items():
        table = Table(title=f"{entity} features", title_justify="left")
        for column in ("feature", "family", "unit", "meaning"):
            table.add_column(column)
        for spec in layout.specs:
            table.add_row(spec.name, spec.family, spec.unit, spec.description)
        console.print(table)
