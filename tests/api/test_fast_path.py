"""The decision endpoints' fast path answers exactly as the FastAPI routes would.

Two services over the same history, one with the fast path and one without, get the same
requests; every answer must match. And the fast path must really take the well-formed requests
(an app behind it that fails when called proves it) and hand everything else on, body intact.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Message, Receive, Scope, Send

from rapport import Engine
from rapport.api import create_app
from rapport.api.fast_path import DecisionFastPath
from rapport.api.keys import KeyStore
from rapport.api.keys import Scope as KeyScope
from rapport.api.service import Service
from tests.decisions.test_credit_and_offers import good_payer

ROLES: tuple[KeyScope, ...] = ("decide", "read", "admin")
JSON = {"Content-Type": "application/json"}


@dataclass
class Side:
    client: TestClient
    keys: dict[str, str]

    def post(self, kind: str, body: bytes, role: str | None, headers: dict[str, str]) -> Any:
        sent = dict(headers)
        if role is not None:
            sent["X-API-Key"] = self.keys[role]
        return self.client.post(f"/v1/decisions/{kind}", content=body, headers=sent)


def _side(fast_path: bool) -> tuple[Side, Engine, KeyStore]:
    engine = Engine("memory://")
    engine.ingest(good_payer())
    keys = KeyStore("memory://")
    client = TestClient(create_app(engine, keys, fast_path=fast_path))
    return Side(client, {role: keys.create([role])[1] for role in ROLES}), engine, keys


@pytest.fixture(scope="module")
def sides() -> Iterator[tuple[Side, Side]]:
    fast, fast_engine, fast_keys = _side(True)
    plain, plain_engine, plain_keys = _side(False)
    with fast.client, plain.client:
        yield fast, plain
    for engine in (fast_engine, plain_engine):
        engine.close()
    for keys in (fast_keys, plain_keys):
        keys.close()


def _same(fast: Any, plain: Any) -> None:
    assert fast.status_code == plain.status_code, (fast.text, plain.text)
    if fast.status_code != 200:
        assert fast.json() == plain.json()
        return
    ours, theirs = fast.json(), plain.json()
    # Sealing differs (each engine has its own keys, each seal a fresh nonce), and so the chain.
    for varying in ("latency_ms", "hash", "prev_hash"):
        ours.pop(varying)
        theirs.pop(varying)
    assert ours == theirs


CASES: list[tuple[str, str, str | None, dict[str, str]]] = [
    ("next_best_action", '{"customer_id": "c1", "request_id": "r1"}', "decide", JSON),
    ("credit_limit", '{"customer_id": "c1", "request_id": "r2"}', "admin", JSON),
    (
        "communication",
        '{"customer_id":"c1","request_id":"r3","context":{"purpose":"service"}}',
        "decide",
        {"Content-Type": "application/json; charset=utf-8"},
    ),
    (
        "pricing",
        '{"customer_id": "c1", "context": {"product": "personal_loan", "n": 3}}',
        "decide",
        JSON,
    ),
    ("pricing", '{"customer_id": "c1", "context": {"product": {"nested": 1}}}', "decide", JSON),
    ("next_best_action", '{"customer_id": "c1", "surprise": 1}', "decide", JSON),
    ("next_best_action", '{"customer_id": ""}', "decide", JSON),
    ("next_best_action", json.dumps({"customer_id": "c" * 129}), "decide", JSON),
    ("next_best_action", '{"customer_id": 7}', "decide", JSON),
    ("next_best_action", '{"request_id": "r9"}', "decide", JSON),
    ("next_best_action", '{"customer_id": "c1"', "decide", JSON),
    ("next_best_action", '[{"customer_id": "c1"}]', "decide", JSON),
    ("next_best_action", '{"customer_id": "c1"}', None, JSON),
    ("next_best_action", '{"customer_id": "c1"}', "read", JSON),
    ("next_best_action", '{"customer_id": "c1"}', "decide", {"Content-Type": "text/plain"}),
    ("next_best_action", '{"customer_id": "nobody"}', "decide", JSON),
    ("next_best_action", '{"customer_id": "c1", "at": "not a time"}', "decide", JSON),
    ("next_best_action", '{"customer_id": "c1", "request_id": "r1"}', "decide", JSON),
]


@pytest.mark.parametrize(("kind", "body", "role", "headers"), CASES)
def test_each_answer_is_the_routes_own(
    sides: tuple[Side, Side], kind: str, body: str, role: str | None, headers: dict[str, str]
) -> None:
    fast, plain = sides
    _same(
        fast.post(kind, body.encode(), role, headers),
        plain.post(kind, body.encode(), role, headers),
    )


def test_a_forged_key_and_a_bearer_key_are_judged_alike(sides: tuple[Side, Side]) -> None:
    fast, plain = sides
    body = b'{"customer_id": "c1", "request_id": "bearer"}'
    forged = {**JSON, "X-API-Key": "rk_forged"}
    _same(
        fast.post("next_best_action", body, None, forged),
        plain.post("next_best_action", body, None, forged),
    )
    answers = [
        side.post(
            "next_best_action",
            body,
            None,
            {**JSON, "Authorization": f"Bearer {side.keys['decide']}"},
        )
        for side in sides
    ]
    assert answers[0].status_code == 200
    _same(*answers)


def test_a_repeated_key_header_is_judged_by_its_first_value(sides: tuple[Side, Side]) -> None:
    body = b'{"customer_id": "c1", "request_id": "twice"}'
    answers = []
    for side in sides:
        headers = [
            ("content-type", "application/json"),
            ("x-api-key", "rk_forged"),
            ("x-api-key", side.keys["decide"]),
        ]
        answers.append(
            side.client.post("/v1/decisions/next_best_action", content=body, headers=headers)
        )
    assert answers[1].status_code == 401
    _same(*answers)


_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=4)
)
_BODIES = st.dictionaries(
    st.sampled_from(["customer_id", "request_id", "at", "context", "other"]),
    st.one_of(
        _VALUES,
        st.sampled_from(["c1", "", "nobody"]),
        st.dictionaries(st.text(max_size=3), _VALUES, max_size=3),
    ),
    max_size=5,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=_BODIES, n=st.integers(0, 10**9))
def test_any_body_gets_the_routes_answer(
    sides: tuple[Side, Side], body: dict[str, Any], n: int
) -> None:
    fast, plain = sides
    if "request_id" not in body:
        body["request_id"] = f"h{n}"  # a fresh decision each time, the same on both sides
    raw = json.dumps(body).encode()
    _same(
        fast.post("next_best_action", raw, "decide", JSON),
        plain.post("next_best_action", raw, "decide", JSON),
    )


class Behind:
    """The app behind the fast path: records what it is handed, answers 418."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message: Message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})


def test_well_formed_requests_never_reach_the_app_and_the_rest_arrive_intact() -> None:
    engine = Engine("memory://")
    engine.ingest(good_payer())
    keys = KeyStore("memory://")
    secret = keys.create(["decide"])[1]
    behind = Behind()
    client = TestClient(DecisionFastPath(behind, Service(engine, keys)))
    headers = {**JSON, "X-API-Key": secret}
    good = client.post(
        "/v1/decisions/next_best_action", content=b'{"customer_id": "c1"}', headers=headers
    )
    assert good.status_code == 200
    assert good.json()["kind"] == "next_best_action"
    unknown = client.post(
        "/v1/decisions/next_best_action", content=b'{"customer_id": "nobody"}', headers=headers
    )
    assert unknown.status_code == 404  # judged by the engine, answered by the fast path
    assert behind.bodies == []
    big = json.dumps({"customer_id": "c1", "context": {"pad": "x" * 70_000}}).encode()
    odd = [b'{"customer_id": "c1", "x": 1}', big, b"not json"]
    for body in odd:
        assert (
            client.post("/v1/decisions/pricing", content=body, headers=headers).status_code == 418
        )
    assert client.get("/v1/decisions/next_best_action", headers=headers).status_code == 418
    assert behind.bodies == [*odd, b""]
    engine.close()
    keys.close()
