"""When did a change begin? Estimated from one quantity decayed at two half-lives.

If something that used to be absent has happened at a steady rate since time ``s``, its decayed
sums at half-lives ``h1 < h2`` at time ``t`` are ``r·hᵢ/ln2·(1 - 2^(-(t-s)/hᵢ))``. Their ratio
depends only on ``t - s`` and falls from 1 (a change just now) to ``h1/h2`` (long ago), so the
onset can be read back from two numbers every profile already keeps.
"""

from __future__ import annotations

import math

from rapport.profiles.decay import DAY


def _ratio(elapsed: float, short: float, long: float) -> float:
    if elapsed <= 0:
        return 1.0
    numerator = short * -math.expm1(-math.log(2) * elapsed / short)
    denominator = long * -math.expm1(-math.log(2) * elapsed / long)
    return numerator / denominator if denominator > 0 else 1.0


def onset_days_ago(short_sum: float, long_sum: float, short_days: float, long_days: float) -> float:
    """Estimated days since a step change began, from sums decayed at two half-lives (days).

    ``short_sum / long_sum`` is compared with the step-change curve, inverted by bisection;
    at or below the long-run ratio the change is older than about three long half-lives.
    """
    if long_sum <= 0:
        return 0.0
    observed = short_sum / long_sum
    floor = short_days / long_days
    if observed >= 1.0:
        return 0.0
    if observed <= floor * 1.0001:
        return 3.0 * long_days
    low, high = 0.0, 3.0 * long_days
    for _ in range(50):
        middle = (low + high) / 2
        if _ratio(middle * DAY, short_days * DAY, long_days * DAY) > observed:
            low = middle
        else:
            high = middle
    return (low + high) / 2
