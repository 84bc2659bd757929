"""Pure rules of billing reports: periods, neutralisation, names, exact money text."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.exports import rules
from portal.exports.rules import Period, PeriodKind


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 12, 1), Period(date(2026, 7, 1), date(2026, 9, 30))),
        (date(2026, 2, 14), Period(date(2025, 10, 1), date(2025, 12, 31))),
        (date(2026, 4, 1), Period(date(2026, 1, 1), date(2026, 3, 31))),
        (date(2026, 9, 30), Period(date(2026, 4, 1), date(2026, 6, 30))),
    ],
)
def test_last_quarter_is_the_whole_quarter_before_today(today, expected):
    assert rules.preset_period(PeriodKind.LAST_QUARTER, today) == expected


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 1, 15), Period(date(2025, 12, 1), date(2025, 12, 31))),
        (date(2024, 3, 1), Period(date(2024, 2, 1), date(2024, 2, 29))),
        (date(2026, 3, 31), Period(date(2026, 2, 1), date(2026, 2, 28))),
    ],
)
def test_last_month(today, expected):
    assert rules.preset_period(PeriodKind.LAST_MONTH, today) == expected


def test_other_presets_and_kinds_that_need_input():
    today = date(2026, 12, 1)
    assert rules.preset_period(PeriodKind.THIS_YEAR, today) == Period(date(2026, 1, 1), today)
    assert rules.preset_period(PeriodKind.LAST_YEAR, today) == rules.year_period(2025)
    for kind in (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR, PeriodKind.RANGE):
        assert rules.preset_period(kind, today) is None


def test_quarters_and_months_cover_their_days():
    assert rules.quarter_period(2026, 1) == Period(date(2026, 1, 1), date(2026, 3, 31))
    assert rules.quarter_period(2026, 4) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert rules.month_period(2026, 12) == Period(date(2026, 12, 1), date(2026, 12, 31))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9000, 12, 31)))
def test_quarters_tile_the_year(day):
    period = rules.quarter_period(day.year, rules.quarter_of(day))
    assert period.start <= day <= period.end
    last = rules.previous_quarter(day)
    assert (period.start - last.end).days == 1


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), None),
        (date(2016, 1, 1), date(2025, 12, 31), None),  # exactly ten years
        (date(2016, 1, 1), date(2026, 1, 1), "at most 10 years"),
        (date(2026, 2, 1), date(2026, 1, 31), "before the start"),
        (date(1, 1, 1), date(9999, 12, 31), "at most 10 years"),
        (date(9995, 1, 1), date(9999, 12, 31), "at most 10 years"),
    ],
)
def test_period_problems(start, end, problem):
    problems = rules.period_problems(start, end)
    if problem is None:
        assert problems == {}
    else:
        assert problem in problems["period_end"]


@given(st.dates(), st.dates())
def test_period_problems_never_raise_and_flag_reversed_periods(start, end):
    problems = rules.period_problems(start, end)
    if start > end:
        assert "before the start" in problems["period_end"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Muster AG", "Muster AG"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_neutralise(text, expected):
    assert rules.neutralise(text) == expected


@given(st.text())
def test_neutralised_text_never_starts_a_formula(text):
    assert not rules.starts_formula(rules.neutralise(text))


def test_printable_drops_what_xml_cannot_carry():
    assert rules.printable("A\x00B\x1fC\tD\nE") == "ABC\tD\nE"


def test_sheet_names_are_valid_unique_and_never_reserved():
    names = rules.sheet_names(
        ["Summary", "Lines", "A/B:C*D?[E]", "x" * 40, "x" * 40, "'quoted'", "", "lines"]
    )
    assert names[0] not in ("Summary",) and names[1] != "Lines"
    assert names[2] == "A B C D  E"
    assert len(names[3]) <= 31 and len(names[4]) <= 31 and names[3] != names[4]
    assert names[5] == "quoted"
    assert names[6] == "Client"
    assert len({name.lower() for name in names}) == len(names)


def test_sheet_names_avoid_the_names_taken():
    assert rules.sheet_names(["Lines (2)", "x"], taken=["Lines (2)"]) == ["Lines (2) (2)", "x"]


@settings(deadline=None)
@given(st.lists(st.text(max_size=50), max_size=30))
def test_sheet_names_property(client_names):
    names = rules.sheet_names(client_names)
    assert len(names) == len(client_names)
    assert len({name.lower() for name in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31
        assert not rules.SHEET_FORBIDDEN.search(name)
        assert not name.startswith("'") and not name.endswith("'")
        assert name.lower() not in rules.RESERVED_SHEET_NAMES


def test_report_filename_is_ascii_and_safe():
    name = rules.report_filename(
        'Bäckerei "Zürich" / Genève',
        Period(date(2026, 7, 1), date(2026, 9, 30)),
        "xlsx",
        datetime(2026, 12, 1, 9, 5, tzinfo=UTC),
    )
    assert name == "billing-backerei-zurich-geneve-2026-07-01-to-2026-09-30-20261201-0905.xlsx"


def test_content_disposition_has_both_forms():
    header = rules.content_disposition("report.xlsx", "Rapport Zürich.xlsx")
    assert header == (
        "attachment; filename=\"report.xlsx\"; filename*=UTF-8''Rapport%20Z%C3%BCrich.xlsx"
    )


@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_cents_text_is_exact(cents):
    assert Decimal(rules.cents_text(cents)) == Decimal(cents) / 100
    assert rules.cents_text(cents).count(".") == 1


def test_rate_text():
    assert rules.rate_text(2000) == "0.2000"
    assert rules.rate_text(810) == "0.0810"
