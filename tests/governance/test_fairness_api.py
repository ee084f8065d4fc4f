"""Over HTTP: the fairness monitor's figures and breaches in /metrics and the audit log, and
PUT /v1/policy refusing a policy that breaks the thresholds unless an admin gives a reason."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rapport import Engine
from rapport.api import create_app
from rapport.api.keys import KeyStore
from rapport.decisions.policy import load_policy
from rapport.governance.audit_log import AuditLog

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _event(
    customer: str, name: str, kind: str, when: dt.datetime, payload: dict[str, Any]
) -> dict[str, Any]:
    return {
        "event_id": f"{customer}-{name}",
        "type": kind,
        "customer_id": customer,
        "timestamp": when.isoformat(),
        "payload": payload,
    }


def _history(customers: int = 120) -> list[dict[str, Any]]:
    """Women repay late and men on time: credit reviews split cleanly by sex."""
    events: list[dict[str, Any]] = []
    for i in range(customers):
        customer, female = f"c-{i:03d}", i % 2 == 0
        base = START + dt.timedelta(seconds=i)
        events.append(_event(customer, "who", "customer_update", base, {
            "attributes": {"declared_income": 40_000},
            "protected": {"sex": "female" if female else "male", "age": 30 + i % 40},
        }))  # fmt: skip
        for month in range(3):
            when = base + dt.timedelta(days=20 + 30 * month)
            events.append(_event(customer, f"repay-{month}", "repayment", when, {
                "account_id": f"card-{i}", "amount": 100.0, "days_late": 40 if female else -2,
            }))  # fmt: skip
        # Just over half the limit in use: a clean payer is offered an increase.
        events.append(_event(customer, "statement", "statement", base + dt.timedelta(days=90), {
            "account_id": f"card-{i}", "balance": 780.0, "credit_limit": 1500.0,
        }))  # fmt: skip
    return sorted(events, key=lambda e: str(e["timestamp"]))


class Api:
    def __init__(self, client: TestClient, engine: Engine, keys: KeyStore) -> None:
        self.client, self.engine = client, engine
        self.admin = keys.create(["admin"])[1]
        self.reader = keys.create(["read"])[1]

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> Any:
        return self.client.request(method, path, headers={"X-API-Key": key}, **kwargs)

    def audit(self) -> AuditLog:
        monitors = self.engine.monitors
        assert monitors is not None
        return monitors.audit


@pytest.fixture
def api() -> Iterator[Api]:
    engine, keys = Engine("memory://"), KeyStore("memory://")
    with TestClient(create_app(engine, keys)) as client:
        instance = Api(client, engine, keys)
        answer = instance.call("POST", "/v1/events", instance.admin, json=_history())
        assert answer.status_code == 200, answer.text
        yield instance
    engine.close()
    keys.close()


def test_the_monitor_reports_breaches_in_metrics_and_the_audit_log(api: Api) -> None:
    figures = api.call("GET", "/v1/fairness", api.reader).json()
    [credit] = [k for k in figures["kinds"] if k["kind"] == "credit_limit"]
    assert credit["decisions"] == 120
    [by_sex] = [g for g in credit["groupings"] if g["name"] == "sex"]
    rates = {g["label"]: g["favorable_rate"]["value"] for g in by_sex["groups"]}
    assert rates["sex=female"] == 0.0
    assert rates["sex=male"] > 0.5
    assert any(a["grouping"] == "sex" for a in figures["alerts"])
    metrics = api.client.get("/metrics").text
    assert (
        'rapport_fairness_adverse_impact_ratio{grouping="sex",kind="credit_limit"} 0.0' in metrics
    )
    assert (
        'rapport_fairness_breach{grouping="sex",kind="credit_limit",metric="adverse_impact_ratio"}'
        " 1.0" in metrics
    )
    [record] = [r for r in api.audit().scan() if r.act == "fairness.alert"]
    assert record.actor == "fairness-monitor"
    assert any(alert["grouping"] == "sex" for alert in record.details["alerts"])


def test_put_policy_refuses_a_breaching_policy_unless_overridden(api: Api) -> None:
    before = api.call("GET", "/v1/policy", api.reader).json()["version"]
    candidate = load_policy().text.replace("decline_at: 0.5", "decline_at: 0.6")
    refused = api.call("PUT", "/v1/policy", api.admin, content=candidate)
    assert refused.status_code == 409, refused.text
    detail = refused.json()["detail"]
    assert detail["act"] == "policy.refused"
    assert any(b["grouping"] == "sex" for b in detail["breaches"])
    assert api.call("GET", "/v1/policy", api.reader).json()["version"] == before
    accepted = api.call(
        "PUT",
        "/v1/policy",
        api.admin,
        content=candidate,
        params={"override_reason": "temporary, remediation plan FR-12"},
    )
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["act"] == "policy.overridden"
    assert api.call("GET", "/v1/policy", api.reader).json()["version"] != before
    acts = [(r.act, r.actor) for r in api.audit().scan()]
    assert [act for act, _ in acts] == ["policy.refused", "policy.overridden"]
    assert all(actor.startswith("api:key-") for _, actor in acts)
    assert api.audit().verify().ok


def test_put_policy_refuses_a_rule_on_a_protected_attribute(api: Api) -> None:
    bad = load_policy().text.replace("signals.vulnerability >= 0.5", "protected.sex == 'female'")
    answer = api.call("PUT", "/v1/policy", api.admin, content=bad)
    assert answer.status_code == 422
    assert any("protected attribute" in problem for problem in answer.json()["detail"])
    [record] = list(api.audit().scan())
    assert record.act == "policy.refused"
