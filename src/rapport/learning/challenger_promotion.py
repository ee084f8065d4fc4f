"""Promoting a challenger: an explicit act, judged on its off-policy evidence and audited.

The evidence is a ``ChallengerReport`` (``rapport evaluate policy``): the challenger's estimated
value by one estimator (doubly robust by default) with its interval, beside the champion's
logged value. The verdict:

- ``better``: the interval lies wholly above the champion's value: accepted;
- ``indistinguishable``: the interval holds the champion's value: accepted (the evidence says
  it is not worse at this confidence, and the record says so);
- ``worse``: the interval lies wholly below: refused;
- ``not judged``: no logged decision could be evaluated: refused.

A refusal can be overridden by a person with a reason. Every verdict is one record in the
governance audit log (``challenger.accepted``, ``challenger.overridden`` or
``challenger.refused``) carrying the evidence, the models and, when accepted, the challenger
policy's full text. An accepted challenger then goes through the same gate as any policy
(``rapport.governance.promotion.promote``: its fairness replayed over the store's history),
whose ``policy.promoted`` record is what puts it in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from rapport.governance.audit_log import AuditLog, AuditRecord
from rapport.learning.challenger import Challenger, ChallengerReport

ACCEPTED = "challenger.accepted"
OVERRIDDEN = "challenger.overridden"
REFUSED = "challenger.refused"
Verdict = Literal["better", "indistinguishable", "worse", "not judged"]


@dataclass(frozen=True)
class ChallengerPromotion:
    promoted: bool
    """Whether the off-policy gate let it through (the fairness gate comes next)."""
    act: str
    verdict: Verdict
    message: str
    record: AuditRecord

    def to_dict(self) -> dict[str, Any]:
        return {
            "promoted": self.promoted,
            "act": self.act,
            "verdict": self.verdict,
            "message": self.message,
            "audit_seq": self.record.seq,
        }


def verdict(report: ChallengerReport, estimator: str) -> Verdict:
    estimate = report.estimates.get(estimator)
    if estimate is None or report.logged is None:
        return "not judged"
    champion = report.logged.value
    if estimate.low > champion:
        return "better"
    if estimate.high < champion:
        return "worse"
    return "indistinguishable"


def promote_challenger(
    challenger: Challenger,
    report: ChallengerReport,
    audit_log: AuditLog,
    actor: str,
    *,
    estimator: str = "dr",
    override_reason: str | None = None,
) -> ChallengerPromotion:
    """Judge the challenger on its off-policy evidence; record the verdict."""
    found = verdict(report, estimator)
    reason = (override_reason or "").strip()
    models = {kind: model.version for kind, model in challenger.service.models.items()}
    details: dict[str, Any] = {
        "version": challenger.version,
        "name": challenger.policy.policy.name,
        "models": models,
        "kind": report.kind,
        "estimator": estimator,
        "verdict": found,
        "evidence": report.to_dict(),
    }
    if found in ("worse", "not judged") and not reason:
        record = audit_log.append(REFUSED, actor, details)
        message = (
            f"refused: the challenger's {estimator.upper()} estimate is {found} than the "
            "champion's logged value"
            if found == "worse"
            else "refused: no logged decision could judge the challenger"
        )
        return ChallengerPromotion(False, REFUSED, found, message, record)
    act = ACCEPTED if found in ("better", "indistinguishable") else OVERRIDDEN
    if act == OVERRIDDEN:
        details["override_reason"] = reason
    details["text"] = challenger.policy.text
    record = audit_log.append(act, actor, details)
    if act == OVERRIDDEN:
        message = f"accepted over a {found!r} verdict by {actor}: {reason}"
    else:
        message = f"accepted: off-policy evidence says {found} ({estimator.upper()})"
    return ChallengerPromotion(True, act, found, message, record)
