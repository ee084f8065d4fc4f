"""Off-policy estimators: unbiased on logged data with known propensities, intervals that cover
the truth at about their nominal rate, and the invariants each estimator must keep."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.learning.offpolicy import (
    LoggedBandit,
    Round,
    doubly_robust,
    evaluate,
    ips,
    on_policy,
    snips,
)

ACTIONS = 3
DIMENSIONS = 3
# The hidden world of the synthetic logs: the acceptance log-odds of each action.
THETA = np.array([[1.0, -0.5, 0.2], [-0.8, 0.9, 0.0], [0.3, 0.3, -1.0]])
BIAS = np.array([-1.0, -1.5, -0.7])
LOGGING = np.array([[0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.5]])
TARGET = np.array([[-1.5, 0.0, 1.0], [1.0, 1.0, 0.0], [0.0, -1.0, 1.0]])


def _softmax(scores: np.ndarray, floor: float) -> np.ndarray:
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    mixed: np.ndarray = (1 - floor) * p + floor / scores.shape[1]
    return mixed


def _accept(x: np.ndarray) -> np.ndarray:
    probability: np.ndarray = 1 / (1 + np.exp(-(x @ THETA.T + BIAS)))
    return probability


def _target(x: np.ndarray) -> np.ndarray:
    return _softmax(3 * x @ TARGET.T, 0.05)


def _true_value() -> float:
    x = np.random.default_rng(12345).normal(size=(200_000, DIMENSIONS))
    return float((_target(x) * _accept(x)).sum(axis=1).mean())


TRUE_VALUE = _true_value()


def _logged(rounds: int, seed: int) -> LoggedBandit:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rounds, DIMENSIONS))
    logging = _softmax(x @ LOGGING.T, 0.2)
    chosen = (rng.random((rounds, 1)) > logging.cumsum(axis=1)).sum(axis=1)
    rows = np.arange(rounds)
    rewards = (rng.random(rounds) < _accept(x)[rows, chosen]).astype(float)
    return LoggedBandit(
        ("a", "b", "c"), chosen.astype(np.int64), rewards, logging[rows, chosen], _target(x), x
    )


@pytest.fixture(scope="module")
def replications() -> list[dict[str, tuple[float, bool]]]:
    runs = []
    for seed in range(120):
        estimates = evaluate(_logged(400, seed), seed=seed)
        runs.append({k: (e.value, e.covers(TRUE_VALUE)) for k, e in estimates.items()})
    return runs


@pytest.mark.parametrize("name", ["ips", "snips", "dr"])
def test_estimators_are_unbiased_for_the_target_policy(
    replications: list[dict[str, tuple[float, bool]]], name: str
) -> None:
    values = np.array([run[name][0] for run in replications])
    standard_error = values.std(ddof=1) / np.sqrt(len(values))
    # The logging policy's own value differs, so an estimator that ignored the weights fails.
    logged_value = np.mean([_logged(400, s).rewards.mean() for s in range(20)])
    assert abs(logged_value - TRUE_VALUE) > 0.04
    assert abs(values.mean() - TRUE_VALUE) < 4 * standard_error + 0.003


@pytest.mark.parametrize("name", ["ips", "snips", "dr"])
def test_normal_intervals_cover_the_truth_at_about_the_nominal_rate(
    replications: list[dict[str, tuple[float, bool]]], name: str
) -> None:
    coverage = np.mean([run[name][1] for run in replications])
    assert 0.87 <= coverage <= 0.995


def test_doubly_robust_is_steadier_than_ips_with_an_informative_reward_model(
    replications: list[dict[str, tuple[float, bool]]],
) -> None:
    spread = {k: np.std([run[k][0] for run in replications]) for k in ("ips", "dr")}
    assert spread["dr"] < spread["ips"]


def test_bootstrap_intervals_are_seeded_and_cover_about_as_often() -> None:
    data = _logged(300, 7)
    first = evaluate(data, bootstrap=200, seed=3)
    assert first == evaluate(data, bootstrap=200, seed=3)
    assert first["ips"].interval == "bootstrap"
    covered = [
        e.covers(TRUE_VALUE)
        for seed in range(40)
        for e in evaluate(_logged(300, 1000 + seed), bootstrap=200, seed=seed).values()
    ]
    assert np.mean(covered) >= 0.85


_distribution = st.lists(st.floats(0.01, 1.0), min_size=ACTIONS, max_size=ACTIONS).map(
    lambda ps: [p / sum(ps) for p in ps]
)
_round = st.tuples(_distribution, _distribution, st.floats(0, 1), st.floats(-5, 5))


def _rounds(draws: list[tuple[list[float], list[float], float, float]], same: bool) -> list[Round]:
    rounds = []
    for logging, target, u, reward in draws:
        action = min(int(np.searchsorted(np.cumsum(logging), u * 0.999999)), ACTIONS - 1)
        rounds.append(
            Round(
                "abc"[action],
                logging[action],
                reward,
                dict(zip("abc", logging if same else target, strict=True)),
            )
        )
    return rounds


@settings(max_examples=60, deadline=None)
@given(st.lists(_round, min_size=2, max_size=40))
def test_ips_of_the_logging_policy_is_the_mean_logged_reward(
    draws: list[tuple[list[float], list[float], float, float]],
) -> None:
    data = LoggedBandit.from_rounds(_rounds(draws, same=True))
    estimate = ips(data)
    assert estimate.value == pytest.approx(float(np.mean([d[3] for d in draws])), abs=1e-9)
    assert estimate.value == pytest.approx(on_policy(data.rewards).value, abs=1e-9)
    assert estimate.effective_sample_size == pytest.approx(len(draws))


@settings(max_examples=60, deadline=None)
@given(st.lists(_round, min_size=1, max_size=40), st.none() | st.floats(0.5, 20))
def test_snips_stays_within_the_range_of_the_rewards(
    draws: list[tuple[list[float], list[float], float, float]], clip: float | None
) -> None:
    data = LoggedBandit.from_rounds(_rounds(draws, same=False))
    value = snips(data, clip=clip).value
    assert data.rewards.min() - 1e-9 <= value <= data.rewards.max() + 1e-9


@settings(max_examples=60, deadline=None)
@given(st.lists(_round, min_size=2, max_size=40), st.floats(0.5, 5))
def test_clipping_caps_every_weight_and_counts_what_it_cut(
    draws: list[tuple[list[float], list[float], float, float]], clip: float
) -> None:
    data = LoggedBandit.from_rounds(_rounds(draws, same=False))
    raw, none = data.weights()
    capped, clipped = data.weights(clip)
    assert none == 0
    assert capped.max() <= clip
    assert clipped == int((raw > clip).sum())
    estimate = ips(data, clip=clip)
    assert estimate.clipped == clipped
    assert 0 < estimate.effective_sample_size <= len(draws) + 1e-9
    if (data.rewards >= 0).all():
        assert estimate.value <= ips(data).value + 1e-12


def test_doubly_robust_needs_no_contexts_and_falls_back_to_action_means() -> None:
    data = _logged(400, 3)
    bare = LoggedBandit(data.actions, data.chosen, data.rewards, data.propensities, data.target)
    estimate = doubly_robust(bare)
    assert estimate.estimator == "dr"
    assert abs(estimate.value - TRUE_VALUE) < 4 * estimate.standard_error + 0.01


def test_inconsistent_logs_are_refused() -> None:
    good = Round("a", 0.5, 1.0, {"a": 0.5, "b": 0.5})
    with pytest.raises(ValueError, match="propensity"):
        LoggedBandit.from_rounds([good, Round("a", 0.0, 1.0, {"a": 1.0})])
    with pytest.raises(ValueError, match="sum to 1"):
        LoggedBandit.from_rounds([good, Round("a", 0.5, 1.0, {"a": 0.5})])
    with pytest.raises(ValueError, match="no logged rounds"):
        LoggedBandit.from_rounds([])
    with pytest.raises(ValueError, match="unknown estimators"):
        evaluate(LoggedBandit.from_rounds([good]), estimators=("magic",))


def test_an_action_never_logged_is_measured_and_takes_its_known_reward() -> None:
    rounds = [
        Round("a" if i % 2 else "b", 0.5, float(i % 3 == 0), {"a": 0.5, "none": 0.5})
        for i in range(60)
    ]
    data = LoggedBandit.from_rounds(rounds)
    assert data.unsupported_mass() == pytest.approx(0.5)
    guessed = doubly_robust(data).value
    known = evaluate(data, estimators=("dr",), known_rewards={"none": 0.0})["dr"].value
    # Known to earn nothing, "none" adds nothing; guessed, it borrows the overall mean.
    assert known == pytest.approx(ips(data).value, abs=0.05)
    assert guessed > known + 0.1


_table = st.lists(st.floats(0.05, 1.0), min_size=2 * ACTIONS, max_size=2 * ACTIONS)


@settings(max_examples=12, deadline=None)
@given(_table, _table, st.lists(st.floats(0.0, 1.0), min_size=2 * ACTIONS, max_size=2 * ACTIONS))
def test_ips_and_dr_are_unbiased_for_any_logging_and_target_tables(
    logging: list[float], target: list[float], means: list[float]
) -> None:
    """Two kinds of customer, three actions: whatever the logging and target policies and the
    true acceptance rates, the average estimate over many logs is the target's true value (DR
    here with a reward model that ignores the kind of customer: still unbiased)."""
    mu = np.array(logging).reshape(2, ACTIONS)
    mu /= mu.sum(axis=1, keepdims=True)
    pi = np.array(target).reshape(2, ACTIONS)
    pi /= pi.sum(axis=1, keepdims=True)
    rho = np.array(means).reshape(2, ACTIONS)
    truth = float((pi * rho).sum(axis=1).mean())
    values: dict[str, list[float]] = {"ips": [], "dr": []}
    rounds = 300
    for seed in range(40):
        rng = np.random.default_rng(seed)
        kind = rng.integers(0, 2, rounds)
        chosen = (rng.random((rounds, 1)) > mu[kind].cumsum(axis=1)).sum(axis=1)
        chosen = np.minimum(chosen, ACTIONS - 1)
        rewards = (rng.random(rounds) < rho[kind, chosen]).astype(float)
        data = LoggedBandit(
            ("a", "b", "c"),
            chosen.astype(np.int64),
            rewards,
            mu[kind, chosen],
            pi[kind],
        )
        for name, estimate in evaluate(data, estimators=("ips", "dr"), seed=seed).items():
            values[name].append(estimate.value)
    for name, found in values.items():
        spread = np.std(found, ddof=1) / np.sqrt(len(found))
        assert abs(np.mean(found) - truth) < 4 * spread + 0.01, name
