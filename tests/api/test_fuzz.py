"""An OpenAPI-driven fuzz run (schemathesis) finds no server error in any operation."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from rapport import Engine
from rapport.api import create_app
from rapport.api.keys import KeyStore
from tests.decisions.test_credit_and_offers import good_payer

engine = Engine("memory://")
engine.ingest(good_payer())
keys = KeyStore("memory://")
ADMIN = keys.create(["admin"])[1]
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine, keys))


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_operation_answers_with_a_server_error(case: schemathesis.Case) -> None:  # type: ignore[type-arg]
    response = case.call(headers={"X-API-Key": ADMIN})
    case.validate_response(response, checks=[not_a_server_error])
