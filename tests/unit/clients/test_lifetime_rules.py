"""The pure rules of a delegation's life (docs/rules.md, Delegation: how long access lasts,
temporary full access, moving to another partner), over any clock time (hypothesis): end dates
of 1 to 730 days that end at midnight in Zurich, reminders 30, 7 and 1 days before that leave
once each and never late, automatic extension by 180 days, elevation windows of 1 hour to
7 days, transfer codes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.clients import rules
from portal.clients.rules import (
    ELEVATED,
    Access,
    BillingMode,
    Ending,
    Grant,
    RequestStatus,
)
from portal.jobs.rules import REMINDER_DAYS, reminder_due

MOMENTS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)
RESTRICTED = Grant(Access.RESTRICTED, frozenset({"domain"}), frozenset(), BillingMode.CLIENT)
FULL = Grant(Access.FULL, billing_mode=BillingMode.PARTNER)


# --- end dates --------------------------------------------------------------------------------


@given(MOMENTS, st.integers(min_value=-5, max_value=740))
def test_an_end_date_runs_from_tomorrow_to_730_days_ahead_in_zurich(now, days):
    day = rules.today_at(now) + timedelta(days=days)
    problem = rules.end_day_problem(day, now)
    assert (problem is None) is (1 <= days <= 730)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2040, 1, 1)))
def test_a_collaboration_ends_at_the_midnight_after_its_end_date_in_zurich(day):
    ends_at = rules.end_of_day(day)
    local = ends_at.astimezone(rules.END_ZONE)
    assert (local.date(), local.hour, local.minute) == (day + timedelta(days=1), 0, 0)
    assert rules.end_day(ends_at) == day  # people read the day they chose


def test_the_end_follows_summer_time():
    assert rules.end_of_day(date(2026, 7, 1)).astimezone(UTC).hour == 22  # UTC+2
    assert rules.end_of_day(date(2026, 12, 1)).astimezone(UTC).hour == 23  # UTC+1


@given(st.integers(min_value=-3, max_value=800))
def test_a_partner_asks_for_1_to_730_days(days):
    assert (rules.duration_problem(days) is None) is (1 <= days <= 730)


@given(MOMENTS, st.integers(min_value=1, max_value=500), st.sampled_from(rules.EXTENSION_CHOICES))
def test_an_extension_adds_whole_days_and_stays_within_730_days(now, ahead, days):
    ends_at = rules.end_of_day(rules.today_at(now) + timedelta(days=ahead))
    extended = rules.extended_end(ends_at, days)
    assert rules.end_day(extended) - rules.end_day(ends_at) == timedelta(days=days)
    problem = rules.extension_problem(ends_at, days, now)
    assert (problem is None) is (ahead + days <= 730)


def test_an_extension_needs_an_end_date_and_a_listed_length():
    now = datetime(2026, 12, 10, tzinfo=UTC)
    assert "no end date" in rules.extension_problem(None, 90, now)
    assert "from the list" in rules.extension_problem(rules.end_of_day(date(2027, 1, 1)), 45, now)


@given(MOMENTS, st.integers(min_value=0, max_value=2000))
def test_automatic_extension_lands_on_the_first_end_still_ahead(now, overdue_days):
    ends_at = rules.end_of_day(rules.today_at(now) - timedelta(days=overdue_days))
    extended = rules.automatic_end(ends_at, now)
    assert extended > now
    if ends_at > now:  # today's end is still ahead: nothing to extend yet
        assert extended == ends_at
        return
    steps = (rules.end_day(extended) - rules.end_day(ends_at)).days
    assert steps > 0 and steps % rules.AUTO_EXTENSION_DAYS == 0
    previous = rules.end_of_day(rules.end_day(extended) - timedelta(days=180))
    assert previous <= now  # not one extension more than needed


def test_automatic_extension_is_never_for_full_access():
    now = datetime(2026, 12, 10, tzinfo=UTC)
    ending = Ending(date(2027, 3, 1), auto_extend=True)
    assert rules.ending_problems(ending, RESTRICTED, now) == {}
    assert "never extended automatically" in rules.ending_problems(ending, FULL, now)["auto_extend"]
    assert (
        "needs an end date"
        in rules.ending_problems(Ending(None, True), RESTRICTED, now)["auto_extend"]
    )


# --- reminders ----------------------------------------------------------------------------------


@settings(max_examples=300)
@given(
    deadline=MOMENTS,
    set_days_before=st.floats(min_value=0, max_value=800),
    checks=st.lists(st.floats(min_value=0, max_value=900), min_size=1, max_size=40),
)
def test_reminders_leave_once_each_in_order_never_late_nor_for_a_moment_before_the_date(
    deadline, set_days_before, checks
):
    """Whatever the moments a job looks (CHECKS, in days before the deadline, in order):
    each stage at most once, more urgent after less urgent, never once the deadline passed,
    never for a stage whose moment came before the date was set."""
    since = deadline - timedelta(days=set_days_before)
    sent: list[int] = []
    for days_before in sorted(checks, reverse=True):
        now = deadline - timedelta(days=days_before)
        if now < since:
            continue
        stage = reminder_due(deadline, now, since, frozenset(sent))
        if stage is None:
            continue
        assert now < deadline
        assert deadline - timedelta(days=stage) <= now  # its moment has come
        assert deadline - timedelta(days=stage) >= since  # and came after the date was set
        assert stage not in sent and all(stage < earlier for earlier in sent)
        sent.append(stage)
    assert len(sent) == len(set(sent)) <= len(REMINDER_DAYS)


@given(deadline=MOMENTS)
def test_a_job_looking_every_hour_sends_all_three_reminders_for_a_date_set_long_before(deadline):
    since = deadline - timedelta(days=100)
    sent: list[int] = []
    now = deadline - timedelta(days=31)
    while now < deadline + timedelta(hours=2):
        stage = reminder_due(deadline, now, since, frozenset(sent))
        if stage is not None:
            sent.append(stage)
        now += timedelta(hours=1)
    assert sent == [30, 7, 1]


def test_after_an_outage_only_the_most_urgent_reminder_leaves():
    deadline = datetime(2027, 1, 1, tzinfo=UTC)
    since = deadline - timedelta(days=60)
    three_days_before = deadline - timedelta(days=3)
    assert reminder_due(deadline, three_days_before, since) == 7
    assert reminder_due(deadline, three_days_before, since, frozenset({7})) is None
    assert reminder_due(deadline, deadline - timedelta(hours=5), since, frozenset({7})) == 1
    assert reminder_due(deadline, deadline, since) is None  # too late: nothing


def test_a_date_set_20_days_ahead_gets_the_7_and_1_day_reminders_only():
    deadline = datetime(2027, 1, 1, tzinfo=UTC)
    since = deadline - timedelta(days=20)
    assert reminder_due(deadline, since, since) is None
    assert reminder_due(deadline, deadline - timedelta(days=7), since) == 7


# --- temporary full access ----------------------------------------------------------------------


@given(st.integers(min_value=-2, max_value=200), st.sampled_from(["hours", "days"]))
def test_temporary_full_access_lasts_1_hour_to_7_days(amount, unit):
    length = rules.elevation_length(amount, unit)
    hours = amount if unit == "hours" else amount * 24
    if 1 <= hours <= 168:
        assert length == timedelta(hours=hours)
    else:
        assert isinstance(length, str) and "1 hour to 7 days" in length


def test_an_unknown_unit_is_a_problem():
    assert rules.elevation_length(2, "weeks") == "Choose hours or days."


@given(MOMENTS, st.integers(min_value=1, max_value=168), MOMENTS)
def test_an_elevation_window_starts_at_approval_and_is_over_exactly_at_its_end(
    approved_at, hours, now
):
    window = rules.elevation_window(approved_at, timedelta(hours=hours))
    assert window.starts_at == approved_at
    assert window.ends_at - window.starts_at == timedelta(hours=hours)
    assert window.is_over(now) is (now >= window.ends_at)
    left = window.time_left(now)
    assert left >= timedelta(0)
    if approved_at <= now < window.ends_at:
        assert left + (now - approved_at) == timedelta(hours=hours)
    if window.is_over(now):
        assert left == timedelta(0) and rules.countdown(left) == "ended"


@pytest.mark.parametrize(
    ("left", "text"),
    [
        (timedelta(hours=2), "2 h 0 min left"),
        (timedelta(hours=1, minutes=59, seconds=59), "1 h 59 min left"),
        (timedelta(days=6, hours=23, minutes=5), "6 d 23 h left"),
        (timedelta(minutes=5, seconds=30), "5 min left"),
        (timedelta(seconds=59), "less than a minute left"),
        (timedelta(0), "ended"),
        (timedelta(seconds=-3), "ended"),
    ],
)
def test_the_countdown_reads_in_whole_units(left, text):
    assert rules.countdown(left) == text


def test_a_request_for_temporary_full_access_needs_a_reason_and_restricted_access():
    assert rules.elevation_problems(RESTRICTED, "Moving mailboxes.") == {}
    assert "reason" in rules.elevation_problems(RESTRICTED, "  ")
    assert "full access already" in rules.elevation_problems(FULL, "x")["access"]
    assert "active collaboration" in rules.elevation_problems(None, "x")["access"]
    assert ELEVATED.is_full and ELEVATED.billing_mode is BillingMode.CLIENT  # the client pays


@given(MOMENTS, st.integers(min_value=-100, max_value=100))
def test_a_request_is_answered_while_pending_and_not_expired(now, hours):
    expires_at = now + timedelta(hours=hours)
    assert (rules.request_problem(RequestStatus.PENDING, expires_at, now) is None) is (hours > 0)
    for status in set(RequestStatus) - {RequestStatus.PENDING}:
        assert rules.request_problem(status, expires_at, now)


def test_a_grant_comes_back_exactly_from_its_snapshot():
    grant = Grant(
        Access.RESTRICTED, frozenset({"domain", "kdrive"}), frozenset({7, 3}), BillingMode.CLIENT
    )
    snapshot = rules.grant_snapshot(grant, {3: "Reception drive", 7: "Shop"})
    assert snapshot["product_names"] == {"3": "Reception drive", "7": "Shop"}
    assert rules.grant_from_snapshot(snapshot) == grant


# --- transfer codes ------------------------------------------------------------------------------


def test_a_transfer_code_is_four_groups_of_unambiguous_characters():
    codes = {rules.new_transfer_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        assert set("".join(groups)) <= set(rules.CODE_ALPHABET)
        assert not set("".join(groups)) & set("01IO")


@given(st.text(max_size=40))
def test_a_typed_code_is_read_leniently_or_refused(text):
    compact = rules.normalised_code(text)
    if compact is not None:
        assert len(compact) == 16 and set(compact) <= set(rules.CODE_ALPHABET)


def test_spaces_dashes_and_small_letters_are_forgiven():
    assert rules.normalised_code(" k7qm 2xrd-pw9t-HC4N ") == "K7QM2XRDPW9THC4N"
    assert rules.normalised_code("K7QM-2XRD-PW9T-HC4") is None
    assert rules.normalised_code("K7QM-2XRD-PW9T-HC40") is None  # 0 is not in the alphabet


@given(MOMENTS, st.integers(min_value=-30, max_value=30))
def test_a_transfer_code_works_once_for_its_partner_until_it_expires(now, days):
    transfer = {
        "to_partner": 5,
        "cancelled_at": None,
        "redeemed_at": None,
        "expires_at": now + timedelta(days=days),
    }
    assert (rules.transfer_problem(transfer, 5, now) is None) is (days > 0)
    assert rules.transfer_problem(transfer, 6, now) == rules.INVALID_CODE
    assert "used already" in rules.transfer_problem({**transfer, "redeemed_at": now}, 5, now)
    cancelled = {**transfer, "cancelled_at": now}
    assert rules.transfer_problem(cancelled, 5, now) == rules.INVALID_CODE
    assert timedelta(days=14) == rules.TRANSFER_LIFETIME
