"""The SQLite ledger appends with one INSERT on the chain head it last saw: writers that take
turns on one file, each with a stale head every time, must still build one unbroken chain, lose
nothing and store each decision once. (Two processes racing on one ledger, SQLite and
PostgreSQL: tests/store/test_scale_out.py.)"""

from __future__ import annotations

import itertools
from pathlib import Path

from rapport.governance.ledger import SqliteLedger, verify
from tests.store.test_scale_out import _decision


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
            assert again.decision_id == f"turn-{n}"
    stored = list(first.scan())
    assert [r.position for r in stored] == list(range(1, 22))
    assert [r.decision_id for r in stored][1:] == [f"turn-{n}" for n in range(20)]
    assert verify(first).ok
    assert all(a.hash == b.prev_hash for a, b in itertools.pairwise(stored))
    second.close()
    first.close()
