from datetime import UTC, date, datetime, timedelta

import pytest

from portal.exports.reports import rules
from portal.exports.reports.rules import DueReport, Status, Subscription


def test_more_than_five_thousand_lines_go_to_the_background():
    assert not rules.runs_in_background(5_000)
    assert rules.runs_in_background(5_001)


def test_a_file_is_kept_seven_days():
    finished = datetime(2026, 12, 1, 10, tzinfo=UTC)
    expires = rules.expiry(finished)
    assert expires == datetime(2026, 12, 8, 10, tzinfo=UTC)
    assert not rules.is_expired(expires, expires - timedelta(seconds=1))
    assert rules.is_expired(expires, expires)
    assert not rules.is_expired(None, finished)


def test_only_a_ready_unexpired_report_downloads_and_only_a_failed_one_retries():
    now = datetime(2026, 12, 1, tzinfo=UTC)
    later = now + timedelta(days=1)
    for status in Status:
        assert rules.may_download(status, later, now) is (status is Status.READY)
        assert rules.may_retry(status) is (status is Status.FAILED)
    assert not rules.may_download(Status.READY, now, now)


@pytest.mark.parametrize(
    ("written", "total", "percent"),
    [(0, None, 0), (0, 0, 0), (0, 10, 0), (1, 3, 33), (2, 3, 66), (3, 3, 100), (99, 100, 99)],
)
def test_percent_done_rounds_down_so_that_100_means_every_row(written, total, percent):
    assert rules.percent_done(written, total) == percent


def test_progress_is_saved_every_thousand_rows_and_at_the_last_one():
    assert not rules.progress_is_due(999, 0, 20_000)
    assert rules.progress_is_due(1_000, 0, 20_000)
    assert not rules.progress_is_due(1_500, 1_000, 20_000)
    assert rules.progress_is_due(2_000, 1_000, 20_000)
    assert rules.progress_is_due(20_000, 19_500, 20_000)  # the last row
    assert not rules.progress_is_due(20_000, 20_000, 20_000)  # said once
    saved = [n for n in range(1, 5_501) if rules.progress_is_due(n, n - n % 1000, 5_500)]
    assert saved == [5_500]  # every call's `last_saved` is the last multiple: only the end


def _subscription(organisation, account, since, file_format="xlsx"):
    return Subscription(organisation, account, file_format, since)


NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))


def test_on_the_first_the_previous_month_is_due_for_everyone_subscribed_before():
    subscriptions = [
        _subscription(1, 10, datetime(2026, 11, 20, tzinfo=UTC)),
        _subscription(2, 20, datetime(2025, 1, 1, tzinfo=UTC), "csv"),
    ]
    due = rules.monthly_reports_due(date(2026, 12, 1), subscriptions, set())
    assert due == [
        DueReport(1, 10, "xlsx", *NOVEMBER),
        DueReport(2, 20, "csv", *NOVEMBER),
    ]


def test_a_report_already_made_for_that_month_is_not_due_again():
    subscriptions = [_subscription(1, 10, datetime(2026, 10, 1, tzinfo=UTC))]
    made = {(1, 10, date(2026, 11, 1))}
    assert rules.monthly_reports_due(date(2026, 12, 1), subscriptions, made) == []
    # another month's report does not count
    assert rules.monthly_reports_due(date(2026, 12, 1), subscriptions, {(1, 10, date(2026, 10, 1))})


def test_a_missed_first_is_caught_up_later_in_the_month():
    subscriptions = [_subscription(1, 10, datetime(2026, 10, 1, tzinfo=UTC))]
    assert rules.monthly_reports_due(date(2026, 12, 17), subscriptions, set()) == [
        DueReport(1, 10, "xlsx", *NOVEMBER)
    ]


def test_subscribing_after_the_first_waits_for_the_next_first():
    late = [_subscription(1, 10, datetime(2026, 12, 1, 0, 30, tzinfo=UTC))]
    assert rules.monthly_reports_due(date(2026, 12, 1), late, set()) == []
    assert rules.monthly_reports_due(date(2027, 1, 1), late, set()) == [
        DueReport(1, 10, "xlsx", date(2026, 12, 1), date(2026, 12, 31))
    ]


@pytest.mark.parametrize(
    ("today", "start", "end"),
    [
        (date(2026, 1, 1), date(2025, 12, 1), date(2025, 12, 31)),
        (date(2024, 3, 1), date(2024, 2, 1), date(2024, 2, 29)),
        (date(2026, 3, 31), date(2026, 2, 1), date(2026, 2, 28)),
    ],
)
def test_the_previous_month_across_years_and_leap_days(today, start, end):
    assert rules.previous_month(today) == (start, end)


def test_a_running_report_without_progress_for_two_minutes_looks_stalled():
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    recent, old = now - timedelta(minutes=2), now - timedelta(minutes=2, seconds=1)
    assert not rules.looks_stalled(Status.RUNNING, recent, now)
    assert rules.looks_stalled(Status.RUNNING, old, now)
    assert not rules.looks_stalled(Status.QUEUED, old, now)
    assert not rules.looks_stalled(Status.RUNNING, None, now)
