"""Fixed-size sketches of "what this entity has seen": a decayed recency set.

A :class:`RecencySet` remembers up to ``capacity`` identifiers (by a stable 32-bit hash) with a
decayed familiarity weight each. An identifier is *known* if it holds a slot. When the set is full
the least familiar identifier (lowest weight decayed to now) gives up its slot, so a customer's
regular merchants stay known for good while a one-off visit is forgotten as it fades: novelty
means "not among this entity's familiar ones", which is what fraud and behavior models need.

Late events: membership is judged against everything seen so far, including events later in event
time; a slot's last-seen time is the maximum of the times observed, and its weight is the exact
decayed sum. Which identifier is evicted when the set is full depends on arrival order.
"""

from __future__ import annotations

import math
import zlib

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
    """Layout: ``capacity`` hashes, then their last-seen times, then their weights."""

    __slots__ = ("capacity", "rate", "size")

    def __init__(self, capacity: int, half_life_seconds: float) -> None:
        self.capacity = capacity
        self.rate = math.log(2.0) / half_life_seconds
        self.size = 3 * capacity

    def init(self, state: State, offset: int) -> None:
        for i in range(offset, offset + self.capacity):
            state[i] = EMPTY

    def observe(self, state: State, offset: int, key: float, t: float) -> bool:
        """Record ``key`` seen at ``t``; return whether it was already known."""
        k = self.capacity
        hashes = state[offset : offset + k]
        if key in hashes:
            i = offset + hashes.index(key)
            last = state[i + k]
            if t >= last:
                state[i + 2 * k] = state[i + 2 * k] * math.exp(-self.rate * (t - last)) + 1.0
                state[i + k] = t
            else:
                state[i + 2 * k] += math.exp(-self.rate * (last - t))
            return True
        i = offset + self._victim(state, offset, t)
        state[i] = key
        state[i + k] = t
        state[i + 2 * k] = 1.0
        return False

    def known(self, state: State, offset: int, key: float) -> bool:
        return key in state[offset : offset + self.capacity]

    def occupied(self, state: State, offset: int) -> int:
        return sum(1 for h in state[offset : offset + self.capacity] if h != EMPTY)

    def familiar(self, state: State, offset: int, at: float, min_weight: float) -> int:
        """How many identifiers still carry at least ``min_weight`` of decayed familiarity."""
        k = self.capacity
        count = 0
        for i in range(offset, offset + k):
            if state[i] == EMPTY:
                continue
            weight = state[i + 2 * k] * math.exp(-self.rate * max(0.0, at - state[i + k]))
            if weight >= min_weight:
                count += 1
        return count

    def _victim(self, state: State, offset: int, t: float) -> int:
        k = self.capacity
        best, best_weight = 0, math.inf
        for j in range(k):
            if state[offset + j] == EMPTY:
                return j
            last = state[offset + k + j]
            weight = state[offset + 2 * k + j] * math.exp(-self.rate * max(0.0, t - last))
            if weight < best_weight:
                best, best_weight = j, weight
        return best
