from collections.abc import Sequence

from rapport.profiles.state import State

def block_add(
    state: State,
    offset: int,
    decay_rates: Sequence[float],
    contributions: Sequence[float],
    t: float,
    /,
) -> None: ...
def block_read(
    state: State, offset: int, decay_rates: Sequence[float], stat_count: int, at: float, /
) -> list[float]: ...
def recency_observe(
    state: State, offset: int, capacity: int, rate: float, key: float, t: float, /
) -> bool: ...
