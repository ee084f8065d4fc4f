"""The SQLite ledger appends with one INSERT on the chain head it last saw: several writers on
one file must still build one unbroken chain, lose nothing and store each decision once."""

from __future__ import annotations

import itertools
import multiprocessing
from multiprocessing.synchronize import Barrier
from pathlib import Path

from rapport.decisions.record import Decision
from rapport.governance.ledger import SqliteLedger, verify


def _decision(name: str) -> Decision:
    return Decision(
        decision_id=f"dec-{name}",
        kind="next_best_action",
        customer_id=f"cust-{name[-1]}",
        trigger_event_id=f"ev-{name}",
        event_time="2026-03-01T09:00:00+00:00",
        inputs={"x": 1.0},
        candidates=[],
        action="none",
        score=0.5,
        propensity=1.0,
        reasons=[],
        policy_version="p",
        model_versions={},
        seed=7,
    )


def test_two_connections_taking_turns_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    first = SqliteLedger(path)
    first.append(_decision("first"))
    second = SqliteLedger(path, first.sealer.keys)
    for n in range(20):
        # Each writer's view of the head is stale by one record at every turn.
        (first if n % 2 else second).append(_decision(f"turn-{n}"))
        if n % 5 == 0:
            again = (second if n % 2 else first).append(_decision(f"turn-{n}"))
            assert again.decision_id == f"dec-turn-{n}"
    stored = list(first.scan())
    assert [r.position for r in stored] == list(range(1, 22))
    assert [r.decision_id for r in stored][1:] == [f"dec-turn-{n}" for n in range(20)]
    assert verify(first).ok
    assert all(a.hash == b.prev_hash for a, b in itertools.pairwise(stored))
    second.close()
    first.close()


def _append(path: Path, worker: int, start: Barrier) -> None:
    ledger = SqliteLedger(path)
    start.wait()
    try:
        for n in range(60):
            ledger.append(_decision(f"w{worker}-{n}"))
            if n % 10 == 0:  # both workers take the same decision: stored once
                ledger.append(_decision(f"both-{n}"))
    finally:
        ledger.close()


def test_two_processes_appending_to_one_file_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "ledger.db"
    ledger = SqliteLedger(path)
    ledger.append(_decision("first-0"))  # the key file and a first record before the race
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)
    workers = [context.Process(target=_append, args=(path, w, start)) for w in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0, 0]
    stored = list(ledger.scan())
    assert [r.position for r in stored] == list(range(1, 1 + 1 + 120 + 6))
    assert len({r.decision_id for r in stored}) == len(stored)
    assert verify(ledger).ok
    owners = [r.decision_id[:6] for r in stored if r.decision_id.startswith("dec-w")]
    assert sum(a != b for a, b in itertools.pairwise(owners)) > 1  # they really interleaved
    ledger.close()
