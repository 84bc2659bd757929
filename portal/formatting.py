"""How values read in pages: dates in UTC, money with its currency, Swiss style."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from portal.core.days import last_day
from portal.core.enums import ProductStatus
from portal.core.reference import LANGUAGES
from portal.money import money


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def day(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%d %b %Y")


def renewal_overdue(renews_on: date, today: date, status: str = ProductStatus.ACTIVE) -> bool:
    """An active product whose renewal day has passed without a renewal."""
    return status == ProductStatus.ACTIVE and renews_on < today


def end_day(ends_at: datetime | None) -> str:
    """The end date of a collaboration ending at ENDS_AT (the end of that day, Zurich time)."""
    return "—" if ends_at is None else last_day(ends_at).strftime("%d %b %Y")


def overdue(renews_on: date, status: str = ProductStatus.ACTIVE, today: date | None = None) -> bool:
    return renewal_overdue(renews_on, today or datetime.now(UTC).date(), status)


def renewal(renews_on: date, status: str = ProductStatus.ACTIVE, today: date | None = None) -> str:
    """When a product renews, said as a person would on TODAY (UTC): "renews 05 Dec 2026",
    "renews today", or "renewal overdue since 01 Nov 2026"."""
    today = today or datetime.now(UTC).date()
    if renewal_overdue(renews_on, today, status):
        return f"renewal overdue since {day(renews_on)}"
    return "renews today" if renews_on == today else f"renews {day(renews_on)}"


def excerpt(text: str, length: int) -> str:
    """The start of TEXT, its lines flattened, cut at a word and marked … when longer than
    LENGTH: a tender in a partner's inbox or mail, a listing on a directory card."""
    flat = " ".join(text.split())
    if len(flat) <= length:
        return flat
    return flat[:length].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def language_names(codes: Iterable[str]) -> str:
    """'French, English'."""
    return ", ".join(LANGUAGES.get(code, code) for code in codes)


# Filters rather than functions in the context: Jinja calls a filter directly, a context
# function through its call machinery (a few µs a call, once per card of a directory page).
FILTERS = {
    "when": when,
    "day": day,
    "end_day": end_day,
    "money": money,
    "overdue": overdue,
    "renewal": renewal,
    "excerpt": excerpt,
    "language_names": language_names,
}
