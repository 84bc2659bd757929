"""The dashboard's chart, drawn on the server as SVG: readable without JavaScript, and with
attributes only (the CSP allows no inline styles). Each month's total is written above its
bar; the page also gives the figures as a table, for screen readers and exact cents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from portal.money import money

WIDTH, HEIGHT, PADDING, LABEL_SPACE = 720, 220, 30, 24


@dataclass(frozen=True)
class Bar:
    month: date
    cashback: Decimal
    discount: Decimal
    label: str
    x: float
    width: float
    cashback_y: float
    cashback_height: float
    discount_y: float
    discount_height: float
    title: str
    value: str  # the month's total, written above the bar ("" for none)
    value_y: float


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    maximum: Decimal
    currency: str
    width: int = WIDTH
    height: int = HEIGHT
    baseline: float = HEIGHT - LABEL_SPACE

    @property
    def empty(self) -> bool:
        return self.maximum == 0

    @property
    def title(self) -> str:
        first, last = self.bars[0].month, self.bars[-1].month
        return f"Cashback and discounts per month in {self.currency}, {first:%B %Y} to {last:%B %Y}"


def last_months(today: date, count: int = 12) -> list[date]:
    months, year, month = [], today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def benefits_chart(rows: list[dict], currency: str, today: date) -> Chart:
    """Cashback and discounts per month over the last 12 months, stacked."""
    by_month = {row["month"]: row for row in rows}
    months = last_months(today)
    totals = [
        (
            by_month.get(m, {}).get("cashback") or Decimal(0),
            by_month.get(m, {}).get("discount") or Decimal(0),
        )
        for m in months
    ]
    maximum = max((c + d for c, d in totals), default=Decimal(0))
    usable = HEIGHT - LABEL_SPACE - PADDING
    slot = (WIDTH - 2 * PADDING) / len(months)
    bars = []
    for index, (month, (cashback, discount)) in enumerate(zip(months, totals, strict=True)):
        scale = float(usable) / float(maximum) if maximum else 0
        cashback_height, discount_height = float(cashback) * scale, float(discount) * scale
        baseline = HEIGHT - LABEL_SPACE
        top = baseline - cashback_height - discount_height
        bars.append(
            Bar(
                month=month,
                cashback=cashback,
                discount=discount,
                label=month.strftime("%b"),
                x=PADDING + index * slot + slot * 0.15,
                width=slot * 0.7,
                cashback_y=baseline - cashback_height,
                cashback_height=cashback_height,
                discount_y=baseline - cashback_height - discount_height,
                discount_height=discount_height,
                title=f"{month:%B %Y}: cashback {money(cashback, currency)}, "
                f"discounts {money(discount, currency)}",
                value=short_amount(cashback + discount),
                value_y=top - 5,
            )
        )
    return Chart(bars, maximum, currency)


def short_amount(amount: Decimal) -> str:
    """A total as it fits above a bar: cents below 1,000, whole units from there ("" for 0).
    The table under the chart gives every figure to the cent."""
    if not amount:
        return ""
    step = Decimal("0.01") if amount < 1000 else Decimal(1)
    return f"{amount.quantize(step, rounding=ROUND_HALF_UP):,}".replace(",", "’")
