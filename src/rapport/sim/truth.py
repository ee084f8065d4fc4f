"""The ground truth the engine never sees: traits, onsets, fraud labels, outcomes, offers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapport.sim.population import Customer, life_stage


@dataclass
class Truth:
    customers: list[dict[str, Any]] = field(default_factory=list)
    life_events: list[dict[str, Any]] = field(default_factory=list)
    fraud: list[dict[str, Any]] = field(default_factory=list)
    disputes: list[dict[str, Any]] = field(default_factory=list)
    defaults: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    repayments: list[dict[str, Any]] = field(default_factory=list)

    def describe(self, customers: list[Customer]) -> None:
        self.customers = [
            {
                "customer_id": c.customer_id,
                "age": c.age,
                "sex": c.sex,
                "life_stage": life_stage(c),
                "annual_income": c.annual_income,
                "pay_cycle": c.pay_cycle,
                "discipline": round(c.discipline, 4),
                "impulsivity": round(c.impulsivity, 4),
                "risk_appetite": round(c.risk_appetite, 4),
                "spend_rate": round(c.spend_rate, 4),
                "logins_per_day": round(c.logins_per_day, 4),
                "preferred_channel": c.preferred_channel,
                "responsiveness": {k: round(v, 4) for k, v in c.responsiveness.items()},
                "needs": {k: round(v, 4) for k, v in c.needs.items()},
                "has_card": c.has_card,
                "default_propensity": round(c.default_propensity, 6),
            }
            for c in customers
        ]

    def write(self, path: Path) -> None:
        document = {
            "customers": self.customers,
            "life_events": self.life_events,
            "fraud": self.fraud,
            "disputes": self.disputes,
            "defaults": self.defaults,
            "decisions": self.decisions,
            "repayments": self.repayments,
        }
        path.write_text(json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n")
