"""``rapport report fairness``, ``rapport evaluate fairness``, ``rapport policy promote``:
fairness measured, a candidate policy checked before deployment, and promotion through the gate.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from rapport.decisions.policy import LoadedPolicy, PolicyError, load_policy
from rapport.engine import Engine
from rapport.governance.audit_log import open_audit_log
from rapport.governance.promotion import REFUSED, EvidenceMismatchError, active_policy, promote

if TYPE_CHECKING:
    from rapport.governance.fairness_check import Comparison

# The fairness modules import fairlearn, scikit-learn and matplotlib (over a second): the
# commands that use them import them, not every `rapport` command.

policy_app = typer.Typer(help="Promote policies through the fairness gate.", no_args_is_help=True)
report_app = typer.Typer(help="Reports: fairness.", no_args_is_help=True)

MONITOR = "fairness-monitor"


@report_app.command("fairness")
def report_fairness(
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")],
    db: DbOption = DEFAULT_DB_VALUE,
    as_json: JsonOption = False,
) -> None:
    """Fairness of the decisions in a store's ledger, by sex, age band and both: a
    self-contained HTML page (plots and the numbers behind them). Breaches are recorded in the
    governance audit log."""
    from rapport.governance.fairness_check import judge_engine  # noqa: PLC0415
    from rapport.governance.report_fairness import render_html  # noqa: PLC0415

    with Engine(db) as engine:
        settings = engine.decisions.policy.policy.fairness
        report, table = judge_engine(engine, settings)
    figures = report.to_dict()
    if report.alerts:
        audit_log = open_audit_log(db)
        try:
            audit_log.append("fairness.alert", MONITOR, {"alerts": figures["alerts"]})
        finally:
            audit_log.close()
    out.write_text(render_html(report, table, settings, db))
    if as_json:
        emit_json({"out": str(out), **figures})
        return
    for kind in report.kinds:
        console.print(
            f"{kind.kind}: {kind.decisions:,} decisions, {kind.favorable_rate:.1%} favorable"
        )
        for grouping in kind.groupings:
            ratio = grouping.adverse_impact_ratio
            console.print(
                f"  by {grouping.name}: adverse impact ratio "
                f"{'n/a' if ratio is None else f'{ratio.value:.3f}'}"
            )
    for alert in report.alerts:
        err_console.print(f"[red]ALERT[/red] {alert.message}")
    console.print(f"report → {out}")


def _read_events(path: Path) -> list[bytes]:
    lines: list[bytes] = []
    with progress_bar() as progress:
        for batch in read_batches(path, progress, "read"):
            lines.extend(batch)
    return lines


def _load(path: Path | None, what: str) -> LoadedPolicy:
    try:
        return load_policy(path)
    except PolicyError as error:
        err_console.print(f"[red]{what} refused:[/red]")
        for problem in error.problems:
            err_console.print(f"  {problem}")
        raise typer.Exit(2) from None


def print_comparison(comparison: Comparison) -> None:
    table = Table(title="Fairness: candidate beside current", title_justify="left")
    for column in ("kind", "grouping", "figure", "candidate", "current", "threshold"):
        table.add_column(column)
    for row in comparison.side_by_side():
        if row["metric"] == "calibration_gap" and row["threshold"] is None:
            continue
        table.add_row(
            row["kind"],
            row["grouping"],
            row["metric"],
            _number(row["candidate"]),
            _number(row["current"]),
            _number(row["threshold"]),
        )
    console.print(table)
    for breach in comparison.breaches:
        err_console.print(f"[red]BREACH[/red] {breach['message']}")


def _number(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def evaluate_fairness(
    events: Annotated[Path, typer.Argument(help="JSON Lines file of v1 events (the history)")],
    policy: Annotated[Path, typer.Option(help="Candidate policy YAML")],
    against: Annotated[
        Path | None, typer.Option(help="Current policy YAML (default: the shipped default)")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write the comparison (promotion evidence) as JSON")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Pre-deployment bias check: replay the history under the candidate and the current policy,
    and report the candidate's fairness figures beside the current's (protected attributes come
    from the events' customer_update.protected). Exit 1 if the candidate breaks a threshold."""
    from rapport.governance.fairness_check import compare  # noqa: PLC0415

    candidate = _load(policy, "candidate policy")
    current = _load(against, "current policy")
    comparison = compare(_read_events(events), candidate, current)
    evidence = comparison.to_dict()
    if out is not None:
        out.write_text(json.dumps(evidence, indent=1, default=str))
    if as_json:
        emit_json(
            {
                "candidate": candidate.version,
                "current": current.version,
                "breaches": evidence["breaches"],
                "side_by_side": evidence["side_by_side"],
                "out": str(out) if out else None,
            }
        )
    else:
        print_comparison(comparison)
    if comparison.breaches:
        raise typer.Exit(1)


def fairness_beside(
    engine: Engine, ordered_lines: list[bytes], current_path: Path, out: Path, quiet: bool
) -> dict[str, Any]:
    """After ``rapport replay``: the replayed policy's fairness (from the engine that just
    replayed) beside the current policy's (replayed afresh), judged by the current policy's
    thresholds; the comparison is written beside the decisions as promotion evidence."""
    from rapport.governance.fairness_check import (  # noqa: PLC0415
        Comparison,
        PolicyFairness,
        judge_engine,
        replay_fairness,
    )

    current = _load(current_path, "current policy")
    standard = current.policy.fairness
    candidate = engine.decisions.policy
    report, table = judge_engine(engine, standard)
    comparison = Comparison(
        standard,
        PolicyFairness(candidate.version, candidate.policy.name, report, table),
        replay_fairness(ordered_lines, current, standard),
        len(ordered_lines),
    )
    evidence = out.with_name(out.stem + ".fairness.json")
    evidence.write_text(json.dumps(comparison.to_dict(), indent=1, default=str))
    if not quiet:
        print_comparison(comparison)
    return {"fairness_evidence": str(evidence), "fairness_breaches": comparison.breaches}


@policy_app.command("promote")
def policy_promote(
    file: Annotated[Path, typer.Argument(help="The policy YAML to promote")],
    db: DbOption = DEFAULT_DB_VALUE,
    evidence: Annotated[
        Path | None,
        typer.Option(
            help="Comparison JSON from `rapport evaluate fairness --out` (else the "
            "store's own history is replayed)"
        ),
    ] = None,
    override_reason: Annotated[
        str | None, typer.Option(help="Admin override: promote despite breaches, for this reason")
    ] = None,
    actor: Annotated[str | None, typer.Option(help="Who promotes (default: the OS user)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Make a policy the one the store decides with, if its fairness figures meet the
    thresholds (or an admin overrides with a reason); every verdict goes to the audit log."""
    who = actor or getpass.getuser()
    if override_reason is not None and not actor:
        raise typer.BadParameter("an override needs --actor (who takes responsibility)")
    audit_log = open_audit_log(db)
    try:
        try:
            candidate = load_policy(file)
        except PolicyError as error:
            audit_log.append(
                REFUSED, who, {"file": str(file), "problems": error.problems, "channel": "cli"}
            )
            _fail(as_json, {"promoted": False, "act": REFUSED, "problems": error.problems})
            return
        proof = _evidence(evidence, db, candidate)
        try:
            result = promote(candidate, proof, audit_log, who, override_reason)
        except EvidenceMismatchError as error:
            raise typer.BadParameter(str(error), param_hint="--evidence") from None
    finally:
        audit_log.close()
    if as_json:
        emit_json(result.to_dict())
    elif result.promoted:
        console.print(f"{result.version}: {result.message}")
    else:
        err_console.print(f"[red]{result.version}: {result.message}[/red]")
        for breach in result.breaches:
            err_console.print(f"  {breach['message']}")
    if not result.promoted:
        raise typer.Exit(1)


def _evidence(path: Path | None, db: str, candidate: LoadedPolicy) -> dict[str, Any] | None:
    from rapport.governance.fairness_check import compare, logged_history  # noqa: PLC0415

    if path is not None:
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded
    with Engine(db) as engine:
        history = logged_history(engine)
        if not history:
            return None
        current = active_policy(db, None)
        return compare(history, candidate, current, engine.protected).to_dict()


def _fail(as_json: bool, payload: dict[str, Any]) -> None:
    if as_json:
        emit_json(payload)
    else:
        err_console.print(f"[red]refused: {'; '.join(payload.get('problems', []))}[/red]")
    raise typer.Exit(1)
