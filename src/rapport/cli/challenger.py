"""``rapport challenger promote``: promote a challenger on its off-policy evidence, audited."""

from __future__ import annotations

from typing import Annotated

import typer

from rapport.cli.common import JsonOption, console, emit_json
from rapport.cli.evaluate_policy import (
    ChallengerOption,
    KindOption,
    LedgerOption,
    ModelOption,
    evaluate_challenger,
    show,
)
from rapport.engine import Engine
from rapport.governance.audit_log import open_audit_log
from rapport.governance.promotion import PromotionResult, active_policy
from rapport.governance.promotion import promote as promote_policy
from rapport.learning.challenger import Challenger
from rapport.learning.challenger_promotion import promote_challenger
from rapport.learning.offpolicy import ESTIMATORS
from rapport.learning.shadow import challenger_from

app = typer.Typer(help="Champion/challenger: promote a challenger policy.", no_args_is_help=True)


@app.command("promote")
def promote(
    ledger: LedgerOption,
    challenger: ChallengerOption,
    actor: Annotated[str, typer.Option(help="Who promotes (recorded in the audit log)")],
    model: ModelOption = None,
    kind: KindOption = "next_best_action",
    estimator: Annotated[str, typer.Option(help=f"One of {', '.join(ESTIMATORS)}")] = "dr",
    override_reason: Annotated[
        str | None,
        typer.Option(help="Accept despite a worse off-policy verdict, for this recorded reason"),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Estimate the challenger off-policy from the ledger and judge it against the champion
    (refused if worse, unless overridden); an accepted challenger then passes the fairness gate
    of `rapport policy promote`, which puts it in force. Both verdicts go to the governance
    audit log, with their evidence. Exit 1 when refused."""
    if estimator not in ESTIMATORS:
        raise typer.BadParameter(f"one of {', '.join(ESTIMATORS)}", param_hint="--estimator")
    report = evaluate_challenger(ledger, challenger, model or [], kind)
    judged = challenger_from(challenger, model or [], ledger)
    audit_log = open_audit_log(ledger)
    try:
        result = promote_challenger(
            judged, report, audit_log, actor, estimator=estimator, override_reason=override_reason
        )
    finally:
        audit_log.close()
    # An override answers the off-policy verdict only: a fairness breach is overridden through
    # `rapport policy promote`, by an admin, for its own reason.
    gate = _fairness_gate(ledger, judged, actor) if result.promoted else None
    promoted = gate is not None and gate.promoted
    if as_json:
        emit_json(
            {
                **result.to_dict(),
                "promoted": promoted,
                "policy_gate": gate.to_dict() if gate else None,
                "evidence": report.to_dict(),
            }
        )
    else:
        show(report)
        console.print(f"[bold]{result.message}[/] (audit record {result.record.seq})")
        if gate is not None:
            console.print(f"[bold]{gate.message}[/]")
    if not promoted:
        raise typer.Exit(1)


def _fairness_gate(store: str, challenger: Challenger, actor: str) -> PromotionResult:
    """The gate every policy passes (its fairness replayed over the store's history); its
    ``policy.promoted`` record puts the challenger in force."""
    # Imported here: the fairness modules take over a second to import (fairlearn, sklearn).
    from rapport.governance.fairness_check import compare, logged_history  # noqa: PLC0415

    with Engine(store) as engine:
        history = logged_history(engine)
        evidence = (
            compare(history, challenger.policy, active_policy(store, None), engine.protected)
            if history
            else None
        )
    audit_log = open_audit_log(store)
    try:
        return promote_policy(
            challenger.policy,
            evidence.to_dict() if evidence is not None else None,
            audit_log,
            actor,
            None,
            channel="challenger",
        )
    finally:
        audit_log.close()
