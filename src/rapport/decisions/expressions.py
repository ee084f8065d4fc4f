"""Rule expressions: evaluated by zen-engine (GoRules' expression language), never by ``eval``."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import zen


class ExpressionError(ValueError):
    """An expression that does not compile, with zen-engine's own explanation."""


@lru_cache(maxsize=4096)
def compile_rule(source: str) -> Any:
    """Compile once; a syntax error becomes an :class:`ExpressionError` saying where."""
    try:
        return zen.compile_expression(source)
    except RuntimeError as error:
        raise ExpressionError(_explain(error)) from None


def evaluate(source: str, context: Mapping[str, Any]) -> Any:
    """``source`` over ``context``, handed only the part of it the expression names: zen-engine
    converts its whole input on every call, which for a decision's forty inputs cost ten times
    the evaluation itself. What the expression can read is the same, so is the result.

    A rule that fails over an input that is missing (null: a card payment has no device, a
    request no event amount) is *unknown*, as in SQL: None, which no condition takes for true
    and no score for a number. zen-engine refuses arithmetic and comparisons on null, and one
    absent value must not stop the decision. Any other failure is an :class:`ExpressionError`.
    """
    read = _read_by(source, context)
    try:
        return compile_rule(source).evaluate(read)
    except RuntimeError as error:
        if _reads_null(source, read):
            return None
        raise ExpressionError(_explain(error)) from None


# A name not preceded by a dot (so not itself a member), with the member it reads, if any.
_REFERENCE = re.compile(r"(?<![.\w$])([A-Za-z_$][\w$]*)(?:\s*\.\s*([A-Za-z_$][\w$]*))?")


@lru_cache(maxsize=4096)
def _names(source: str) -> tuple[tuple[str, frozenset[str] | None], ...] | None:
    """Each top-level name in ``source`` with the members read from it (None: read whole, as
    ``features`` alone or ``features["x"]`` would be); None altogether if the expression reads
    ``$``, the whole input. Words inside string literals count too: that can only hand over
    more than is read, never less."""
    members: dict[str, set[str] | None] = {}
    for head, member in _REFERENCE.findall(source):
        if head == "$":
            return None
        known = members.setdefault(head, set())
        if known is None:
            continue
        if member:
            known.add(member)
        else:
            members[head] = None
    return tuple(
        (head, None if keys is None else frozenset(keys)) for head, keys in members.items()
    )


def _read_by(source: str, context: Mapping[str, Any]) -> dict[str, Any]:
    names = _names(source)
    if names is None:
        return dict(context)
    read: dict[str, Any] = {}
    for head, keys in names:
        if head not in context:
            continue
        value = context[head]
        if keys is None or not isinstance(value, Mapping):
            read[head] = value
        else:
            read[head] = {key: value[key] for key in keys if key in value}
    return read


def _reads_null(source: str, read: Mapping[str, Any]) -> bool:
    """Whether a member the expression reads (``features.x``) is absent or null in what it was
    handed, its namespace included."""
    for head, member in _REFERENCE.findall(source):
        if not member:
            continue  # a bare word: a namespace read whole, a function, a literal
        value = read.get(head)
        if value is None or (isinstance(value, Mapping) and value.get(member) is None):
            return True
    return False


def _explain(error: RuntimeError) -> str:
    # zen-engine puts a JSON object on the first line, then a native backtrace.
    first = str(error).splitlines()[0] if str(error) else ""
    try:
        detail = json.loads(first)
    except ValueError:
        return first
    return str(detail.get("source") or detail.get("type") or first)
