"""What `make bench` measures beside ingest: the simulator's speed and the cost of signals."""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from rapport import Engine
from rapport.signals import compute_signals
from rapport.sim import SimConfig, SimulatedBank

SIM_CUSTOMERS, SIM_DAYS, SIM_SEED = 10_000, 90, 11
SIM_TARGET_SECONDS = 120.0
SIGNALS_TARGET = 0.20


@dataclass
class Extras:
    sim_customers: int
    sim_days: int
    sim_seconds: float
    sim_events: int
    read_micros: float
    signal_micros: float

    @property
    def signal_overhead(self) -> float:
        """Signals' share of a profile read, over the read without them."""
        return self.signal_micros / max(1e-9, self.read_micros - self.signal_micros)

    def markdown(self) -> str:
        scale = (SIM_CUSTOMERS * SIM_DAYS) / (self.sim_customers * self.sim_days)
        projected = self.sim_seconds * scale
        sim_ok = projected <= SIM_TARGET_SECONDS
        signals_ok = self.signal_overhead <= SIGNALS_TARGET
        lines = [
            "",
            "## Simulator and signals",
            "",
            "| measurement | result | target | met |",
            "|---|---|---|---|",
            f"| `SimulatedBank` {self.sim_customers:,} customers x {self.sim_days} days, written "
            f"to a file | {self.sim_seconds:.1f} s, {self.sim_events:,} events "
            f"({self.sim_events / self.sim_seconds:,.0f} events/s) | 10,000 x 90 in < 120 s | "
            f"{'yes' if sim_ok else '**no**'}"
            + ("" if scale == 1 else f" (projected {projected:.0f} s)")
            + " |",
            "| signals on a profile read (mean of the best of 5 passes) | "
            f"{self.signal_micros:.0f} µs of {self.read_micros:.0f} "
            f"µs: +{self.signal_overhead:.0%} over the read without them | <= +20% | "
            f"{'yes' if signals_ok else '**no**'} |",
            "",
        ]
        return "\n".join(lines)


def measure_extras(
    engine: Engine, customer_ids: list[str], sim_customers: int, passes: int = 5
) -> Extras:
    # The best pass of each, as for every other timing here: one pass over a few hundred
    # reads moves by a third on a loaded machine, and the target is a 20% ratio.
    read_means, signal_means = [], []
    for _ in range(passes):
        reads, signal_times = [], []
        for customer_id in customer_ids:
            started = time.perf_counter()
            profile = engine.profile(customer_id)
            reads.append(time.perf_counter() - started)
            values = profile.values()
            as_of = profile.as_of.timestamp() if profile.as_of else 0.0
            started = time.perf_counter()
            compute_signals(values, as_of)
            signal_times.append(time.perf_counter() - started)
        read_means.append(statistics.fmean(reads))
        signal_means.append(statistics.fmean(signal_times))
    bank = SimulatedBank(SimConfig(customers=sim_customers, days=SIM_DAYS, seed=SIM_SEED))
    with tempfile.TemporaryDirectory(prefix="rapport-sim-") as tmp:
        started = time.perf_counter()
        with (Path(tmp) / "events.jsonl").open("wb") as out:
            events = bank.run(out)
        seconds = time.perf_counter() - started
    return Extras(
        sim_customers,
        SIM_DAYS,
        seconds,
        events,
        min(read_means) * 1e6,
        min(signal_means) * 1e6,
    )
