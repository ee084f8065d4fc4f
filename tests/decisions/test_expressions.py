"""A rule expression is handed only the inputs it names; its result must be exactly the one it
gives over the whole context (zen-engine itself, evaluated on everything, is the reference)."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.decisions.expressions import compile_rule, evaluate
from rapport.decisions.policy import load_policy

SPACES = ("features", "signals", "event")
KEYS = ("a", "b", "stress", "type")
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(-5, 5, allow_nan=False),
    st.sampled_from(["login", "card", "features", "a"]),
)
CONTEXTS = st.dictionaries(
    st.sampled_from(SPACES), st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4), max_size=3
)
READS = st.builds(lambda s, k: f"{s}.{k}", st.sampled_from(SPACES), st.sampled_from(KEYS))
TESTS = st.one_of(
    st.builds(lambda r, c: f"{r} >= {c}", READS, st.floats(-3, 3, allow_nan=False)),
    st.builds(lambda r, w: f'{r} == "{w}"', READS, st.sampled_from(["login", "card", "a"])),
    st.builds(lambda r: f"{r} == null", READS),
    st.builds(lambda r, s: f'{r} == "{s}.a"', READS, st.sampled_from(SPACES)),
    st.builds(lambda s: f'{s}["a"] == 1', st.sampled_from(SPACES)),
)
EXPRESSIONS = st.one_of(
    TESTS,
    st.builds(lambda x, y: f"{x} and {y}", TESTS, TESTS),
    st.builds(lambda x, y: f"({x}) or not ({y})", TESTS, TESTS),
    st.builds(lambda r, c: f"{c} + 2 * {r}", READS, st.floats(-1, 1, allow_nan=False)),
)


def _whole(source: str, context: dict[str, Any]) -> Any:
    """zen over everything; a failure over a name that is missing or null is unknown (None),
    as rapport.decisions.expressions documents; any other failure is an error."""
    try:
        return ("ok", compile_rule(source).evaluate(context))
    except RuntimeError:  # zen's own error
        dotted = re.findall(r"\b(features|signals|event)\.(\w+)", source)
        if any(context.get(space, {}).get(key) is None for space, key in dotted):
            return ("ok", None)
        return ("error",)
    except ValueError:  # at compiling
        return ("error",)


def _narrowed(source: str, context: dict[str, Any]) -> Any:
    try:
        return ("ok", evaluate(source, context))
    except ValueError:
        return ("error",)


@settings(max_examples=400, deadline=None)
@given(source=EXPRESSIONS, context=CONTEXTS)
def test_the_inputs_an_expression_names_give_its_whole_result(
    source: str, context: dict[str, Any]
) -> None:
    assert _narrowed(source, context) == _whole(source, context)


def test_every_default_policy_rule_reads_alike_over_a_full_context() -> None:
    policy = load_policy().policy
    rules = [s for o in policy.offers.catalog for s in (o.eligible_when, o.affinity)]
    assert rules
    # Every name the rules read, among forty more they do not.
    context: dict[str, dict[str, Any]] = {
        "features": {f"unread_{i}": float(i) for i in range(40)},
        "event": {"type": "request", "purpose": "service"},
    }
    for source in rules:
        for space, key in re.findall(r"\b(features|signals|event|declared)\.(\w+)", source):
            context.setdefault(space, {})[key] = 0.3 + len(key) / 10
    for source in rules:
        assert evaluate(source, context) == compile_rule(source).evaluate(context), source
