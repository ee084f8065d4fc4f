"""A trained model on disk: ``DIR/model.bin`` (the artifact's bytes, whose hash is its version),
``DIR/model.txt`` (LightGBM's own text, for other tools) and ``DIR/card.json`` (the model card).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rapport.learning.artifact import Artifact

if TYPE_CHECKING:
    from rapport.engine import Engine

PAYLOAD = "model.bin"
CARD = "card.json"
TEXT = "model.txt"


def write_model_dir(artifact: Artifact, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / PAYLOAD).write_bytes(artifact.payload)
    card = {
        "version": artifact.version,
        **dict(artifact.card),
        "kind": artifact.kind,
        "type": artifact.type,
    }
    (folder / CARD).write_text(json.dumps(card, indent=2, sort_keys=True, default=str) + "\n")
    if artifact.type == "lightgbm":
        model = json.loads(artifact.payload).get("model")
        if isinstance(model, str):
            (folder / TEXT).write_text(model)


class ModelDirError(ValueError):
    pass


def read_model_dir(folder: Path) -> Artifact:
    """The artifact a ``rapport train`` folder holds (its version checked against its card)."""
    try:
        payload = (folder / PAYLOAD).read_bytes()
        card = json.loads((folder / CARD).read_text())
    except FileNotFoundError as error:
        raise ModelDirError(f"{folder} is not a trained model folder: {error}") from None
    artifact = Artifact(str(card["kind"]), str(card["type"]), payload, card)
    recorded = card.get("version")
    if recorded is not None and recorded != artifact.version:
        raise ModelDirError(
            f"{folder}/{PAYLOAD} is not the model its card describes "
            f"({artifact.version} != {recorded})"
        )
    return artifact


def parse_model_option(value: str) -> Artifact:
    """``KIND=DIR`` (the ``--model`` option of replay and serve) -> the artifact, kind checked."""
    kind, sep, folder = value.partition("=")
    if not sep or not kind or not folder:
        raise ModelDirError(f"--model takes KIND=DIR, not {value!r}")
    artifact = read_model_dir(Path(folder))
    if artifact.kind != kind:
        raise ModelDirError(f"{folder} holds a {artifact.kind} model, not a {kind} one")
    return artifact


def use_models(engine: Engine, artifacts: Iterable[Artifact]) -> None:
    """Decide each artifact's kind with it, pinned: the kind's online learner (if the policy
    has one) stops for this engine, or its first publication would replace the model given."""
    for artifact in artifacts:
        engine.decisions.use_model(artifact)
        learner = engine.learning.learners.pop(artifact.kind, None)
        hook = getattr(learner, "observe_decision", None)
        if hook is not None and hook in engine.decisions.observers:
            engine.decisions.observers.remove(hook)
