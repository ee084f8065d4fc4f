"""What the service counts and times, for Prometheus."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from rapport.governance.fairness import FairnessReport
from rapport.learning.monitors import Monitors
from rapport.profiles.native import kernels


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

        self.fold_compiled = Gauge(
            "rapport_fold_compiled",
            "1 when profiles fold through the compiled kernels, 0 on the slower Python references "
            "(an install without a C compiler)",
            registry=self.registry,
        )
        self.fold_compiled.set(1.0 if kernels is not None else 0.0)

        self.fairness_ratio = Gauge(
            "rapport_fairness_adverse_impact_ratio",
            "Lowest group's favorable rate over the highest's, at the last fairness check",
            ["kind", "grouping"],
            registry=self.registry,
        )
        self.fairness_gap = Gauge(
            "rapport_fairness_equal_opportunity_gap",
            "Spread of favorable rates among good outcomes, at the last fairness check",
            ["kind", "grouping"],
            registry=self.registry,
        )
        self.fairness_breach = Gauge(
            "rapport_fairness_breach",
            "1 while the last fairness check found this threshold broken",
            ["kind", "grouping", "metric"],
            registry=self.registry,
        )
        self.fairness_alerts = Counter(
            "rapport_fairness_alerts",
            "Fairness thresholds found broken, over all checks",
            ["kind", "grouping", "metric"],
            registry=self.registry,
        )

    def publish_fairness(self, report: FairnessReport) -> None:
        """Show a fairness check's figures and breaches (the previous check's breaches clear)."""
        self.fairness_breach.clear()
        for kind in report.kinds:
            for grouping in kind.groupings:
                labels = (kind.kind, grouping.name)
                if grouping.adverse_impact_ratio is not None:
                    self.fairness_ratio.labels(*labels).set(grouping.adverse_impact_ratio.value)
                if grouping.equal_opportunity_gap is not None:
                    self.fairness_gap.labels(*labels).set(grouping.equal_opportunity_gap.value)
        for alert in report.alerts:
            self.fairness_breach.labels(alert.kind, alert.grouping, alert.metric).set(1.0)
            self.fairness_alerts.labels(alert.kind, alert.grouping, alert.metric).inc()

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
