"""What the service counts and times, for Prometheus."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.decisions = Counter(
            "rapport_decisions", "Decisions taken", ["kind", "action"], registry=self.registry
        )
        self.decision_seconds = Histogram(
            "rapport_decision_seconds",
            "Time to take a decision, in the engine",
            ["kind"],
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
            registry=self.registry,
        )
        self.events = Counter(
            "rapport_events", "Events received, by verdict", ["status"], registry=self.registry
        )
        self.rejected = Counter(
            "rapport_events_rejected",
            "Events rejected, by reason",
            ["code"],
            registry=self.registry,
        )
