from datetime import UTC, datetime, timedelta

import pytest

from portal.jobs import rules


@pytest.mark.parametrize(
    ("starts", "delay"),
    [(1, 5), (2, 10), (3, 20), (4, 40), (7, 320), (8, 600), (50, 600)],
)
def test_retries_back_off_exponentially_up_to_ten_minutes(starts, delay):
    assert rules.retry_delay(starts) == timedelta(seconds=delay)


def test_the_first_delay_can_be_chosen_per_job():
    assert rules.retry_delay(3, timedelta(seconds=1)) == timedelta(seconds=4)
    assert rules.retry_delay(1, timedelta(0)) == timedelta(0)


@pytest.mark.parametrize(
    ("starts", "gives_up", "interrupted"),
    [(1, False, False), (2, False, False), (3, True, False), (4, True, True)],
)
def test_three_attempts_then_the_job_is_given_up(starts, gives_up, interrupted):
    assert rules.gives_up(starts, 3) is gives_up
    # a fourth start means the third never ended: its worker died
    assert rules.interrupted_too_often(starts, 3) is interrupted


NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("quick_stops", "delay"), [(1, 1), (2, 2), (3, 4), (5, 16), (6, 30), (60, 30)]
)
def test_a_worker_or_its_connection_is_started_again_sooner_than_later(quick_stops, delay):
    assert rules.restart_delay(quick_stops) == timedelta(seconds=delay)


def test_a_steady_run_starts_the_count_of_quick_stops_again():
    assert rules.quick_stops_after(0, timedelta(seconds=3)) == 1
    assert rules.quick_stops_after(4, timedelta(seconds=59)) == 5
    assert rules.quick_stops_after(4, timedelta(minutes=1)) == 1
    assert rules.quick_stops_after(9, timedelta(hours=5)) == 1


def test_a_session_is_purged_thirty_days_after_whichever_end_came_first():
    purge = rules.session_purge(NOW, timedelta(minutes=30), timedelta(hours=12))
    assert purge.ended_before == NOW - timedelta(days=30)
    assert purge.last_seen_before == NOW - timedelta(days=30, minutes=30)
    assert purge.created_before == NOW - timedelta(days=30, hours=12)


def test_outbox_mail_is_kept_ninety_days():
    assert rules.outbox_purge_before(NOW) == NOW - timedelta(days=90)
