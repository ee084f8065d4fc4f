"""The policy's ``learning:`` section: which online learner each decision kind uses, and how
often what it learned may change the decisions (bounded publication)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class KindLearning(BaseModel):
    """Online learning for one decision kind."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    learner: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    """The registered learner's name (e.g. ``vw-cb-adf`` for a contextual bandit)."""
    publish_every: int = Field(default=200, ge=1, le=1_000_000)
    """Joined outcomes between two published versions: decisions only ever use a published,
    frozen version, so each one can be replayed exactly."""
    enabled: bool = True
    """False keeps the section but decides with the kind's built-in transparent model."""
    options: dict[str, object] = Field(default_factory=dict)
    """The learner's own settings (exploration bounds, features, ...), validated by the
    learner itself when the engine starts."""
