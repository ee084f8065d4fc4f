"""``GET /v1/monitors`` and ``POST /v1/monitors/{kind}/resume``: drift alarms, the fallbacks
they hold, the challenger in shadow; a person lifts a fallback (scope ``admin``, audited)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException
from pydantic import BaseModel, ConfigDict, Field

from rapport.api.routes_erasure import actor_of
from rapport.api.service import Service

RECENT_ALARMS = 100


class ResumeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    reason: str = Field(min_length=1, max_length=2000)
    """Why the kind may decide with its learned model again (recorded in the audit log)."""


def register(app: FastAPI, service: Service) -> None:
    engine, lock, require = service.engine, service.lock, service.require

    @app.get("/v1/monitors", dependencies=[Depends(require("read"))])
    def monitors() -> dict[str, Any]:
        """Monitors configured by the policy, their latest alarms, the fallbacks in force, and
        the challenger running in shadow (if any)."""
        with lock:
            decisions = engine.decisions
            watched = engine.monitors
            shadow = engine.shadow
            return {
                "configured": {
                    kind: config.model_dump()
                    for kind, config in decisions.policy.policy.monitors.items()
                },
                "alarms": [asdict(a) for a in list(watched.alarms)[-RECENT_ALARMS:]]
                if watched
                else [],
                "fallbacks": {k: asdict(f) for k, f in watched.fallbacks.items()}
                if watched
                else {},
                "shadow": {
                    "challenger_version": shadow.challenger.version,
                    "observed": shadow.observed,
                    "failures": shadow.failures,
                }
                if shadow
                else None,
            }

    @app.post(
        "/v1/monitors/{kind}/resume",
        dependencies=[Depends(require("admin"))],
        responses={404: {"description": "no fallback holds this kind"}},
    )
    def resume(
        kind: str, request: ResumeRequest, actor: Annotated[str, Depends(actor_of)]
    ) -> dict[str, Any]:
        """Lift a drift fallback: the kind's learner may publish again. Audited."""
        with lock:
            engine.decisions  # noqa: B018 - the monitors are made with the decision service
            watched = engine.monitors
            if watched is None or kind not in watched.fallbacks:
                raise HTTPException(404, f"no fallback holds {kind!r}")
            watched.resume(kind, actor, request.reason)
        return {"resumed": kind, "actor": actor}
