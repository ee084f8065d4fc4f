"""What a policy's rules read must exist: a misspelt feature or signal is refused when the policy
is loaded, not met as a null in the middle of a decision (zen-engine's arithmetic and comparisons
refuse null, so a rule over a name that is not an input would stop every decision it is in)."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterator, Mapping

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from rapport.profiles.catalog import Entity
from rapport.profiles.fold import build_layouts
from rapport.signals import SIGNALS

NAMESPACES = ("features", "merchant", "device", "signals", "event", "contacts", "declared")
"""The namespaces a decision may read; ``event``, ``contacts`` and ``declared`` are open (a
request's context, the contact counts a kind computes, what customers declared)."""
_WHAT = {
    "features": "customer feature",
    "merchant": "merchant feature",
    "device": "device feature",
    "signals": "signal",
}
REFERENCE = re.compile(r"\b(" + "|".join(NAMESPACES) + r")\.([a-z_][a-z0-9_]*)")
"""A name a rule reads, as the decision flow gathers it: namespace, then member."""


_PROFILE_SPACES = {
    Entity.CUSTOMER: "features",
    Entity.MERCHANT: "merchant",
    Entity.DEVICE: "device",
}
"""The namespace a decision reads each entity's profile under."""


def closed_inputs() -> list[tuple[str, str]]:
    """(namespace, name) of every profile feature and signal, in the layouts' order."""
    layouts = build_layouts()
    found = [
        (_PROFILE_SPACES[entity], spec.name)
        for entity, layout in layouts.items()
        for spec in layout.specs
    ]
    return found + [("signals", signal.name) for signal in SIGNALS]


@functools.lru_cache(maxsize=1)
def catalog() -> Mapping[str, frozenset[str]]:
    """The names each closed namespace holds: the profiles' features and the signals."""
    known: dict[str, set[str]] = {space: set() for space in (*_PROFILE_SPACES.values(), "signals")}
    for space, name in closed_inputs():
        known[space].add(name)
    return {space: frozenset(names) for space, names in known.items()}


def unknown_inputs(policy: BaseModel, marker: object) -> list[str]:
    """One problem per name a rule reads that no decision could gather, as 'field.path: why'.

    ``marker`` is the validator that marks a field as a rule (the field's metadata carries it).
    """
    known = catalog()
    problems: list[str] = []
    for where, source in _expressions(policy, "", marker):
        for space, member in REFERENCE.findall(source):
            names = known.get(space)
            if names is None or member in names:
                continue
            close = difflib.get_close_matches(member, names, n=1)
            hint = f" (did you mean {space}.{close[0]}?)" if close else ""
            what = _WHAT[space]
            problems.append(f"{where}: reads {space}.{member}, which is no {what}{hint}")
    return problems


def _expressions(model: BaseModel, path: str, marker: object) -> Iterator[tuple[str, str]]:
    for name, info in type(model).model_fields.items():
        where = f"{path}.{name}" if path else name
        yield from _walk(getattr(model, name), where, _marked(info, marker), marker)


def _walk(value: object, where: str, rule: bool, marker: object) -> Iterator[tuple[str, str]]:
    if isinstance(value, BaseModel):
        yield from _expressions(value, where, marker)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, f"{where}.{i}", rule, marker)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{where}.{key}", rule, marker)
    elif rule and isinstance(value, str):
        yield where, value


def _marked(info: FieldInfo, marker: object) -> bool:
    return any(getattr(meta, "func", None) is marker for meta in info.metadata)
