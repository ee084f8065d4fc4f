"""The FastAPI app: thin routes over the engine, API keys with scopes, Prometheus metrics.

No business logic lives here: every route validates its input, calls the engine and shapes the
answer (``routes_decisions``, ``routes_reads``).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from rapport.api import (
    routes_decisions,
    routes_erasure,
    routes_fairness,
    routes_monitors,
    routes_reads,
)
from rapport.api.fast_path import DecisionFastPath
from rapport.api.keys import KeyStore
from rapport.api.service import Service
from rapport.engine import Engine


def create_app(engine: Engine, keys: KeyStore, fast_path: bool = True) -> FastAPI:
    """The service's app; ``fast_path=False`` serves the decision endpoints through FastAPI
    alone (the fast path's tests compare the two)."""
    app = FastAPI(
        title="Rapport",
        version="0.1.0",
        description="Behavioral profiles and explainable decisions for financial services.",
    )
    service = Service(engine, keys)
    service.metrics.watch(lambda: engine.monitors)
    app.state.service = service

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        # Field path, reason and type; not the offending input, which may not even be JSON.
        detail = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in error.errors()
        ]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> dict[str, Any]:
        with service.lock:
            events = engine.stores.events.count()
        return {"status": "ready", "events": events, "policy": engine.decisions.policy.version}

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(service.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    routes_decisions.register(app, service)
    routes_reads.register(app, service)
    routes_erasure.register(app, service)
    routes_fairness.register(app, service)
    routes_monitors.register(app, service)
    if fast_path:
        app.add_middleware(DecisionFastPath, service=service)
    return app
