"""A model as the registry keeps it: bytes, a card, and a version that is their hash."""

from __future__ import annotations

import hashlib
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rapport.learning.model import Model


@dataclass(frozen=True)
class Artifact:
    kind: str
    """The decision kind the model serves (``fraud``, ``next_best_action``, ...)."""
    type: str
    """How to load it: the name a loader registered (``lightgbm``, ``vw-cb-adf``, ...)."""
    payload: bytes
    card: Mapping[str, object] = field(default_factory=dict)
    """The model card: training window, data hash, features, metrics (JSON-able)."""

    @property
    def version(self) -> str:
        """Same bytes, same version: a decision names exactly the model it used."""
        digest = hashlib.sha256(self.type.encode() + b"\0" + self.payload).hexdigest()
        return f"{self.type}-{digest[:16]}"

    def card_json(self) -> str:
        return json.dumps(dict(self.card), sort_keys=True, default=str)


Loader = Callable[[Artifact], Model]
LOADERS: dict[str, Loader] = {}


def loader(type_name: str) -> Callable[[Loader], Loader]:
    """Register how artifacts of ``type_name`` become models (one loader per model family)."""

    def register(function: Loader) -> Loader:
        LOADERS[type_name] = function
        return function

    return register


class UnknownModelTypeError(LookupError):
    pass


BUILTIN_LOADERS: dict[str, str] = {
    "lightgbm": "rapport.learning.gbm",
    "vw-cb-adf": "rapport.learning.bandit",
}
"""Model type -> the module whose import registers its loader (imported on first use, so a
model's library is loaded only when a model of its type is)."""


def load(artifact: Artifact) -> Model:
    module = BUILTIN_LOADERS.get(artifact.type)
    if artifact.type not in LOADERS and module is not None:
        importlib.import_module(module)
    try:
        make = LOADERS[artifact.type]
    except KeyError:
        raise UnknownModelTypeError(
            f"no loader for model type {artifact.type!r} (known: {sorted(LOADERS)})"
        ) from None
    return make(artifact)
