"""How values read in pages: dates in UTC, money with its currency, Swiss style."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from babel.numbers import format_currency


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(UTC).strftime("%d %b %Y, %H:%M UTC")


def day(value: datetime | None) -> str:
    return "—" if value is None else value.strftime("%d %b %Y")


def money(amount: Decimal, currency: str) -> str:
    """Swiss style, with a readable sign: CHF 1’234.50, CHF -12.00 (a no-break space keeps
    the currency with its amount)."""
    return format_currency(
        amount, currency, format="¤\u00a0#,##0.00;¤\u00a0-#,##0.00", locale="de_CH"
    )


FILTERS = {"when": when, "day": day, "money": money}
