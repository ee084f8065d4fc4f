"""``rapport train``: a LightGBM model for fraud or credit limits from an events file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from rapport.cli.common import JsonOption, console, emit_json, err_console, progress_bar
from rapport.learning.calibration import Method
from rapport.learning.gbm_config import GbmConfig

TrainableKind = Literal["fraud", "credit_limit"]
# The ledger's size budget is an average per record: screenings are most decisions, credit
# reviews a few a month per customer.
DEFAULT_MAX_FEATURES: dict[str, int | None] = {"fraud": 24, "credit_limit": None}


def train(
    kind: Annotated[TrainableKind, typer.Argument(help="fraud or credit_limit")],
    events: Annotated[Path, typer.Argument(help="JSON Lines file of v1 events, with outcomes")],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the model and card to")],
    policy: Annotated[Path | None, typer.Option(help="Policy YAML (default: shipped)")] = None,
    validation_share: Annotated[
        float, typer.Option(help="Latest share of the decisions held out for validation")
    ] = GbmConfig().validation_share,
    max_features: Annotated[
        int | None,
        typer.Option(
            help="Most inputs the model may read, each recorded with every decision it scores "
            "(default: 24 for fraud, whose screenings are most decisions; all for credit_limit)"
        ),
    ] = None,
    calibration: Annotated[str, typer.Option(help="platt or isotonic")] = "platt",
    maturity_days: Annotated[
        float | None,
        typer.Option(
            help="Leave out decisions this recent at the end of the file, their outcome may "
            "still come (default: 14 for fraud, 0 for credit_limit)"
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Replay the file, gather the point-in-time inputs of every KIND decision the policy
    triggers and the labels later outcomes give them, train with a time-ordered validation
    split, and write OUT/model.bin, OUT/model.txt and OUT/card.json."""
    # Imported here: training imports LightGBM and scikit-learn (most of a second), which no
    # other command needs.
    from rapport.learning.collect import collect  # noqa: PLC0415
    from rapport.learning.model_dir import write_model_dir  # noqa: PLC0415
    from rapport.learning.training import TrainingError, train_scorer  # noqa: PLC0415

    if not events.exists():
        raise typer.BadParameter(f"{events} does not exist", param_hint="EVENTS")
    if calibration not in ("platt", "isotonic"):
        raise typer.BadParameter("platt or isotonic", param_hint="--calibration")
    method: Method = "platt" if calibration == "platt" else "isotonic"
    lines = [line.strip() for line in events.read_bytes().splitlines() if line.strip()]
    with progress_bar("events") as progress:
        task = progress.add_task("replay", total=len(lines))
        collected = collect(
            kind,
            lines,
            str(policy) if policy else None,
            lambda n: progress.advance(task, n),
            maturity_days,
        )
    config = GbmConfig(
        validation_share=validation_share,
        max_features=max_features if max_features is not None else DEFAULT_MAX_FEATURES[kind],
        calibration=method,
    )
    try:
        artifact = train_scorer(collected.table, config)
    except TrainingError as error:
        err_console.print(f"[red]cannot train a {kind} model: {error}[/red]")
        raise typer.Exit(1) from None
    write_model_dir(artifact, out)
    card = artifact.card
    validation = card["validation"]
    assert isinstance(validation, dict)
    summary = {
        "kind": kind,
        "version": artifact.version,
        "out": str(out),
        "decisions": collected.decisions,
        "rows": card["rows"],
        "positives": card["positives"],
        "unlabelled": collected.unlabelled,
        "too_recent": collected.immature,
        "features": len(card["features"]) if isinstance(card["features"], list) else 0,
        "validation": {k: v for k, v in validation.items() if k != "note"},
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"{kind} model {artifact.version}: {summary['rows']:,} decisions "
            f"({summary['positives']:,} positive), {summary['features']} inputs, validation "
            f"ROC AUC {validation['roc_auc']}, AP {validation['average_precision']}, "
            f"Brier {validation['brier']} → {out}"
        )
