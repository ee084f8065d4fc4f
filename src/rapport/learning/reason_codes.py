"""Readable reasons from a model's contributions: input name -> reason code and words.

A learned model's reasons are its own contributions (TreeSHAP for LightGBM): how much each input
moved this decision's log-odds. Each input name maps to a stable code (``FRD_DEBIT_COUNT_1H``,
``ADV_LATE_SHARE_90D``) and to words taken from the feature catalog's description, so that a
customer, an auditor or a complaint handler reads the same thing the catalog declares.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from rapport.decisions.record import ReasonCode, Value
from rapport.profiles.fold import build_layouts
from rapport.signals import SIGNALS

BASE = "(base)"
"""The key of a model's expected value in its contributions (not a reason)."""

PRIORS: dict[str, str] = {}
"""Words of the built-in behavioral terms a learned model may start from (``prior.CODE``),
registered by the module that defines them."""

_EVENT_WORDS = {
    "amount": "the transaction amount",
    "channel": "the channel used",
    "direction": "the direction of the payment",
    "type": "the kind of event",
    "hour": "the hour of the event",
    "category": "the spending category",
    "mcc": "the merchant category code",
    "country": "the country of the event",
}


@functools.cache
def _catalog() -> dict[str, str]:
    """``space.feature`` -> description, for every declared feature of every entity."""
    spaces = {"customer": "features", "merchant": "merchant", "device": "device"}
    return {
        f"{spaces[str(entity)]}.{spec.name}": spec.description
        for entity, layout in build_layouts().items()
        for spec in layout.specs
    }


def describe(name: str) -> str:
    """Words for an input name (``features.x``, ``signals.y``, ``event.z``, ``declared.w``)."""
    found = _catalog().get(name)
    if found is not None:
        return found
    space, _, tail = name.partition(".")
    words = tail.replace("_", " ")
    if space == "signals":
        known = {signal.name for signal in SIGNALS}
        return f"the customer's {words} signal" if tail in known else f"signal {words}"
    if space == "event":
        return _EVENT_WORDS.get(tail, f"the event's {words}")
    if space == "declared":
        return f"declared {words}"
    if space == "prior":
        return PRIORS.get(tail, words)
    return name


def code(prefix: str, name: str) -> str:
    """A stable reason code: ``prefix`` then the input's own name (behavioral priors keep
    their code)."""
    space, _, tail = name.partition(".")
    if space == "prior":
        return tail
    return f"{prefix}_{tail.upper()}"


def _shown(value: Value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def top_reasons(
    contributions: Mapping[str, float],
    inputs: Mapping[str, Value],
    prefix: str,
    count: int = 4,
) -> list[ReasonCode]:
    """The ``count`` inputs that raised the score most, strongest first, as reason codes."""
    raised = sorted(
        ((name, c) for name, c in contributions.items() if name != BASE and c > 1e-6),
        key=lambda item: (-item[1], item[0]),
    )[:count]
    reasons = []
    for name, contribution in raised:
        text = describe(name)
        if name in inputs:
            text = f"{text}: {_shown(inputs[name])}"
        reasons.append(ReasonCode(code(prefix, name), text, round(contribution, 6)))
    return reasons
