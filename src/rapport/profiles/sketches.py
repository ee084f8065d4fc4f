"""Fixed-size sketches of "what this entity has seen": a decayed recency set.

A :class:`RecencySet` remembers up to ``capacity`` identifiers (by a stable 32-bit hash) with a
decayed familiarity weight each. An identifier is *known* if it holds a slot. When the set is full
the least familiar identifier (lowest weight decayed to now) gives up its slot, so a customer's
regular merchants stay known for good while a one-off visit is forgotten as it fades: novelty
means "not among this entity's familiar ones", which is what fraud and behavior models need.

Late events: membership is judged against everything seen so far, including events later in event
time; a slot's weight is the exact decayed sum of its sightings. Which identifier is evicted when
the set is full depends on arrival order.
"""

from __future__ import annotations

import math
import zlib

from rapport.profiles.native import kernels as _kernels
from rapport.profiles.state import State

EMPTY = -1.0


_HASHES: dict[str, float] = {}
_HASH_CACHE_LIMIT = 200_000


def stable_hash(identifier: str) -> float:
    """A process-independent 32-bit hash (Python's ``hash`` is salted per process)."""
    cached = _HASHES.get(identifier)
    if cached is None:
        if len(_HASHES) >= _HASH_CACHE_LIMIT:
            _HASHES.clear()
        cached = _HASHES[identifier] = float(zlib.crc32(identifier.encode()))
    return cached


class RecencySet:
    """Layout: the weights' epoch, then ``capacity`` hashes, then their weights.

    Weights are kept *forward-decayed*: each sighting at time t adds ``exp(rate * (t - epoch))``.
    Every weight then shares the same decay factor at any moment, so comparing familiarity (to
    pick the slot to evict) needs no exponentials at all, and a late sighting adds exactly what
    it would have added in order. The epoch moves forward, rescaling the weights, before they
    could overflow.
    """

    __slots__ = ("capacity", "rate", "size")

    # Rescale when a weight could exceed exp(500): far from float overflow (exp(709)).
    _MAX_EXPONENT = 500.0

    def __init__(self, capacity: int, half_life_seconds: float) -> None:
        self.capacity = capacity
        self.rate = math.log(2.0) / half_life_seconds
        self.size = 1 + 2 * capacity

    def init(self, state: State, offset: int) -> None:
        for i in range(offset + 1, offset + 1 + self.capacity):
            state[i] = EMPTY

    def observe(self, state: State, offset: int, key: float, t: float) -> bool:
        """Record ``key`` seen at ``t``; return whether it was already known."""
        if _kernels is not None:
            return _kernels.recency_observe(state, offset, self.capacity, self.rate, key, t)
        return self.observe_reference(state, offset, key, t)

    def observe_reference(self, state: State, offset: int, key: float, t: float) -> bool:
        """``observe`` in Python: what the compiled kernel computes, bit for bit."""
        k = self.capacity
        epoch = state[offset]
        if epoch == 0.0:
            epoch = state[offset] = t
        exponent = self.rate * (t - epoch)
        if exponent > self._MAX_EXPONENT:
            self._rebase(state, offset, t)
            exponent = 0.0
        weight = math.exp(exponent)
        hashes = state[offset + 1 : offset + 1 + k]
        if key in hashes:
            state[offset + 1 + k + hashes.index(key)] += weight
            return True
        weights = state[offset + 1 + k : offset + 1 + 2 * k]
        victim = weights.index(min(weights))  # empty slots weigh 0 and go first
        state[offset + 1 + victim] = key
        state[offset + 1 + k + victim] = weight
        return False

    def _rebase(self, state: State, offset: int, t: float) -> None:
        factor = math.exp(-self.rate * (t - state[offset]))
        start = offset + 1 + self.capacity
        for i in range(start, start + self.capacity):
            state[i] *= factor
        state[offset] = t

    def known(self, state: State, offset: int, key: float) -> bool:
        return key in state[offset + 1 : offset + 1 + self.capacity]

    def occupied(self, state: State, offset: int) -> int:
        return sum(1 for h in state[offset + 1 : offset + 1 + self.capacity] if h != EMPTY)

    def familiar(self, state: State, offset: int, at: float, min_weight: float) -> int:
        """How many identifiers still carry at least ``min_weight`` of decayed familiarity."""
        start = offset + 1 + self.capacity
        threshold = min_weight * math.exp(min(700.0, self.rate * (at - state[offset])))
        return sum(1 for w in state[start : start + self.capacity] if w >= threshold)
