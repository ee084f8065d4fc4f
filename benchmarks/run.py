"""``make bench``: Rapport's ingest and profile reads against a parse floor and a River baseline.

Every figure comes from one run on one generated file (``benchmarks/workload.py``); each timing
is the best of ``--repeats`` runs. The machine is shared and noisy, so the ratios between rows
of the same run say more than the absolute rates. Writes ``benchmarks/RESULTS.md`` and prints
the tables.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import math
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from river import stats

from benchmarks.bandit import measure_bandit
from benchmarks.decisions import measure_decisions
from benchmarks.extras import SIM_CUSTOMERS, measure_extras
from benchmarks.learning_models import measure_learning
from benchmarks.offpolicy import measure_offpolicy
from benchmarks.report import Results, Timing
from benchmarks.sqlite_alone import measure_sqlite_alone
from benchmarks.storage_backends import measure_storage_backends
from benchmarks.workload import Workload, ensure
from rapport import Engine

T = TypeVar("T")
BATCH = 20_000  # as `rapport ingest` does by default
READS = 300
RESULTS = Path(__file__).with_name("RESULTS.md")
ALPHAS = (0.5, 0.1, 0.02, 0.005)
PARSE_SCRIPT = (
    "import json, sys\n"
    "with open(sys.argv[1], 'rb') as f:\n"
    "    for line in f:\n"
    "        json.loads(line)\n"
)


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the CLI rows run as those)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def repeat(
    timing: Timing, repeats: int, run: Callable[[], T], release: Callable[[T], object] = id
) -> T:
    """Run ``run`` ``repeats`` times into ``timing``; return the last result.

    ``release`` disposes of every earlier result before the next run starts.
    """
    result: T | None = None
    for _ in range(repeats):
        if result is not None:
            release(result)
        result = None
        gc.collect()
        wall, cpu = time.perf_counter(), cpu_seconds()
        result = run()
        timing.wall.append(time.perf_counter() - wall)
        timing.cpu.append(cpu_seconds() - cpu)
    assert result is not None
    return result


def parse_floor(path: Path) -> int:
    count = 0
    with path.open("rb") as handle:
        for line in handle:
            json.loads(line)
            count += 1
    return count


def _river_customer() -> dict[str, Any]:
    """Roughly what Rapport keeps for one customer, as River's running statistics."""
    return {
        "events": stats.Count(),
        "debits": stats.Count(),
        "debit_mean": stats.Mean(),
        "debit_var": stats.Var(),
        "debit_max": stats.Max(),
        "log_amount_var": stats.Var(),
        "debit_ewm": [stats.EWMean(alpha) for alpha in ALPHAS],
        "credit_mean": stats.Mean(),
        "balance_ewm": stats.EWMean(0.1),
        "logins": stats.Count(),
        "failed_logins": stats.Count(),
        "page_views": stats.Count(),
        "dwell_mean": stats.Mean(),
        "other": stats.Count(),
    }


def river_baseline(path: Path) -> dict[str, dict[str, Any]]:
    """Parse every line and update per-customer, per-merchant and per-device statistics."""
    customers: defaultdict[str, dict[str, Any]] = defaultdict(_river_customer)
    merchants: defaultdict[str, list[Any]] = defaultdict(lambda: [stats.Count(), stats.Mean()])
    devices: defaultdict[str, stats.Count] = defaultdict(stats.Count)
    with path.open("rb") as handle:
        for line in handle:
            event = json.loads(line)
            c, payload, kind = customers[event["customer_id"]], event["payload"], event["type"]
            c["events"].update()
            if "device_id" in event:
                devices[event["device_id"]].update()
            if kind == "transaction":
                amount = payload["amount"]
                if payload["direction"] == "debit":
                    c["debits"].update()
                    for name in ("debit_mean", "debit_var", "debit_max"):
                        c[name].update(amount)
                    c["log_amount_var"].update(math.log(amount))
                    for ewm in c["debit_ewm"]:
                        ewm.update(amount)
                    if "merchant_id" in payload:
                        for stat in merchants[payload["merchant_id"]]:
                            stat.update(amount)
                else:
                    c["credit_mean"].update(amount)
                c["balance_ewm"].update(payload.get("balance_after", 0.0))
            elif kind == "login":
                c["logins"].update()
                if not payload["success"]:
                    c["failed_logins"].update()
            elif kind == "page_view":
                c["page_views"].update()
                c["dwell_mean"].update(payload.get("dwell_ms", 0))
            else:
                c["other"].update()
    return customers


def rapport_ingest(
    store: str, batches: list[list[bytes]], expected: int, pipelined: bool = False
) -> Engine:
    """A fresh engine with every batch ingested: one at a time, or by ``ingest_batches``."""
    engine = Engine(store)
    reports = engine.ingest_batches(batches) if pipelined else map(engine.ingest, batches)
    accepted = rejected = 0
    for report in reports:
        accepted, rejected = accepted + report.accepted, rejected + report.rejected
    assert (accepted, rejected) == (expected, 0), (accepted, rejected)
    return engine


def run_command(command: list[str]) -> str:
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def profile_reads(engine: Engine, customer_ids: list[str], repeats: int) -> tuple[float, float]:
    """Mean and p99 microseconds of ``Engine.profile`` (the pass with the best mean)."""
    best: list[float] = []
    for _ in range(repeats):
        micros = []
        for customer_id in customer_ids:
            started = time.perf_counter()
            engine.profile(customer_id)
            micros.append((time.perf_counter() - started) * 1e6)
        if not best or statistics.fmean(micros) < statistics.fmean(best):
            best = micros
    return statistics.fmean(best), sorted(best)[math.ceil(0.99 * len(best)) - 1]


def measure_sqlite(
    tmp: Path, reps: int, batches: list[list[bytes]], timings: tuple[Timing, Timing, Timing]
) -> list[Any]:
    """Time SQLite ingest one batch at a time and pipelined, and its statements replayed
    alone (``benchmarks.sqlite_alone``); the profiles' sizes by entity."""
    sqlite, pipelined, alone = timings
    n, close = sqlite.events, Engine.close
    dbs = (str(tmp / f"ingest-{i}.db") for i in range(reps))
    repeat(sqlite, reps, lambda: rapport_ingest(next(dbs), batches, n), close).close()
    piped = (str(tmp / f"pipelined-{i}.db") for i in range(reps))
    repeat(
        pipelined, reps, lambda: rapport_ingest(next(piped), batches, n, pipelined=True), close
    ).close()
    measure_sqlite_alone(tmp, reps, batches, alone)
    query = "SELECT entity, count(*), max(length(data)), avg(length(data)) FROM profiles"
    with contextlib.closing(sqlite3.connect(tmp / f"ingest-{reps - 1}.db")) as db:
        return db.execute(f"{query} GROUP BY entity ORDER BY entity").fetchall()


def measure(workload: Workload, reps: int, sim_customers: int = SIM_CUSTOMERS) -> Results:
    path, meta = ensure(workload)
    n = workload.events
    lines = [line for line in path.read_bytes().splitlines() if line]
    assert len(lines) == n, (len(lines), n)
    batches = [lines[i : i + BATCH] for i in range(0, n, BATCH)]
    print(f"workload {path.name}: {meta['bytes'] / 1e6:.1f} MB, best of {reps}", flush=True)
    floor = Timing("JSON parse floor (`json.loads` per line)", n)
    river = Timing("River baseline (parse + `river.stats`)", n)
    memory = Timing("Rapport in-process, memory store", n)
    sqlite = Timing("Rapport in-process, SQLite store", n)
    pipelined = Timing("Rapport in-process, SQLite store, `ingest_batches` (2 processes)", n)
    alone = Timing("SQLite alone: the SQLite store's statements replayed, no Rapport code", n)
    parse_cli = Timing("JSON parse floor, subprocess", n)
    cli = Timing("`rapport ingest FILE --db tmp.db --json`", n)
    close = Engine.close
    assert repeat(floor, reps, functools.partial(parse_floor, path)) == n
    customers = repeat(river, reps, functools.partial(river_baseline, path))
    ids = sorted(customers)[:: max(1, len(customers) // READS)][:READS]
    del customers  # keep later measurements' heaps (and so their GC passes) to their own state
    print("parse floor and River done", flush=True)
    engine = repeat(memory, reps, lambda: rapport_ingest("memory://", batches, n), close)
    read_micros = profile_reads(engine, ids, reps)
    features = len(engine.profile(ids[0]).features)
    extras = measure_extras(engine, ids, sim_customers)
    with tempfile.TemporaryDirectory(prefix="rapport-decisions-") as tmp:
        decisions = measure_decisions(lines[: min(n, 60_000)], tmp)
    print("decisions done", flush=True)
    engine.close()
    del engine
    print("memory store done", flush=True)
    with tempfile.TemporaryDirectory(prefix="rapport-bench-") as tmp:
        sizes = measure_sqlite(Path(tmp), reps, batches, (sqlite, pipelined, alone))
        print("SQLite store done", flush=True)
        parse = [sys.executable, "-c", PARSE_SCRIPT, str(path)]
        repeat(parse_cli, reps, functools.partial(run_command, parse))
        command = [str(Path(sys.executable).with_name("rapport")), "ingest", str(path), "--json"]
        cli_dbs = (str(Path(tmp) / f"cli-{i}.db") for i in range(reps))
        out = repeat(cli, reps, lambda: run_command([*command, "--db", next(cli_dbs)]))
        summary = json.loads(out.strip().splitlines()[-1])
        assert (summary["accepted"], summary["rejected"]) == (n, 0), summary
    print("CLI done", flush=True)
    results = Results(workload, meta, floor, river, memory, sqlite, parse_cli, cli)
    results.repeats, results.batch, results.reads = reps, BATCH, len(ids)
    results.read_micros, results.features = read_micros, features
    results.extras = extras
    results.pipelined = pipelined
    results.sqlite_alone = alone
    results.decisions = decisions
    results.sizes = [(str(e), int(c), int(most), float(mean)) for e, c, most, mean in sizes]
    results.river_stats = sum(
        len(v) if isinstance(v, list) else 1 for v in _river_customer().values()
    )
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--events", type=int, default=Workload.events, help="workload size")
    parser.add_argument("--customers", type=int, default=Workload.customers)
    parser.add_argument("--merchants", type=int, default=Workload.merchants)
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement")
    parser.add_argument("--output", type=Path, default=RESULTS, help="Markdown to write")
    parser.add_argument(
        "--sim-customers", type=int, default=SIM_CUSTOMERS, help="simulated bank size (90 days)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    workload = Workload(args.events, args.customers, args.merchants)
    results = measure(workload, args.repeats, args.sim_customers)
    results.seconds = time.perf_counter() - started
    given = sys.argv[1:] if argv is None else argv
    command = " ".join(["python -m benchmarks.run", *given]) if given else "make bench"
    text = results.markdown(command)
    text += results.extras.markdown() if results.extras else ""
    text += results.decisions.markdown() if results.decisions else ""
    text += measure_offpolicy().markdown()
    text += measure_bandit().markdown()
    text += measure_learning().markdown()
    text += measure_storage_backends(workload=workload).markdown()
    args.output.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
