"""``rapport replay``, ``rapport explain``, ``rapport audit verify``: decisions, backtested,
explained and audited."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.table import Table

from rapport.cli.common import (
    DEFAULT_DB_VALUE,
    DbOption,
    JsonOption,
    console,
    emit_json,
    err_console,
    progress_bar,
    read_batches,
)
from rapport.cli.governance import fairness_beside
from rapport.config import EngineConfig
from rapport.decisions.record import Decision
from rapport.engine import Engine
from rapport.events import EventRejectedError, parse_event
from rapport.governance.audit_log import open_audit_log
from rapport.governance.ledger import DecisionErasedError, open_ledger, verify
from rapport.learning.model_dir import ModelDirError, parse_model_option, use_models

audit_app = typer.Typer(help="Audit the decision ledger.", no_args_is_help=True)

REPLAY_CHUNK = 2_000
ERASED_EXIT_CODE = 3
"""``rapport explain`` of an erased customer's decision (1 is "no such decision", or a mismatch)."""
REPLAY_FIELDS = (
    "decision_id",
    "kind",
    "customer_id",
    "trigger_event_id",
    "action",
    "score",
    "propensity",
    "policy_version",
    "model_versions",
)


def replay(
    events: Annotated[Path, typer.Argument(help="JSON Lines file of v1 events")],
    out: Annotated[Path, typer.Option("--out", help="JSON Lines file of decisions to write")],
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: shipped)")] = None,
    db: Annotated[
        str, typer.Option(help="Store for the run (default: a fresh in-memory one)")
    ] = "memory://",
    model: Annotated[
        list[str] | None,
        typer.Option(help="KIND=DIR: decide KIND with the model `rapport train` wrote; repeat"),
    ] = None,
    fairness_against: Annotated[
        Path | None,
        typer.Option(
            help="Current policy YAML: report the replayed policy's fairness beside it and "
            "write OUT's stem + .fairness.json (promotion evidence)"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Backtest: stream a file in timestamp order through a fresh engine, take every decision the
    policy triggers, write one JSON object per decision. Same file, same bytes."""
    try:
        artifacts = [parse_model_option(value) for value in model or []]
    except ModelDirError as error:
        raise typer.BadParameter(str(error), param_hint="--model") from None
    lines: list[tuple[float, int, bytes]] = []
    with progress_bar() as progress:
        for batch in read_batches(events, progress, "read"):
            for line in batch:
                lines.append((_time_of(line), len(lines), line))
    lines.sort()
    config = EngineConfig(store_url=db, policy_path=str(policy) if policy else None)
    written, seen = 0, set()
    ordered = [line for _, _, line in lines]
    with Engine(db, config) as engine, out.open("w") as handle, progress_bar("events") as progress:
        use_models(engine, artifacts)
        task = progress.add_task("replay", total=len(ordered))
        for start in range(0, len(ordered), REPLAY_CHUNK):
            chunk = ordered[start : start + REPLAY_CHUNK]
            _, decisions = engine.ingest_and_decide(chunk)
            for decision in decisions:
                # A re-sent trigger yields the decision already taken: write it once.
                if decision.decision_id not in seen:
                    seen.add(decision.decision_id)
                    handle.write(json.dumps(_row(decision), sort_keys=True) + "\n")
                    written += 1
            progress.advance(task, len(chunk))
        fairness = (
            fairness_beside(engine, ordered, fairness_against, out, as_json)
            if fairness_against is not None
            else {}
        )
    summary = {"events": len(lines), "decisions": written, "out": str(out), **fairness}
    if as_json:
        emit_json(summary)
    else:
        console.print(f"{written:,} decisions over {len(lines):,} events → {out}")


def _time_of(line: bytes) -> float:
    try:
        return parse_event(line).timestamp.timestamp()
    except EventRejectedError:
        return float("-inf")  # invalid lines keep their place at the front; ingest rejects them


def _row(decision: Decision) -> dict[str, object]:
    row = {field: getattr(decision, field) for field in REPLAY_FIELDS}
    row["timestamp"] = decision.event_time
    row["reasons"] = [msgspec.to_builtins(r) for r in decision.reasons]
    row["details"] = decision.details
    return row


def explain(
    decision_id: Annotated[str, typer.Argument(help="A decision id from the ledger")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Re-run a recorded decision from its recorded inputs and versions, beside the original."""
    with Engine(db) as engine:
        try:
            original, again = engine.replay(decision_id)
        except DecisionErasedError as error:
            # Not a failure to reproduce: the decision's content was destroyed on purpose.
            if as_json:
                emit_json({"decision_id": decision_id, "erased": True, "reason": str(error)})
            else:
                err_console.print(f"[yellow]{error}[/yellow]")
            raise typer.Exit(ERASED_EXIT_CODE) from None
        except LookupError as error:
            err_console.print(f"[red]{error}[/red]")
            raise typer.Exit(1) from None
    same = original.outcome() == again.outcome()
    if as_json:
        emit_json(
            {
                "decision_id": decision_id,
                "reproduced": same,
                "original": msgspec.to_builtins(original),
                "replayed": msgspec.to_builtins(again),
            }
        )
    else:
        table = Table(
            title=f"{decision_id}: {'reproduced exactly' if same else 'DIFFERS'}",
            title_justify="left",
        )
        for column in ("", "recorded", "replayed"):
            table.add_column(column)
        for name in ("kind", "customer_id", "action", "score", "policy_version"):
            table.add_row(name, str(getattr(original, name)), str(getattr(again, name)))
        table.add_row(
            "reasons",
            "; ".join(f"{r.code} ({r.weight:.2f}): {r.text}" for r in original.reasons),
            "; ".join(f"{r.code} ({r.weight:.2f})" for r in again.reasons),
        )
        console.print(table)
    if not same:
        raise typer.Exit(1)


@audit_app.command("verify")
def audit_verify(db: DbOption = DEFAULT_DB_VALUE, as_json: JsonOption = False) -> None:
    """Check the ledger's and the governance audit log's hash chains; exit 1 naming the first
    record that does not verify."""
    ledger = open_ledger(db)
    try:
        result = verify(ledger)
    finally:
        ledger.close()
    audit_log = open_audit_log(db)
    try:
        audit = audit_log.verify()
    finally:
        audit_log.close()
    if as_json:
        emit_json(
            {
                "ok": result.ok and audit.ok,
                "records": result.records,
                "broken_at": result.broken_at,
                "decision_id": result.decision_id,
                "problem": result.problem,
                "audit_log": {
                    "ok": audit.ok,
                    "records": audit.records,
                    "broken_at": audit.broken_at,
                    "problem": audit.problem,
                },
            }
        )
    elif result.ok:
        console.print(
            f"ledger verified: {result.records:,} records, chain intact "
            f"({dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC)"
        )
    else:
        err_console.print(
            f"[red]ledger broken at record {result.broken_at} "
            f"({result.decision_id}): {result.problem}[/red]"
        )
    if not as_json:
        if audit.ok:
            console.print(f"audit log verified: {audit.records:,} records, chain intact")
        else:
            err_console.print(
                f"[red]audit log broken at record {audit.broken_at}: {audit.problem}[/red]"
            )
    if not (result.ok and audit.ok):
        raise typer.Exit(1)
