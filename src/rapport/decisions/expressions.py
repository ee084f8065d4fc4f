"""Rule expressions: evaluated by zen-engine (GoRules' expression language), never by ``eval``."""

from __future__ import annotations

import json
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
    try:
        return compile_rule(source).evaluate(dict(context))
    except RuntimeError as error:
        raise ExpressionError(_explain(error)) from None


def _explain(error: RuntimeError) -> str:
    # zen-engine puts a JSON object on the first line, then a native backtrace.
    first = str(error).splitlines()[0] if str(error) else ""
    try:
        detail = json.loads(first)
    except ValueError:
        return first
    return str(detail.get("source") or detail.get("type") or first)
