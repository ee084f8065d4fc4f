"""A LightGBM scorer for ``fraud`` and ``credit_limit``: calibrated probabilities, own reasons.

An artifact of type ``lightgbm`` holds, in one canonical JSON payload (so its version is the hash
of everything that shapes a prediction): the booster's text, the input names it reads in column
order, the vocabulary of each text input (``event.channel``...), the calibration map and,
optionally, the name of a built-in *offset* — a transparent score the trees were boosted from
(the fraud kind's behavioral log-odds, for one), whose terms then count among the reasons.

``predict_one`` costs a few tens of microseconds (LightGBM's C single-row path, see
``fast_booster``); the contributions behind the reasons (TreeSHAP) are computed only when a
decision reads them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from rapport.decisions import fraud
from rapport.decisions.record import Value
from rapport.learning.artifact import Artifact, loader
from rapport.learning.calibration import Calibrator
from rapport.learning.model import Prediction
from rapport.learning.reason_codes import BASE

if TYPE_CHECKING:
    # LightGBM (under FastBooster) takes about a second to import: loaded with the first model.
    from rapport.learning.fast_booster import FastBooster

TYPE = "lightgbm"
FORMAT = "rapport-lightgbm-1"


@dataclass(frozen=True)
class Offset:
    """A transparent score a model is boosted from: its inputs and its terms (log-odds)."""

    inputs: tuple[str, ...]
    terms: Callable[[Mapping[str, Value]], dict[str, float]]
    """Inputs -> {``prior.CODE``: contribution}; the offset is their sum."""


OFFSETS: dict[str, Offset] = {}


def register_offset(name: str, offset: Offset) -> None:
    OFFSETS[name] = offset


def encode(value: Value, vocabulary: Mapping[str, int] | None) -> float:
    """One input as the booster reads it: numbers as they are, text as its category index,
    anything absent or unknown as missing (NaN, which the trees route on their own)."""
    if vocabulary is not None:
        index = vocabulary.get(value) if isinstance(value, str) else None
        return math.nan if index is None else float(index)
    if value is None or isinstance(value, str):
        return math.nan
    return float(value)


def encode_rows(
    rows: Sequence[Mapping[str, Value]],
    columns: Sequence[str],
    categories: Mapping[str, Mapping[str, int]],
) -> NDArray[np.float64]:
    matrix = np.empty((len(rows), len(columns)), dtype=np.float64)
    for j, name in enumerate(columns):
        vocabulary = categories.get(name)
        matrix[:, j] = [encode(row.get(name), vocabulary) for row in rows]
    return matrix


class LazyContributions(dict[str, float]):
    """Contributions computed on first read: most decisions (an approval) never read them."""

    def __init__(self, compute: Callable[[], dict[str, float]]) -> None:
        super().__init__()
        self._compute: Callable[[], dict[str, float]] | None = compute

    def _fill(self) -> None:
        if self._compute is not None:
            compute, self._compute = self._compute, None
            super().update(compute())

    def __getitem__(self, key: str) -> float:
        self._fill()
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[str]:
        self._fill()
        return super().__iter__()

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __contains__(self, key: object) -> bool:
        self._fill()
        return super().__contains__(key)

    def __eq__(self, other: object) -> bool:
        self._fill()
        return super().__eq__(other)

    __hash__ = None

    def __repr__(self) -> str:
        self._fill()
        return super().__repr__()

    def get(self, key: str, default: Any = None) -> Any:
        self._fill()
        return super().get(key, default)

    def keys(self) -> Any:
        self._fill()
        return super().keys()

    def values(self) -> Any:
        self._fill()
        return super().values()

    def items(self) -> Any:
        self._fill()
        return super().items()

    def copy(self) -> dict[str, float]:
        self._fill()
        return dict(super().items())


def payload(
    kind: str,
    model_text: str,
    columns: Sequence[str],
    categories: Mapping[str, Sequence[str]],
    calibrator: Calibrator,
    offset: str | None,
) -> bytes:
    """The artifact's bytes: canonical JSON, so equal models have equal versions."""
    document = {
        "format": FORMAT,
        "kind": kind,
        "features": list(columns),
        "categories": {name: list(values) for name, values in sorted(categories.items())},
        "calibration": calibrator.to_dict(),
        "offset": offset,
        "model": model_text,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


class GbmScorer:
    """A ``Scorer``: a calibrated probability and the contributions behind it."""

    def __init__(self, artifact: Artifact) -> None:
        spec = json.loads(artifact.payload)
        if spec.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} payload")
        self.kind: str = artifact.kind
        self.version: str = artifact.version
        self.columns: tuple[str, ...] = tuple(spec["features"])
        self.categories: dict[str, dict[str, int]] = {
            name: {value: i for i, value in enumerate(values)}
            for name, values in spec["categories"].items()
        }
        self.calibrator = Calibrator.from_dict(spec["calibration"])
        self.offset_name: str | None = spec["offset"]
        self.offset: Offset | None = None
        if self.offset_name is not None:
            try:
                self.offset = OFFSETS[self.offset_name]
            except KeyError:
                raise ValueError(f"unknown offset {self.offset_name!r}") from None
        extra = self.offset.inputs if self.offset else ()
        self.features: tuple[str, ...] = tuple(sorted({*self.columns, *extra}))
        self._vocabularies = [self.categories.get(name) for name in self.columns]
        from rapport.learning.fast_booster import (  # noqa: PLC0415 - see TYPE_CHECKING above
            FastBooster,
        )

        self.booster: FastBooster = FastBooster(spec["model"])

    def row(self, inputs: Mapping[str, Value]) -> NDArray[np.float64]:
        return np.fromiter(
            (
                encode(inputs.get(name), vocabulary)
                for name, vocabulary in zip(self.columns, self._vocabularies, strict=True)
            ),
            dtype=np.float64,
            count=len(self.columns),
        )

    def margin_one(self, inputs: Mapping[str, Value]) -> float:
        """Raw log-odds before calibration: the offset (if any) plus the trees."""
        margin = self.booster.raw_one(self.row(inputs))
        if self.offset is not None:
            margin += sum(self.offset.terms(inputs).values())
        return margin

    def predict_one(self, inputs: Mapping[str, Value]) -> Prediction:
        row = self.row(inputs)
        margin = self.booster.raw_one(row)
        terms = self.offset.terms(inputs) if self.offset is not None else {}
        margin += sum(terms.values())

        def contributions() -> dict[str, float]:
            values = self.booster.contributions_one(row)
            found = {name: float(v) for name, v in zip(self.columns, values[:-1], strict=True) if v}
            found[BASE] = float(values[-1])
            found.update(terms)
            return found

        return Prediction(self.calibrator.probability(margin), LazyContributions(contributions))

    def margins(self, rows: Sequence[Mapping[str, Value]]) -> NDArray[np.float64]:
        """Raw margins of many decisions at once (training and benchmarks)."""
        matrix = encode_rows(rows, self.columns, self.categories)
        margins = self.booster.raw_many(matrix)
        if self.offset is not None:
            terms = self.offset.terms
            margins = margins + np.array([sum(terms(row).values()) for row in rows])
        return margins

    def probabilities(self, rows: Sequence[Mapping[str, Value]]) -> NDArray[np.float64]:
        return self.calibrator.probabilities(self.margins(rows))


@loader(TYPE)
def load_gbm(artifact: Artifact) -> GbmScorer:
    return GbmScorer(artifact)


def _fraud_prior(inputs: Mapping[str, Value]) -> dict[str, float]:
    return {f"prior.{code}": c for code, c in fraud.behavioral_terms(inputs).items()}


register_offset("fraud-behavioral", Offset(fraud.INPUTS, _fraud_prior))
