"""Routes that take in events and take decisions."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from rapport.api.schemas import DecisionRequest, FraudRequest
from rapport.api.service import Service, decision_json, decision_response
from rapport.decisions.record import Decision
from rapport.engine import UnknownEntityError
from rapport.events import EventRejectedError, RawEvent
from rapport.governance.ledger import DecisionErasedError

ON_REQUEST = ("credit_limit", "next_best_action", "communication", "pricing")


EVENTS_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"type": "object", "description": "one v1 event"},
                    {"type": "array", "items": {"type": "object"}, "description": "a batch"},
                ]
            }
        }
    },
}


def _split(body: bytes) -> list[RawEvent]:
    """A JSON array becomes one raw event per element; anything else is one raw event."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return [body]
    if isinstance(parsed, list):
        return [json.dumps(item) for item in parsed]
    return [body]


def register(app: FastAPI, service: Service) -> None:
    engine, lock, metrics, require = service.engine, service.lock, service.metrics, service.require

    @app.post(
        "/v1/events",
        dependencies=[Depends(require("ingest"))],
        openapi_extra={"requestBody": EVENTS_BODY},
    )
    async def post_events(request: Request) -> JSONResponse:
        """Validate and apply events; the decisions they trigger are taken first and returned.

        The body is judged through the event contract itself, so that even malformed JSON gets
        a verdict and lands in the dead-letter store rather than vanishing in a framework error.
        """
        raws = _split(await request.body())

        def work() -> tuple[Any, Any]:
            with lock:
                return engine.ingest_and_decide(raws)

        report, decisions = await run_in_threadpool(work)
        for verdict in report.verdicts:
            metrics.events.labels(verdict.status).inc()
            if verdict.code:
                metrics.rejected.labels(verdict.code).inc()
        for decision in decisions:
            metrics.decisions.labels(decision.kind, decision.action).inc()
            metrics.decision_seconds.labels(decision.kind).observe(decision.latency_ms / 1000.0)
        status = 422 if report.rejected == len(report.verdicts) else 200
        return JSONResponse(
            {
                **report.summary(),
                "verdicts": [v.to_dict() for v in report.verdicts],
                "decisions": [decision_json(d) for d in decisions],
            },
            status_code=status,
        )

    @app.post("/v1/decisions/fraud", dependencies=[Depends(require("decide"))])
    async def decide_fraud(request: FraudRequest) -> Response:
        """Screen a transaction (it is not applied: send it to /v1/events for that)."""
        try:
            with lock:
                decision = engine.decide_transaction(request.event)
        except EventRejectedError as error:
            rejection = error.rejection
            raise HTTPException(
                422,
                [
                    {
                        "loc": ["body", "event", *rejection.field.split(".")],
                        "msg": rejection.reason,
                        "type": rejection.code,
                    }
                ],
            ) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        metrics.decisions.labels("fraud", decision.action).inc()
        metrics.decision_seconds.labels("fraud").observe(decision.latency_ms / 1000.0)
        return decision_response(decision)

    for kind in ON_REQUEST:
        app.post(f"/v1/decisions/{kind}", dependencies=[Depends(require("decide"))])(
            _on_request(service, kind)
        )

    @app.get("/v1/decisions/{decision_id}", dependencies=[Depends(require("read"))])
    def get_decision(decision_id: str) -> Response:
        with lock:
            decision = engine.decisions.ledger.get(decision_id)
            erased = decision is None and engine.decisions.ledger.erased(decision_id)
        if erased:
            raise HTTPException(410, str(DecisionErasedError(decision_id)))
        if decision is None:
            raise HTTPException(404, f"no decision {decision_id!r}")
        return decision_response(decision)

    @app.post("/v1/decisions/{decision_id}/replay", dependencies=[Depends(require("read"))])
    def replay_decision(decision_id: str) -> dict[str, Any]:
        try:
            with lock:
                original, again = engine.replay(decision_id)
        except DecisionErasedError as error:
            raise HTTPException(410, str(error)) from None
        except LookupError as error:
            raise HTTPException(404, str(error)) from None
        return {
            "reproduced": original.outcome() == again.outcome(),
            "original": decision_json(original),
            "replayed": decision_json(again),
        }


def decide_on_request(service: Service, kind: str, request: DecisionRequest) -> Decision:
    """Take and count a decision asked for over HTTP (the route and the fast path share it)."""
    try:
        with service.lock:
            decision = service.engine.decide(
                kind, request.customer_id, request.at, request.request_id, request.context
            )
    except UnknownEntityError as error:
        raise HTTPException(404, str(error)) from None
    except ValueError as error:
        raise HTTPException(422, str(error)) from None
    service.metrics.decisions.labels(kind, decision.action).inc()
    service.metrics.decision_seconds.labels(kind).observe(decision.latency_ms / 1000.0)
    return decision


def _on_request(service: Service, kind: str) -> Callable[[DecisionRequest], Awaitable[Response]]:
    async def handler(request: DecisionRequest) -> Response:
        return decision_response(decide_on_request(service, kind, request))

    handler.__name__ = f"decide_{kind}"
    handler.__doc__ = f"Take a {kind.replace('_', ' ')} decision on request."
    return handler
