"""Routes that read profiles and manage the policy."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException

from rapport.api.routes_erasure import actor_of
from rapport.api.routes_fairness import gate_policy
from rapport.api.service import Service
from rapport.decisions.policy import PolicyError
from rapport.engine import UnknownEntityError

ON_REQUEST = ("credit_limit", "next_best_action", "communication", "pricing")


def register(app: FastAPI, service: Service) -> None:
    engine, lock, require = service.engine, service.lock, service.require

    @app.get("/v1/customers/{customer_id}", dependencies=[Depends(require("read"))])
    def get_customer(customer_id: str, at: str | None = None) -> dict[str, Any]:
        try:
            with lock:
                return engine.profile(customer_id, at).to_dict()
        except UnknownEntityError as error:
            raise HTTPException(404, str(error)) from None
        except ValueError as error:
            raise HTTPException(422, str(error)) from None

    @app.get("/v1/policy", dependencies=[Depends(require("read"))])
    def get_policy() -> dict[str, str]:
        policy = engine.decisions.policy
        return {"version": policy.version, "text": policy.text}

    @app.put(
        "/v1/policy",
        dependencies=[Depends(require("admin"))],
        responses={409: {"description": "refused: it breaks the fairness thresholds"}},
    )
    def put_policy(
        text: Annotated[str, Body(media_type="text/plain")],
        actor: Annotated[str, Depends(actor_of)],
        override_reason: str | None = None,
    ) -> dict[str, Any]:
        """Replace the policy (YAML). A policy with mistakes is refused with each one named; one
        whose fairness over the store's history breaks the thresholds is refused (409) unless
        ``override_reason`` says why an admin promotes it anyway. Every verdict is audited."""
        try:
            with lock:
                verdict = gate_policy(engine, text, actor, override_reason)
                if verdict.promoted:
                    engine.use_policy(text)
        except PolicyError as error:
            raise HTTPException(422, error.problems) from None
        if not verdict.promoted:
            raise HTTPException(409, verdict.to_dict())
        return verdict.to_dict()
