"""The type of an entity's state."""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    State: TypeAlias = array[float]
else:
    State = array
"""An entity's state: a fixed-length array of C doubles. Contiguous and not tracked by the garbage
collector, it (de)serialises with one copy and keeps thousands of profiles cache-friendly."""
