"""The kernels read a struct's fields straight from its slots (``_kernels_attr.c``), with the
offsets kept per class and name: what they read is what ``getattr`` reads, before and after the
class changes, for any number of classes, and for objects whose attribute lookup is their own."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings

from rapport.profiles.admission import parse_batch
from rapport.profiles.native import kernels
from tests.strategies import histories

pytestmark = pytest.mark.skipif(kernels is None, reason="the C extension is not built")


def field(obj: object, name: str) -> object:
    assert kernels is not None
    return kernels.field(obj, name)


def every_field(obj: object) -> list[tuple[object, str]]:
    """(struct, field name) for the struct and every struct inside it."""
    found: list[tuple[object, str]] = []
    if isinstance(obj, msgspec.Struct):
        for name in obj.__struct_fields__:
            found.append((obj, name))
            found += every_field(getattr(obj, name))
    return found


@settings(max_examples=40, deadline=None)
@given(histories(max_events=20))
def test_fields_read_as_getattr_reads_them(events: list[dict[str, Any]]) -> None:
    parsed = parse_batch(events, 0.0)
    for candidate in parsed.candidates:
        for obj, name in [*every_field(candidate), *every_field(candidate.event)]:
            assert field(obj, name) is getattr(obj, name)
            assert field(obj, name) is getattr(obj, name)  # from the kept offset


class Base:
    __slots__ = ("unset", "x")
    unset: str
    x: str


class Child(Base):
    __slots__ = ("y",)
    y: str


def test_a_changed_class_is_read_anew() -> None:
    child = Child()
    child.x, child.y = "x", "y"
    assert (field(child, "x"), field(child, "x"), field(child, "y")) == ("x", "x", "y")
    with pytest.raises(AttributeError):
        field(child, "unset")
    setattr(Base, "x", property(lambda self: "shadowed"))  # noqa: B010 (the class changes)
    try:
        assert field(child, "x") == "shadowed"
    finally:
        delattr(Base, "x")
    with pytest.raises(AttributeError):  # the member descriptor is gone with the property
        field(child, "x")


def test_more_classes_than_the_cache_holds_each_read_right() -> None:
    classes = [type(f"Slotted{i}", (), {"__slots__": ("value", "other")}) for i in range(700)]
    objects = []
    for i, cls in enumerate(classes):
        obj = cls()
        obj.value, obj.other = i, -i
        objects.append(obj)
    for _ in range(2):
        for i, obj in enumerate(objects):
            assert (field(obj, "value"), field(obj, "other")) == (i, -i)


def test_an_object_with_its_own_lookup_is_asked() -> None:
    class Answering:
        __slots__ = ("value",)

        def __getattribute__(self, name: str) -> object:
            return f"asked for {name}"

    obj = Answering()
    assert field(obj, "value") == field(obj, "value") == "asked for value"
    with pytest.raises(TypeError):
        field(obj, 3)  # type: ignore[arg-type]
