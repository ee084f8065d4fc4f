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
def activity_update(
    state: State,
    offset: int,
    count_rates: Sequence[float],
    gap_rates: Sequence[float],
    t: float,
    late: bool,
    /,
) -> None: ...
def spending_update(
    state: State,
    offset: int,
    rates: Sequence[float],
    baseline_rates: Sequence[float],
    amount: float,
    t: float,
    /,
) -> None: ...
def habits_update(
    state: State, offset: int, rates: Sequence[float], hour: float, weekday: float, t: float, /
) -> None: ...
def geo_update(
    state: State,
    offset: int,
    rates: Sequence[float],
    lat: float,
    lon: float,
    t: float,
    earth_radius_km: float,
    min_speed_interval_s: float,
    /,
) -> None: ...
def novelty_update(
    state: State,
    offset: int,
    rates: Sequence[float],
    sets: Sequence[float],
    merchant: float,
    device: float,
    country: float,
    t: float,
    late: bool,
    /,
) -> None: ...
def rhythm_update(
    state: State, offset: int, params: Sequence[float], local_time: float, amount: float, /
) -> None: ...
