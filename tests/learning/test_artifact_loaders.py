"""A replay can load any built-in model type without its module imported beforehand."""

from __future__ import annotations

import subprocess
import sys


def test_every_builtin_model_type_registers_its_loader_on_first_use() -> None:
    # A fresh interpreter: nothing imported the model modules yet, as in `rapport explain`
    # under a policy that names no learner.
    script = (
        "from rapport.learning.artifact import BUILTIN_LOADERS, LOADERS, importlib\n"
        "for kind, module in BUILTIN_LOADERS.items():\n"
        "    assert kind not in LOADERS, kind\n"
        "    importlib.import_module(module)\n"
        "    assert kind in LOADERS, (kind, module)\n"
        "print(sorted(LOADERS))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "vw-cb-adf" in done.stdout
    assert "lightgbm" in done.stdout
