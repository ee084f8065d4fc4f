"""The compiled fold primitives, when the C extension was built (``None`` when it was not).

``rapport.profiles._kernels`` is an optional extension: an install without a C compiler still
works, on the Python references, which fold the same bits more slowly. ``RAPPORT_PURE_PYTHON=1``
turns the extension off, for measuring it or checking the references on their own.
"""

from __future__ import annotations

import os
from types import ModuleType

kernels: ModuleType | None
"""The ``_kernels`` module (typed by its stub), or ``None``."""
if os.environ.get("RAPPORT_PURE_PYTHON") == "1":
    kernels = None
else:
    try:
        from rapport.profiles import _kernels as kernels
    except ImportError:  # not built: the Python references do the work
        kernels = None
