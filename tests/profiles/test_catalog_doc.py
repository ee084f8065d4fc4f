"""docs/profiles.md shows the catalog the code declares."""

from __future__ import annotations

from pathlib import Path

from rapport.profiles.describe import BEGIN, END, catalog_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "profiles.md"


def test_the_documented_catalog_is_the_declared_one() -> None:
    text = DOC.read_text()
    documented = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert documented == catalog_markdown(), "run: rapport catalog --write docs/profiles.md"
