"""Rapport: a behavioral decisioning engine for financial services."""

from rapport.config import EngineConfig
from rapport.engine import Engine, IngestReport, Profile, UnknownEntityError
from rapport.events import EventRejectedError, Rejection, parse_event
from rapport.profiles.admission import Verdict
from rapport.profiles.catalog import Entity, FeatureSpec, FeatureValue

__all__ = [
    "Engine",
    "EngineConfig",
    "Entity",
    "EventRejectedError",
    "FeatureSpec",
    "FeatureValue",
    "IngestReport",
    "Profile",
    "Rejection",
    "UnknownEntityError",
    "Verdict",
    "parse_event",
]
__version__ = "0.1.0"
