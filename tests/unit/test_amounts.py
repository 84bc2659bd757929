"""Amounts as people write them: thousands grouped or not, a point for decimals. A comma is
refused with a word (1,000 is a thousand to some and one to others), never guessed."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.forms import AMOUNT_PROBLEM, AMOUNT_TOO_LARGE, COMMA_IN_AMOUNT, read_amount


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("1000", "1000"),
        ("1000.5", "1000.5"),
        ("1000.50", "1000.50"),
        ("1'000.50", "1000.50"),
        ("1’000.50", "1000.50"),
        ("1 000.50", "1000.50"),
        ("1\u00a0000.50", "1000.50"),  # a no-break space
        ("1\u202f000.50", "1000.50"),  # a narrow no-break space, as Swiss French writes it
        ("12'345'678.90", "12345678.90"),
        ("  250  ", "250"),
        ("0.10", "0.10"),
        ("0", "0"),
        ("999999999999.99", "999999999999.99"),
        ("000001000", "1000"),
    ],
)
def test_amounts_as_people_write_them(typed, amount):
    assert read_amount(typed) == Decimal(amount)


@pytest.mark.parametrize("typed", ["1,000", "1000,50", "1.000,50", "1'000,50", ",5", "1,"])
def test_a_comma_is_explained_not_guessed(typed):
    assert read_amount(typed) == COMMA_IN_AMOUNT
    assert "point for decimals" in COMMA_IN_AMOUNT and "1500.50" in COMMA_IN_AMOUNT


@pytest.mark.parametrize("typed", ["1" * 13, "9" * 40, "1'000'000'000'000", "1" * 10_000])
def test_huge_amounts_are_refused_clearly(typed):
    assert read_amount(typed) == AMOUNT_TOO_LARGE


@pytest.mark.parametrize(
    "typed",
    [
        "-100",
        "+100",
        "1e3",
        "NaN",
        "Infinity",
        "²",
        "٣٨٠٠",  # digits of another script
        "10'00",  # not grouped by thousands
        "1'000 000",  # two kinds of separator
        "1''000",
        "1.",
        ".5",
        "1.2.3",
        "CHF 100",
        "100\x00",
        "",
        "0." + "1" * 13,
    ],
)
def test_anything_else_is_not_an_amount(typed):
    assert read_amount(typed) == AMOUNT_PROBLEM


def test_money_keeps_at_most_its_cents_when_asked():
    assert read_amount("10.25", decimals=2) == Decimal("10.25")
    assert "at most 2 decimals" in read_amount("10.255", decimals=2)


@given(st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2))
def test_every_amount_written_plainly_or_grouped_reads_back(amount):
    plain = f"{amount:.2f}"
    grouped = f"{amount:,.2f}".replace(",", "'")
    assert read_amount(plain) == amount == read_amount(grouped)


@given(st.text(max_size=30))
def test_any_text_is_an_amount_or_a_message(text):
    result = read_amount(text)
    assert isinstance(result, str) or (result >= 0 and result.is_finite())
