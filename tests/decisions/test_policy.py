"""Policy as data: the default loads, versions are content hashes, mistakes are named."""

from __future__ import annotations

import pytest

from rapport.decisions.policy import PolicyError, load_policy, parse_policy


def test_default_policy_loads_with_a_stable_version() -> None:
    first, second = load_policy(), load_policy()
    assert first.version == second.version
    assert first.version.startswith("pol-")
    assert first.policy.triggers["transaction"] == ["fraud"]


def test_a_changed_threshold_is_a_new_version() -> None:
    base = load_policy()
    changed = parse_policy(base.text.replace("decline_at: 0.5", "decline_at: 0.6"))
    assert changed.version != base.version
    assert changed.policy.fraud.decline_at == 0.6


def test_comments_and_layout_do_not_change_the_version() -> None:
    base = load_policy()
    assert parse_policy("# a note\n" + base.text + "\n\n").version == base.version


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("name: x\nfraud: {decline_at: 0.05, step_up_at: 0.08}", "fraud.decline_at"),
        ("name: x\nfraud: {colour: red}", "fraud.colour"),
        ("name: x\ntriggers: {transaction: [teleport]}", "triggers.transaction.0"),
        (
            "name: x\nfraud:\n  always_step_up:\n    - {name: bad, when: 'a + * b', reason: r}",
            "fraud.always_step_up.0.when",
        ),
        (
            "name: x\nfraud:\n  always_step_up:\n    - {name: Bad Name, when: 'true', reason: r}",
            "name",
        ),
        ("[1, 2]", "mapping"),
        ("name: [unclosed", "YAML"),
    ],
)
def test_each_mistake_is_named(text: str, names: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "test.yaml")
    assert names in str(raised.value)
    assert raised.value.problems
