"""Names of protected attributes, and the check that keeps them out of policy rules.

A policy rule that names a protected attribute (``protected.sex``, ``age``, ``customer.gender``,
``features["marital_status"]``...) is refused when the policy loads, whatever the attribute's
value could be: the decision context never holds them (DESIGN.md principle 7), so such a rule is
either a mistake or an attempt to discriminate. A proxy (a feature merely correlated with age)
cannot be caught by its name; the fairness monitor and the pre-deployment check catch those by
their effect.

This module holds names only, no data: the decision code may import it.
"""

from __future__ import annotations

import re

PROTECTED_NAMESPACE = "protected"
"""The namespace ``customer_update.protected`` values would have in a decision context."""

PROTECTED_ATTRIBUTES = frozenset(
    {
        "sex",
        "gender",
        "gender_identity",
        "sexual_orientation",
        "age",
        "age_band",
        "age_years",
        "date_of_birth",
        "dob",
        "birth_date",
        "birthdate",
        "birth_year",
        "year_of_birth",
        "marital_status",
        "civil_status",
        "civil_partnership",
        "pregnancy",
        "pregnant",
        "maternity",
        "race",
        "racial_origin",
        "ethnicity",
        "ethnic_origin",
        "colour",
        "color",
        "skin_colour",
        "skin_color",
        "religion",
        "religious_belief",
        "belief",
        "nationality",
        "national_origin",
        "citizenship",
        "disability",
        "disabled",
        "health_condition",
        "genetic_data",
        "trade_union",
        "union_membership",
        "political_opinion",
    }
)
"""Protected characteristics (EU Charter art. 21, UK Equality Act 2010, US ECOA / Reg B), as
the names a rule could use for them. Matched against whole name segments, case-insensitively:
``age`` is refused, ``device.device_age_days`` is not."""

# Quoted text first, so that a protected word inside a string literal ('age' as a message) is
# not mistaken for a name, but a quoted key in brackets (features["age"]) still is.
_BRACKET_KEY = re.compile(r"""\[\s*(?:'([^']*)'|"([^"]*)")\s*\]""")
_STRING = re.compile(r"""'[^']*'|"[^"]*"|`[^`]*`""")
_PATH = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*(?:\s*\.\s*[A-Za-z_$][A-Za-z0-9_$]*)*")


def protected_references(expression: str) -> list[str]:
    """The protected attributes an expression names, in order of appearance (none: [])."""
    found: list[str] = []

    def note(name: str) -> None:
        if name not in found:
            found.append(name)

    for match in _BRACKET_KEY.finditer(expression):
        key = (match.group(1) if match.group(1) is not None else match.group(2)).strip().lower()
        if key in PROTECTED_ATTRIBUTES or key == PROTECTED_NAMESPACE:
            note(key)
    code = _STRING.sub(" ", expression)
    for match in _PATH.finditer(code):
        segments = [part.strip().lower() for part in match.group(0).split(".")]
        if segments[0] == PROTECTED_NAMESPACE:
            note(".".join(segments))
            continue
        for segment in segments:
            if segment in PROTECTED_ATTRIBUTES:
                note(segment)
    return found


def refuse_protected(expression: str) -> str:
    """The expression, or ``ValueError`` saying which protected attributes it names."""
    named = protected_references(expression)
    if named:
        raise ValueError(
            f"names protected attribute(s) {', '.join(named)}: protected data never reaches a "
            "decision rule (it is read only by the fairness monitor)"
        )
    return expression
