"""Digital engagement: logins, sessions, dwell, and visits to sensitive pages."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapport.events.model import BaseEvent, LoginEvent, PageViewEvent
from rapport.profiles.catalog import Entity, FeatureSpec
from rapport.profiles.decay import DAY, block_add, block_read, block_size, rates, ratio
from rapport.profiles.family import Family, FoldContext, Updater
from rapport.profiles.sketches import stable_hash
from rapport.profiles.state import State

if TYPE_CHECKING:
    from rapport.profiles.native import Kernels

_LOGIN_RATES = rates(DAY, 7 * DAY, 30 * DAY)
_LOGIN_STATS = 2  # logins, failed logins
_PAGE_RATES = rates(7 * DAY, 30 * DAY)
_PAGE_STATS = 5  # page views, dwell seconds, sessions, hardship pages, loan pages
HARDSHIP_WORDS = ("hardship", "debt", "arrears", "payment-holiday", "difficult", "gambling-block")
LOAN_WORDS = ("loan", "borrow", "overdraft", "payday", "credit-increase", "cash-advance")


def page_kind(page: str) -> tuple[float, float]:
    """(hardship, loan) flags of a page path."""
    lowered = page.lower()
    hardship = 1.0 if any(w in lowered for w in HARDSHIP_WORDS) else 0.0
    loan = 1.0 if any(w in lowered for w in LOAN_WORDS) else 0.0
    return hardship, loan


class Engagement(Family):
    """Layout: last session hash, last login time, a login block, a page block."""

    name = "engagement"
    entity = Entity.CUSTOMER
    event_types = frozenset({"login", "page_view"})
    late_events = (
        "Counts and dwell are exact decayed sums. A session is counted when a page view's "
        "session differs from the previous arrival's, so interleaved late views can count a "
        "session twice; the last login time is the latest in time."
    )

    _SESSION, _LOGIN_T, _LOGINS = 0, 1, 2
    _PAGES = _LOGINS + block_size(_LOGIN_STATS, _LOGIN_RATES)
    size = _PAGES + block_size(_PAGE_STATS, _PAGE_RATES)

    def specs(self) -> list[FeatureSpec]:
        s = self.spec
        return [
            s("logins_1d", "Successful logins, 1-day half-life decayed count", "logins"),
            s("logins_7d", "Successful logins, 7-day half-life decayed count", "logins"),
            s("logins_30d", "Successful logins, 30-day half-life decayed count", "logins"),
            s("failed_logins_1d", "Failed logins, 1-day half-life decayed count", "logins"),
            s("failed_login_share_7d", "Share of login attempts that failed, 7-day", "fraction"),
            s("page_views_7d", "Pages viewed, 7-day half-life decayed count", "pages"),
            s("page_views_30d", "Pages viewed, 30-day half-life decayed count", "pages"),
            s(
                "sessions_30d",
                "Digital sessions, 30-day half-life decayed count",
                "sessions",
                order_independent=False,
            ),
            s("mean_dwell_seconds_30d", "Mean time on a page, 30-day", "seconds"),
            s(
                "hardship_page_views_7d",
                "Views of hardship or debt-help pages, 7-day half-life",
                "pages",
            ),
            s(
                "hardship_page_views_30d",
                "Views of hardship or debt-help pages, 30-day half-life",
                "pages",
            ),
            s(
                "loan_page_views_7d",
                "Views of loan, overdraft or borrowing pages, 7-day half-life",
                "pages",
            ),
            s(
                "loan_page_views_30d",
                "Views of loan, overdraft or borrowing pages, 30-day half-life",
                "pages",
            ),
            s("days_since_login", "Days since the latest successful login", "days"),
        ]

    def compiled(self, kernels: Kernels) -> Updater:
        objects = (LoginEvent, PageViewEvent, page_kind)
        return kernels.family_kernel(self.name, self.size, (_LOGIN_RATES, _PAGE_RATES), objects)

    def update(self, state: State, offset: int, event: BaseEvent, ctx: FoldContext) -> None:
        t = ctx.t
        if isinstance(event, LoginEvent):
            ok = event.payload.success
            block_add(
                state,
                offset + self._LOGINS,
                _LOGIN_RATES,
                (1.0 if ok else 0.0, 0.0 if ok else 1.0),
                t,
            )
            if ok and t > state[offset + self._LOGIN_T]:
                state[offset + self._LOGIN_T] = t
        elif isinstance(event, PageViewEvent):
            payload = event.payload
            session = stable_hash(payload.session_id)
            new_session = 1.0 if session != state[offset + self._SESSION] else 0.0
            if not ctx.late:
                state[offset + self._SESSION] = session
            hardship, loan = page_kind(payload.page)
            dwell = (payload.dwell_ms or 0) / 1000.0
            block_add(
                state,
                offset + self._PAGES,
                _PAGE_RATES,
                (1.0, dwell, new_session, hardship, loan),
                t,
            )

    def read(self, state: State, offset: int, at: float, out: dict[str, float]) -> None:
        l1, f1, l7, f7, l30, _ = block_read(state, offset + self._LOGINS, _LOGIN_RATES, 2, at)
        v7, _, _, h7, n7, v30, d30, s30, h30, n30 = block_read(
            state, offset + self._PAGES, _PAGE_RATES, _PAGE_STATS, at
        )
        login_t = state[offset + self._LOGIN_T]
        out["logins_1d"] = l1
        out["logins_7d"] = l7
        out["logins_30d"] = l30
        out["failed_logins_1d"] = f1
        out["failed_login_share_7d"] = ratio(f7, l7 + f7)
        out["page_views_7d"] = v7
        out["page_views_30d"] = v30
        out["sessions_30d"] = s30
        out["mean_dwell_seconds_30d"] = ratio(d30, v30)
        out["hardship_page_views_7d"] = h7
        out["hardship_page_views_30d"] = h30
        out["loan_page_views_7d"] = n7
        out["loan_page_views_30d"] = n30
        out["days_since_login"] = (at - login_t) / DAY if login_t > 0 else 0.0
