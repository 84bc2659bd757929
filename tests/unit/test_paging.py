"""Keyset pagination (portal/paging.py): tokens, the SQL of a window, and pages, without a
database. Every list's paging through real rows is tested in tests/db/test_list_paging.py."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.paging import FIRST, LAST, Kind, Order, Position, position_of, without_position

BY_NAME = Order(("c.name", "l.id"), ("name", "id"), (Kind.TEXT, Kind.ID))
NEWEST = Order(("created_at", "id"), ("created_at", "id"), (Kind.TIME, Kind.ID), descending=True)
EVERY_KIND = Order(
    ("a", "b", "c", "d", "e"),
    ("a", "b", "c", "d", "e"),
    (Kind.TEXT, Kind.TIME, Kind.DAY, Kind.DECIMAL, Kind.ID),
)


@given(
    st.text(max_size=300).filter(lambda text: "\x00" not in text),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.integers(-(2**31) + 1, 2**31 - 1),
)
def test_a_token_reads_back_as_the_key_it_was_made_of(text, moment, day, amount, number):
    row = {"a": text, "b": moment, "c": day, "d": amount, "e": number}
    try:
        text.encode()
    except UnicodeEncodeError:
        return  # no such text comes out of PostgreSQL
    token = EVERY_KIND.token(row)
    assert token.isascii() and "=" not in token and "&" not in token
    assert EVERY_KIND.key_of(token) == (text, moment, day, amount, number)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not base64!",
        "AAAA",
        "W10",  # []
        "WyJhIl0",  # ["a"]: one value for two columns
        "WyJhIiwiYiJd",  # ["a","b"]: a text where an id belongs
        "WyJhIiwxZTEwMF0",  # ["a",1e100]
        "WyJhIiw5OTk5OTk5OTk5OTld",  # an id beyond PostgreSQL's integer
        "WyJhIix0cnVlXQ",  # ["a",true]
        "WyJhXHUwMDAwYiIsMV0",  # a NUL in the text
        "WyJcdWQ4MDAiLDFd",  # a lone surrogate
    ],
)
def test_a_token_that_is_not_this_lists_key_means_the_first_page(token):
    assert BY_NAME.key_of(token) is None
    window = BY_NAME.window(Position("after", token), 25)
    assert window.position == FIRST and window.condition == ""


def test_times_must_say_their_zone_and_decimals_be_finite():
    order = Order(("t", "n"), ("t", "n"), (Kind.TIME, Kind.DECIMAL))
    naive = order.token({"t": datetime(2026, 1, 1), "n": Decimal(1)})
    assert order.key_of(naive) is None
    infinite = order.token({"t": datetime(2026, 1, 1, tzinfo=UTC), "n": Decimal("Infinity")})
    assert order.key_of(infinite) is None


def test_the_query_string_asks_for_a_position():
    assert position_of({}) == FIRST
    assert position_of({"after": "abc", "search": "x"}) == Position("after", "abc")
    assert position_of({"before": "abc"}) == Position("before", "abc")
    assert position_of({"last": "1"}) == LAST
    assert position_of({"last": "yes"}) == FIRST
    assert position_of({"page": "7"}) == FIRST  # a numbered page of an old link
    assert position_of({"after": "x" * 10_000}) == FIRST
    assert without_position({"after": "a", "page": "2", "access": "full", "q": ""}) == {
        "access": "full"
    }


def test_the_windows_sql_reads_forward_and_backward():
    token = BY_NAME.token({"name": "Muster AG", "id": 7})
    first = BY_NAME.window(FIRST, 25)
    assert (first.condition, first.order_by, first.limit) == ("", "c.name, l.id", 26)
    after = BY_NAME.window(Position("after", token), 25)
    assert after.condition == "(c.name, l.id) > ({}, {})"
    assert after.arguments == ("Muster AG", 7) and after.order_by == "c.name, l.id"
    before = BY_NAME.window(Position("before", token), 25)
    assert before.condition == "(c.name, l.id) < ({}, {})"
    assert before.order_by == "c.name DESC, l.id DESC" and not before.ascending
    assert before.order_by_keys("x") == "x.name DESC, x.id DESC"
    last = BY_NAME.window(LAST, 25)
    assert last.condition == "" and last.order_by == "c.name DESC, l.id DESC"


def test_a_descending_list_reads_backward_in_ascending_order():
    token = NEWEST.token({"created_at": datetime(2026, 1, 1, tzinfo=UTC), "id": 3})
    after = NEWEST.window(Position("after", token), 50)
    assert after.condition == "(created_at, id) < ({}, {})"
    assert after.order_by == "created_at DESC, id DESC"
    before = NEWEST.window(Position("before", token), 50)
    assert before.condition == "(created_at, id) > ({}, {})"
    assert before.order_by == "created_at, id" and before.ascending


def rows(*ids: int) -> list[dict]:
    return [{"name": f"n{i:03d}", "id": i} for i in ids]


def test_pages_know_their_ends_and_their_neighbours():
    first = BY_NAME.window(FIRST, 3).page(rows(1, 2, 3, 4))
    assert [r["id"] for r in first] == [1, 2, 3]
    assert first.at_start and not first.at_end and first.before is None
    assert BY_NAME.key_of(first.after) == ("n003", 3)

    middle = BY_NAME.window(Position("after", first.after), 3).page(rows(4, 5, 6, 7))
    assert not middle.at_start and not middle.at_end
    assert BY_NAME.key_of(middle.before) == ("n004", 4)

    end = BY_NAME.window(Position("after", middle.after), 3).page(rows(7, 8))
    assert end.at_end and not end.at_start and end.after is None

    # backward: the database answers in reverse order; the page is turned round
    back = BY_NAME.window(Position("before", end.before), 3).page(rows(6, 5, 4, 3))
    assert [r["id"] for r in back] == [4, 5, 6] and not back.at_start and not back.at_end
    back_to_start = BY_NAME.window(Position("before", back.before), 3).page(rows(3, 2, 1))
    assert [r["id"] for r in back_to_start] == [1, 2, 3] and back_to_start.at_start

    last = BY_NAME.window(LAST, 3).page(rows(8, 7, 6, 5))
    assert [r["id"] for r in last] == [6, 7, 8] and last.at_end and not last.at_start

    only = BY_NAME.window(FIRST, 3).page(rows(1, 2))
    assert only.single and only.before is None and only.after is None
    empty = BY_NAME.window(FIRST, 3).page([])
    assert empty.single and not empty


def test_a_day_key_reads_back_as_a_date():
    order = Order(("i.issued_on", "i.id"), ("issued_on", "id"), (Kind.DAY, Kind.ID), True)
    token = order.token({"issued_on": date(2026, 3, 31), "id": 9})
    assert order.key_of(token) == (date(2026, 3, 31), 9)
