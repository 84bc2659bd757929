"""Pure rules of background work: when a job is retried, when it is given up, and what the
housekeeping jobs remove."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

# Among queued jobs the highest priority is taken first, then the oldest. A worker runs few
# jobs at once, so a mail a person waits for must not queue behind long report exports.
BACKGROUND_PRIORITY = 0  # reports and the rest: nobody watches them leave the queue
MAIL_PRIORITY = 10  # mails, and the tender notifications that queue them
AWAITED_MAIL_PRIORITY = 20  # a mail someone waits for in front of the screen (a link)

FIRST_RETRY_DELAY = timedelta(seconds=5)
LONGEST_RETRY_DELAY = timedelta(minutes=10)


def retry_delay(starts: int, first: timedelta = FIRST_RETRY_DELAY) -> timedelta:
    """Back off exponentially after the STARTS-th start failed: 5 s, 10 s, 20 s … 10 min."""
    doublings = min(max(starts - 1, 0), 20)  # past 20 the cap has long been reached
    return min(first * 2**doublings, LONGEST_RETRY_DELAY)


def gives_up(starts: int, max_attempts: int) -> bool:
    """Whether the STARTS-th start (a failure or a dead worker before it) was the last try."""
    return starts >= max_attempts


def interrupted_too_often(starts: int, max_attempts: int) -> bool:
    """A job started more often than it may be tried: the worker running it died each time
    (killed, out of memory, machine restarted) before the job could say how it ended."""
    return starts > max_attempts


# --- keeping the workers up -----------------------------------------------------------------

FIRST_RESTART_DELAY = timedelta(seconds=1)
LONGEST_RESTART_DELAY = timedelta(seconds=30)
STEADY_RUN = timedelta(minutes=1)


def quick_stops_after(quick_stops: int, ran_for: timedelta) -> int:
    """Count the stops in a row of something that should run for good (a worker's connection
    to the queue, the worker process beside the server): one that had run steadily for
    STEADY_RUN starts the count again."""
    return 1 if ran_for >= STEADY_RUN else quick_stops + 1


def restart_delay(quick_stops: int) -> timedelta:
    """The wait before starting again after the QUICK_STOPS-th stop in a row: 1 s, 2 s,
    4 s … 30 s, so that a database away for long is not hammered."""
    doublings = min(max(quick_stops - 1, 0), 20)
    return min(FIRST_RESTART_DELAY * 2**doublings, LONGEST_RESTART_DELAY)


# --- housekeeping ---------------------------------------------------------------------------

SESSION_KEPT_AFTER_END = timedelta(days=30)
OUTBOX_KEPT = timedelta(days=90)
JOB_LOG_KEPT = timedelta(days=30)
REMINDERS_KEPT = timedelta(days=90)  # after their date: a reminder sent is then forgotten


@dataclass(frozen=True)
class SessionPurge:
    """Sessions to delete: ended (logged out, or idle or too old to be used again) before
    `ended_before`, expressed on each of the three columns that can end a session."""

    ended_before: datetime
    last_seen_before: datetime
    created_before: datetime


def session_purge(
    now: datetime, idle: timedelta, absolute: timedelta, kept: timedelta = SESSION_KEPT_AFTER_END
) -> SessionPurge:
    """A session ends at logout (`ended_at`), after IDLE without a request, or ABSOLUTE after
    login; it is kept KEPT after its end (for "your recent sessions"), then deleted."""
    cutoff = now - kept
    return SessionPurge(
        ended_before=cutoff, last_seen_before=cutoff - idle, created_before=cutoff - absolute
    )


def outbox_purge_before(now: datetime, kept: timedelta = OUTBOX_KEPT) -> datetime:
    return now - kept


def job_log_purge_before(now: datetime, kept: timedelta = JOB_LOG_KEPT) -> datetime:
    return now - kept


# --- reminders before a date ------------------------------------------------------------------

REMINDER_DAYS = (30, 7, 1)


def reminder_due(
    deadline: datetime,
    now: datetime,
    since: datetime,
    sent: frozenset[int] | set[int] = frozenset(),
    days: tuple[int, ...] = REMINDER_DAYS,
) -> int | None:
    """The reminder to send NOW about DEADLINE, as a number of days before it, or None.

    Each of DAYS falls due at DEADLINE less that many days, and is sent at most once (SENT
    holds those sent for this deadline). A moment before SINCE (when the deadline was set)
    is skipped: who sets a date 20 days ahead needs no "30 days left". After an outage only
    the most urgent reminder due is sent, never a stale one after a more urgent one, and
    none once the deadline has passed."""
    if now >= deadline:
        return None
    passed = [n for n in days if deadline - timedelta(days=n) <= now]
    if not passed:
        return None
    most_urgent = min(passed)
    if deadline - timedelta(days=most_urgent) < since:
        return None
    if any(n <= most_urgent for n in sent):
        return None
    return most_urgent
