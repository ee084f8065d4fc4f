"""``rapport evaluate policy``: a challenger's value estimated off-policy from the ledger.

Reads the logged decisions of one kind and the outcome events that answer them (same store),
recomputes the challenger's distribution over actions from each record's inputs, and prints
IPS, SNIPS and doubly robust estimates of its mean reward, with confidence intervals, beside
the champion's logged value. Nothing is written to the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rapport.cli.common import JsonOption, console, emit_json, err_console
from rapport.decisions.policy import PolicyError, load_policy
from rapport.decisions.service import KINDS
from rapport.engine import Engine
from rapport.events.validation import parse_event
from rapport.learning.challenger import (
    REWARD_OUTCOME,
    Challenger,
    ChallengerReport,
    judge,
    named_models,
    rewards,
)
from rapport.learning.shadow import judge_shadow, open_shadow_log

LedgerOption = Annotated[
    str, typer.Option("--ledger", help="Store holding the ledger and its event log (SQLite file)")
]
ChallengerOption = Annotated[Path, typer.Option("--challenger", help="Challenger policy YAML")]
ModelOption = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        help="KIND=DIR (a `rapport train` folder) or KIND=VERSION (from the store's model "
        "registry): the challenger decides KIND with this model (repeatable)",
    ),
]
KindOption = Annotated[str, typer.Option("--kind", help="Decision kind to evaluate")]


def policy(
    ledger: LedgerOption,
    challenger: ChallengerOption,
    model: ModelOption = None,
    kind: KindOption = "next_best_action",
    outcome: Annotated[
        str | None, typer.Option(help="Outcome event type whose label is the reward")
    ] = None,
    missing_reward: Annotated[
        float, typer.Option(help="Reward of a decision no outcome answered")
    ] = 0.0,
    clip: Annotated[
        float | None, typer.Option(min=1.0, help="Cap on importance weights (none by default)")
    ] = None,
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples (0: normal intervals)")
    ] = 0,
    confidence: Annotated[float, typer.Option(min=0.5, max=0.999)] = 0.95,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap and DR's folds")] = 0,
    shadow: Annotated[
        bool,
        typer.Option(
            "--shadow",
            help="Judge from what the challenger logged in shadow (rapport serve --challenger) "
            "instead of recomputing it from the ledger's inputs",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Estimate a challenger policy's value off-policy (IPS, SNIPS, doubly robust)."""
    report = evaluate_challenger(
        ledger,
        challenger,
        model or [],
        kind,
        outcome=outcome,
        missing_reward=missing_reward,
        clip=clip,
        bootstrap=bootstrap,
        confidence=confidence,
        seed=seed,
        shadow=shadow,
    )
    if as_json:
        emit_json(report.to_dict())
    else:
        show(report)


def evaluate_challenger(
    store: str,
    challenger_path: Path,
    models: list[str],
    kind: str,
    *,
    outcome: str | None = None,
    missing_reward: float = 0.0,
    clip: float | None = None,
    bootstrap: int = 0,
    confidence: float = 0.95,
    seed: int = 0,
    shadow: bool = False,
) -> ChallengerReport:
    if kind not in KINDS:
        raise typer.BadParameter(f"no decision kind {kind!r} (known: {sorted(KINDS)})")
    outcome_type = outcome or REWARD_OUTCOME.get(kind)
    if outcome_type is None:
        raise typer.BadParameter(f"name the outcome type that rewards {kind} (--outcome)")
    if "://" not in store and not Path(store).exists():
        raise typer.BadParameter(f"{store} does not exist", param_hint="--ledger")
    try:
        candidate = load_policy(challenger_path)
    except (OSError, PolicyError) as error:
        raise typer.BadParameter(str(error), param_hint="--challenger") from None
    with Engine(store) as engine:
        ledger = engine.decisions.ledger
        try:
            artifacts = named_models(models, engine.decisions.registry)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--model") from None
        judged = Challenger(candidate, artifacts)
        answers = (
            parse_event(record.body) for record in engine.stores.events.scan(types=[outcome_type])
        )
        reward_of = rewards(answers, ledger, kind, outcome_type)
        if shadow:
            shadow_log = open_shadow_log(engine.stores.url)
            try:
                rows = [r for r in shadow_log.rows(kind) if r.challenger_version == judged.version]
                report = judge_shadow(
                    rows,
                    reward_of,
                    kind,
                    missing_reward=missing_reward,
                    clip=clip,
                    confidence=confidence,
                    bootstrap=bootstrap,
                    seed=seed,
                )
            finally:
                shadow_log.close()
            report.outcome_type = outcome_type
            report.challenger_version = judged.version
            return report
        return judge(
            judged,
            ledger.records(),
            reward_of,
            kind,
            outcome_type=outcome_type,
            missing_reward=missing_reward,
            clip=clip,
            confidence=confidence,
            bootstrap=bootstrap,
            seed=seed,
        )


def show(report: ChallengerReport) -> None:
    console.print(
        f"[bold]{report.kind}[/]: challenger {report.challenger_version} judged on "
        f"{report.evaluated:,} of {report.decisions:,} logged decisions "
        f"(reward: {report.outcome_type} label)"
    )
    if report.missing_inputs:
        err_console.print(
            f"[yellow]{report.missing_inputs:,} decisions left out: their inputs lack what the "
            f"challenger reads[/], e.g. {report.missing_examples[:3]}"
        )
    if report.unanswered:
        console.print(
            f"{report.unanswered:,} decisions had no outcome (reward {report.missing_reward:g})"
        )
    if report.logged is None:
        return
    table = Table("policy", "estimator", "value", f"{report.logged.confidence:.0%} interval", "ESS")
    logged = report.logged
    table.add_row(
        "champion",
        "logged mean",
        f"{logged.value:.4f}",
        f"{logged.low:.4f} - {logged.high:.4f}",
        "",
    )
    for name, estimate in report.estimates.items():
        table.add_row(
            "challenger",
            name.upper(),
            f"{estimate.value:.4f}",
            f"{estimate.low:.4f} - {estimate.high:.4f}",
            f"{estimate.effective_sample_size:,.0f}",
        )
    console.print(table)
    console.print(
        f"challenger agrees with the logged arm on {report.agreement:.0%}; the champion chose "
        f"with certainty on {report.deterministic_share:.0%}"
    )
