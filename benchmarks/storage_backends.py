"""``make bench`` section: ingest into the scale-out stores beside the embedded SQLite file.

The same 20,000-event batches (the benchmark workload's first ones, as ``rapport ingest`` sends
them) go into a fresh SQLite file, a fresh PostgreSQL schema with profiles on Redis, and a fresh
PostgreSQL schema holding the profiles too, in the same run, alternating backends batch by
batch so the shared machine's noise falls on all three alike. The first batch creates every
profile (inserts); the later ones update them (compare-and-set on versions), the steady state.
The ratio to SQLite is the figure to read: the servers run on the same two cores as the engine.
Run alone with ``python -m benchmarks.storage_backends [--batches N]``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.workload import Workload, ensure
from rapport import Engine

BATCH = 20_000
POSTGRES_URL = os.environ.get("RAPPORT_BENCH_POSTGRES_URL", "postgresql://root@127.0.0.1/test")
REDIS_URL = os.environ.get("RAPPORT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
BACKENDS = ("SQLite file", "PostgreSQL + Redis profiles", "PostgreSQL (profiles too)")


@dataclass
class StorageBackends:
    batch: int
    batches: int
    seconds: dict[str, list[float]] = field(default_factory=dict)
    """Seconds per batch, by backend, in ingest order."""
    missing: str | None = None

    def rate(self, backend: str, warm: bool) -> float:
        recorded = self.seconds[backend]
        times = recorded[1:] if warm and len(recorded) > 1 else recorded[:1]
        return self.batch / statistics.median(times)

    def markdown(self) -> str:
        lines = ["", "## Storage backends: ingest into PostgreSQL and Redis beside SQLite", ""]
        if self.missing:
            return "\n".join([*lines, f"Not measured: {self.missing}.", ""])
        lines += [
            f"{self.batches} batches of {self.batch:,} events of the benchmark workload, into "
            "fresh stores, backends alternating batch by batch; servers on the same machine.",
            "",
            "| backend | first batch (inserts), events/s | later batches (CAS updates), events/s"
            " | vs SQLite (later) |",
            "|---|---:|---:|---:|",
        ]
        base = self.rate(BACKENDS[0], warm=True)
        for backend in BACKENDS:
            cold, warm = self.rate(backend, warm=False), self.rate(backend, warm=True)
            lines.append(f"| {backend} | {cold:,.0f} | {warm:,.0f} | {warm / base:.2f} |")
        return "\n".join([*lines, ""])


def _unavailable() -> str | None:
    import psycopg  # noqa: PLC0415
    import redis  # noqa: PLC0415

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as connection:
            connection.execute("SELECT 1")
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except (psycopg.Error, redis.RedisError) as error:
        return f"PostgreSQL or Redis unreachable ({error})"
    return None


def measure_storage_backends(batches: int = 4, workload: Workload | None = None) -> StorageBackends:
    from rapport.store.postgres import drop_schema  # noqa: PLC0415

    chosen = workload or Workload()
    result = StorageBackends(BATCH, batches)
    missing = _unavailable()
    if missing:
        result.missing = missing
        return result
    path, _ = ensure(chosen)
    with path.open("rb") as handle:
        lines = [line for _, line in zip(range(BATCH * batches), handle, strict=False)]
    slices = [lines[i : i + BATCH] for i in range(0, len(lines), BATCH)]
    result.batches = len(slices)
    with tempfile.TemporaryDirectory(prefix="rapport-backends-") as tmp:
        schema = f"bench_{secrets.token_hex(4)}"
        urls = {
            BACKENDS[0]: str(Path(tmp) / "rapport.db"),
            BACKENDS[1]: f"{POSTGRES_URL}?schema={schema}_r&local={tmp}/r.db"
            f"&profiles={REDIS_URL}&prefix=rapport-bench:{schema}:",
            BACKENDS[2]: f"{POSTGRES_URL}?schema={schema}_p&local={tmp}/p.db",
        }
        engines = {name: Engine(url) for name, url in urls.items()}
        try:
            for batch in slices:
                for name, engine in engines.items():
                    started = time.perf_counter()
                    engine.ingest(batch)
                    result.seconds.setdefault(name, []).append(time.perf_counter() - started)
                    print(f"{name}: {result.seconds[name][-1]:.2f} s", flush=True)
            counts = {name: engine.stores.events.count() for name, engine in engines.items()}
            assert len(set(counts.values())) == 1, counts
        finally:
            for engine in engines.values():
                engine.close()
            for name in BACKENDS[1:]:
                drop_schema(urls[name])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--events", type=int, default=Workload.events, help="workload size")
    args = parser.parse_args()
    print(measure_storage_backends(args.batches, Workload(args.events)).markdown())


if __name__ == "__main__":
    main()
