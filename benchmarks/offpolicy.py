"""Off-policy evaluation on the simulator: a challenger's acceptance rate estimated from the
ledger of a randomised champion, then measured by running the challenger live.

1. Closed loop, champion: the engine decides ``next_best_action`` at each login with a
   randomised champion (uniform over the offers the policy makes eligible; each decision logs
   its propensity). The simulated customers answer; the answers are ingested as events.
2. ``rapport evaluate policy --ledger ... --challenger FILE --json`` (the CLI, as a subprocess)
   estimates the challenger's acceptance per decision with IPS, SNIPS and doubly robust, each
   with its 95% interval.
3. Closed loop again, same simulated bank, the challenger deciding: its live acceptance rate
   (from its own ledger and outcomes) and the mean true acceptance probability of the offers it
   made (from the simulator's hidden truth).

The challenger makes exactly one offer per login, as the champion does, so the two policies put
the same contact pressure on customers and differ only in which offer they make.

``python -m benchmarks.offpolicy [--customers N --days D]`` runs it alone.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rapport import Engine
from rapport.config import EngineConfig
from rapport.decisions.policy import load_policy
from rapport.decisions.record import Value
from rapport.engine import UnknownEntityError
from rapport.events.validation import parse_event
from rapport.learning.artifact import Artifact, loader
from rapport.learning.challenger import rewards
from rapport.learning.model import Arm, Chooser, Model
from rapport.learning.offpolicy import on_policy
from rapport.sim import SimConfig, SimulatedBank
from rapport.sim.offers import SimDecision

KIND = "next_best_action"
CUSTOMERS, DAYS, SEED = 2_000, 40, 4_242  # a seed the tests never use
# What the randomised champion records beside the policy's own inputs, so that the doubly robust
# estimator's reward model has a description of the customer to work with.
CONTEXT = (
    "signals.financial_stress",
    "signals.vulnerability",
    "signals.impulsivity",
    "signals.discipline",
    "signals.engagement",
    "features.balance_mean_30d",
    "features.debit_sum_30d",
    "features.share_travel_30d",
    "features.hardship_page_views_30d",
    "features.salary_30d",
)


class UniformChampion:
    """A randomised champion: every eligible offer equally likely (exploration for evaluation)."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.features: tuple[str, ...] = CONTEXT

    def pmf(self, inputs: Mapping[str, Value], arms: Sequence[Arm]) -> list[float]:
        return [1.0 / len(arms)] * len(arms)


@loader("bench-uniform-champion")
def _load(artifact: Artifact) -> Model:
    chooser: Chooser = UniformChampion(artifact.version)
    return chooser


def _rules_only() -> dict[str, Any]:
    """The default policy without its online learners: neither policy may change while the
    experiment runs (a learner would publish over the randomised champion)."""
    data: dict[str, Any] = yaml.safe_load(load_policy(None).text)
    data.pop("learning", None)
    return data


def champion_policy() -> str:
    return str(yaml.safe_dump(_rules_only(), sort_keys=False))


def challenger_policy() -> str:
    """The default rules, but always making an offer (never "none") and valuing the savings
    offer five times higher, so that it makes it wherever it is eligible."""
    data = _rules_only()
    data["offers"]["minimum_expected_value"] = 0.0
    (savings,) = (o for o in data["offers"]["catalog"] if o["id"] == "savings-boost")
    savings["value"] = 5 * savings["value"]
    return str(yaml.safe_dump(data, sort_keys=False))


@dataclass
class LoopRun:
    decisions: int = 0
    seconds: float = 0.0
    true_acceptance: list[float] = field(default_factory=list)
    accepted: int = 0


def closed_loop(db: Path, config: SimConfig, policy: Path | None, champion: bool) -> LoopRun:
    """Run the simulated bank against an engine deciding at each login; ingest every day."""
    run = LoopRun()
    started = time.perf_counter()
    with Engine(
        str(db), EngineConfig(store_url=str(db), policy_path=str(policy) if policy else None)
    ) as engine:
        if champion:
            engine.decisions.use_model(Artifact(KIND, "bench-uniform-champion", b"uniform"))

        def decide(customer_id: str, trigger: str, day: int, hour: float) -> SimDecision | None:
            if trigger != "login":
                return None
            try:
                decision = engine.decide(KIND, customer_id, request_id=f"login:{customer_id}:{day}")
            except UnknownEntityError:
                return None
            offer = decision.details.get("offer_id")
            if offer is None:
                return None
            run.decisions += 1
            return SimDecision(decision.decision_id, str(offer), "in_app", hour)

        bank = SimulatedBank(config, decide)
        for _, lines in bank.days():
            if lines:
                engine.ingest(lines)
        run.true_acceptance = [float(d["p_accept"]) for d in bank.truth.decisions]
        run.accepted = sum(bool(d["accepted"]) for d in bank.truth.decisions)
    run.seconds = time.perf_counter() - started
    return run


def live_value(db: Path) -> dict[str, float]:
    """The challenger's acceptance per decision from its own ledger, with a 95% interval."""
    with Engine(str(db)) as engine:
        ledger = engine.decisions.ledger
        answers = (parse_event(r.body) for r in engine.stores.events.scan(types=["offer_response"]))
        found = rewards(answers, ledger, KIND, "offer_response")
        logged = [found.get(d.decision_id, 0.0) for d in ledger.records() if d.kind == KIND]
    import numpy as np  # noqa: PLC0415 - only this function needs it

    estimate = on_policy(np.array(logged, dtype=float))
    return {"value": estimate.value, "low": estimate.low, "high": estimate.high, "n": len(logged)}


@dataclass
class OffPolicyResult:
    customers: int
    days: int
    seed: int
    champion: LoopRun
    challenger: LoopRun
    report: dict[str, object]
    live: dict[str, float]
    evaluate_seconds: float

    @property
    def true_value(self) -> float:
        values = self.challenger.true_acceptance
        return sum(values) / len(values) if values else float("nan")

    def markdown(self) -> str:
        champion = self.report["champion"]
        assert isinstance(champion, dict)
        estimates = self.report["challenger"]
        assert isinstance(estimates, dict)
        live = self.live["value"]
        lines = [
            "",
            "## Off-policy evaluation",
            "",
            f"Simulated bank of {self.customers:,} customers over {self.days} days (seed "
            f"{self.seed}), `next_best_action` at each login, the default policy's rules with "
            "its online learners off. The champion explores uniformly over the eligible offers "
            f"({self.champion.decisions:,} decisions logged with their propensities, "
            f"{self.champion.seconds:.0f} s); the challenger is the same rules always making an "
            "offer, with the savings offer valued five times higher. `rapport "
            "evaluate policy --ledger ... --challenger ... --json` estimated its acceptance "
            f"per decision in {self.evaluate_seconds:.1f} s; "
            f"then the challenger ran live on the same bank ({self.challenger.decisions:,} "
            f"decisions, {self.challenger.seconds:.0f} s).",
            "",
            "| policy | how measured | acceptance per decision | 95% interval | effective "
            "sample size | live value inside the interval |",
            "|---|---|---|---|---|---|",
            f"| champion (uniform) | logged mean | {champion['value']:.4f} | "
            f"{champion['low']:.4f} - {champion['high']:.4f} | | |",
        ]
        for name, e in estimates.items():
            inside = e["low"] <= live <= e["high"]
            truth_inside = e["low"] <= self.true_value <= e["high"]
            lines.append(
                f"| challenger | {name.upper()} off-policy | {e['value']:.4f} | "
                f"{e['low']:.4f} - {e['high']:.4f} | {e['effective_sample_size']:,.0f} | "
                f"{'yes' if inside else '**no**'} (true mean: "
                f"{'yes' if truth_inside else '**no**'}) |"
            )
        lines += [
            f"| challenger | live, from its own ledger | {live:.4f} | "
            f"{self.live['low']:.4f} - {self.live['high']:.4f} | | |",
            f"| challenger | live, mean true acceptance probability (simulator truth) | "
            f"{self.true_value:.4f} | | | |",
            "",
            f"Records left out for missing inputs: {self.report['missing_inputs']}; decisions "
            f"with no answer: {self.report['unanswered']}; the challenger agreed with the "
            f"champion's random offer on {float(self.report['agreement']):.0%} of them "  # type: ignore[arg-type]
            "(the rest weigh nothing in IPS and SNIPS). Measured by `python -m "
            "benchmarks.offpolicy` (also part of `make bench`).",
            "",
        ]
        return "\n".join(lines)


def measure_offpolicy(
    customers: int = CUSTOMERS, days: int = DAYS, seed: int = SEED
) -> OffPolicyResult:
    config = SimConfig(customers=customers, days=days, seed=seed)
    with tempfile.TemporaryDirectory(prefix="rapport-offpolicy-") as tmp:
        folder = Path(tmp)
        challenger = folder / "challenger.yaml"
        challenger.write_text(challenger_policy())
        champion = folder / "champion.yaml"
        champion.write_text(champion_policy())
        champion_run = closed_loop(folder / "champion.db", config, champion, champion=True)
        print(f"champion logged {champion_run.decisions:,} decisions", flush=True)
        command = [
            str(Path(sys.executable).with_name("rapport")),
            "evaluate",
            "policy",
            "--ledger",
            str(folder / "champion.db"),
            "--challenger",
            str(challenger),
            "--json",
        ]
        started = time.perf_counter()
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        evaluate_seconds = time.perf_counter() - started
        report = json.loads(out.strip().splitlines()[-1])
        challenger_run = closed_loop(folder / "challenger.db", config, challenger, champion=False)
        live = live_value(folder / "challenger.db")
    return OffPolicyResult(
        customers, days, seed, champion_run, challenger_run, report, live, evaluate_seconds
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.offpolicy", description=__doc__)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    print(measure_offpolicy(args.customers, args.days, args.seed).markdown())


if __name__ == "__main__":
    main()
