"""Exponentially decayed statistics kept in a flat float list, exact under out-of-order arrival.

A decayed block holds ``m`` running sums for each of several half-lives plus a reference time.
The value of a sum at time ``t`` is ``sum_i w_i * exp(-rate * (t - t_i))``. An event at or after
the reference time decays the block forward and adds its contribution; an event before it (a
late event) adds its contribution already decayed to the reference time. Both paths compute the
same mathematical quantity, so the result does not depend on arrival order (up to rounding).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from rapport.profiles.native import kernels as _kernels
from rapport.profiles.state import State

HOUR = 3600.0
DAY = 86400.0
LN2 = math.log(2.0)

_exp = math.exp


def rates(*half_lives_seconds: float) -> tuple[float, ...]:
    """Decay rates (per second) for the given half-lives."""
    return tuple(LN2 / h for h in half_lives_seconds)


def block_size(stat_count: int, decay_rates: Sequence[float]) -> int:
    """Floats a block needs: one reference time plus one sum per statistic and half-life."""
    return 1 + stat_count * len(decay_rates)


def block_add_reference(
    state: State,
    offset: int,
    decay_rates: Sequence[float],
    contributions: Sequence[float],
    t: float,
) -> None:
    """Fold one event's contributions (one per statistic) at event time ``t`` into the block."""
    reference = state[offset]
    i = offset + 1
    if t >= reference:
        elapsed = t - reference
        for rate in decay_rates:
            factor = _exp(-rate * elapsed)
            for x in contributions:
                state[i] = state[i] * factor + x
                i += 1
        state[offset] = t
    else:
        elapsed = reference - t
        for rate in decay_rates:
            factor = _exp(-rate * elapsed)
            for x in contributions:
                state[i] += x * factor
                i += 1


block_add: Callable[[State, int, Sequence[float], Sequence[float], float], None] = (
    block_add_reference if _kernels is None else _kernels.block_add
)
"""``block_add_reference``, or its compiled twin when the extension is built (the same bits)."""


def block_read_reference(
    state: State, offset: int, decay_rates: Sequence[float], stat_count: int, at: float
) -> list[float]:
    """All sums of the block decayed to time ``at``, half-life-major order.

    A block cannot be read before its reference time (that would need the events since then
    removed); such a read returns the values at the reference time.
    """
    elapsed = max(0.0, at - state[offset])
    out: list[float] = []
    i = offset + 1
    for rate in decay_rates:
        factor = _exp(-rate * elapsed)
        # A list comprehension, not a generator: every decision reads a dozen blocks.
        out += [v * factor for v in state[i : i + stat_count]]
        i += stat_count
    return out


block_read: Callable[[State, int, Sequence[float], int, float], list[float]] = (
    block_read_reference if _kernels is None else _kernels.block_read
)
"""``block_read_reference``, or its compiled twin when the extension is built (the same bits)."""


def block_read_rate(
    state: State,
    offset: int,
    decay_rates: Sequence[float],
    stat_count: int,
    rate_index: int,
    at: float,
) -> list[float]:
    """The sums of one half-life of the block, decayed to ``at``."""
    index = rate_index % len(decay_rates)
    factor = _exp(-decay_rates[index] * max(0.0, at - state[offset]))
    start = offset + 1 + index * stat_count
    return [v * factor for v in state[start : start + stat_count]]


def decayed_mean_std(count: float, total: float, squares: float) -> tuple[float, float]:
    """Mean and standard deviation from decayed count, sum and sum of squares."""
    if count <= 1e-12:
        return 0.0, 0.0
    mean = total / count
    variance = max(0.0, squares / count - mean * mean)
    return mean, math.sqrt(variance)


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or 0 where the denominator is (numerically) empty."""
    return numerator / denominator if denominator > 1e-12 else 0.0
