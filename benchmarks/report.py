"""The benchmark's timings and their write-up as ``RESULTS.md``."""

from __future__ import annotations

import datetime as dt
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.workload import Workload

INGEST_TARGET = 50_000  # events/s per core, in-process (DESIGN.md, "Performance budget")
CLI_TARGET = 8.0  # CLI ingest wall time over plain-parse wall time, both as subprocesses
SIZE_TARGET = 4096  # bytes per serialised profile (DESIGN.md: <= 4 KiB per entity)

if TYPE_CHECKING:
    from benchmarks.decisions import DecisionLatency
    from benchmarks.extras import Extras


@dataclass
class Timing:
    """Wall and CPU seconds of each repeat of one measurement over ``events`` events."""

    name: str
    events: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def best(self) -> float:
        return min(self.wall)

    @property
    def rate(self) -> float:
        return self.events / self.best

    @property
    def cpu_rate(self) -> float:
        return self.events / min(self.cpu)


@dataclass
class Results:
    workload: Workload
    meta: dict[str, Any]
    floor: Timing
    river: Timing
    memory: Timing
    sqlite: Timing
    parse_cli: Timing
    cli: Timing
    sizes: list[tuple[str, int, int, float]] = field(default_factory=list)
    """(entity, profiles, max bytes, mean bytes) from the SQLite store's ``profiles`` table."""
    pipelined: Timing | None = None
    """SQLite again through ``Engine.ingest_batches`` (each write in a second process)."""
    sqlite_alone: Timing | None = None
    """The SQLite store's statements for the workload replayed by ``sqlite3`` alone."""
    read_micros: tuple[float, float] = (0.0, 0.0)
    """Mean and p99 of ``Engine.profile`` on the memory store."""
    reads: int = 0
    features: int = 0
    river_stats: int = 0
    repeats: int = 3
    batch: int = 5_000
    seconds: float = 0.0
    extras: Extras | None = None
    """The simulator's speed and the signals' share of a profile read."""
    decisions: DecisionLatency | None = None
    """Decision latency, in-process and over HTTP."""

    @property
    def cli_ratio(self) -> float:
        return self.cli.best / self.parse_cli.best

    def ingest_rows(self) -> list[list[str]]:
        floor, river = self.floor.best, self.river.best
        rows = []
        for t in (self.floor, self.river, self.memory, self.sqlite):
            target, met = "", ""
            if t in (self.memory, self.sqlite):
                target, met = f">= {INGEST_TARGET:,} ev/s per core", _yes(t.rate >= INGEST_TARGET)
            rows.append(_row(t, t.best / floor, t.best / river, target, met))
        for extra in (self.pipelined, self.sqlite_alone):
            if extra is not None:
                rows.append(_row(extra, extra.best / floor, extra.best / river, "—", ""))
        rows.append(_row(self.parse_cli, 1.0, None, "", ""))
        met = _yes(self.cli_ratio <= CLI_TARGET)
        rows.append(_row(self.cli, self.cli_ratio, None, f"<= {CLI_TARGET:g}x parse", met))
        return rows

    def profile_rows(self) -> list[list[str]]:
        rows = []
        for entity, count, most, mean in self.sizes:
            result, met = f"max {most:,} B, mean {mean:,.0f} B", _yes(most <= SIZE_TARGET)
            rows.append([f"{entity} profile size", f"{count:,} profiles", result, "<= 4 KiB", met])
        mean, p99 = self.read_micros
        result = f"mean {mean:,.0f} µs, p99 {p99:,.0f} µs"
        return [*rows, ["`Engine.profile` read", f"{self.reads} customers", result, "—", ""]]

    def tables(self) -> str:
        head = ["measurement", f"best of {self.repeats} (s)", "events/s", "events per CPU-s"]
        head += ["time ÷ parse floor", "time ÷ River", "target", "met"]
        ingest = _table(head, self.ingest_rows())
        profiles = _table(["measurement", "over", "result", "target", "met"], self.profile_rows())
        legend = (
            "Ratios are of best wall times: *time ÷ parse floor* is over the JSON-parse floor "
            "(the in-process one for in-process rows, the subprocess one for the CLI row); "
            "*time ÷ River* is over the River baseline (below 1 means faster than River). "
            "*Events per CPU-s* counts this process's and its children's CPU time, which "
            "other tenants of the machine disturb less than wall time."
        )
        return f"{ingest}\n\n{legend}\n\n{profiles}\n"

    def reading(self) -> str:
        memory, sqlite, floor, river = self.memory, self.sqlite, self.floor, self.river
        parts = []
        for t in (memory, sqlite):
            verdict = "meets" if t.rate >= INGEST_TARGET else "misses"
            parts.append(
                f"{t.name} ingests {t.rate:,.0f} events/s ({t.cpu_rate:,.0f} per CPU-second), "
                f"so it {verdict} the >= {INGEST_TARGET:,} events/s per core budget "
                f"({t.rate / INGEST_TARGET:.2f}x of it)."
            )
        parts.append(
            f"Plain `json.loads` of every line runs at {floor.rate:,.0f} events/s: the memory "
            f"store takes {memory.best / floor.best:.1f}x and SQLite "
            f"{sqlite.best / floor.best:.1f}x the time of just parsing the input. "
            f"The River baseline (parse, then {self.river_stats} running statistics per customer "
            f"plus per-merchant and per-device counts) runs at {river.rate:,.0f} events/s; "
            f"Rapport keeps {self.features} features per customer plus merchant and device "
            f"profiles, and takes {memory.best / river.best:.2f}x River's time (memory store)."
        )
        if self.pipelined is not None:
            t = self.pipelined
            parts.append(
                f"Through `Engine.ingest_batches`, which writes each batch in a second process "
                f"while the next is read and folded (as `rapport ingest` does), SQLite ingest "
                f"takes "
                f"{t.best:.1f} s against {sqlite.best:.1f} s one batch at a time "
                f"({_speed(sqlite.best / t.best)}), for {t.cpu_rate:,.0f} events per "
                f"CPU-second of both processes against {sqlite.cpu_rate:,.0f}: the budget rows "
                f"above are per core, so they measure the one-process path."
            )
        if self.sqlite_alone is not None:
            alone, extra = self.sqlite_alone.best, sqlite.best - memory.best
            budget = sqlite.events / INGEST_TARGET
            left = max(budget - alone, 0.0)
            parts.append(
                f"Replayed by `sqlite3` with no Rapport code, the SQLite store's own statements "
                f"for this workload (the reads of each batch's profiles and of any event ids it "
                f"looked up, the event rows and postings, the profile updates, the commits) take "
                f"{alone:.1f} s"
                + (
                    f": {alone / extra:.0%} of the {extra:.1f} s by which the SQLite row exceeds "
                    "the memory row."
                    if extra > 0
                    else ", though the SQLite row was not slower than the memory row in this run."
                )
                + f" At {INGEST_TARGET:,} events/s these {sqlite.events:,} events have "
                f"{budget:.1f} s; the statements alone take {alone / budget:.0%} of that, "
                f"leaving {left:.1f} s ({left / sqlite.events * 1e6:.1f} µs per event) for "
                f"parsing, admitting, folding and sealing, which take {memory.best:.1f} s "
                f"({memory.best / sqlite.events * 1e6:.1f} µs per event) on the memory store."
            )
        verdict = "meets" if self.cli_ratio <= CLI_TARGET else "misses"
        parts.append(
            f"End to end, `rapport ingest` takes {self.cli.best:.1f} s against "
            f"{self.parse_cli.best:.1f} s for a script that only parses the file, "
            f"{self.cli_ratio:.1f}x: it {verdict} the <= {CLI_TARGET:g}x target."
        )
        if self.sizes:
            largest = max(self.sizes, key=lambda s: s[2])
            verdict = "within" if largest[2] <= SIZE_TARGET else "over"
            parts.append(
                f"The largest serialised profile is a {largest[0]} profile of {largest[2]:,} "
                f"bytes, {verdict} the {SIZE_TARGET:,}-byte budget."
            )
        parts.append(
            "This machine is shared and noisy: the ratios between rows of this one run are more "
            "trustworthy than the absolute rates, which can move by tens of percent between runs."
        )
        return " ".join(parts)

    def markdown(self, command: str) -> str:
        meta, w = self.meta, self.workload
        mix = ", ".join(
            f"{kind} {count / w.events:.1%}" for kind, count in dict(meta["types"]).items()
        )
        now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
        return "\n".join(
            [
                "# Rapport benchmark results",
                "",
                f"- date: {now}",
                f"- machine: {machine()}",
                f"- command: `{command}` (from the repository root; took {self.seconds:.0f} s)",
                f"- workload: {w.events:,} events, {w.customers:,} customers, "
                f"{w.merchants:,} merchants, seed {w.seed}, {meta['days']} days of event time "
                f"({meta['first']} to {meta['last']}), {meta['bytes'] / 1e6:.1f} MB; "
                f"generator `benchmarks/workload.py` v{meta['version']}",
                f"- mix: {mix}",
                f"- method: each timing is the best of {self.repeats}; in-process Rapport "
                f"ingests batches of {self.batch:,} raw lines (bytes) into a fresh engine; the "
                "SQLite store is a fresh temporary file; the CLI rows are whole subprocesses, so "
                "interpreter start-up and imports count on both sides of their ratio.",
                "",
                "## Results",
                "",
                self.tables(),
                "## Reading",
                "",
                self.reading(),
                "",
            ]
        )


def _speed(ratio: float) -> str:
    """A time ratio (before / after) in words: "1.25x faster" or "1.25x slower"."""
    return f"{ratio:.2f}x faster" if ratio >= 1 else f"{1 / ratio:.2f}x slower"


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    text = cpuinfo.read_text() if cpuinfo.exists() else ""
    models = [line.split(":", 1)[1].strip() for line in text.splitlines() if "model name" in line]
    cpu = models[0] if models else platform.processor() or "unknown CPU"
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; {platform.platform()}"
    )


def _row(t: Timing, to_floor: float, to_river: float | None, target: str, met: str) -> list[str]:
    river = f"{to_river:.2f}x" if to_river is not None else "—"
    ratios = [f"{to_floor:.2f}x", river, target or "—", met]
    return [t.name, f"{t.best:.2f}", f"{t.rate:,.0f}", f"{t.cpu_rate:,.0f}", *ratios]


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)
