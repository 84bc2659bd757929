"""The API's pure pieces: the token's minute, the cursor, the feed's months, the scopes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.access import (
    ALL_SCOPES,
    Action,
    Actor,
    ApiArea,
    ApiLevel,
    Role,
    scopes_allow,
    token_may,
)
from portal.accounts import rules as account_rules
from portal.api import paging
from portal.errors import FormErrors
from portal.exports.feed import rules as feed_rules

NOW = datetime(2026, 12, 3, 12, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "requests, admitted, remaining", [(1, True, 59), (60, True, 0), (61, False, 0)]
)
def test_the_sixty_first_request_of_a_minute_is_refused(requests, admitted, remaining):
    started = NOW - timedelta(seconds=20)
    rate = account_rules.rate_limit(started, requests, NOW, 60)
    assert (rate.admitted, rate.remaining, rate.reset_seconds) == (admitted, remaining, 40)


# Text as PostgreSQL keeps it (no NUL, no lone surrogate): a client's name.
STORED_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=200,
)


@given(STORED_TEXT, st.integers(min_value=-(2**31) + 1, max_value=2**31 - 1))
def test_a_cursor_gives_back_its_key(name, number):
    assert paging.decode(paging.encode(name, number), str, int) == (name, number)


@pytest.mark.parametrize("cursor", ["", "x", "WzFd", paging.encode(1, 2), paging.encode("a", True)])
def test_a_cursor_of_another_list_is_a_field_error(cursor):
    with pytest.raises(FormErrors):
        paging.decode(cursor, str, int)


def test_a_month_closes_when_the_next_begins():
    assert feed_rules.last_closed_month(date(2026, 1, 1)) == date(2025, 12, 1)
    assert feed_rules.last_closed_month(date(2026, 3, 31)) == date(2026, 2, 1)
    assert feed_rules.period_of("2026-02", date(2026, 3, 1)) == date(2026, 2, 1)
    assert feed_rules.period_of("2026-03", date(2026, 3, 31)) is None  # still open
    assert feed_rules.period_of("2026-13", date(2027, 3, 31)) is None
    assert feed_rules.month_end(date(2028, 2, 1)) == date(2028, 2, 29)


def test_write_includes_read_and_a_token_takes_only_its_actions():
    assert scopes_allow(frozenset({"tenders:write"}), ApiArea.TENDERS, ApiLevel.READ)
    assert not scopes_allow(frozenset({"tenders:read"}), ApiArea.TENDERS, ApiLevel.WRITE)
    token = Actor(1, 1, Role.LEGAL_REPRESENTATIVE, scopes=ALL_SCOPES)
    assert token_may(token, Action.VIEW_LINK)
    assert not token_may(token, Action.STOP_LINK)  # never through the API
    assert not token_may(token, Action.MANAGE_MEMBERS)
    person = Actor(1, 1, Role.LEGAL_REPRESENTATIVE)
    assert token_may(person, Action.STOP_LINK)
