"""The audit export: every decision of a time window, with what it answered to, in one file.

Each decision comes with its reasons, candidates, inputs, versions, seed and chain hashes, and
the **outcomes** that answered it, joined exactly as the learners join them
(:func:`rapport.learning.outcomes.join`): ``offer_response`` and ``message_event`` by
``decision_id``, ``fraud_report`` through the fraud decision its reported transaction triggered,
``credit_outcome`` by its ``decision_id`` (else the credit decision in force when it happened).
Outcomes are looked for in the whole event log, not only inside the window: they arrive late.
Beside the decisions go the **policy texts** they name and the **model cards** of the models
they name (from the model registry; a built-in transparent model is listed without a card).
The export opens with whether the ledger's chain verified when it was taken.

An erased customer's decision is exported as erased: its id, kind, action, time and hashes
(what the ledger keeps in clear), ``erased: true``, and nothing personal — never left out.

Formats: JSON Lines (one ``record`` per line: ``export``, then ``policy``, ``model``,
``decision``) or Parquet (one row per decision; nested values as JSON text; the export header,
policies and model cards in the file's key-value metadata). :func:`read_export` reads either
back into the same structures. The file holds personal data: an erasure after the export does
not reach it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from rapport.decisions.record import Decision
from rapport.engine import Engine
from rapport.events.validation import parse_event
from rapport.governance.ledger import (
    DecisionErasedError,
    DecisionLedger,
    StoredDecision,
    verify,
)
from rapport.learning.outcomes import OUTCOME_TYPES, JoinedOutcome, join
from rapport.profiles.fold import event_type

Format = Literal["jsonl", "parquet"]
NESTED = ("inputs", "candidates", "details", "reasons", "model_versions", "outcomes")
"""Decision fields that hold structures (JSON text in Parquet)."""
COLUMNS = (
    "decision_id",
    "kind",
    "erased",
    "customer_id",
    "trigger_event_id",
    "event_time",
    "action",
    "score",
    "propensity",
    "policy_version",
    "seed",
    "latency_ms",
    "prev_hash",
    "hash",
    *NESTED,
)
_META = {"export": b"rapport.export", "policies": b"rapport.policies", "models": b"rapport.models"}


@dataclass
class AuditExport:
    header: dict[str, Any]
    policies: dict[str, str] = field(default_factory=dict)
    models: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat()


def _row(stored: StoredDecision, decision: Decision | None) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update(
        decision_id=stored.decision_id,
        kind=stored.kind,
        action=stored.action,
        event_time=_iso(stored.event_time),
        prev_hash=stored.prev_hash,
        hash=stored.hash,
        erased=decision is None,
        outcomes=[],
    )
    if decision is not None:
        plain = msgspec.to_builtins(decision)
        row.update({name: plain[name] for name in COLUMNS if name in plain})
        row["outcomes"] = []
    return row


def _window(ledger: DecisionLedger, start: float, end: float) -> Iterator[dict[str, Any]]:
    for stored in ledger.scan():
        if start <= stored.event_time < end:
            try:
                readable: Decision | None = ledger.read(stored)
            except DecisionErasedError:
                readable = None
            yield _row(stored, readable)


def _outcome(joined: JoinedOutcome) -> dict[str, Any]:
    event = joined.event
    return {
        "event_id": event.event_id,
        "type": event_type(event),
        "timestamp": event.timestamp.isoformat(),
        "label": joined.label,
        "payload": msgspec.to_builtins(event)["payload"],
    }


def build_export(engine: Engine, start: dt.datetime, end: dt.datetime) -> AuditExport:
    """The decisions taken in event time ``start`` <= t < ``end``, with outcomes, policies and
    model cards."""
    service = engine.decisions
    ledger = service.ledger
    rows = list(_window(ledger, start.timestamp(), end.timestamp()))
    by_id = {row["decision_id"]: row for row in rows}
    for record in engine.stores.events.scan(types=OUTCOME_TYPES):
        joined = join(parse_event(record.body), ledger)
        if isinstance(joined, JoinedOutcome) and joined.decision.decision_id in by_id:
            by_id[joined.decision.decision_id]["outcomes"].append(_outcome(joined))
    policies: dict[str, str] = {}
    models: dict[str, dict[str, Any]] = {}
    for row in rows:
        version = row["policy_version"]
        if version and version not in policies:
            policies[version] = ledger.policy_text(version) or ""
        for kind, model_version in (row["model_versions"] or {}).items():
            if model_version not in models:
                artifact = service.registry.get(model_version)
                models[model_version] = {
                    "version": model_version,
                    "kind": kind,
                    "in_registry": artifact is not None,
                    "type": artifact.type if artifact else None,
                    "card": dict(artifact.card) if artifact else None,
                }
    checked = verify(ledger)
    header = {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "generated_at": dt.datetime.now(dt.UTC).isoformat(),
        "decisions": len(rows),
        "erased": sum(1 for row in rows if row["erased"]),
        "outcomes": sum(len(row["outcomes"]) for row in rows),
        "ledger_verified": checked.ok,
        "ledger_records": checked.records,
        "ledger_problem": checked.problem or None,
    }
    return AuditExport(header, policies, list(models.values()), rows)


def write_export(export: AuditExport, out: Path, fmt: Format) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        with out.open("w", encoding="utf-8") as handle:
            lines = [{"record": "export", **export.header}]
            lines += [
                {"record": "policy", "version": v, "text": t} for v, t in export.policies.items()
            ]
            lines += [{"record": "model", **model} for model in export.models]
            lines += [{"record": "decision", **row} for row in export.decisions]
            for line in lines:
                handle.write(json.dumps(line, sort_keys=True, default=str) + "\n")
        return
    columns = {
        name: [
            json.dumps(row[name], sort_keys=True, default=str) if name in NESTED else row[name]
            for row in export.decisions
        ]
        for name in COLUMNS
    }
    schema = pa.schema(
        [(name, _arrow_type(name)) for name in COLUMNS],
        metadata={
            _META["export"]: json.dumps(export.header, default=str).encode(),
            _META["policies"]: json.dumps(export.policies).encode(),
            _META["models"]: json.dumps(export.models, default=str).encode(),
        },
    )
    pq.write_table(pa.table(columns, schema=schema), out)


def _arrow_type(name: str) -> Any:
    if name == "erased":
        return pa.bool_()
    if name in ("score", "propensity", "latency_ms"):
        return pa.float64()
    if name == "seed":
        return pa.int64()
    return pa.string()


def read_export(path: Path) -> AuditExport:
    """An export file (either format) read back."""
    if path.suffix == ".parquet" or path.read_bytes()[:4] == b"PAR1":
        table = pq.read_table(path)
        meta = table.schema.metadata or {}
        rows = table.to_pylist()
        for row in rows:
            for name in NESTED:
                row[name] = json.loads(row[name])
        return AuditExport(
            json.loads(meta[_META["export"]]),
            json.loads(meta[_META["policies"]]),
            json.loads(meta[_META["models"]]),
            rows,
        )
    export = AuditExport({})
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            record = item.pop("record")
            if record == "export":
                export.header = item
            elif record == "policy":
                export.policies[item["version"]] = item["text"]
            elif record == "model":
                export.models.append(item)
            else:
                export.decisions.append(item)
    return export
