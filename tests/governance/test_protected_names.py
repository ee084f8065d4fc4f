"""A policy rule naming a protected attribute is refused at load, with the rule's path."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rapport.decisions.policy import PolicyError, load_policy, parse_policy
from rapport.governance.protected_names import PROTECTED_ATTRIBUTES, protected_references

CREDIT_RULE = """
name: x
credit_limit:
  no_increase_when:
    - name: ok
      when: "signals.vulnerability >= 0.5"
      reason: fine
    - name: sneaky
      when: "{rule}"
      reason: looks innocent
"""


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ("protected.sex == 'female'", "protected.sex"),
        ("age < 25", "age"),
        ("customer.gender != 'm'", "gender"),
        ("features.balance_mean_30d > 1 and marital_status == 'single'", "marital_status"),
        ("features['date_of_birth'] > 1990", "date_of_birth"),
        ("Nationality == 'X'", "nationality"),
        ("features.religion == 'x' or features.ethnicity == 'y'", "religion, ethnicity"),
    ],
)
def test_a_rule_naming_a_protected_attribute_is_refused_at_load(rule: str, named: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(CREDIT_RULE.format(rule=rule), "candidate.yaml")
    [problem] = raised.value.problems
    assert problem.startswith("credit_limit.no_increase_when.1.when:")
    assert f"names protected attribute(s) {named}" in problem
    assert "candidate.yaml" in str(raised.value)


def test_offers_and_fraud_rules_are_checked_too() -> None:
    text = """
name: x
fraud:
  always_step_up:
    - {name: r, when: "event.amount > 10 and age > 70", reason: r}
offers:
  catalog:
    - {id: a, product: p, value: 1, eligible_when: "true", affinity: "0.1 + sex"}
"""
    with pytest.raises(PolicyError) as raised:
        parse_policy(text)
    paths = sorted(problem.split(":")[0] for problem in raised.value.problems)
    assert paths == ["fraud.always_step_up.0.when", "offers.catalog.0.affinity"]


@pytest.mark.parametrize(
    "rule",
    [
        "device.device_age_days < 1",
        "features.share_health_30d > 0.2",
        "event.type == 'age'",  # a word inside a string is not a name
        "merchant.merchant_age_days > 3",
    ],
)
def test_names_that_merely_contain_a_protected_word_are_allowed(rule: str) -> None:
    assert protected_references(rule) == []
    parse_policy(CREDIT_RULE.format(rule=rule))


def test_the_default_policy_names_no_protected_attribute() -> None:
    assert load_policy().policy.fairness.min_adverse_impact_ratio == 0.8


_names = st.sampled_from(sorted(PROTECTED_ATTRIBUTES))
_spaces = st.sampled_from(["", "features.", "customer.", "signals."])


@given(_names, _spaces, st.sampled_from([" < 3", " == 'x'", " > 0.5 and true"]))
def test_any_protected_name_in_any_namespace_is_found(name: str, space: str, tail: str) -> None:
    assert name in protected_references(f"{space}{name}{tail}")
    assert protected_references(f"{space}{name.upper()}{tail}") != []


@given(_names)
def test_a_protected_name_only_inside_a_string_literal_is_not_a_reference(name: str) -> None:
    assert protected_references(f"event.type == '{name}'") == []


def test_fairness_settings_are_validated() -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(
            "name: x\nfairness:\n  attributes: [sex, income]\n  favorable_actions: {loans: [y]}"
        )
    text = str(raised.value)
    assert "fairness.attributes" in text
    assert "income" in text
    assert "fairness.favorable_actions" in text
    with pytest.raises(PolicyError, match=r"fairness\.colour"):
        parse_policy("name: x\nfairness: {colour: red}")
