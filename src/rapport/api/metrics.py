"""What the service counts and times, for Prometheus."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rapport.learning.monitors import Monitors


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

    def watch(self, monitors: Callable[[], Monitors | None]) -> None:
        """Expose the drift monitors' alarms and fallbacks (read when Prometheus scrapes)."""
        self.registry.register(MonitorCollector(monitors))


class MonitorCollector(Collector):
    def __init__(self, monitors: Callable[[], Monitors | None]) -> None:
        self.monitors = monitors

    def collect(self) -> Iterator[Metric]:
        alarms = CounterMetricFamily(
            "rapport_monitor_alarms",
            "Drift alarms raised, by kind and stream",
            labels=["kind", "stream"],
        )
        fallback = GaugeMetricFamily(
            "rapport_monitor_fallback",
            "1 while a drift alarm holds a kind on its fallback (champion or rules_only)",
            labels=["kind", "mode"],
        )
        monitors = self.monitors()
        if monitors is not None:
            for (kind, stream), count in list(monitors.alarm_counts.items()):
                alarms.add_metric([kind, stream], count)
            for kind, held in list(monitors.fallbacks.items()):
                fallback.add_metric([kind, held.mode], 1.0)
        yield alarms
        yield fallback
