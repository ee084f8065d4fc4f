"""How a LightGBM scorer is trained: its settings, apart from the training itself (which imports
LightGBM and scikit-learn, most of a second), so that reading or validating them is cheap."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from rapport.learning.calibration import Method


class GbmConfig(BaseModel):
    """How a LightGBM scorer is trained; defaults suit tables from a thousand rows up."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    validation_share: float = Field(default=0.2, gt=0.0, lt=0.9)
    """Share of the rows, the latest in event time, held out for validation and calibration."""
    learning_rate: float = Field(default=0.05, gt=0.0, le=1.0)
    """Shrinkage of each tree."""
    num_leaves: int = Field(default=15, ge=2, le=255)
    """Leaves per tree; few leaves keep TreeSHAP reasons cheap (they cost ~leaves x depth²)."""
    min_data_in_leaf: int = Field(default=20, ge=1)
    """Fewest rows a leaf may hold."""
    feature_fraction: float = Field(default=0.8, gt=0.0, le=1.0)
    """Share of the inputs each tree may look at."""
    bagging_fraction: float = Field(default=0.8, gt=0.0, le=1.0)
    """Share of the rows each tree is grown on."""
    lambda_l2: float = Field(default=1.0, ge=0.0)
    """L2 penalty on leaf values."""
    max_rounds: int = Field(default=400, ge=1, le=5000)
    """Most trees; early stopping on the validation slice usually stops sooner."""
    early_stopping_rounds: int = Field(default=50, ge=1)
    """Stop when the validation log-loss has not improved for this many trees."""
    max_features: int | None = Field(default=24, ge=1)
    """Keep at most this many inputs (by total gain of a first fit): every input a model reads
    is recorded with each decision, and the ledger has a size budget. None keeps all."""
    max_categories: int = Field(default=64, ge=1)
    """A text input keeps its most frequent values as categories; rarer ones read as missing."""
    calibration: Method = "platt"
    """How raw margins become probabilities, fitted on the validation slice."""
    refit: bool = True
    """After validation, refit on every row with the validated number of trees (batch training
    should not leave its most recent fifth unlearned); the calibration fitted on the held-out
    margins is kept. Online learners turn it off: with their reweighted recent rows the refitted
    margins drifted from the calibration (measured: probabilities half the observed rate)."""
    offset: str | None = None
    """A registered transparent score to boost from (``rapport.learning.gbm.OFFSETS``)."""
    seed: int = 0
    """Seed of bagging and feature sampling: same table, same seed, same model bytes."""
    threads: int = Field(default=1, ge=1, le=64)
    """Training threads. One by default: LightGBM's OpenMP threads spin while they wait for
    each other, so on a machine whose other cores are busy (a serving process beside the
    training, another job) every tree waits for a thread that is not running. Measured here,
    100 trees on 10,000 x 150 rows with the second of two cores busy: 0.8 s on one thread,
    34.6 s on two. Raise it on a machine that trains and does nothing else."""
