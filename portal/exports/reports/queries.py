"""Reads and writes of report files and monthly subscriptions; scoped by the organisation
and, for "My reports", by the person."""

from __future__ import annotations

from datetime import date, datetime

from asyncpg.exceptions import UniqueViolationError
from piccolo.columns.combination import WhereRaw

from portal.exports.reports.rules import PAGE_SIZE, ReportKind, Status, Subscription
from portal.exports.reports.tables import ReportFile, ReportSubscription
from portal.organisations.tables import Membership
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page

COLUMNS = (
    ReportFile.id,
    ReportFile.organisation,
    ReportFile.requested_by,
    ReportFile.kind,
    ReportFile.parameters,
    ReportFile.period_start,
    ReportFile.period_end,
    ReportFile.file_format,
    ReportFile.status,
    ReportFile.rows_written,
    ReportFile.rows_total,
    ReportFile.attempts,
    ReportFile.error,
    ReportFile.file_name,
    ReportFile.file_path,
    ReportFile.file_size,
    ReportFile.created_at,
    ReportFile.started_at,
    ReportFile.progress_at,
    ReportFile.finished_at,
    ReportFile.expires_at,
)


async def insert_report(values: dict) -> int:
    rows = await ReportFile.insert(ReportFile(**values)).returning(ReportFile.id)
    return rows[0]["id"]


async def insert_monthly_report(values: dict) -> int | None:
    """The new report's id, or None when this month's report of that person exists: the
    unique index decides, so two schedulers racing make it once."""
    try:
        return await insert_report({**values, "kind": "monthly"})
    except UniqueViolationError:
        return None


async def set_job(report_id: int, job_id: int) -> None:
    await ReportFile.update({ReportFile.job_id: job_id}).where(ReportFile.id == report_id)


async def report_of_organisation(organisation_id: int, report_id: int) -> dict | None:
    return (
        await ReportFile.select(*COLUMNS)
        .where((ReportFile.id == report_id) & (ReportFile.organisation == organisation_id))
        .output(load_json=True)
        .first()
    )


async def report_by_id(report_id: int) -> dict | None:
    """For the worker, which acts for the report's own organisation and person."""
    return (
        await ReportFile.select(*COLUMNS)
        .where(ReportFile.id == report_id)
        .output(load_json=True)
        .first()
    )


# Newest first: report_file_mine (organisation, requested_by, id DESC) reads any page directly.
MINE_ORDER = Order(("id",), ("id",), (Kind.ID,), descending=True)


async def reports_of_person(
    organisation_id: int, account_id: int, position: Position = FIRST
) -> Page:
    async def fetch(window: Window) -> list[dict]:
        query = ReportFile.select(*COLUMNS).where(
            (ReportFile.organisation == organisation_id) & (ReportFile.requested_by == account_id)
        )
        if window.condition:  # (Piccolo's where adds to the query it is called on)
            query = query.where(WhereRaw(window.condition, *window.arguments))
        return await (
            query.order_by(ReportFile.id, ascending=window.ascending)
            .limit(window.limit)
            .output(load_json=True)
        )

    return await read_page(MINE_ORDER.window(position, PAGE_SIZE), fetch)


async def mark_running(report_id: int, attempt: int, now: datetime) -> bool:
    """Whether the report was waiting or running (a retry), and now runs; a ready, failed
    or expired report is left alone."""
    rows = (
        await ReportFile.update(
            {
                ReportFile.status: Status.RUNNING.value,
                ReportFile.attempts: attempt,
                ReportFile.started_at: now,
                ReportFile.progress_at: now,
                ReportFile.rows_written: 0,
                ReportFile.error: "",
            }
        )
        .where(
            (ReportFile.id == report_id)
            & ReportFile.status.is_in([Status.QUEUED.value, Status.RUNNING.value])
        )
        .returning(ReportFile.id)
    )
    return bool(rows)


async def set_total(report_id: int, rows_total: int) -> None:
    await ReportFile.update({ReportFile.rows_total: rows_total}).where(ReportFile.id == report_id)


async def set_progress(report_id: int, rows_written: int, now: datetime) -> None:
    await ReportFile.update(
        {ReportFile.rows_written: rows_written, ReportFile.progress_at: now}
    ).where((ReportFile.id == report_id) & (ReportFile.status == Status.RUNNING.value))


async def mark_ready(report_id: int, attempt: int, values: dict) -> bool:
    """Whether the report was still running as ATTEMPT, and is now ready. A run the queue
    took again (a missed heartbeat) or gave up on since then no longer holds the report."""
    rows = (
        await ReportFile.update({**values, ReportFile.status: Status.READY.value})
        .where(
            (ReportFile.id == report_id)
            & (ReportFile.status == Status.RUNNING.value)
            & (ReportFile.attempts == attempt)
        )
        .returning(ReportFile.id)
    )
    return bool(rows)


async def mark_failed(report_id: int, reason: str, now: datetime) -> bool:
    rows = (
        await ReportFile.update(
            {
                ReportFile.status: Status.FAILED.value,
                ReportFile.error: reason[:2000],
                ReportFile.finished_at: now,
            }
        )
        .where(
            (ReportFile.id == report_id)
            & ReportFile.status.is_in([Status.QUEUED.value, Status.RUNNING.value])
        )
        .returning(ReportFile.id)
    )
    return bool(rows)


async def requeue_failed(report_id: int) -> bool:
    rows = (
        await ReportFile.update(
            {
                ReportFile.status: Status.QUEUED.value,
                ReportFile.error: "",
                ReportFile.rows_written: 0,
                ReportFile.attempts: 0,
                ReportFile.started_at: None,
                ReportFile.finished_at: None,
            }
        )
        .where((ReportFile.id == report_id) & (ReportFile.status == Status.FAILED.value))
        .returning(ReportFile.id)
    )
    return bool(rows)


async def expired_reports(now: datetime, limit: int = 500) -> list[dict]:
    return (
        await ReportFile.select(ReportFile.id, ReportFile.file_path)
        .where((ReportFile.status == Status.READY.value) & (ReportFile.expires_at <= now))
        .order_by(ReportFile.expires_at)
        .limit(limit)
    )


async def mark_expired(report_id: int) -> None:
    await ReportFile.update(
        {ReportFile.status: Status.EXPIRED.value, ReportFile.file_path: ""}
    ).where(ReportFile.id == report_id)


# --- people -----------------------------------------------------------------------------------


async def person_in(organisation_id: int, account_id: int) -> dict | None:
    """A member's address and name, and the organisation's name: for the monthly mail."""
    rows = await Membership.raw(
        """
        SELECT a.email, a.full_name, o.name AS organisation_name
        FROM membership m
        JOIN organisation o ON o.id = m.organisation
        JOIN account a ON a.id = m.account
        WHERE m.organisation = {} AND m.account = {}
        """,
        organisation_id,
        account_id,
    )
    return rows[0] if rows else None


# --- monthly subscriptions --------------------------------------------------------------------


async def subscription(organisation_id: int, account_id: int) -> dict | None:
    return (
        await ReportSubscription.select()
        .where(
            (ReportSubscription.organisation == organisation_id)
            & (ReportSubscription.account == account_id)
        )
        .first()
    )


async def subscribe(organisation_id: int, account_id: int, file_format: str) -> None:
    await ReportSubscription.raw(
        "INSERT INTO report_subscription (organisation, account, file_format) VALUES ({}, {}, {}) "
        "ON CONFLICT (organisation, account) DO UPDATE SET file_format = EXCLUDED.file_format",
        organisation_id,
        account_id,
        file_format,
    )


async def unsubscribe(organisation_id: int, account_id: int) -> None:
    await ReportSubscription.delete().where(
        (ReportSubscription.organisation == organisation_id)
        & (ReportSubscription.account == account_id)
    )


async def all_subscriptions() -> list[Subscription]:
    rows = await ReportSubscription.select()
    return [
        Subscription(row["organisation"], row["account"], row["file_format"], row["created_at"])
        for row in rows
    ]


async def monthly_reports_made(period_start: date) -> set[tuple[int, int, date]]:
    rows = await ReportFile.select(ReportFile.organisation, ReportFile.requested_by).where(
        (ReportFile.kind == ReportKind.MONTHLY) & (ReportFile.period_start == period_start)
    )
    return {(row["organisation"], row["requested_by"], period_start) for row in rows}
