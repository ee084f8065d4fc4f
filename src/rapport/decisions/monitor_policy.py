"""The policy's ``monitors:`` section: which streams of a decision kind are watched for drift,
by which detector, and what an alarm does (nothing, the champion model, or rules only)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Adwin(_Strict):
    """River's ADWIN: an adaptive window that splits where two sub-windows' means differ
    more than chance allows. Parameter-light; the default."""

    type: Literal["adwin"] = "adwin"
    """Detector name."""
    delta: float = Field(default=0.002, gt=0, lt=1)
    """Confidence of a detected change: smaller means fewer false alarms, later detection."""


class PageHinkley(_Strict):
    """River's Page-Hinkley test: cumulative deviations from the running mean past a
    threshold. Values are standardised by the warm-up's mean and spread, so ``delta`` and
    ``threshold`` are in standard deviations."""

    type: Literal["page_hinkley"]
    """Detector name."""
    delta: float = Field(default=0.25, gt=0)
    """Deviation from the mean tolerated per observation, in standard deviations."""
    threshold: float = Field(default=50.0, gt=0)
    """Cumulative deviation that raises an alarm, in standard deviations."""
    min_instances: int = Field(default=30, ge=1)
    """Observations after a (re)start before an alarm may be raised."""


Detector = Annotated[Adwin | PageHinkley, Field(discriminator="type")]


class KindMonitors(_Strict):
    """Drift monitors for one decision kind."""

    inputs: list[str] = Field(default_factory=list)
    """Recorded inputs to watch, by name (``signals.financial_stress``,
    ``features.amount_zscore``); each is its own stream."""
    score: bool = True
    """Watch the decisions' score (a fraud probability, an offer's expected value)."""
    outcomes: bool = True
    """Watch the outcome rate: the labels of joined outcomes (offers accepted, frauds
    confirmed)."""
    detector: Detector = Field(default_factory=Adwin)
    """The River detector each stream runs."""
    warmup: int = Field(default=500, ge=10, le=1_000_000)
    """Observations of a stream that set its reference (mean and spread) before the detector
    starts; the same after each alarm, so a new regime becomes the reference."""
    on_alarm: Literal["alert", "champion", "rules_only"] = "alert"
    """What an alarm does besides being counted, logged and written to the audit log:
    ``alert`` nothing more; ``champion`` decide with the champion model version (learners stop
    publishing for the kind until a person resumes it); ``rules_only`` decide with the kind's
    built-in transparent model."""
    champion: str | None = None
    """The model version ``champion`` falls back to; by default the version in use when the
    monitor first saw the kind. Rules only if that is the built-in model, or the very version
    that drifted."""
