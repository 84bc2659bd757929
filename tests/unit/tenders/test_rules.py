"""Pure rules of tenders: the form's limits, the deadline, the private link, the posting
rate limit and a partner's record."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from portal.tenders import rules
from portal.tenders.rules import RecentPostings, TenderRecord


def test_a_deadline_ends_at_midnight_in_zurich():
    closes = rules.deadline_at(date(2027, 1, 15))
    assert closes == datetime(2027, 1, 15, 23, 0, tzinfo=UTC)  # CET is UTC+1
    summer = rules.deadline_at(date(2027, 7, 15))
    assert summer == datetime(2027, 7, 15, 22, 0, tzinfo=UTC)  # CEST is UTC+2
    assert rules.deadline_day(closes) == date(2027, 1, 15)
    assert rules.deadline_day(summer) == date(2027, 7, 15)


@pytest.mark.parametrize(
    ("days_ahead", "problem"),
    [
        (-1, "in the future"),
        (0, "in the future"),
        (1, None),
        (180, None),
        (181, "within 180 days"),
    ],
)
def test_a_deadline_is_between_tomorrow_and_half_a_year(days_ahead, problem):
    today = date(2027, 3, 1)
    found = rules.deadline_problem(today + timedelta(days=days_ahead), today)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    ("low", "high", "fields"),
    [
        ("0", "100", set()),
        ("100", "100", set()),
        ("200", "100", {"budget_max"}),
        ("-1", "100", {"budget_min"}),
        ("0", "0", {"budget_max"}),
    ],
)
def test_budget_range(low, high, fields):
    assert set(rules.budget_problem(Decimal(low), Decimal(high))) == fields


def test_a_region_is_a_swiss_canton_and_only_with_switzerland():
    assert rules.region_problem("CH", "CH-VD") is None
    assert rules.region_problem("FR", "") is None
    assert "Swiss cantons" in rules.region_problem("FR", "CH-VD")
    assert "from the list" in rules.region_problem("CH", "CH-XX")


def test_the_private_link_matches_only_its_tender_secret_and_nonce():
    token = rules.manage_token("secret", 42, "nonce")
    assert rules.tender_id_of_token(token) == 42
    assert rules.manage_token_matches("secret", token, 42, "nonce")
    assert not rules.manage_token_matches("other-secret", token, 42, "nonce")
    assert not rules.manage_token_matches("secret", token, 42, "other-nonce")
    assert not rules.manage_token_matches("secret", token, 42, None)
    assert rules.manage_token("secret", 43, "nonce") != token
    for garbage in ("", "42", "x-" + "a" * 40, "²-" + "a" * 40, "1" * 11 + "-" + "a" * 40):
        assert rules.tender_id_of_token(garbage) is None


@pytest.mark.parametrize(
    ("by_email", "by_ip", "refused"),
    [
        ((0, 0), (0, 0), False),
        ((2, 9), (4, 19), False),
        ((3, 3), (0, 0), True),  # 3 by one address within the hour
        ((0, 0), (5, 5), True),  # 5 from one connection within the hour
        ((1, 10), (1, 1), True),  # 10 by one address within the day
        ((0, 0), (1, 20), True),
    ],
)
def test_posting_is_rate_limited_per_email_and_per_ip(by_email, by_ip, refused):
    refusal = rules.posting_refusal(RecentPostings(by_email, by_ip))
    assert (refusal is not None) is refused
    if refusal:
        message, seconds = refusal
        assert "try again later" in message and seconds in (3600, 86400)


def test_the_answer_rate():
    assert TenderRecord().answer_rate == 0
    assert TenderRecord(3, 2, 1).answer_rate == Decimal("0.6667")
    assert TenderRecord(4, 4, 0).answer_rate == 1


def test_contact_details_only_for_the_accepted_quote():
    for status in rules.QuoteStatus:
        assert rules.contact_visible(status) is (status is rules.QuoteStatus.ACCEPTED)
    assert rules.contact_visible(None) is False


def test_an_unconfirmed_tender_is_purgeable_after_seven_days_only():
    posted = datetime(2027, 1, 1, tzinfo=UTC)
    seven_days = posted + timedelta(days=7)
    assert not rules.is_purgeable(
        rules.TenderStatus.UNCONFIRMED, posted, seven_days - timedelta(seconds=1)
    )
    assert rules.is_purgeable(rules.TenderStatus.UNCONFIRMED, posted, seven_days)
    for status in rules.TenderStatus:
        if status is not rules.TenderStatus.UNCONFIRMED:
            assert not rules.is_purgeable(status, posted, seven_days + timedelta(days=100))
