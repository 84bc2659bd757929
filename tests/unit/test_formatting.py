"""How values read in pages and mails."""

from datetime import UTC, date, datetime
from decimal import Decimal

from portal.formatting import day, excerpt, language_names, money, overdue, renewal, when


def test_an_excerpt_flattens_lines_and_is_cut_at_a_word():
    text = "word, " * 100
    cut = excerpt(text, 50)
    assert len(cut) <= 51 and cut.endswith("word…")  # the comma before the cut goes too
    assert excerpt("short\n\nlines", 50) == "short lines"
    assert excerpt("Exactly ten", 11) == "Exactly ten"


def test_language_names_read_as_a_list():
    assert language_names(("fr", "en")) == "French, English"
    assert language_names(()) == ""
    assert language_names(("xx",)) == "xx"  # a code no longer offered still reads


def test_money_dates_and_times():
    assert money(Decimal("1234.5"), "CHF") == "CHF\u00a01’234.50"
    assert money(Decimal("-12"), "EUR") == "EUR\u00a0-12.00"
    moment = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)
    assert when(moment) == "02 Dec 2026, 08:30 UTC" and when(None) == "—"
    assert day(moment) == "02 Dec 2026" and day(None) == "—"


def test_a_renewal_reads_as_overdue_once_its_day_has_passed():
    today = date(2026, 12, 3)
    assert renewal(date(2026, 11, 1), today=today) == "renewal overdue since 01 Nov 2026"
    assert renewal(date(2026, 12, 3), today=today) == "renews today"
    assert renewal(date(2026, 12, 4), today=today) == "renews 04 Dec 2026"
    assert overdue(date(2026, 12, 2), today=today) and not overdue(today, today=today)
    assert not overdue(date(2026, 11, 1), "cancelled", today=today)  # nothing to renew
    assert renewal(date(2026, 11, 1), "suspended", today=today) == "renews 01 Nov 2026"
