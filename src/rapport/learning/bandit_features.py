"""What a contextual bandit sees: the customer's context and each eligible arm, as VW text.

A bandit decision is one multi-line Vowpal Wabbit example: a ``shared`` line with the context
(the decision's recorded inputs the bandit reads) and one line per eligible arm with the arm's
own features (offer id, the words of its product, promotional or not, its value; or a message's
channel). Interactions between the two namespaces (``-q ca``) let the preference for an arm
depend on the customer.

Everything here is a pure function of recorded inputs and the policy, so the learner (from a
ledger record) and the published snapshot (at decision time) build exactly the same example.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rapport.decisions.policy import Offer, Policy
from rapport.decisions.record import Value
from rapport.learning.model import Arm

CONTEXT_NAMESPACE = "c"
ARM_NAMESPACE = "a"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.=-]")
# Words of a product's description that say nothing about what it is.
_STOP_WORDS = frozenset({"a", "an", "the", "of", "with", "for", "about", "to", "and", "or", "free"})

# A broad description of a customer, meant for any bank: money in and out, where it goes,
# credit behaviour, digital engagement, which product families the customer browses (what they
# are shopping for), how many offers the customer has had lately (fatigue) and how they
# answered, plus every behavioral signal. Nothing here is specific to one product of the
# catalog; the bandit learns which of it matters for which arm. Every name is recorded with each
# learned decision, so the list stays short (the ledger's budget).
DEFAULT_CONTEXT: tuple[str, ...] = (
    "signals.financial_stress",
    "signals.vulnerability",
    "signals.impulsivity",
    "signals.discipline",
    "signals.rhythm_change",
    "signals.engagement",
    "features.declared_income",
    "features.salary_30d",
    "features.balance_mean_30d",
    "features.debit_sum_30d",
    "features.share_travel_30d",
    "features.share_retail_30d",
    "features.share_dining_30d",
    "features.share_gambling_30d",
    "features.share_cash_30d",
    "features.utilisation_mean_90d",
    "features.late_share_90d",
    "features.products_held",
    "features.logins_30d",
    "features.hardship_page_views_30d",
    "features.loan_page_views_30d",
    "features.savings_page_share_30d",
    "features.investing_page_share_30d",
    "features.insurance_page_share_30d",
    "features.travel_page_share_30d",
    "features.card_page_share_30d",
    "features.budgeting_page_share_30d",
    "features.mortgage_page_share_30d",
    "features.tenure_days",
    "features.offers_answered_90d",
    "features.offer_acceptance_rate_90d",
)
COMMUNICATION_CONTEXT: tuple[str, ...] = (
    *DEFAULT_CONTEXT,
    "features.message_open_rate_90d",
    "features.messages_delivered_90d",
    "features.response_rate_email",
    "features.response_rate_sms",
    "features.response_rate_push",
    "contacts.sent_7d",
    "event.purpose",
)


class BanditOptions(BaseModel):
    """A contextual bandit's settings (the ``options`` of a ``vw-cb-adf`` learner in the
    policy's ``learning:`` section). Exploration is bounded here, by the policy."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    exploration: Literal["epsilon", "squarecb"] = "epsilon"
    """``epsilon``: the best arm, except that a share of the probability (``epsilon``, then
    less as outcomes accumulate, never under ``epsilon_floor``) is spread evenly over every
    eligible arm. ``squarecb``:
    probabilities fall with an arm's estimated gap to the best, less steeply while little is
    known (``gamma_scale``); no arm is ever at zero, but there is no fixed floor."""
    epsilon: float = Field(default=0.05, ge=0.0, le=0.3)
    """Share of decisions that explore (epsilon-greedy) while the bandit is new; the policy may
    not go above 0.3."""
    epsilon_floor: float = Field(default=0.02, ge=0.0, le=0.3)
    """The share exploring never falls below this (nor above ``epsilon``): each eligible arm
    keeps at least ``min(epsilon, epsilon_floor) / arms``, so that the bandit keeps learning
    when customers change and every logged probability stays bounded away from zero for
    off-policy evaluation."""
    epsilon_decay_after: int = Field(default=10_000, ge=0)
    """Outcomes learned with the full ``epsilon``; after them each published version explores
    ``epsilon * sqrt(epsilon_decay_after / outcomes learned)``, down to ``epsilon_floor``
    (exploring costs acceptances, and its worth falls as the estimates firm up). 0 keeps
    ``epsilon`` throughout."""
    gamma_scale: float = Field(default=100.0, ge=1.0, le=100_000.0)
    """SquareCB's greediness: larger exploits sooner (VW's ``--gamma_scale``)."""
    context: tuple[str, ...] | None = None
    """Recorded inputs the bandit reads as the customer's context (``features.x``,
    ``signals.y``, ``event.z``); None takes the kind's broad default."""
    interactions: tuple[str, ...] = ("ca",)
    """Namespace pairs crossed (VW ``-q``): ``c`` context, ``a`` arm. ``ca`` lets every context
    feature move every arm feature's weight."""
    cb_type: Literal["direct", "dm", "mtr", "dr", "ips"] = "direct"
    """How a logged reward becomes a training signal. ``direct`` regresses the reward of the
    arm taken on the context and the arm, each outcome weighing one (VW's ``mtr`` reduction
    with the logged probability left out of the weight): the textbook direct method, steady
    from few outcomes. The others are VW's own ``--cb_type``. VW's ``dm`` (the default until
    this option existed) gives estimates that shrink with how rarely an arm was taken, so the
    incumbent arm keeps winning: with arms taken 90/5/5% whose true acceptance is
    0.1/0.3/0.6, ``dm`` estimated 0.105/0.036/0.015 after 20,000 outcomes, ``direct``
    0.109/0.302/0.631. ``mtr`` weighs each outcome by
    1/propensity (unbiased, but one outcome of a rarely explored arm then weighs up to
    arms/epsilon and can swing the whole model). ``squarecb`` needs ``direct`` or ``mtr``."""
    clip_p: float = Field(default=0.0, ge=0.0, le=0.5)
    """Propensities below this count as this when weighting an outcome (VW's ``--clip_p``): a
    rare explored arm's one outcome weighs at most ``1 / clip_p``. 0 does not clip."""
    learning_rate: float = Field(default=0.5, gt=0.0, le=10.0)
    """VW's ``--learning_rate``."""
    bits: int = Field(default=18, ge=12, le=24)
    """Hash space of the weights (VW's ``-b``): 2**bits weights per model."""
    hidden_units: int = Field(default=5, ge=0, le=32)
    """Sigmoidal hidden units of a one-layer network beside the linear model (VW's ``--nn``),
    so an arm's estimate can bend with the customer (acceptance is a probability, not a line).
    With refits, 5 units took greedy choices on the simulated bank's logged outcomes from 0.817
    to 0.848 of the oracle (seed 31) and 0.817 to 0.853 (seed 5). 0 keeps the model linear."""
    refit_passes: int = Field(default=10, ge=0, le=50)
    """Passes of a refit: on a schedule (``refit_after``, ``refit_every``) the learner trains a
    fresh model on its latest outcomes (``refit_window``) this many times over, then goes on
    learning online from it. One online pass leaves rarely taken arms under-fitted (see
    ``rapport.learning.bandit_refit``). 0 learns online only."""
    refit_window: int = Field(default=50_000, ge=100, le=1_000_000)
    """Latest outcomes kept to refit on (as VW examples, about 1 KB each in memory)."""
    refit_after: int = Field(default=1_000, ge=1)
    """Outcomes before the first refit; the next come each time the count doubles."""
    refit_every: int = Field(default=20_000, ge=1)
    """Most outcomes between two refits (a refit of ``refit_window`` outcomes takes roughly
    ``refit_passes * refit_window`` x 30-45 µs, by machine, on a thread of its own)."""

    @model_validator(mode="after")
    def _squarecb_needs_a_regression(self) -> BanditOptions:
        if self.exploration == "squarecb" and self.cb_type not in ("direct", "mtr"):
            raise ValueError("exploration squarecb works with cb_type direct or mtr only")
        return self

    @property
    def weighs_by_propensity(self) -> bool:
        """Whether a training example carries its logged probability (all but ``direct``)."""
        return self.cb_type != "direct"

    def epsilon_after(self, learned: int) -> float:
        """The share exploring in a version published after ``learned`` outcomes."""
        floor = min(self.epsilon, self.epsilon_floor)
        if self.epsilon_decay_after == 0 or learned <= self.epsilon_decay_after:
            return self.epsilon
        return max(floor, self.epsilon * math.sqrt(self.epsilon_decay_after / learned))


def context_names(kind: str, options: BanditOptions) -> tuple[str, ...]:
    if options.context is not None:
        return options.context
    return COMMUNICATION_CONTEXT if kind == "communication" else DEFAULT_CONTEXT


def vw_arguments(options: BanditOptions, learned: int = 0) -> list[str]:
    """The VW command line of a learner, and of the snapshot it publishes after ``learned``
    outcomes (whose exploration may have decayed: see ``BanditOptions.epsilon_after``)."""
    args = [
        "--cb_explore_adf",
        "--quiet",
        "--cb_type",
        "mtr" if options.cb_type == "direct" else options.cb_type,
        "--learning_rate",
        repr(options.learning_rate),
        "-b",
        str(options.bits),
        "--random_seed",
        "0",
    ]
    if options.clip_p > 0.0:
        args += ["--clip_p", repr(options.clip_p)]
    if options.exploration == "epsilon":
        args += ["--epsilon", repr(options.epsilon_after(learned))]
    else:
        args += ["--squarecb", "--gamma_scale", repr(options.gamma_scale)]
    for pair in options.interactions:
        args += ["-q", pair]
    if options.hidden_units:
        args += ["--nn", str(options.hidden_units)]
    return args


def squash(value: float) -> float:
    """Fractions and scores as they are; larger magnitudes (amounts, counts, days) on a log
    scale, continuously, so that one customer's large balance cannot swamp the rest."""
    if abs(value) <= 1.0:
        return value
    return math.copysign(1.0 + math.log(abs(value)), value)


def _token(text: str) -> str:
    return _UNSAFE.sub("_", text)


@functools.lru_cache(maxsize=64)
def _keys(names: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each input's name beside its VW feature name (worked out once per context list: a
    decision taken with a published bandit writes the whole context line)."""
    return tuple((name, _token(name)) for name in names)


def context_line(inputs: Mapping[str, Value], names: Sequence[str]) -> str:
    parts: list[str] = []
    for name, key in _keys(tuple(names)):
        value = inputs.get(name)
        if value is None:
            continue
        if isinstance(value, bool):
            parts.append(f"{key}:{int(value)}")
        elif isinstance(value, int | float):
            if math.isfinite(value) and value != 0.0:
                parts.append(f"{key}:{squash(float(value)):.6g}")
        else:
            parts.append(f"{key}={_token(value)}")
    return f"shared |{CONTEXT_NAMESPACE} " + " ".join(parts)


def arm_line(arm: Arm, label: str = "") -> str:
    text = _arm_text(tuple(sorted(arm.features.items())))
    return f"{label} {text}" if label else text


@functools.lru_cache(maxsize=4096)
def _arm_text(features: tuple[tuple[str, float | str], ...]) -> str:
    parts: list[str] = []
    for name, value in features:
        key = _token(name)
        if isinstance(value, str):
            parts.append(f"{key}={_token(value)}")
        elif value != 0.0:
            parts.append(f"{key}:{value:.6g}")
    return f"|{ARM_NAMESPACE} " + " ".join(parts)


def example(
    inputs: Mapping[str, Value],
    names: Sequence[str],
    arms: Sequence[Arm],
    chosen: tuple[int, float, float] | None = None,
) -> list[str]:
    """The multi-line example; ``chosen`` = (arm index, cost, logged probability) to learn."""
    lines = [context_line(inputs, names)]
    for index, arm in enumerate(arms):
        label = ""
        if chosen is not None and chosen[0] == index:
            label = f"0:{chosen[1]:.6g}:{chosen[2]:.6g}"
        lines.append(arm_line(arm, label))
    return lines


@functools.lru_cache(maxsize=4096)
def offer_arm(offer: Offer) -> Arm:
    """An offer as an arm: its id, the words of its product, promotional or not, its value."""
    features: dict[str, float | str] = {
        "offer": offer.id,
        "promotional": 1.0 if offer.promotional else 0.0,
        "value": squash(offer.value),
    }
    for word in re.findall(r"[a-z]+", offer.product.lower()):
        if word not in _STOP_WORDS:
            features[f"word_{word}"] = 1.0
    return Arm(offer.id, features)


def channel_arm(channel: str) -> Arm:
    return Arm(channel, {"channel": channel})


def arms_for(kind: str, ids: Sequence[str], policy: Policy | None) -> list[Arm]:
    """The arms of a decision of ``kind`` whose eligible candidates are ``ids`` (in order).

    An offer the policy no longer describes still gets an arm from its id alone.
    """
    if kind == "communication":
        return [channel_arm(i) for i in ids]
    catalog = {o.id: o for o in policy.offers.catalog} if policy is not None else {}
    return [
        offer_arm(catalog[i]) if i in catalog else Arm(i, {"offer": i, "promotional": 1.0})
        for i in ids
    ]
