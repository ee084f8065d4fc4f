"""The HTTP service: auth and scopes, events and decisions, reads, policy, metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rapport import Engine
from rapport.api import create_app
from rapport.api.keys import KeyStore
from rapport.profiles.native import kernels
from tests.decisions.test_credit_and_offers import good_payer
from tests.profiles.samples import at, debit

HOME = {"lat": 48.85, "lon": 2.35, "country": "FR"}


class Api:
    def __init__(self, client: TestClient, keys: KeyStore) -> None:
        self.client = client
        self.keys = keys
        self.admin = keys.create(["admin"])[1]
        self.reader = keys.create(["read"])[1]
        self.ingester = keys.create(["ingest"])[1]
        self.decider = keys.create(["decide"])[1]

    def call(self, method: str, path: str, key: str | None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if key:
            headers["X-API-Key"] = key
        return self.client.request(method, path, headers=headers, **kwargs)


@pytest.fixture(params=["memory", "sqlite"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Api]:
    url = "memory://" if request.param == "memory" else str(tmp_path / "r.db")
    engine = Engine(url)
    keys = KeyStore(url)
    with TestClient(create_app(engine, keys)) as client:
        yield Api(client, keys)
    engine.close()
    keys.close()


def test_no_key_wrong_scope_and_revoked_key(api: Api) -> None:
    assert api.call("GET", "/v1/policy", None).status_code == 401
    assert api.call("GET", "/v1/policy", "rk_forged").status_code == 401
    assert api.call("GET", "/v1/policy", api.ingester).status_code == 403
    assert api.call("GET", "/v1/policy", api.reader).status_code == 200
    assert api.call("GET", "/v1/policy", api.admin).status_code == 200  # admin holds every scope
    key_id, secret = api.keys.create(["read"])
    assert api.call("GET", "/v1/policy", secret).status_code == 200
    assert api.keys.revoke(key_id)
    assert api.call("GET", "/v1/policy", secret).status_code == 401
    bearer = api.client.get("/v1/policy", headers={"Authorization": f"Bearer {api.reader}"})
    assert bearer.status_code == 200


def test_openapi_declares_the_api_key_scheme_on_protected_routes(api: Api) -> None:
    spec = api.client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")
    decide = spec["paths"]["/v1/decisions/next_best_action"]["post"]
    assert decide["security"] == [{"ApiKey": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_events_are_ingested_and_transactions_screened_first(api: Api) -> None:
    history = [
        debit(f"g{d}", at(d, 3), 30.0 + d % 7, merchant=f"m{d % 3}", location=HOME)
        for d in range(30)
    ]
    response = api.call("POST", "/v1/events", api.ingester, json=history)
    assert response.status_code == 200
    body = response.json()
    assert body["accepted"] == 30
    assert len(body["decisions"]) == 30
    assert {d["kind"] for d in body["decisions"]} == {"fraud"}
    bad = api.call("POST", "/v1/events", api.ingester, json={"event_id": "x", "type": "nope"})
    assert bad.status_code == 422
    assert bad.json()["verdicts"][0]["code"] == "unknown_event_type"
    profile = api.call("GET", "/v1/customers/c1", api.reader)
    assert profile.status_code == 200
    assert profile.json()["event_count"] == 30
    assert "vulnerability" in profile.json()["signals"]
    assert api.call("GET", "/v1/customers/nobody", api.reader).status_code == 404


def test_decisions_on_request_read_back_and_replay(api: Api) -> None:
    api.call("POST", "/v1/events", api.ingester, json=good_payer())
    taken = api.call("POST", "/v1/decisions/credit_limit", api.decider, json={"customer_id": "c1"})
    assert taken.status_code == 200
    decision = taken.json()
    assert decision["action"] in {"increase", "hold", "decrease"}
    assert (
        api.call(
            "POST", "/v1/decisions/credit_limit", api.reader, json={"customer_id": "c1"}
        ).status_code
        == 403
    )
    read = api.call("GET", f"/v1/decisions/{decision['decision_id']}", api.reader)
    assert read.json()["decision_id"] == decision["decision_id"]
    replayed = api.call("POST", f"/v1/decisions/{decision['decision_id']}/replay", api.reader)
    assert replayed.json()["reproduced"] is True
    assert api.call("GET", "/v1/decisions/dec-missing", api.reader).status_code == 404
    unknown = api.call("POST", "/v1/decisions/pricing", api.decider, json={"customer_id": "ghost"})
    assert unknown.status_code == 404
    extra = api.call(
        "POST", "/v1/decisions/pricing", api.decider, json={"customer_id": "c1", "x": 1}
    )
    assert extra.status_code == 422
    assert extra.json()["detail"][0]["loc"] == ["body", "x"]


def test_fraud_endpoint_names_the_bad_field(api: Api) -> None:
    event = debit("t1", at(1), -5.0)
    response = api.call("POST", "/v1/decisions/fraud", api.decider, json={"event": event})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "event", "payload", "amount"]


def test_policy_is_replaced_only_when_valid(api: Api) -> None:
    current = api.call("GET", "/v1/policy", api.reader).json()
    refused = api.call(
        "PUT",
        "/v1/policy",
        api.admin,
        content="name: x\nfraud: {decline_at: 2}",
        headers={"Content-Type": "text/plain", "X-API-Key": api.admin},
    )
    assert refused.status_code == 422
    assert any("fraud.decline_at" in p for p in refused.json()["detail"])
    assert api.call("PUT", "/v1/policy", api.reader, content="name: x").status_code == 403
    changed = current["text"].replace("decline_at: 0.5", "decline_at: 0.6")
    accepted = api.call("PUT", "/v1/policy", api.admin, content=changed)
    assert accepted.status_code == 200
    assert accepted.json()["version"] != current["version"]


def test_health_readiness_and_metrics(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json()["status"] == "ready"
    api.call("POST", "/v1/events", api.ingester, json=[debit("t1", at(1), 20.0), {"type": "nope"}])
    metrics = api.client.get("/metrics").text
    assert 'rapport_decisions_total{action="approve",kind="fraud"} 1.0' in metrics
    assert 'rapport_events_rejected_total{code="unknown_event_type"} 1.0' in metrics
    assert "rapport_decision_seconds_bucket" in metrics
    assert f"rapport_fold_compiled {1.0 if kernels is not None else 0.0}" in metrics


def test_concurrent_requests_lose_no_update(api: Api) -> None:
    """Eight clients post interleaved events for the same customer at once: every event counts."""
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    def post(worker: int) -> int:
        events = [
            debit(f"w{worker}-{i}", at(1, worker * 0.1 + i * 0.9), 10.0 + i, merchant="m1")
            for i in range(10)
        ]
        response = api.call("POST", "/v1/events", api.ingester, json=events)
        assert response.status_code == 200
        accepted: int = response.json()["accepted"]
        return accepted

    with ThreadPoolExecutor(max_workers=8) as pool:
        accepted = sum(pool.map(post, range(8)))
    assert accepted == 80
    profile = api.call("GET", "/v1/customers/c1", api.reader).json()
    assert profile["event_count"] == 80
    merchant_debits = profile["features"]["debit_count_90d"]["value"]
    assert merchant_debits > 75  # all 80 debits folded (decayed over a few hours)
