"""Drift monitors: River's detectors on a decision kind's inputs, scores and outcome rate.

The policy's ``monitors:`` section names, per kind, the streams to watch and what an alarm does
(``rapport.decisions.monitor_policy``). Each stream first sets its reference over a warm-up
(mean and spread), then feeds its standardised values to its own detector (ADWIN or
Page-Hinkley). An alarm is always visible three ways: a log line, a record in the governance
audit log (``monitor.alarm``) and the counters Prometheus scrapes (``rapport.api.metrics``).
When the policy says so it also changes how the kind decides, on its own and at once:

- ``champion``: the kind decides with the champion model version again;
- ``rules_only``: the kind decides with its built-in transparent model (no learned model).

Either way the adaptive loop stops publishing the kind's new versions (its learner keeps
learning), the fallback is audited (``monitor.fallback``), and it holds until a person resumes
the kind (``Monitors.resume``, audited too). Each alarm re-arms its stream on a fresh warm-up,
so the new regime becomes the reference instead of raising alarm after alarm.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from rapport.decisions.monitor_policy import Adwin, Detector, KindMonitors
from rapport.decisions.record import Decision
from rapport.governance.audit_log import AuditLog

if TYPE_CHECKING:
    from river import drift

    from rapport.decisions.service import DecisionService, Spaces
    from rapport.learning.loop import AdaptiveLoop
    from rapport.learning.outcomes import JoinedOutcome

log = logging.getLogger("rapport.learning.monitors")
ACTOR = "drift-monitor"
Mode = Literal["champion", "rules_only"]


class Host(Protocol):
    """What monitors act on: the current decision service and adaptive loop (an ``Engine``)."""

    @property
    def decisions(self) -> DecisionService: ...

    @property
    def learning(self) -> AdaptiveLoop: ...


@dataclass(frozen=True)
class Alarm:
    kind: str
    stream: str
    """``input:<name>``, ``score`` or ``outcome_rate``."""
    detector: str
    observations: int
    """Observations of the stream when it fired (warm-up included)."""
    reference_mean: float
    recent_mean: float
    """Mean of the stream's values since the warm-up ended."""
    event_time: str
    model_version: str
    """The model the kind was deciding with."""


@dataclass(frozen=True)
class Fallback:
    kind: str
    mode: Mode
    from_version: str
    to_version: str
    alarm: Alarm


class _Stream:
    """One watched series: a warm-up reference, then a detector on standardised values."""

    def __init__(self, config: Detector, warmup: int) -> None:
        self.config = config
        self.warmup = warmup
        self.seen = 0
        self.restart()

    def restart(self) -> None:
        self.count = 0
        self.mean = 0.0
        self._m2 = 0.0
        self.recent_sum = 0.0
        self.recent_count = 0
        self.detector = _detector(self.config)

    def update(self, value: float) -> bool:
        """Feed one value; True when the detector fires (the stream then re-arms)."""
        self.seen += 1
        if self.count < self.warmup:
            self.count += 1
            delta = value - self.mean
            self.mean += delta / self.count
            self._m2 += delta * (value - self.mean)
            return False
        spread = math.sqrt(self._m2 / (self.count - 1)) if self.count > 1 else 0.0
        # A constant reference has no spread: any departure from it is a change of scale 1.
        standardised = (value - self.mean) / (spread if spread > 1e-12 else 1.0)
        self.detector.update(standardised)  # type: ignore[no-untyped-call]  # River is untyped
        self.recent_sum += value
        self.recent_count += 1
        return bool(self.detector.drift_detected)

    @property
    def recent_mean(self) -> float:
        return self.recent_sum / self.recent_count if self.recent_count else math.nan


def _detector(config: Detector) -> drift.ADWIN | drift.PageHinkley:
    # Imported here: river's drift package imports its datasets, and with them scikit-learn
    # (most of a second); an engine that only ingests never builds a detector.
    from river import drift  # noqa: PLC0415

    if isinstance(config, Adwin):
        return drift.ADWIN(delta=config.delta)  # type: ignore[no-untyped-call]
    return drift.PageHinkley(
        min_instances=config.min_instances, delta=config.delta, threshold=config.threshold
    )


@dataclass
class _KindState:
    config: KindMonitors
    streams: dict[str, _Stream] = field(default_factory=dict)
    champion: str | None = None


class Monitors:
    """The drift monitors of every kind the policy's ``monitors:`` section names.

    ``observe_decision`` is a ``DecisionService`` observer and ``observe_outcome`` an
    ``AdaptiveLoop`` observer; ``Engine`` registers both.
    """

    def __init__(self, host: Host, audit: AuditLog) -> None:
        self.host = host
        self.audit = audit
        # The latest alarms (each re-arms its stream, so they come at most once per warm-up).
        self.alarms: deque[Alarm] = deque(maxlen=1000)
        self.alarm_counts: dict[tuple[str, str], int] = {}
        self.fallbacks: dict[str, Fallback] = {}
        self._kinds: dict[str, _KindState] = {}
        # Decisions and outcomes arrive from concurrent requests; River's detectors are not
        # thread-safe.
        self._lock = threading.Lock()

    def _state(self, kind: str) -> _KindState | None:
        config = self.host.decisions.policy.policy.monitors.get(kind)  # type: ignore[call-overload]
        if config is None:
            return None
        state = self._kinds.get(kind)
        if state is None or state.config != config:  # a new policy re-arms its monitors
            champion = config.champion or self.host.decisions.model_version(kind)
            state = self._kinds[kind] = _KindState(config, champion=champion)
        return state

    def observe_decision(self, decision: Decision, spaces: Spaces) -> None:
        if not self.host.decisions.policy.policy.monitors:
            return  # the common case: nothing to watch, no lock to take
        with self._lock:
            state = self._state(decision.kind)
            if state is None:
                return
            config = state.config
            for name in config.inputs:
                value = decision.inputs.get(name)
                if value is None:
                    space, _, key = name.partition(".")
                    value = spaces.get(space, {}).get(key)  # type: ignore[assignment]
                if isinstance(value, int | float) and not isinstance(value, bool):
                    self._update(state, decision, f"input:{name}", float(value))
            if config.score:
                self._update(state, decision, "score", decision.score)

    def observe_outcome(self, outcome: JoinedOutcome) -> None:
        if outcome.label is None:
            return
        with self._lock:
            state = self._state(outcome.decision.kind)
            if state is not None and state.config.outcomes:
                self._update(state, outcome.decision, "outcome_rate", outcome.label)

    def _update(self, state: _KindState, decision: Decision, name: str, value: float) -> None:
        if not math.isfinite(value):
            return
        stream = state.streams.get(name)
        if stream is None:
            stream = state.streams[name] = _Stream(state.config.detector, state.config.warmup)
        if not stream.update(value):
            return
        alarm = Alarm(
            decision.kind,
            name,
            state.config.detector.type,
            stream.seen,
            stream.mean,
            stream.recent_mean,
            decision.event_time,
            decision.model_versions.get(decision.kind, ""),
        )
        stream.restart()
        self._raise(state, alarm)

    def _raise(self, state: _KindState, alarm: Alarm) -> None:
        self.alarms.append(alarm)
        key = (alarm.kind, alarm.stream)
        self.alarm_counts[key] = self.alarm_counts.get(key, 0) + 1
        log.warning(
            "drift on %s %s (%s after %d observations): mean %.4g -> %.4g",
            alarm.kind,
            alarm.stream,
            alarm.detector,
            alarm.observations,
            alarm.reference_mean,
            alarm.recent_mean,
        )
        self.audit.append("monitor.alarm", ACTOR, _details(alarm))
        mode = state.config.on_alarm
        if mode != "alert" and alarm.kind not in self.fallbacks:
            self._fall_back(state, alarm, mode)

    def _fall_back(self, state: _KindState, alarm: Alarm, mode: Mode) -> None:
        service = self.host.decisions
        kind = alarm.kind
        current = service.model_version(kind)
        artifact = None
        if mode == "champion" and state.champion not in (None, current):
            artifact = service.registry.get(str(state.champion))
        if artifact is not None:
            service.use_model(artifact)
            mode = "champion"
        else:
            service.rules_only(kind)
            mode = "rules_only"
        self.host.learning.paused.add(kind)
        fallback = Fallback(kind, mode, current, service.model_version(kind), alarm)
        self.fallbacks[kind] = fallback
        log.warning(
            "%s falls back to %s: deciding with %s instead of %s",
            kind,
            mode,
            fallback.to_version,
            current,
        )
        self.audit.append(
            "monitor.fallback",
            ACTOR,
            {
                "kind": kind,
                "mode": mode,
                "from_version": current,
                "to_version": fallback.to_version,
                "alarm": _details(alarm),
            },
        )

    def resume(self, kind: str, actor: str, reason: str) -> None:
        """A person lifts a kind's fallback: its learner may publish again (audited)."""
        with self._lock:
            fallback = self.fallbacks.pop(kind, None)
            self.host.learning.paused.discard(kind)
            self._kinds.pop(kind, None)
        self.audit.append(
            "monitor.resumed",
            actor,
            {"kind": kind, "reason": reason, "was": fallback.mode if fallback else None},
        )


def _details(alarm: Alarm) -> dict[str, object]:
    return {
        "kind": alarm.kind,
        "stream": alarm.stream,
        "detector": alarm.detector,
        "observations": alarm.observations,
        "reference_mean": alarm.reference_mean,
        "recent_mean": alarm.recent_mean,
        "event_time": alarm.event_time,
        "model_version": alarm.model_version,
    }
