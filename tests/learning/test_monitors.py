"""Drift monitors: quiet on a steady stream, an alarm on a shifted one; an alarm falls back to
the champion or to rules only as the policy says, visibly (metrics, audit log, log line)."""

from __future__ import annotations

import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest
import yaml
from fastapi.testclient import TestClient

from rapport import Engine
from rapport.api import create_app
from rapport.api.keys import KeyStore
from rapport.config import EngineConfig
from rapport.decisions.monitor_policy import Adwin, PageHinkley
from rapport.decisions.policy import PolicyError, load_policy, parse_policy
from rapport.decisions.record import Value
from rapport.decisions.service import DecisionService
from rapport.governance.audit_log import MemoryAuditLog
from rapport.governance.ledger import MemoryLedger
from rapport.learning.artifact import Artifact, loader
from rapport.learning.loop import AdaptiveLoop
from rapport.learning.model import Arm, Chooser, Model
from rapport.learning.monitors import Monitors, _Stream
from tests.profiles.samples import at, debit, event, salary

KIND = "next_best_action"


class _Uniform:
    """A chooser that spreads evenly over the eligible offers: enough to know a model decides."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.features: tuple[str, ...] = ()

    def pmf(self, inputs: Mapping[str, Value], arms: Sequence[Arm]) -> list[float]:
        return [1.0 / len(arms)] * len(arms)


@loader("test-monitor-uniform")
def _load(artifact: Artifact) -> Model:
    chooser: Chooser = _Uniform(artifact.version)
    return chooser


def _model(tag: str) -> Artifact:
    return Artifact(KIND, "test-monitor-uniform", tag.encode())


def _policy_text(monitor: str) -> str:
    """The default policy without its learners (which would publish over the test's model),
    with ``monitor`` as next-best-action's monitors."""
    data = yaml.safe_load(load_policy(None).text)
    data.pop("learning", None)
    return str(yaml.safe_dump(data)) + "\nmonitors:\n  next_best_action:\n" + monitor


@pytest.mark.parametrize("detector", [Adwin(), PageHinkley(type="page_hinkley")])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_steady_stream_stays_quiet_and_a_shift_raises_an_alarm(
    detector: Adwin | PageHinkley, seed: int
) -> None:
    rnd = random.Random(seed)
    steady = _Stream(detector, warmup=200)
    assert not any(steady.update(rnd.gauss(5.0, 2.0)) for _ in range(3000))
    shifted = _Stream(detector, warmup=200)
    for _ in range(1000):
        shifted.update(rnd.gauss(5.0, 2.0))
    fired = [i for i in range(400) if shifted.update(rnd.gauss(7.0, 2.0))]
    assert fired
    assert fired[0] < 250


@dataclass
class _Host:
    decisions: DecisionService
    learning: AdaptiveLoop


def _spaces(stress: float) -> dict[str, dict[str, object]]:
    return {
        "features": {"balance_mean_30d": 800.0, "share_travel_30d": 0.0, "debit_sum_30d": 900.0},
        "signals": {"financial_stress": stress, "vulnerability": 0.1, "discipline": 0.5},
    }


def test_input_drift_falls_back_to_the_champion_version() -> None:
    monitor = "    inputs: [signals.financial_stress]\n    score: false\n"
    monitor += "    warmup: 100\n    on_alarm: champion\n"
    service = DecisionService(parse_policy(_policy_text(monitor)), MemoryLedger())
    host = _Host(service, AdaptiveLoop(service))
    monitors = Monitors(host, MemoryAuditLog())
    service.observers.append(monitors.observe_decision)
    champion = service.use_model(_model("champion")).version
    rnd = random.Random(5)
    for i in range(300):  # the champion's decisions set the reference
        service.decide(KIND, f"c{i % 9}", f"t{i}", at(1), _spaces(rnd.uniform(0.1, 0.3)))
    assert not monitors.alarms
    challenger = service.use_model(_model("newer")).version
    for i in range(300, 700):
        service.decide(KIND, f"c{i % 9}", f"t{i}", at(2), _spaces(rnd.uniform(0.6, 0.8)))
    assert monitors.alarms[0].stream == "input:signals.financial_stress"
    assert monitors.alarms[0].model_version == challenger
    assert monitors.fallbacks[KIND].mode == "champion"
    assert service.model_version(KIND) == champion
    assert KIND in host.learning.paused
    later = service.decide(KIND, "c1", "t-later", at(3), _spaces(0.7))
    assert later.model_versions[KIND] == champion


def _history() -> list[dict[str, object]]:
    events: list[dict[str, object]] = [salary("s1", at(0), 3000.0, balance_after=3000.0)]
    return events + [debit(f"d{i}", at(1 + i), 40.0 + i) for i in range(10)]


def _inject_outcome_drift(engine: Engine, customer: str, rnd: random.Random) -> None:
    """Half the offers are taken, then (the injected drift) none at all; until a fallback."""
    for i in range(500):
        decision = engine.decide(KIND, customer, request_id=f"r{i}")
        assert decision.model_versions[KIND].startswith("test-monitor-uniform")
        answer = {
            "decision_id": decision.decision_id,
            "offer_id": str(decision.details["offer_id"]),
            "response": "accepted" if i < 250 and rnd.random() < 0.5 else "declined",
        }
        engine.ingest([event(f"resp-{i}", "offer_response", answer, at(12, i / 60))])
        if engine.monitors is not None and engine.monitors.fallbacks:
            return


def test_outcome_drift_switches_to_rules_only_visibly(
    tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    monitor = "    score: false\n    warmup: 100\n    on_alarm: rules_only\n"
    path = f"{tmp_path}/policy.yaml"
    with open(path, "w") as handle:
        handle.write(_policy_text(monitor))
    rnd = random.Random(11)
    db = f"{tmp_path}/r.db"
    keys = KeyStore(db)
    admin, reader = keys.create(["admin"]), keys.create(["read"])[1]
    with (
        Engine(db, EngineConfig(store_url=db, policy_path=path)) as engine,
        TestClient(create_app(engine, keys)) as client,
    ):
        engine.ingest(_history())
        engine.decisions.use_model(_model("learned"))
        customer = str(_history()[0]["customer_id"])
        caplog.set_level(logging.WARNING, "rapport.learning.monitors")
        _inject_outcome_drift(engine, customer, rnd)
        monitors = engine.monitors
        assert monitors is not None
        alarm = monitors.alarms[0]
        assert (alarm.kind, alarm.stream) == (KIND, "outcome_rate")
        assert alarm.observations > 250  # not before the drift
        assert alarm.recent_mean < alarm.reference_mean
        # The kind decides rules-only now, and its learner may not publish over the fallback.
        assert KIND not in engine.decisions.models
        after = engine.decide(KIND, customer, request_id="after")
        assert after.model_versions[KIND] == "nba-affinity-1"
        assert KIND in engine.learning.paused
        acts = [record.act for record in monitors.audit.scan()]
        assert acts == ["monitor.alarm", "monitor.fallback"]
        assert monitors.audit.verify().ok
        scraped = client.get("/metrics").text
        assert 'rapport_monitor_fallback{kind="next_best_action",mode="rules_only"} 1.0' in scraped
        assert (
            'rapport_monitor_alarms_total{kind="next_best_action",stream="outcome_rate"} 1.0'
            in scraped
        )
        assert any("falls back to rules_only" in r.getMessage() for r in caplog.records)
        shown = client.get("/v1/monitors", headers={"X-API-Key": reader}).json()
        assert shown["fallbacks"][KIND]["mode"] == "rules_only"
        assert shown["alarms"][0]["stream"] == "outcome_rate"
        # Lifting the fallback takes an admin and a reason, and is audited with the key's id.
        resume = f"/v1/monitors/{KIND}/resume"
        reason = {"reason": "reviewed: the campaign ended, rates were expected to fall"}
        assert client.post(resume, json=reason, headers={"X-API-Key": reader}).status_code == 403
        assert client.post(resume, json={}, headers={"X-API-Key": admin[1]}).status_code == 422
        lifted = client.post(resume, json=reason, headers={"X-API-Key": admin[1]})
        assert lifted.status_code == 200
        assert KIND not in engine.learning.paused
        assert 'mode="rules_only"' not in client.get("/metrics").text
        last = list(monitors.audit.scan())[-1]
        assert (last.act, last.actor) == ("monitor.resumed", f"api:{admin[0]}")
        again = client.post(resume, json=reason, headers={"X-API-Key": admin[1]})
        assert again.status_code == 404


def test_the_monitors_section_is_validated() -> None:
    with pytest.raises(PolicyError, match=r"monitors\.next_best_action\.sensitivity"):
        parse_policy(_policy_text("    sensitivity: 3\n"))
    with pytest.raises(PolicyError, match="on_alarm"):
        parse_policy(_policy_text("    on_alarm: panic\n"))
    parsed = parse_policy(_policy_text("    detector: {type: page_hinkley, threshold: 30}\n"))
    detector = parsed.policy.monitors["next_best_action"].detector
    assert isinstance(detector, PageHinkley)
    assert detector.threshold == 30


def test_the_example_in_the_default_policy_is_a_valid_monitors_section() -> None:
    text = load_policy(None).text
    example = [line[2:] for line in text.splitlines() if line.startswith(("# monitors", "#   "))]
    parsed = parse_policy(text + "\n" + "\n".join(example) + "\n")
    assert parsed.policy.monitors["next_best_action"].on_alarm == "rules_only"
    assert load_policy(None).policy.monitors == {}  # none run by default
