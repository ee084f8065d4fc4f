"""Policy promotion: the gate a policy passes to become the one that decides, and its record.

A candidate is judged on evidence: its fairness figures over history (a replay, see
``fairness_check``). A candidate whose figures break the fairness thresholds is refused unless
an admin overrides with a reason; every promotion, refusal and override is a record in the
governance audit log, and a promotion's record carries the policy's full text, so that the log
alone says which policy was in force and since when (``active_policy``). Engines opened without
an explicit policy file decide with the latest promoted policy of their store.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapport.decisions.policy import LoadedPolicy, load_policy, parse_policy
from rapport.governance.audit_log import AuditLog, AuditRecord, open_audit_log
from rapport.store.urls import local_url

PROMOTED = "policy.promoted"
OVERRIDDEN = "policy.overridden"
REFUSED = "policy.refused"
IN_FORCE = (PROMOTED, OVERRIDDEN)


@dataclass(frozen=True)
class PromotionResult:
    promoted: bool
    act: str
    """``policy.promoted``, ``policy.overridden`` or ``policy.refused``."""
    version: str
    message: str
    breaches: list[dict[str, Any]] = field(default_factory=list)
    record: AuditRecord | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "promoted": self.promoted,
            "act": self.act,
            "version": self.version,
            "message": self.message,
            "breaches": self.breaches,
            "audit_seq": self.record.seq if self.record else None,
        }


class EvidenceMismatchError(ValueError):
    """The evidence was produced for another policy than the one to promote."""


def promote(
    candidate: LoadedPolicy,
    evidence: Mapping[str, Any] | None,
    audit_log: AuditLog,
    actor: str,
    override_reason: str | None = None,
    channel: str = "cli",
) -> PromotionResult:
    """Judge a candidate on its evidence and record the verdict in the audit log.

    ``evidence`` is a fairness comparison (``Comparison.to_dict()``: the candidate's version,
    whether it could be judged, and the thresholds it breaks), or None when there is no history
    to judge it on: it is then promoted, recorded as not judged.
    """
    if evidence is not None:
        evidence_version = str(evidence.get("candidate", {}).get("version", ""))
        if evidence_version != candidate.version:
            raise EvidenceMismatchError(
                f"the evidence judges policy {evidence_version or '(unknown)'}, not "
                f"{candidate.version}: replay the candidate again"
            )
    breaches = list(evidence.get("breaches", [])) if evidence is not None else []
    judged = bool(evidence.get("candidate", {}).get("judged")) if evidence is not None else False
    reason = (override_reason or "").strip()
    details: dict[str, Any] = {
        "version": candidate.version,
        "name": candidate.policy.name,
        "previous_version": _latest_version(audit_log),
        "judged": judged,
        "breaches": breaches,
        "channel": channel,
    }
    if evidence is not None:
        details["evidence"] = {
            "current": evidence.get("current", {}).get("version")
            if evidence.get("current")
            else None,
            "standard": evidence.get("standard"),
            "events": evidence.get("events"),
        }
    if breaches and not reason:
        record = audit_log.append(REFUSED, actor, details)
        return PromotionResult(
            False,
            REFUSED,
            candidate.version,
            f"refused: {len(breaches)} fairness threshold(s) broken; an admin may override "
            "with a recorded reason",
            breaches,
            record,
        )
    act = OVERRIDDEN if breaches else PROMOTED
    if breaches:
        details["override_reason"] = reason
    details["text"] = candidate.text
    record = audit_log.append(act, actor, details)
    if breaches:
        message = f"promoted over {len(breaches)} fairness breach(es) by {actor}: {reason}"
    elif judged:
        message = "promoted: its fairness figures meet every threshold"
    else:
        message = "promoted without a fairness judgement: no history with protected attributes"
    return PromotionResult(True, act, candidate.version, message, breaches, record)


def _latest_version(audit_log: AuditLog) -> str | None:
    latest = None
    for record in audit_log.scan():
        if record.act in IN_FORCE:
            latest = str(record.details.get("version"))
    return latest


def promoted_policy(audit_log: AuditLog) -> LoadedPolicy | None:
    """The latest policy promoted (or promoted by override) in this audit log, if any."""
    text = None
    for record in audit_log.scan():
        if record.act in IN_FORCE and isinstance(record.details.get("text"), str):
            text = record.details["text"]
    return parse_policy(text, "promoted policy") if text is not None else None


def active_policy(store_url: str | Path, policy_path: str | Path | None) -> LoadedPolicy:
    """The policy an engine decides with: the file it is given, else its store's latest
    promoted policy, else the default that ships with Rapport."""
    if policy_path is not None:
        return load_policy(policy_path)
    if (
        str(store_url) == "memory://"
        or not Path(local_url(str(store_url)).removeprefix("sqlite:///")).exists()
    ):
        return load_policy()
    audit_log = open_audit_log(store_url)
    try:
        return promoted_policy(audit_log) or load_policy()
    finally:
        audit_log.close()
