"""``GET /v1/fairness`` (the monitor, scope ``read``) and the fairness gate behind
``PUT /v1/policy`` (scope ``admin``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI

from rapport.api.routes_erasure import actor_of
from rapport.api.service import Service
from rapport.decisions.policy import PolicyError, parse_policy
from rapport.engine import Engine
from rapport.governance.audit_log import AuditLog, open_audit_log
from rapport.governance.fairness_check import compare, judge_engine, logged_history
from rapport.governance.promotion import REFUSED, PromotionResult, promote

MONITOR = "fairness-monitor"


@contextmanager
def audit_log_of(engine: Engine) -> Iterator[AuditLog]:
    """The engine's governance audit log (the one its monitors write), else the store's."""
    engine.decisions  # noqa: B018  (opening the decision service opens the monitors' log)
    shared = getattr(engine.monitors, "audit", None)
    if shared is not None:
        yield shared
        return
    log = open_audit_log(engine.stores.url)
    try:
        yield log
    finally:
        log.close()


def gate_policy(
    engine: Engine, text: str, actor: str, override_reason: str | None
) -> PromotionResult:
    """Judge a policy (YAML) on the store's history against the policy in force and record the
    verdict; a policy that does not load is recorded as refused and raises ``PolicyError``."""
    with audit_log_of(engine) as audit_log:
        try:
            candidate = parse_policy(text, "new policy")
        except PolicyError as error:
            audit_log.append(REFUSED, actor, {"problems": error.problems, "channel": "api"})
            raise
        history = logged_history(engine)
        evidence = (
            compare(history, candidate, engine.decisions.policy, engine.protected).to_dict()
            if history
            else None
        )
        return promote(candidate, evidence, audit_log, actor, override_reason, channel="api")


def register(app: FastAPI, service: Service) -> None:
    engine, lock, require, metrics = service.engine, service.lock, service.require, service.metrics

    @app.get("/v1/fairness", dependencies=[Depends(require("read"))])
    def fairness(actor: Annotated[str, Depends(actor_of)]) -> dict[str, Any]:
        """Run the fairness monitor over the ledger: favorable rates by group, adverse impact
        ratios, equal-opportunity and calibration gaps with intervals. The figures and any
        breach go to ``/metrics``; breaches are recorded in the governance audit log."""
        with lock:
            settings = engine.decisions.policy.policy.fairness
            report, _ = judge_engine(engine, settings)
            figures = report.to_dict()
            if report.alerts:
                with audit_log_of(engine) as audit_log:
                    audit_log.append(
                        "fairness.alert", MONITOR, {"alerts": figures["alerts"], "by": actor}
                    )
        metrics.publish_fairness(report)
        return figures
