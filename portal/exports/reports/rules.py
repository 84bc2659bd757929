"""Pure rules of background reports: when a report goes to the background, how long its file
is kept, how its progress reads, and which monthly reports are due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

# Above this many lines the form's POST queues a job instead of answering with the file.
BACKGROUND_THRESHOLD = 5_000
KEPT_FOR = timedelta(days=7)
# The worker writes its progress to the database every this many rows, never every row.
PROGRESS_EVERY_ROWS = 1_000
PAGE_SIZE = 20


class ReportKind(StrEnum):
    ON_DEMAND = "on_demand"  # asked for on a page
    MONTHLY = "monthly"  # the monthly delivery by email


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"


STATUS_LABELS = {
    Status.QUEUED: "Waiting for a worker",
    Status.RUNNING: "Being written",
    Status.READY: "Ready",
    Status.FAILED: "Failed",
    Status.EXPIRED: "Expired",
}

IN_PROGRESS = frozenset({Status.QUEUED, Status.RUNNING})


def runs_in_background(lines: int) -> bool:
    return lines > BACKGROUND_THRESHOLD


def expiry(finished_at: datetime) -> datetime:
    return finished_at + KEPT_FOR


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


def may_retry(status: Status) -> bool:
    return status is Status.FAILED


def may_download(status: Status, expires_at: datetime | None, now: datetime) -> bool:
    return status is Status.READY and not is_expired(expires_at, now)


STALLED_AFTER = timedelta(minutes=2)


def looks_stalled(status: Status, progress_at: datetime | None, now: datetime) -> bool:
    """A running report whose progress has not moved for a while: its worker may have died
    (another takes the job over once the heartbeat times out)."""
    return (
        status is Status.RUNNING and progress_at is not None and now - progress_at > (STALLED_AFTER)
    )


def percent_done(rows_written: int, rows_total: int | None) -> int:
    """0–100, rounded down so that 100 means every row is written."""
    if not rows_total:
        return 0
    return min(100, max(0, rows_written * 100 // rows_total))


def progress_is_due(rows_written: int, last_saved: int, rows_total: int) -> bool:
    """Save progress every PROGRESS_EVERY_ROWS rows, and once at the last row."""
    return rows_written - last_saved >= PROGRESS_EVERY_ROWS or (
        rows_written == rows_total and rows_written != last_saved
    )


# --- the monthly delivery ------------------------------------------------------------------


@dataclass(frozen=True)
class Subscription:
    organisation_id: int
    account_id: int
    file_format: str
    since: datetime


@dataclass(frozen=True)
class DueReport:
    organisation_id: int
    account_id: int
    file_format: str
    period_start: date
    period_end: date


def previous_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def monthly_reports_due(
    today: date,
    subscriptions: list[Subscription],
    delivered: set[tuple[int, int, date]],
) -> list[DueReport]:
    """The previous month's report falls due on the 1st for whoever was subscribed by then.
    The job runs every hour: a report not yet made (the worker was down on the 1st) is made
    later in the month, and one already made — DELIVERED holds (organisation, account,
    period start) — is never made twice."""
    start, end = previous_month(today)
    first_of_month = today.replace(day=1)
    return [
        DueReport(s.organisation_id, s.account_id, s.file_format, start, end)
        for s in subscriptions
        if s.since.date() < first_of_month
        and (s.organisation_id, s.account_id, start) not in delivered
    ]
