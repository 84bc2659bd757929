"""The one way an amount reads, in pages, messages, mails and documents: CHF 9’999.00."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def money(amount: Decimal | int | str, currency: str) -> str:
    """Swiss style, with a readable sign: CHF 1’234.50, CHF -12.00 (a no-break space keeps
    the currency with its amount). Written out rather than asked of babel, whose Swiss
    grouping sign changed between CLDR releases (’ then ')."""
    cents = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{currency}\u00a0{cents:,.2f}".replace(",", "’")
