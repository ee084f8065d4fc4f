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
from rapport.governance.audit_log import open_audit_log
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
        str | None, typer.Option(help="Promote despite a refusal, for this recorded reason")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Estimate the challenger off-policy from the ledger, then promote it or refuse, and
    record the verdict with its evidence in the governance audit log. Exit 1 when refused."""
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
    if as_json:
        emit_json({**result.to_dict(), "evidence": report.to_dict()})
    else:
        show(report)
        console.print(f"[bold]{result.message}[/] (audit record {result.record.seq})")
    if not result.promoted:
        raise typer.Exit(1)
