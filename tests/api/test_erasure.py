"""DELETE /v1/customers/{id}: admin only; afterwards the customer's decisions are 410 Gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from rapport import Engine
from rapport.api import create_app
from rapport.api.keys import KeyStore
from rapport.governance.ledger import verify
from tests.api.test_service import Api
from tests.governance.erasure_samples import ERASED, PERSONAL, erased_history, other_history


@pytest.fixture(params=["memory", "sqlite"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Api, Engine]]:
    url = "memory://" if request.param == "memory" else str(tmp_path / "rapport.db")
    engine = Engine(url)
    keys = KeyStore(url)
    with TestClient(create_app(engine, keys)) as client:
        yield Api(client, keys), engine
    engine.close()
    keys.close()


def _ingest(api: Api) -> tuple[list[str], list[str]]:
    events = sorted([*erased_history(), *other_history()], key=lambda e: str(e["timestamp"]))
    response = api.call("POST", "/v1/events", api.ingester, json=events)
    assert response.status_code == 200, response.text
    decisions = response.json()["decisions"]
    mine = [d["decision_id"] for d in decisions if d["customer_id"] == ERASED]
    theirs = [d["decision_id"] for d in decisions if d["customer_id"] != ERASED]
    assert mine
    assert theirs
    return mine, theirs


def test_erasure_needs_the_admin_scope(served: tuple[Api, Engine]) -> None:
    api, _ = served
    _ingest(api)
    assert api.call("DELETE", f"/v1/customers/{ERASED}", None).status_code == 401
    for key in (api.reader, api.ingester, api.decider):
        assert api.call("DELETE", f"/v1/customers/{ERASED}", key).status_code == 403
    assert api.call("GET", f"/v1/customers/{ERASED}", api.reader).status_code == 200


def test_delete_erases_and_the_decisions_are_gone(served: tuple[Api, Engine]) -> None:
    api, engine = served
    mine, theirs = _ingest(api)
    response = api.call("DELETE", f"/v1/customers/{ERASED}", api.admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["erased"] is True
    assert body["counts"]["decisions"] == len(mine)
    assert body["actor"].startswith("api:key-")
    assert ERASED not in response.text
    assert all(identifier not in response.text for identifier in PERSONAL)

    assert api.call("GET", f"/v1/customers/{ERASED}", api.reader).status_code == 404
    for decision_id in mine:
        got = api.call("GET", f"/v1/decisions/{decision_id}", api.reader)
        assert got.status_code == 410
        assert "erased" in got.json()["detail"]
        replayed = api.call("POST", f"/v1/decisions/{decision_id}/replay", api.reader)
        assert replayed.status_code == 410
    for decision_id in theirs[:10]:
        replayed = api.call("POST", f"/v1/decisions/{decision_id}/replay", api.reader)
        assert replayed.status_code == 200
        assert replayed.json()["reproduced"] is True
    assert api.call("GET", "/v1/decisions/dec-never", api.reader).status_code == 404
    again = api.call("DELETE", f"/v1/customers/{ERASED}", api.admin)
    assert again.status_code == 410
    assert api.call("DELETE", "/v1/customers/nobody", api.admin).status_code == 404
    assert verify(engine.decisions.ledger).ok
