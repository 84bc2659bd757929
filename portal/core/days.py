"""The host's calendar: a day ends at midnight in Zurich (docs/rules.md, Delegation). The end
of a collaboration and its end date, as every page and rule reads them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOST_ZONE = ZoneInfo("Europe/Zurich")


def end_of_day(day: date) -> datetime:
    """The moment DAY is over: the midnight after it, Zurich time."""
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=HOST_ZONE)


def last_day(ends_at: datetime) -> date:
    """The last day of something ending at ENDS_AT (its end date, as people see it)."""
    return (ends_at.astimezone(HOST_ZONE) - timedelta(microseconds=1)).date()
