"""Contextual bandits for ``next_best_action`` and ``communication`` (Vowpal Wabbit
``cb_explore_adf``).

- :class:`VwCbLearner` is the online learner: each joined outcome of a decision it serves
  becomes one multi-line example rebuilt from the ledger record (the recorded inputs as context,
  the eligible candidates as arms, the chosen arm with cost = -reward and, for the cb_types that
  weigh by it, the logged propensity).
- :class:`VwChooser` is a published snapshot: frozen VW weights that give a distribution over
  the eligible arms of a decision. The same snapshot and inputs always give the same
  distribution (nothing in it learns or draws), so a replay restores the decision exactly.
- The artifact type ``vw-cb-adf`` carries a JSON header (VW arguments, context names, encoding
  version) and the saved VW model.

Only eligible arms ever reach the bandit: guardrails and eligibility are decided before it, by
the decision kind, and exploration is bounded by the policy's options
(:class:`~rapport.learning.bandit_features.BanditOptions`).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence

import vowpalwabbit

from rapport.decisions.policy import Policy
from rapport.decisions.record import Decision, Value
from rapport.learning.artifact import Artifact, loader
from rapport.learning.bandit_features import (
    BanditOptions,
    arms_for,
    context_names,
    example,
    vw_arguments,
)
from rapport.learning.bandit_refit import KeptExamples, Refit, RefitSchedule
from rapport.learning.loop import learner
from rapport.learning.model import Arm
from rapport.learning.outcomes import JoinedOutcome

ARTIFACT_TYPE = "vw-cb-adf"
ENCODING = 1
"""Version of the example encoding (bandit_features); a snapshot names the one it was fit on."""
BANDIT_KINDS = ("next_best_action", "communication")

PolicySource = Callable[[str], Policy | None]
"""Policy version -> that policy (to rebuild the arms a recorded decision had)."""


def chosen_arm(decision: Decision) -> str | None:
    """The arm a recorded decision took (None when it took none: no offer, a hold-off)."""
    key = "offer_id" if decision.kind == "next_best_action" else "channel"
    value = decision.details.get(key)
    return value if isinstance(value, str) else None


def eligible_arms(decision: Decision) -> list[str]:
    """The arms a recorded decision could choose from: its eligible candidates."""
    return [c.action for c in decision.candidates if c.eligible and c.action != "hold_off"]


def _without_seed(args: Sequence[str]) -> list[str]:
    """``args`` less ``--random_seed N``: a saved model carries its own (``--nn`` stores the
    seed its units were drawn with, and VW refuses to load it under any other)."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--random_seed":
            skip = True
        else:
            kept.append(arg)
    return kept


def _workspace_from(model: bytes, args: Sequence[str]) -> vowpalwabbit.Workspace:
    # VW reads a model from a file only; the file lives just long enough to be read.
    handle, path = tempfile.mkstemp(prefix="rapport-vw-", suffix=".model")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(model)
        return vowpalwabbit.Workspace(arg_list=[*_without_seed(args), "--initial_regressor", path])
    finally:
        os.unlink(path)


def _model_bytes(workspace: vowpalwabbit.Workspace) -> bytes:
    handle, path = tempfile.mkstemp(prefix="rapport-vw-", suffix=".model")
    os.close(handle)
    try:
        workspace.save(path)
        with open(path, "rb") as saved:
            return saved.read()
    finally:
        os.unlink(path)


class VwChooser:
    """A published bandit: a deterministic distribution over the eligible arms."""

    def __init__(self, version: str, kind: str, header: Mapping[str, object], model: bytes) -> None:
        self.version = version
        self.kind = kind
        names = header.get("context", [])
        self.features: tuple[str, ...] = (
            tuple(str(n) for n in names) if isinstance(names, list) else ()
        )
        args = header.get("args", [])
        self.args: list[str] = [str(a) for a in args] if isinstance(args, list) else []
        self._vw = _workspace_from(model, [*self.args, "--testonly"])
        # A VW workspace is not safe to share between threads; predictions are short.
        self._lock = threading.Lock()

    def pmf(self, inputs: Mapping[str, Value], arms: Sequence[Arm]) -> list[float]:
        if not arms:
            return []
        lines = example(inputs, self.features, arms)
        with self._lock:
            raw = self._vw.predict(lines)
        probabilities = [max(0.0, float(p)) for p in raw][: len(arms)]
        total = sum(probabilities)
        if len(probabilities) != len(arms) or total <= 0.0:
            return [1.0 / len(arms)] * len(arms)
        return [p / total for p in probabilities]

    def greedy(self, pmf: Sequence[float]) -> int:
        """The arm the snapshot would pick without exploring (ties: the first)."""
        return max(range(len(pmf)), key=lambda i: (pmf[i], -i))


def _split(payload: bytes) -> tuple[dict[str, object], bytes]:
    header, _, model = payload.partition(b"\n")
    parsed = json.loads(header)
    if not isinstance(parsed, dict):
        raise ValueError("a vw-cb-adf artifact starts with a JSON object")
    return parsed, model


@loader(ARTIFACT_TYPE)
def load_chooser(artifact: Artifact) -> VwChooser:
    header, model = _split(artifact.payload)
    if header.get("encoding") != ENCODING:
        raise ValueError(
            f"{artifact.version}: example encoding {header.get('encoding')!r}, "
            f"this Rapport reads {ENCODING}"
        )
    return VwChooser(artifact.version, artifact.kind, header, model)


class VwCbLearner:
    """An online contextual bandit for one decision kind (an ``OnlineLearner``)."""

    def __init__(
        self,
        kind: str,
        options: BanditOptions | Mapping[str, object] | None = None,
        policies: PolicySource | None = None,
    ) -> None:
        if kind not in BANDIT_KINDS:
            raise ValueError(f"vw-cb-adf serves {BANDIT_KINDS}, not {kind!r}")
        self.kind = kind
        self.options = (
            options
            if isinstance(options, BanditOptions)
            else BanditOptions.model_validate(dict(options or {}))
        )
        self.context = context_names(kind, self.options)
        self.args = vw_arguments(self.options)
        self.policies: PolicySource = policies or (lambda version: None)
        self._vw = vowpalwabbit.Workspace(arg_list=self.args)
        self._lock = threading.Lock()
        self.learned = 0
        """Examples learned so far."""
        self.skipped = 0
        """Joined outcomes that taught nothing (no label, no arm taken, another kind)."""
        self.refits = 0
        """Times the model was refitted from the kept outcomes (``bandit_refit``)."""
        self._since_publish = 0
        self._kept = KeptExamples(self.options.refit_window)
        self._schedule = RefitSchedule(self.options.refit_after, self.options.refit_every)
        self._refit: tuple[Refit, int] | None = None
        """The refit running, and the count of outcomes at which it replaces the model."""

    def use_policies(self, policies: PolicySource) -> None:
        """Where to find the policy a recorded decision was taken under (for its arms)."""
        self.policies = policies

    def learn_one(self, outcome: JoinedOutcome) -> None:
        decision = outcome.decision
        arm = chosen_arm(decision)
        if outcome.label is None or decision.kind != self.kind or arm is None:
            self.skipped += 1
            return
        ids = eligible_arms(decision)
        if arm not in ids:
            ids.append(arm)
        arms = arms_for(self.kind, ids, self.policies(decision.policy_version))
        # The direct method weighs every outcome alike: the logged probability stays in the
        # ledger (for off-policy evaluation) but not in the training example.
        propensity = (
            min(1.0, max(decision.propensity, 1e-6)) if self.options.weighs_by_propensity else 1.0
        )
        lines = example(
            decision.inputs, self.context, arms, (ids.index(arm), -outcome.label, propensity)
        )
        with self._lock:
            self._vw.learn(lines)
            self.learned += 1
            self._since_publish += 1
            if self.options.refit_passes:
                self._refit_step(lines)

    @property
    def kept(self) -> int:
        """Outcomes kept to refit on."""
        return len(self._kept)

    def _refit_step(self, lines: Sequence[str]) -> None:
        kept = self._kept.keep(lines)
        if self._refit is not None:
            running, swap_at = self._refit
            running.also_learn(kept)
            if self.learned >= swap_at:
                self._refit = None
                refitted = running.result()
                self._vw.finish()
                self._vw = refitted
                self.refits += 1
        elif self._schedule.due(self.learned):
            started = self._kept.refit(self.args, self.options.refit_passes, seed=self.learned)
            self._refit = (started, self._schedule.swap_at(self.learned))

    def pmf(self, inputs: Mapping[str, Value], arms: Sequence[Arm]) -> list[float]:
        """What the working copy would choose now (tests and diagnostics; decisions use a
        published snapshot)."""
        with self._lock:
            raw = self._vw.predict(example(inputs, self.context, arms))
        return [float(p) for p in raw]

    def publish(self) -> Artifact | None:
        """A frozen snapshot of what has been learned; None if nothing new since the last."""
        with self._lock:
            if self._since_publish == 0:
                return None
            model = _model_bytes(self._vw)
            self._since_publish = 0
            learned, refits = self.learned, self.refits
        # The snapshot explores as much as the options allow after this many outcomes; its
        # header carries that command line, so a replay restores the same distribution.
        header = {
            "encoding": ENCODING,
            "args": vw_arguments(self.options, learned),
            "context": list(self.context),
            "options": self.options.model_dump(mode="json"),
        }
        payload = json.dumps(header, sort_keys=True).encode() + b"\n" + model
        card = {
            "learner": ARTIFACT_TYPE,
            "examples": learned,
            "refits": refits,
            "exploration": self.options.exploration,
            "epsilon": self.options.epsilon_after(learned),
            "features": list(self.context),
        }
        return Artifact(self.kind, ARTIFACT_TYPE, payload, card)


@learner(ARTIFACT_TYPE)
def make_learner(kind: str, options: Mapping[str, object]) -> VwCbLearner:
    """The factory a policy's ``learning: {KIND: {learner: vw-cb-adf}}`` names."""
    return VwCbLearner(kind, options)
