"""When a session is alive, when its last-seen time is refreshed, what tokens look like, and
how many reset links an hour may be mailed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.accounts import rules
from portal.core.current import last_seen_is_stale
from portal.core.tokens import new_token, token_hash

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)


def alive(*, idle_for: timedelta, age: timedelta) -> bool:
    return rules.session_is_alive(
        created_at=NOW - age, last_seen_at=NOW - idle_for, now=NOW, idle=IDLE, absolute=ABSOLUTE
    )


@pytest.mark.parametrize(
    ("idle_for", "age", "expected"),
    [
        (timedelta(0), timedelta(0), True),
        (IDLE - timedelta(seconds=1), timedelta(hours=1), True),
        (IDLE, timedelta(hours=1), False),  # exactly the idle timeout: ended
        (IDLE + timedelta(seconds=1), timedelta(hours=1), False),
        (timedelta(0), ABSOLUTE - timedelta(seconds=1), True),
        (timedelta(0), ABSOLUTE, False),  # exactly the absolute timeout: ended
        (timedelta(0), ABSOLUTE + timedelta(days=1), False),
    ],
)
def test_a_session_lives_until_its_idle_or_absolute_timeout(idle_for, age, expected):
    assert alive(idle_for=idle_for, age=age) is expected


@given(
    idle_for=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
    age=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)),
)
def test_activity_never_extends_a_session_past_its_absolute_timeout(idle_for, age):
    if alive(idle_for=idle_for, age=age):
        assert idle_for < IDLE and age < ABSOLUTE
    else:
        assert idle_for >= IDLE or age >= ABSOLUTE


@pytest.mark.parametrize(
    ("seen_ago", "stale"),
    [(timedelta(0), False), (timedelta(seconds=59), False), (timedelta(minutes=1), True)],
)
def test_last_seen_is_refreshed_at_most_once_a_minute(seen_ago, stale):
    assert last_seen_is_stale(NOW - seen_ago, NOW) is stale


def test_tokens_are_long_random_and_url_safe():
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) >= 43  # 32 random bytes
        assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_the_database_keeps_a_sha256_of_a_token_never_the_token():
    token = new_token()
    kept = token_hash(token)
    assert len(kept) == 64 and token not in kept
    assert kept == token_hash(token)
    assert kept != token_hash(token + "x")


@pytest.mark.parametrize(("sent", "allowed"), [(0, True), (2, True), (3, False), (50, False)])
def test_at_most_three_reset_links_an_hour(sent, allowed):
    assert rules.may_send_reset_link(sent) is allowed


CHROME_LINUX = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (CHROME_LINUX, "Chrome on Linux"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
            "Mobile Safari on iOS",
        ),
        ("Mozilla/5.0 (Linux; Android 14)", "A browser on Android"),
        ("curl/8.5.0", "curl"),
        ("python-httpx/0.28.1", "Unknown device"),
        ("", "Unknown device"),
    ],
)
def test_a_session_is_shown_by_its_browser_and_system(user_agent, label):
    assert rules.device_label(user_agent) == label


@given(st.text(max_size=300))
def test_any_user_agent_gets_a_label(user_agent):
    assert rules.device_label(user_agent)
