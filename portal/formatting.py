"""How values read in pages: dates in UTC, money with its currency, Swiss style."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def day(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%d %b %Y")


def money(amount: Decimal, currency: str) -> str:
    """Swiss style, with a readable sign: CHF 1’234.50, CHF -12.00 (a no-break space keeps
    the currency with its amount). Written out rather than asked of babel, whose Swiss
    grouping sign changed between CLDR releases (’ then ')."""
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency}\u00a0{cents:,.2f}".replace(",", "’")


FILTERS = {"when": when, "day": day, "money": money}
