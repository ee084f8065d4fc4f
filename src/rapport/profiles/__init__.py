"""The behavioral data layer: feature catalog, decayed state, entity profiles, backfill."""

from rapport.profiles.catalog import Entity, FeatureSpec, FeatureValue
from rapport.profiles.fold import ProfileFold, build_layouts
from rapport.profiles.layout import Layout, ProfileFormatError
from rapport.store.protocols import ProfileKey

__all__ = [
    "Entity",
    "FeatureSpec",
    "FeatureValue",
    "Layout",
    "ProfileFold",
    "ProfileFormatError",
    "ProfileKey",
    "build_layouts",
]
