"""`rapport catalog --json`: the names rules and models read, as a profile reports them."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from rapport import Engine
from rapport.cli.main import app
from rapport.decisions.policy import load_policy
from rapport.decisions.policy_inputs import REFERENCE
from tests.events.samples import event

LOGIN = event("login", customer_id="c-1")


def test_the_json_catalog_lists_what_a_profile_reports_and_what_rules_read() -> None:
    result = CliRunner().invoke(app, ["catalog", "--json"])
    assert result.exit_code == 0, result.output
    catalog = json.loads(result.stdout.strip().splitlines()[-1])
    customer = {f["name"] for f in catalog["entities"]["customer"]}
    with Engine("memory://") as engine:
        engine.ingest([json.dumps(LOGIN).encode()])
        profile = engine.profile("c-1")
    assert customer == set(profile.features)
    assert set(catalog["signals"]) == set(profile.signals)
    read = {m for s, m in REFERENCE.findall(load_policy().text) if s == "features"}
    assert read
    assert read <= customer
    assert all(f["meaning"] and f["unit"] for f in catalog["entities"]["customer"])
