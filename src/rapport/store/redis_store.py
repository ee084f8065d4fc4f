"""Profiles on Redis, with per-entity compare-and-set (DESIGN.md, "Storage and scale").

Each profile is one Redis string, ``{prefix}p:{entity}:{id}``, holding its version (8 bytes,
big-endian) followed by its data, so a batch read is one ``MGET`` per thousand keys, all sent
in one pipeline (one round trip). A batch write is one Lua script call: the script checks every
key's stored version against the one the writer read and, only if all match, writes them all.
Redis runs a script atomically, so two workers folding events into the same profile can never
both win: the loser gets :class:`ConcurrentUpdateError`, re-reads and re-applies (the engine's
retry loop), and no update is lost. The version check compares the stored 8-byte prefix with the
expected one as bytes, so the script does no arithmetic and no decoding.

Inside a unit of work (:meth:`RedisProfileStore.transaction`) writes are held back and the
script runs when the unit ends, before the PostgreSQL transaction commits: a conflict then
rolls the event log back too. What Redis cannot give is a two-phase commit: if PostgreSQL
fails to commit *after* the script ran (a lost connection), the profiles are ahead of the log
for those events. Profiles are derived state, so such a window is repaired by rebuilding the
affected profiles from the log.

Keys are stored under the pseudonyms :class:`rapport.store.sealed.PseudonymousProfileStore`
gives them. All keys of a batch go to one script call, so this needs a single Redis (or a
Sentinel-managed primary); on Redis Cluster the keys of a batch would have to share a slot.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import cast

import redis

from rapport.store.protocols import ConcurrentUpdateError, ProfileKey, StoredProfile

_VERSION = struct.Struct(">Q")
_READ_CHUNK = 1000

# KEYS[1]: the profile counter; KEYS[2..n+1]: the profiles. ARGV[i]: the expected version
# prefix ("" for a profile that must not exist yet); ARGV[n+i]: the new value.
_COMPARE_AND_SET = """
local n = #KEYS - 1
local stale = {}
for i = 1, n do
    local current = redis.call('GET', KEYS[i + 1])
    local expected = ARGV[i]
    if expected == '' then
        if current then stale[#stale + 1] = i end
    elseif (not current) or string.sub(current, 1, 8) ~= expected then
        stale[#stale + 1] = i
    end
end
if #stale > 0 then return stale end
local created = 0
for i = 1, n do
    if ARGV[i] == '' then created = created + 1 end
    redis.call('SET', KEYS[i + 1], ARGV[n + i])
end
if created > 0 then redis.call('INCRBY', KEYS[1], created) end
return stale
"""

_DELETE = """
if redis.call('DEL', KEYS[2]) == 1 then
    redis.call('DECR', KEYS[1])
    return 1
end
return 0
"""


class _Write:
    __slots__ = ("data", "expected", "key")

    def __init__(self, key: ProfileKey, expected: int, data: bytes) -> None:
        self.key = key
        self.expected = expected
        self.data = data


class RedisProfileStore:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._counter = f"{prefix}count".encode()
        self._compare_and_set = client.register_script(_COMPARE_AND_SET)
        self._delete = client.register_script(_DELETE)
        # A unit of work belongs to its thread: another thread's writes meanwhile go straight
        # to Redis rather than into this unit.
        self._unit = threading.local()

    def _key(self, key: ProfileKey) -> bytes:
        return f"{self.prefix}p:{key[0]}:{key[1]}".encode()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold writes back until the outermost unit ends, then write them in one script
        call (or drop them if the unit fails)."""
        if self._pending is not None:
            yield
            return
        held: dict[bytes, _Write] = {}
        self._unit.pending = held
        try:
            yield
        finally:
            self._unit.pending = None
        self._write(list(held.values()))

    @property
    def _pending(self) -> dict[bytes, _Write] | None:
        pending: dict[bytes, _Write] | None = getattr(self._unit, "pending", None)
        return pending

    def get_many(self, keys: Collection[ProfileKey]) -> dict[ProfileKey, StoredProfile]:
        wanted = list(keys)
        if not wanted:
            return {}
        names = [self._key(key) for key in wanted]
        pipeline = self.client.pipeline(transaction=False)
        for start in range(0, len(names), _READ_CHUNK):
            pipeline.mget(names[start : start + _READ_CHUNK])
        values = [value for chunk in pipeline.execute() for value in chunk]
        found: dict[ProfileKey, StoredProfile] = {}
        for key, value in zip(wanted, values, strict=True):
            if value is not None:
                raw = bytes(value)
                found[key] = StoredProfile(raw[8:], _VERSION.unpack_from(raw)[0])
        pending = self._pending
        if pending:
            for key, name in zip(wanted, names, strict=True):
                write = pending.get(name)
                if write is not None:  # read your own writes inside a unit of work
                    found[key] = StoredProfile(write.data, write.expected + 1)
        return found

    def put_many(self, items: Sequence[tuple[ProfileKey, bytes, int]]) -> None:
        pending = self._pending
        if pending is None:
            self._write([_Write(key, version, data) for key, data, version in items])
            return
        stale: list[ProfileKey] = []
        for key, data, version in items:
            name = self._key(key)
            held = pending.get(name)
            if held is None:
                pending[name] = _Write(key, version, data)
            elif held.expected + 1 == version:  # a second write over our own first one
                held.data = data
            else:
                stale.append(key)
        if stale:
            raise ConcurrentUpdateError(stale)

    def _write(self, writes: Sequence[_Write]) -> None:
        if not writes:
            return
        names = [self._key(write.key) for write in writes]
        expected = [_VERSION.pack(w.expected) if w.expected else b"" for w in writes]
        values = [_VERSION.pack(w.expected + 1) + w.data for w in writes]
        stale = cast(
            "list[int]",
            self._compare_and_set(keys=[self._counter, *names], args=[*expected, *values]),
        )
        if stale:
            raise ConcurrentUpdateError([writes[int(i) - 1].key for i in stale])

    def delete(self, key: ProfileKey) -> bool:
        name = self._key(key)
        pending = self._pending
        if pending is not None:
            pending.pop(name, None)
        return bool(self._delete(keys=[self._counter, name]))

    def count(self) -> int:
        value = self.client.get(self._counter)
        return int(cast("bytes", value)) if value is not None else 0

    def drop(self) -> int:
        """Delete every key under the prefix (tests and teardown); returns how many."""
        pattern = "".join(f"\\{c}" if c in "*?[]\\" else c for c in self.prefix) + "*"
        doomed = list(self.client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(doomed), 1000):
            self.client.delete(*doomed[start : start + 1000])
        return len(doomed)

    def close(self) -> None:
        self.client.close()


def open_redis_profiles(url: str, prefix: str) -> RedisProfileStore:
    client = redis.Redis.from_url(url, socket_timeout=30.0, health_check_interval=30)
    return RedisProfileStore(client, prefix)
