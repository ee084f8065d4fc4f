"""Off-policy evaluation: what a challenger would have earned, from what the champion logged.

Every logged round holds the action the champion took, the probability it had of taking it (the
ledger's ``propensity``), the reward its outcome gave, and the distribution over actions the
target policy (the challenger) would have used on the same inputs. Three estimators of the
target's mean reward per round:

- **IPS** (inverse propensity scoring): rewards reweighted by target / logging probability.
  Unbiased when the logged propensities are right and the logging policy gives every action the
  target may take a chance; its variance grows with the weights.
- **SNIPS** (self-normalised IPS): the same weights, divided by their sum instead of the count.
  Slightly biased, always inside the range of the observed rewards, far steadier when weights
  are large.
- **DR** (doubly robust): a reward model's prediction for the target's actions, corrected by the
  weighted residual on the logged action. Unbiased if either the propensities or the reward model
  are right; the model is *cross-fitted* (each round's prediction comes from a model trained on
  the other folds), so its own errors do not leak into the correction.

Each estimate is a ratio of per-round sums, ``value = sum(a) / sum(b)``; a confidence interval
is the normal approximation (the delta method for the ratio) or a seeded percentile bootstrap
over rounds (the reward model is not refitted inside the bootstrap).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]
Interval = Literal["normal", "bootstrap"]
ESTIMATORS = ("ips", "snips", "dr")

# Per-action reward models need a few rows of each outcome before they say more than a mean.
_MIN_ROWS_FOR_MODEL = 20
# A mean over few rows is shrunk toward the overall mean by this many pseudo-rows.
_SHRINK_ROWS = 5.0


@dataclass(frozen=True)
class Round:
    """One logged decision, as off-policy evaluation sees it."""

    action: str
    """The action the logging policy took."""
    propensity: float
    """The probability the logging policy had of taking it (the ledger's ``propensity``)."""
    reward: float
    """What its outcome was worth (1.0 an accepted offer, 0.0 otherwise, ...)."""
    target: Mapping[str, float]
    """The target policy's distribution over actions on the same inputs."""
    context: Mapping[str, float] | None = None
    """Numeric inputs the reward model of DR may read (None: DR uses per-action means)."""


@dataclass(frozen=True)
class LoggedBandit:
    """Logged rounds as arrays: ``n`` rounds over ``K`` actions."""

    actions: tuple[str, ...]
    chosen: Ints
    """Index in ``actions`` of each round's logged action, shape (n,)."""
    rewards: Floats
    propensities: Floats
    target: Floats
    """The target's probability of every action in every round, shape (n, K)."""
    contexts: Floats | None = None
    """Numeric features for DR's reward model, shape (n, d)."""

    def __post_init__(self) -> None:
        n = len(self.chosen)
        if n == 0:
            raise ValueError("no logged rounds to evaluate")
        if self.target.shape != (n, len(self.actions)):
            raise ValueError(f"target must be (rounds, actions) = {(n, len(self.actions))}")
        if len(self.rewards) != n or len(self.propensities) != n:
            raise ValueError("actions, rewards and propensities must have one entry per round")
        if not np.all((self.propensities > 0) & (self.propensities <= 1)):
            raise ValueError("a logged propensity must lie in (0, 1]")
        if not np.allclose(self.target.sum(axis=1), 1.0, atol=1e-6):
            raise ValueError("each round's target distribution must sum to 1")

    @classmethod
    def from_rounds(cls, rounds: Sequence[Round]) -> LoggedBandit:
        actions = tuple(sorted({r.action for r in rounds} | {a for r in rounds for a in r.target}))
        index = {a: i for i, a in enumerate(actions)}
        target = np.zeros((len(rounds), len(actions)))
        for row, r in enumerate(rounds):
            for action, p in r.target.items():
                target[row, index[action]] = p
        contexts = None
        if rounds and all(r.context is not None for r in rounds):
            names = sorted({k for r in rounds for k in (r.context or {})})
            contexts = np.array(
                [[float((r.context or {}).get(k, 0.0)) for k in names] for r in rounds]
            ).reshape(len(rounds), len(names))
        return cls(
            actions,
            np.array([index[r.action] for r in rounds], dtype=np.int64),
            np.array([r.reward for r in rounds], dtype=np.float64),
            np.array([r.propensity for r in rounds], dtype=np.float64),
            target,
            contexts,
        )

    def unsupported_mass(self) -> float:
        """The target's mean probability on actions the logs never show: what no importance
        weight can vouch for (IPS counts it as reward 0, DR as its reward model's guess)."""
        logged = np.zeros(len(self.actions), dtype=bool)
        logged[np.unique(self.chosen)] = True
        return float(self.target[:, ~logged].sum(axis=1).mean())

    def weights(self, clip: float | None = None) -> tuple[Floats, int]:
        """Importance weights target / logging on the logged actions; how many were clipped."""
        rows = np.arange(len(self.chosen))
        raw = self.target[rows, self.chosen] / self.propensities
        if clip is None:
            return raw, 0
        return np.minimum(raw, clip), int(np.count_nonzero(raw > clip))


@dataclass(frozen=True)
class Estimate:
    """A policy's estimated mean reward per round, with its confidence interval."""

    estimator: str
    value: float
    low: float
    high: float
    standard_error: float
    rounds: int
    effective_sample_size: float
    """(sum of weights)^2 / sum of squared weights: how many rounds the estimate really rests
    on. Far below ``rounds`` means a few heavily weighted rounds carry it."""
    clipped: int
    """Rounds whose importance weight was clipped."""
    confidence: float
    interval: Interval

    def covers(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def on_policy(rewards: Floats, confidence: float = 0.95) -> Estimate:
    """The logging policy's own value: the mean logged reward, with its normal interval."""
    ones = np.ones_like(rewards)
    return _estimate("logged", rewards, ones, ones, 0, confidence, "normal", 0, 0)


def ips(data: LoggedBandit, clip: float | None = None, confidence: float = 0.95) -> Estimate:
    return evaluate(data, estimators=("ips",), clip=clip, confidence=confidence)["ips"]


def snips(data: LoggedBandit, clip: float | None = None, confidence: float = 0.95) -> Estimate:
    return evaluate(data, estimators=("snips",), clip=clip, confidence=confidence)["snips"]


def doubly_robust(
    data: LoggedBandit, clip: float | None = None, confidence: float = 0.95, folds: int = 2
) -> Estimate:
    return evaluate(data, estimators=("dr",), clip=clip, confidence=confidence, folds=folds)["dr"]


def evaluate(
    data: LoggedBandit,
    *,
    estimators: Sequence[str] = ESTIMATORS,
    clip: float | None = None,
    confidence: float = 0.95,
    bootstrap: int = 0,
    seed: int = 0,
    folds: int = 2,
    known_rewards: Mapping[str, float] | None = None,
) -> dict[str, Estimate]:
    """The target policy's value by each estimator.

    ``clip`` caps importance weights (less variance, some bias); ``bootstrap`` > 0 gives
    percentile intervals from that many seeded resamples instead of the normal approximation;
    ``folds`` is DR's cross-fitting; ``known_rewards`` are actions whose reward is known by
    construction (no offer made is never accepted), which DR's reward model takes as given.
    """
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie in (0, 1)")
    unknown = set(estimators) - set(ESTIMATORS)
    if unknown:
        raise ValueError(f"unknown estimators {sorted(unknown)}; known: {list(ESTIMATORS)}")
    w, clipped = data.weights(clip)
    ones = np.ones_like(w)
    interval: Interval = "bootstrap" if bootstrap > 0 else "normal"
    results: dict[str, Estimate] = {}
    for name in estimators:
        if name == "ips":
            a, b = w * data.rewards, ones
        elif name == "snips":
            a, b = w * data.rewards, w
        else:
            q = cross_fitted_rewards(data, folds, seed, known_rewards)
            rows = np.arange(len(w))
            direct = (data.target * q).sum(axis=1)
            a, b = direct + w * (data.rewards - q[rows, data.chosen]), ones
        results[name] = _estimate(name, a, b, w, clipped, confidence, interval, bootstrap, seed)
    return results


def _estimate(
    name: str,
    a: Floats,
    b: Floats,
    w: Floats,
    clipped: int,
    confidence: float,
    interval: Interval,
    resamples: int,
    seed: int,
) -> Estimate:
    n = len(a)
    total_b = float(b.sum())
    value = float(a.sum()) / total_b if total_b > 0 else 0.0
    # The delta method for a ratio of means: the spread of a - value * b, over mean(b).
    linear = (a - value * b) / (total_b / n if total_b > 0 else 1.0)
    se = float(linear.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
    if interval == "normal":
        z = statistics.NormalDist().inv_cdf(0.5 + confidence / 2)
        low, high = value - z * se, value + z * se
    else:
        low, high = _bootstrap(a, b, confidence, resamples, seed)
    squares = float((w * w).sum())
    ess = float(w.sum()) ** 2 / squares if squares > 0 else 0.0
    return Estimate(name, value, low, high, se, n, ess, clipped, confidence, interval)


def _bootstrap(
    a: Floats, b: Floats, confidence: float, resamples: int, seed: int
) -> tuple[float, float]:
    """Percentile interval of sum(a)/sum(b) over rounds resampled with replacement."""
    rng = np.random.default_rng(seed)
    n = len(a)
    values: list[float] = []
    # Resample in chunks: (resamples x rounds) indices at once would not fit for large ledgers.
    chunk = max(1, 2_000_000 // n)
    while len(values) < resamples:
        size = min(chunk, resamples - len(values))
        picks = rng.integers(0, n, size=(size, n))
        sums_b = b[picks].sum(axis=1)
        sums_a = a[picks].sum(axis=1)
        values.extend(np.where(sums_b > 0, sums_a / np.where(sums_b > 0, sums_b, 1.0), 0.0))
    tail = (1 - confidence) / 2
    low, high = np.quantile(np.array(values), [tail, 1 - tail])
    return float(low), float(high)


def cross_fitted_rewards(
    data: LoggedBandit,
    folds: int = 2,
    seed: int = 0,
    known_rewards: Mapping[str, float] | None = None,
) -> Floats:
    """Predicted reward of every action in every round, shape (n, K), each round predicted by
    models that never saw it: per action, a logistic regression (binary rewards) or a ridge
    regression on the contexts, trained on the other folds' rounds of that action; a shrunk
    mean where those rounds are too few or all alike (the overall mean for an action never
    logged: see ``unsupported_mass``); the given value for an action in ``known_rewards``."""
    n, k = data.target.shape
    folds = max(2, min(folds, n))
    assignment = np.random.default_rng(seed).permutation(n) % folds
    binary = bool(np.isin(data.rewards, (0.0, 1.0)).all())
    predicted = np.zeros((n, k))
    for fold in range(folds):
        test = assignment == fold
        train = ~test
        overall = float(data.rewards[train].mean()) if train.any() else 0.0
        for action in range(k):
            if known_rewards and data.actions[action] in known_rewards:
                predicted[test, action] = known_rewards[data.actions[action]]
                continue
            rows = train & (data.chosen == action)
            y = data.rewards[rows]
            mean = (float(y.sum()) + _SHRINK_ROWS * overall) / (len(y) + _SHRINK_ROWS)
            predicted[test, action] = mean
            if data.contexts is None or len(y) < _MIN_ROWS_FOR_MODEL or np.ptp(y) == 0:
                continue
            x = data.contexts[rows]
            model = _reward_model(binary)
            if binary:
                model.fit(x, y.astype(int))
                predicted[test, action] = model.predict_proba(data.contexts[test])[:, 1]
            else:
                model.fit(x, y)
                predicted[test, action] = model.predict(data.contexts[test])
    return predicted


def _reward_model(binary: bool) -> Any:
    """A fresh reward model: logistic for 0/1 rewards, ridge otherwise, on standardised
    contexts. scikit-learn is imported here, not with the module: it takes most of a second,
    and every engine (every CLI command) imports this module while few fit a reward model."""
    from sklearn.linear_model import LogisticRegression, Ridge  # noqa: PLC0415
    from sklearn.pipeline import make_pipeline  # noqa: PLC0415
    from sklearn.preprocessing import StandardScaler  # noqa: PLC0415

    if binary:
        return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, solver="newton-cholesky"))
    return make_pipeline(StandardScaler(), Ridge(alpha=1.0))
