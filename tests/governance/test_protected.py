"""Protected attributes are kept apart: their own store and file, never in the event log,
the profiles or a decision's inputs, and no deciding code imports the store."""

from __future__ import annotations

import ast
import json
import sqlite3
from pathlib import Path

import msgspec
import pytest

import rapport
from rapport.engine import Engine
from rapport.governance.protected import (
    MemoryProtectedStore,
    ProtectedStore,
    ProtectedUpdate,
    SqliteProtectedStore,
    open_protected_store,
    protected_path,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "events.jsonl"
SENTINEL = "sentinel-protected"
DECIDING_PACKAGES = ("decisions", "profiles", "signals", "learning")
PROTECTED_MODULE = "rapport.governance.protected"


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ProtectedStore:
    if request.param == "memory":
        return MemoryProtectedStore()
    return SqliteProtectedStore(tmp_path / "x.protected.db")


def test_latest_value_in_event_time_wins(store: ProtectedStore) -> None:
    store.put_many([ProtectedUpdate("c1", 100.0, {"sex": "female", "age": 40})])
    store.put_many([ProtectedUpdate("c1", 50.0, {"age": 39, "marital_status": "single"})])
    store.put_many([ProtectedUpdate("c1", 200.0, {"age": 41}), ProtectedUpdate("c2", 1.0, {})])
    assert store.get_many(["c1", "c2", "c3"]) == {
        "c1": {"sex": "female", "age": 41, "marital_status": "single"}
    }
    assert dict(store.scan()) == {"c1": {"sex": "female", "age": 41, "marital_status": "single"}}


def test_erase_forgets_a_customer(store: ProtectedStore) -> None:
    store.put_many([ProtectedUpdate("c1", 1.0, {"sex": "male", "age": 30})])
    store.put_many([ProtectedUpdate("c2", 1.0, {"sex": "female"})])
    assert store.erase("c1") == 2
    assert store.erase("c1") == 0
    assert list(store.scan()) == [("c2", {"sex": "female"})]


def test_the_store_has_its_own_file_beside_the_main_one(tmp_path: Path) -> None:
    assert protected_path(tmp_path / "rapport.db") == tmp_path / "rapport.protected.db"
    assert protected_path(tmp_path / "bank") == tmp_path / "bank.protected"
    opened = open_protected_store(f"sqlite:///{tmp_path / 'rapport.db'}")
    assert isinstance(opened, SqliteProtectedStore)
    assert opened.path == tmp_path / "rapport.protected.db"
    opened.close()
    assert isinstance(open_protected_store("memory://"), MemoryProtectedStore)


def _sentinel_events() -> list[bytes]:
    """The example bank with every protected value replaced by a recognisable sentinel."""
    lines = []
    for line in EXAMPLE.read_text().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # the example keeps a few broken lines to show dead letters
        if event["type"] == "customer_update" and "protected" in event["payload"]:
            event["payload"]["protected"] = {
                "sex": f"{SENTINEL}-sex",
                "marital_status": f"{SENTINEL}-marital",
                "age": 7_654_321,
            }
        lines.append(json.dumps(event).encode())
    return lines


def _contains_sentinel(value: object) -> bool:
    text = json.dumps(value, default=str)
    return SENTINEL in text or "7654321" in text


def test_ingestion_keeps_protected_values_out_of_every_main_store(tmp_path: Path) -> None:
    db = tmp_path / "rapport.db"
    events = _sentinel_events()
    with Engine(db) as engine:
        report, decisions = engine.ingest_and_decide(events)
        assert report.accepted > 6_000
        kept = dict(engine.protected.scan())
        # Events and decisions are stored sealed: read them back through the engine.
        bodies = [record.body for record in engine.stores.events.scan()]
        stored = list(engine.decisions.ledger.records())
    assert {d.kind for d in decisions} >= {"fraud", "credit_limit"}
    # The values arrived in the protected store ...
    assert kept
    assert all(values["sex"] == f"{SENTINEL}-sex" for values in kept.values())
    assert (tmp_path / "rapport.protected.db").exists()
    # ... and nowhere in the main file: not the event log, the profiles, the dead letters or
    # the ledger (opened, since they are sealed, and as raw bytes below).
    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master")]
        assert "protected" not in tables
    assert len(bodies) == report.accepted
    for body in bodies:
        assert SENTINEL.encode() not in body
        assert b'"protected"' not in body
    assert len(stored) == len({d.decision_id for d in decisions})
    for decision in stored:
        assert not _contains_sentinel(msgspec.to_builtins(decision))
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("rapport.db*"))
    assert SENTINEL.encode() not in raw


def test_decision_inputs_never_contain_protected_values() -> None:
    with Engine("memory://") as engine:
        _, decisions = engine.ingest_and_decide(_sentinel_events())
        stored = list(engine.decisions.ledger.records())
    assert len(stored) == len({d.decision_id for d in decisions}) > 1_000
    protected_names = {"sex", "age", "marital_status"}
    for decision in stored:
        assert not _contains_sentinel(decision.inputs)
        assert not _contains_sentinel(decision.details)
        for name in decision.inputs:
            space, _, leaf = name.partition(".")
            assert space != "protected", name
            assert leaf not in protected_names, name


def test_a_resent_update_is_still_a_duplicate_after_its_values_are_taken_out() -> None:
    event = json.loads(_sentinel_events()[0])
    with Engine("memory://") as engine:
        first = engine.ingest([json.dumps(event)])
        again = engine.ingest([json.dumps(event)])
        event["payload"]["protected"]["sex"] = "changed"
        conflicting = engine.ingest([json.dumps(event)])
    assert first.accepted == 1
    assert again.duplicates == 1
    assert conflicting.rejected == 1


def _imports(path: Path, module: str) -> set[str]:
    """Modules a source file imports, absolute (``from x import y`` counts x and x.y)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _modules() -> dict[str, Path]:
    root = Path(rapport.__file__).parent
    return {
        ".".join(("rapport", *path.relative_to(root).with_suffix("").parts)).removesuffix(
            ".__init__"
        ): path
        for path in root.rglob("*.py")
    }


def _reach(graph: dict[str, set[str]], start: str, through: set[str]) -> set[str]:
    """Modules reachable from ``start``, not expanding the modules in ``through``."""
    seen, stack = {start}, [start]
    while stack:
        current = stack.pop()
        if current in through and current != start:
            continue
        for imported in graph[current]:
            if imported not in seen:
                seen.add(imported)
                stack.append(imported)
    return seen


def _in(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == f"rapport.{p}" or name.startswith(f"rapport.{p}.") for p in packages)


def test_no_deciding_code_can_reach_the_protected_store() -> None:
    modules = _modules()
    graph = {name: _imports(path, name) & modules.keys() for name, path in modules.items()}
    starts = [name for name in modules if _in(name, DECIDING_PACKAGES)]
    assert any(_in(name, ("decisions",)) for name in starts)
    for start in starts:
        # The engine hosts the store for the fairness monitor: learning code may drive the
        # engine (replays), but no import chain may lead to the store any other way...
        assert PROTECTED_MODULE not in _reach(graph, start, {"rapport.engine"}), start
        # ... and the code that decides and describes customers does not touch the engine.
        if _in(start, ("decisions", "profiles", "signals")):
            assert "rapport.engine" not in _reach(graph, start, set()), start


def test_no_deciding_code_reads_a_protected_attribute() -> None:
    """Through the engine or an event: no ``.protected`` attribute read in deciding code."""
    for name, path in _modules().items():
        if not _in(name, DECIDING_PACKAGES):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "protected":
                raise AssertionError(f"{name}:{node.lineno} reads .protected")


def test_the_import_check_would_see_an_import() -> None:
    root = Path(rapport.__file__).parent
    probe = root / "engine.py"
    assert PROTECTED_MODULE in _imports(probe, "rapport.engine")


def test_rejected_inputs_keep_no_protected_values() -> None:
    update = json.loads(_sentinel_events()[0])
    conflicting = {**update, "payload": {**update["payload"], "attributes": {"x": 1}}}
    broken = json.dumps({**update, "event_id": "broken", "colour": "red"})
    with Engine("memory://") as engine:
        engine.ingest([json.dumps(update)])
        report = engine.ingest([json.dumps(conflicting), broken, broken[:-30]])
        letters = engine.dead_letters()
    assert report.rejected == 3
    assert len(letters) == 3
    for letter in letters:
        assert SENTINEL not in letter.raw, letter.code
        assert "7654321" not in letter.raw
    assert any("withheld" in letter.raw for letter in letters)
