"""The dashboard's chart: a bar per month of the last twelve, each with its total written
above it, and a title that says what it shows."""

from datetime import date
from decimal import Decimal as D

from portal.billing.charts import benefits_chart, short_amount

TODAY = date(2026, 12, 3)


def test_each_month_has_a_bar_with_its_total_written_above_it():
    rows = [
        {"month": date(2026, 11, 1), "cashback": D("23.81"), "discount": D("0")},
        {"month": date(2026, 12, 1), "cashback": D("1000.00"), "discount": D("234.56")},
    ]
    chart = benefits_chart(rows, "CHF", TODAY)
    assert [bar.month for bar in chart.bars][0] == date(2026, 1, 1) and len(chart.bars) == 12
    november, december = chart.bars[-2], chart.bars[-1]
    assert (november.value, december.value) == ("23.81", "1’235")
    assert chart.bars[0].value == ""  # nothing earned that month, nothing written
    assert december.value_y < december.discount_y <= december.cashback_y  # above its bar
    assert november.value_y > december.value_y  # the smaller total sits lower
    assert chart.maximum == D("1234.56") and not chart.empty


def test_the_chart_says_what_it_shows():
    chart = benefits_chart([], "EUR", TODAY)
    assert chart.title == ("Cashback and discounts per month in EUR, January 2026 to December 2026")
    assert chart.empty


def test_a_total_is_written_to_the_cent_below_1000_and_rounded_half_up_from_there():
    assert short_amount(D("0")) == ""
    assert short_amount(D("0.05")) == "0.05"
    assert short_amount(D("999.99")) == "999.99"
    assert short_amount(D("1000.50")) == "1’001"
    assert short_amount(D("12345.49")) == "12’345"
