"""The compiled fold kernels, when the C extension was built (``None`` when it was not).

``rapport.profiles._kernels`` (``_kernels.c``, ``_kernels_families.c``) is an optional extension:
an install without a C compiler still works, on the Python references, which fold the same bits
more slowly. ``RAPPORT_PURE_PYTHON=1`` turns the extension off, for measuring it or checking the
references on their own. :class:`Kernels` is the extension's typed interface; the tests call each
of its functions.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, cast

from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.events.model import BaseEvent
    from rapport.profiles.admission import Candidate, Route, Verdict
    from rapport.profiles.family import FoldContext, Updater
    from rapport.store.protocols import EventRecord, ProfileKey


class Admit(Protocol):
    """Admission's compiled common path (``Kernels.admitter``): admits ``candidates`` from
    ``start`` as ``Admission.admit_one`` would, up to the first it must leave to that reference
    (a duplicate, an id conflict, a late event); returns that one's position, or the count."""

    def __call__(
        self,
        candidates: list[Candidate],
        start: int,
        routes: list[Route],
        known_digests: dict[str, str],
        merchants: dict[str, str | None],
        states: dict[ProfileKey, State],
        new_state: Callable[[ProfileKey], State],
        verdicts: list[Verdict],
        records: list[EventRecord],
        touched: set[ProfileKey],
        /,
    ) -> int: ...


class Kernels(Protocol):
    """What ``_kernels`` exports: the per-event shell, the primitives, and the compiled updates
    of families (``family_kernel``: each family's ``compiled`` names its kernel and constants)."""

    def event_clock(self, timestamp: dt.datetime, /) -> tuple[float, float, int, float]: ...

    def fold_event(
        self,
        plan: Mapping[str, tuple[tuple[Updater, int], ...]],
        keys: list[ProfileKey],
        states: dict[ProfileKey, State],
        event: BaseEvent,
        ctx: FoldContext,
        /,
    ) -> None: ...

    def block_add(
        self,
        state: State,
        offset: int,
        decay_rates: Sequence[float],
        contributions: Sequence[float],
        t: float,
        /,
    ) -> None: ...

    def block_read(
        self, state: State, offset: int, decay_rates: Sequence[float], stat_count: int, at: float, /
    ) -> list[float]: ...

    def recency_observe(
        self, state: State, offset: int, capacity: int, rate: float, key: float, t: float, /
    ) -> bool: ...

    def routes(
        self,
        candidates: list[Candidate],
        merchants: dict[str, str | None],
        wanted: set[ProfileKey],
        classes: tuple[type, type, frozenset[type]],
        entities: tuple[str, str, str],
        /,
    ) -> list[Route]:
        """``Admission.routes_reference``: each candidate's (merchant, keys), the keys added to
        ``wanted``; ``classes``: transaction, fraud report, the classes that update devices."""
        ...

    def field(self, obj: object, name: str, /) -> object:
        """``getattr(obj, name)`` as the kernels read it: a struct's fields from their slots."""
        ...

    def admitter(
        self,
        plans: Mapping[type, Mapping[str, tuple[tuple[Updater, int], ...]]],
        kinds: Mapping[type, str],
        transaction: type,
        lateness: float,
        context: type[FoldContext],
        verdict: type[Verdict],
        record: type[EventRecord],
        /,
    ) -> Admit: ...

    def family_kernel(
        self,
        name: str,
        size: int,
        groups: Sequence[Sequence[float]],
        objects: tuple[object, ...] = (),
        /,
    ) -> Updater: ...


def _load() -> Kernels | None:
    if os.environ.get("RAPPORT_PURE_PYTHON") == "1":
        return None
    try:
        module = importlib.import_module("rapport.profiles._kernels")
    except ImportError:  # not built: the Python references do the work
        return None
    return cast(Kernels, module)


kernels: Kernels | None = _load()
