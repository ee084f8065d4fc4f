"""The behavioral data layer: feature catalog, decayed state, entity profiles, backfill."""

from rapport.profiles.catalog import Entity, FeatureSpec, FeatureValue
from rapport.profiles.fold import ProfileFold, ProfileKey, build_layouts
from rapport.profiles.layout import Layout, ProfileFormatError

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
