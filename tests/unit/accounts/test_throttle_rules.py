"""Login throttling: free failures, a doubling wait with a cap, and the trusted-device cookie."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts import rules

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
RULE = rules.ThrottleRule(free=5)
SECRET = "device-secret"


def wait_after(failures: int, *, ago: timedelta = timedelta(0), rule=RULE) -> timedelta:
    return rules.wait_before_next_attempt(rule, failures, NOW - ago, NOW)


@pytest.mark.parametrize("failures", [0, 1, 4])
def test_failures_below_the_free_allowance_cost_no_wait(failures):
    assert wait_after(failures) == timedelta(0)


@pytest.mark.parametrize(
    ("failures", "seconds"), [(5, 1), (6, 2), (7, 4), (8, 8), (12, 128), (14, 512)]
)
def test_each_failure_beyond_the_free_ones_doubles_the_wait(failures, seconds):
    assert wait_after(failures) == timedelta(seconds=seconds)


@pytest.mark.parametrize("failures", [15, 20, 60, 1_000, 10**9])
def test_the_wait_is_capped_at_the_longest_wait(failures):
    assert wait_after(failures) == RULE.longest_wait == timedelta(minutes=15)


def test_the_wait_counts_from_the_last_failure():
    assert wait_after(8, ago=timedelta(seconds=3)) == timedelta(seconds=5)
    assert wait_after(8, ago=timedelta(seconds=8)) == timedelta(0)
    assert wait_after(8, ago=timedelta(hours=1)) == timedelta(0)


def test_no_last_failure_means_no_wait():
    assert rules.wait_before_next_attempt(RULE, 50, None, NOW) == timedelta(0)


def test_the_account_rule_allows_fewer_failures_than_the_ip_rule():
    assert rules.PER_ACCOUNT.free == 5
    assert rules.PER_IP.free > rules.PER_ACCOUNT.free
    assert rules.PER_SECOND_FACTOR.free <= 5


@given(
    failures=st.integers(min_value=0, max_value=10**12),
    ago=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=1)),
)
def test_the_wait_is_never_negative_nor_beyond_the_cap(failures, ago):
    wait = wait_after(failures, ago=ago)
    assert timedelta(0) <= wait <= RULE.longest_wait


@given(failures=st.integers(min_value=0, max_value=200))
def test_one_more_failure_never_shortens_the_wait(failures):
    assert wait_after(failures + 1) >= wait_after(failures)


# --- the device cookie ---------------------------------------------------------------------


def test_a_device_cookie_names_its_account():
    assert rules.device_account(SECRET, rules.device_token(SECRET, 42)) == 42


@pytest.mark.parametrize(
    "cookie",
    [
        None,
        "",
        "42",
        "42.",
        "43." + rules.device_token(SECRET, 42).split(".", 1)[1],  # another account's number
        rules.device_token(SECRET, 42) + "0",
        rules.device_token(SECRET, 42)[:-1],
        rules.device_token("another-secret", 42),
        "-42." + rules.device_token(SECRET, 42).split(".", 1)[1],
        "\u00b2." + "a" * 64,  # a digit to str.isdigit, not to int()
        "4\u0662." + "a" * 64,  # an Arabic-Indic digit
        "42.\u00e9" * 10,  # non-ASCII signature
        "1" * 5000 + ".x",  # beyond int()'s digit limit
    ],
)
def test_a_tampered_or_foreign_device_cookie_names_no_account(cookie):
    assert rules.device_account(SECRET, cookie) is None


@given(st.text(max_size=300))
def test_any_text_as_device_cookie_is_answered_without_error(cookie):
    assert rules.device_account(SECRET, cookie) in {None, _account_if_genuine(cookie)}


def _account_if_genuine(cookie: str) -> int | None:
    head = cookie.split(".", 1)[0]
    if head.isascii() and head.isdigit() and cookie == rules.device_token(SECRET, int(head)):
        return int(head)
    return None


@given(st.integers(min_value=1, max_value=2**31 - 1))
def test_every_account_gets_its_own_device_cookie(account_id):
    cookie = rules.device_token(SECRET, account_id)
    assert rules.device_account(SECRET, cookie) == account_id
    assert rules.device_account(SECRET, rules.device_token(SECRET, account_id + 1)) != account_id
