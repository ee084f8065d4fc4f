"""The bandit's closed-loop experiment on the simulated bank (``rapport evaluate bandit``).

The engine decides ``next_best_action`` at every customer's first login of the day (an in-app
offer, or none) and learns from the ``offer_response`` outcomes day by day: each day's events are
ingested before the next day's decisions, the bandit learns every joined outcome and publishes a
new frozen version every ``publish_every`` outcomes, which the next decisions use.

The simulator's truth holds, for every offer made, every offer's true acceptance probability at
that moment, so three policies are compared at exactly the moments the bandit made an offer:

- the bandit: the true probability of the offer it made (and, separately, what was realised);
- a static segment policy: the best fixed offer per income band, chosen with hindsight from the
  truth (what a campaign team would pick with perfect knowledge of the segments' averages);
- the oracle: the best offer for that customer at that moment.

The engine never imports the simulator: this harness sits in the CLI, beside it.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from rapport.engine import Engine, UnknownEntityError
from rapport.learning.bandit_features import BanditOptions
from rapport.sim import SimConfig, SimDecision, SimulatedBank

INCOME_BANDS = (25_000.0, 40_000.0, 60_000.0)
"""Upper bounds of the income bands of the static segment policy (the last band is open)."""
FINAL_DAYS = 14
"""The headline figures are measured over the last two weeks of the run (after learning)."""


def income_band(income: float) -> int:
    return sum(income >= bound for bound in INCOME_BANDS)


@dataclass
class DayFigures:
    day: int
    offers: int
    accepted: int
    bandit: float
    """Mean true acceptance probability of the offers made."""
    static: float
    oracle: float
    uniform: float
    """Mean over all offers (a random offer)."""


@dataclass
class BanditExperiment:
    customers: int
    days: int
    seed: int
    learner: str
    daily: list[DayFigures] = field(default_factory=list)
    versions: int = 0
    learned: int = 0
    eligible_oracle: float = 0.0
    """Best offer among those the engine deemed eligible, final window."""
    static_offers: dict[str, str] = field(default_factory=dict)
    static_is_best: float = 0.0
    """Share of the final window's moments where the static offer is the oracle's too."""
    window: dict[str, float] = field(default_factory=dict)
    """Final-window figures: bandit, bandit_realised, static, oracle, uniform."""
    whole: dict[str, float] = field(default_factory=dict)
    """The same over the whole run."""

    @property
    def vs_static(self) -> float:
        return self.window["bandit"] / self.window["static"]

    @property
    def vs_oracle(self) -> float:
        return self.window["bandit"] / self.window["oracle"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "customers": self.customers,
            "days": self.days,
            "seed": self.seed,
            "learner": self.learner,
            "final_days": FINAL_DAYS,
            "window": self.window,
            "whole_run": self.whole,
            "eligible_oracle": self.eligible_oracle,
            "vs_static": self.vs_static,
            "vs_oracle": self.vs_oracle,
            "oracle_vs_static": self.window["oracle"] / self.window["static"],
            "static_offers": self.static_offers,
            "static_is_best": self.static_is_best,
            "versions_published": self.versions,
            "outcomes_learned": self.learned,
            "daily": [vars(d) for d in self.daily],
        }


def experiment_policy(options: Mapping[str, object], publish_every: int) -> str:
    """The default policy, with next-best-action taken on request at logins (by the harness)
    and learning by the bandit."""
    text = resources.files("rapport.decisions").joinpath("default_policy.yaml").read_text()
    data = yaml.safe_load(text)
    data["triggers"] = {k: v for k, v in data["triggers"].items() if k != "login"}
    data["name"] = "bandit-experiment"
    data["learning"] = {
        "next_best_action": {
            "learner": "vw-cb-adf",
            "publish_every": publish_every,
            "options": dict(options),
        }
    }
    return str(yaml.safe_dump(data, sort_keys=False))


def run(
    customers: int,
    days: int,
    seed: int,
    options: Mapping[str, object] | None = None,
    publish_every: int = 200,
    on_day: Callable[[int], None] | None = None,
) -> BanditExperiment:
    """Run the closed loop and measure it against the static segment policy and the oracle."""
    options = dict(options or {})
    BanditOptions.model_validate(options)  # a mistake in the options stops here, not mid-run
    engine = Engine("memory://")
    engine.use_policy(experiment_policy(options, publish_every))
    config = SimConfig(customers=customers, days=days, seed=seed)
    people: dict[str, Any] = {}  # the simulated customers, to date each login in its zone
    eligible: dict[str, set[str]] = {}

    def decide(customer_id: str, trigger: str, day: int, hour: float) -> SimDecision | None:
        if trigger != "login":
            return None
        midnight = dt.datetime.combine(config.start + dt.timedelta(days=day), dt.time(), dt.UTC)
        at = midnight.timestamp() + (hour - people[customer_id].offset_hours) * 3600.0
        try:
            decision = engine.decide(
                "next_best_action", customer_id, at, request_id=f"login:{customer_id}:{day}"
            )
        except UnknownEntityError:
            return None
        offer = decision.details.get("offer_id")
        if decision.action != "offer" or not isinstance(offer, str):
            return None
        eligible[decision.decision_id] = {c.action for c in decision.candidates if c.eligible}
        return SimDecision(decision.decision_id, offer, "in_app", hour)

    bank = SimulatedBank(config, decide=decide)
    people.update((c.customer_id, c) for c in bank.customers)
    for day, lines in bank.days():
        engine.ingest(lines)  # outcomes among them reach the bandit through the engine's loop
        if on_day is not None and day >= 0:
            on_day(day)
    result = measure(bank, eligible, customers, days, seed)
    counts = engine.learning.counts
    result.versions, result.learned = counts.published, counts.by_kind.get("next_best_action", 0)
    engine.close()
    return result


def measure(
    bank: SimulatedBank, eligible: Mapping[str, set[str]], customers: int, days: int, seed: int
) -> BanditExperiment:
    incomes = {c["customer_id"]: c["annual_income"] for c in bank.truth.customers}
    traits = {
        c["customer_id"]: (
            min(2, int(c["discipline"] * 3)),
            min(2, int(c["impulsivity"] * 3)),
            c["life_stage"],
        )
        for c in bank.truth.customers
    }
    made = [d for d in bank.truth.decisions if d["trigger"] == "login"]
    final = [d for d in made if d["day"] >= days - FINAL_DAYS]
    offers = sorted(made[0]["p_accept_by_offer"]) if made else []
    result = BanditExperiment(customers, days, seed, "vw-cb-adf")

    def static_choice(rows: list[dict[str, Any]]) -> dict[int, str]:
        by_band: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_band[income_band(incomes[row["customer_id"]])].append(row)
        return {
            band: max(offers, key=lambda o: sum(r["p_accept_by_offer"][o] for r in band_rows))
            for band, band_rows in by_band.items()
        }

    def static_within_eligibility(rows: list[dict[str, Any]]) -> float:
        """The same campaign held to the policy's eligibility, as the engine is: each band's
        offers ranked with hindsight, the best-ranked eligible one made."""
        by_band: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_band[income_band(incomes[row["customer_id"]])].append(row)
        ranking = {
            band: sorted(offers, key=lambda o: -sum(r["p_accept_by_offer"][o] for r in band_rows))
            for band, band_rows in by_band.items()
        }
        made_offers = []
        for row in rows:
            allowed = eligible.get(row["decision_id"]) or set(offers)
            ranked = ranking[income_band(incomes[row["customer_id"]])]
            made_offers.append(row["p_accept_by_offer"][next(o for o in ranked if o in allowed)])
        return statistics.fmean(made_offers)

    def by_true_traits(rows: list[dict[str, Any]]) -> float:
        """The best fixed offer per segment of the customers' *hidden* traits (discipline and
        impulsivity terciles, life stage), with hindsight: a bound on what any model of those
        traits, estimated from behavior, could reach."""
        segments: dict[tuple[object, ...], list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            segments[traits[row["customer_id"]]].append(row)
        total = 0.0
        for segment_rows in segments.values():
            total += max(sum(r["p_accept_by_offer"][o] for r in segment_rows) for o in offers)
        return total / len(rows)

    def figures(rows: list[dict[str, Any]]) -> dict[str, float]:
        chosen = static_choice(rows)
        band = {r["decision_id"]: income_band(incomes[r["customer_id"]]) for r in rows}
        return {
            "static_eligible": static_within_eligibility(rows),
            "true_trait_segments": by_true_traits(rows),
            "offers": float(len(rows)),
            "bandit": statistics.fmean(r["p_accept"] for r in rows),
            "bandit_realised": statistics.fmean(float(r["accepted"]) for r in rows),
            "static": statistics.fmean(
                r["p_accept_by_offer"][chosen[band[r["decision_id"]]]] for r in rows
            ),
            "oracle": statistics.fmean(r["best_p_accept"] for r in rows),
            "uniform": statistics.fmean(
                statistics.fmean(r["p_accept_by_offer"].values()) for r in rows
            ),
        }

    # The static policy is chosen once, with hindsight over the whole run, as a campaign would.
    whole_choice = static_choice(made)
    by_day: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in made:
        by_day[row["day"]].append(row)
    for day in sorted(by_day):
        rows = by_day[day]
        static = statistics.fmean(
            r["p_accept_by_offer"][whole_choice[income_band(incomes[r["customer_id"]])]]
            for r in rows
        )
        result.daily.append(
            DayFigures(
                day,
                len(rows),
                sum(r["accepted"] for r in rows),
                statistics.fmean(r["p_accept"] for r in rows),
                static,
                statistics.fmean(r["best_p_accept"] for r in rows),
                statistics.fmean(statistics.fmean(r["p_accept_by_offer"].values()) for r in rows),
            )
        )
    result.window, result.whole = figures(final), figures(made)
    final_choice = static_choice(final)
    result.static_offers = {f"band {band}": offer for band, offer in sorted(final_choice.items())}
    result.static_is_best = statistics.fmean(
        float(r["best_offer"] == final_choice[income_band(incomes[r["customer_id"]])])
        for r in final
    )
    result.eligible_oracle = statistics.fmean(
        max(r["p_accept_by_offer"][o] for o in eligible.get(r["decision_id"], offers))
        for r in final
    )
    return result
