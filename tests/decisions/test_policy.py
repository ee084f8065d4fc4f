"""Policy as data: the default loads, versions are content hashes, mistakes are named."""

from __future__ import annotations

import json

import pytest

from rapport import Engine
from rapport.decisions import policy_inputs
from rapport.decisions.policy import PolicyError, load_policy, parse_policy
from tests.events.samples import event


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


@pytest.mark.parametrize(
    ("old", "new", "where", "hint"),
    [
        (
            "0.05 + 0.4 * signals.financial_stress",
            "0.05 + 0.4 * signals.financal_stress",
            "offers.catalog.4.affinity: reads signals.financal_stress, which is no signal",
            "did you mean signals.financial_stress?",
        ),
        (
            "features.balance_mean_30d > 5000",
            "features.balance_mean_31d > 5000",
            "offers.catalog.1.eligible_when: reads features.balance_mean_31d, which is no "
            "customer feature",
            "did you mean features.balance_mean_30d?",
        ),
    ],
)
def test_a_rule_over_a_name_that_is_no_input_is_refused_when_loaded(
    old: str, new: str, where: str, hint: str
) -> None:
    """Not met as a null at the first decision (zen-engine refuses arithmetic on null)."""
    text = load_policy().text
    assert old in text
    with pytest.raises(PolicyError) as raised:
        parse_policy(text.replace(old, new), "test.yaml")
    (problem,) = raised.value.problems
    assert problem.startswith(where), problem
    assert hint in problem


def test_open_namespaces_take_any_name() -> None:
    """A request's context and what customers declare are not in the catalog."""
    text = (
        "name: x\nfraud:\n  always_step_up:\n"
        "    - {name: ok, when: 'event.anything > 1 and declared.whatever == \"y\"', reason: r}"
    )
    assert parse_policy(text).policy.fraud.always_step_up[0].name == "ok"


def test_a_recorded_policy_replays_after_a_feature_it_reads_is_gone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A decision carries the inputs it read: renaming a feature later must not make the
    decisions taken under the old name unreplayable, though no new policy may read it."""
    login = event("login", customer_id="c-1")
    with Engine("memory://") as engine:
        engine.ingest([json.dumps(event("transaction", customer_id="c-1")).encode()])
        (decision,) = engine.decide_event(json.dumps(login).encode())
        shrunk = {
            space: names - {"balance_mean_30d"} for space, names in policy_inputs.catalog().items()
        }
        monkeypatch.setattr(policy_inputs, "catalog", lambda: shrunk)
        with pytest.raises(PolicyError, match=r"features\.balance_mean_30d"):
            parse_policy(load_policy().text)
        original, again = engine.replay(decision.decision_id)
        assert original.outcome() == again.outcome()
