"""Every `rapport` command imports the whole CLI; the heavy libraries (each a large part of a
second) are imported by the commands and code paths that use them, not at start-up."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sklearn", "lightgbm", "matplotlib", "fastapi", "fairlearn", "scipy")


def test_the_cli_starts_without_the_heavy_libraries() -> None:
    probe = (
        "import json, sys; import rapport.cli.main; "
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
