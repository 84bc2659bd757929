"""The report's job, run by the worker: load the lines, write the file in a thread (the
worker's event loop keeps its heartbeat) with the progress saved as the writer goes, keep it
7 days. And the periodic jobs: the monthly delivery and the deletion of expired files."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from portal.core.urls import page_url
from portal.errors import FormErrors, PortalError
from portal.exports.billing_report import ReportRequest, load_report, write_report
from portal.exports.reports import queries, rules
from portal.exports.reports.rules import ReportKind
from portal.exports.reports.services import REPORTS_FOLDER, WRITE_REPORT, report_row
from portal.jobs.queue import enqueue
from portal.jobs.registry import Job, JobContext, JobFailed, Periodic
from portal.mail.services import Mail, queue_mail
from portal.piccolo_conf import DB
from portal.settings import Settings
from portal.webhooks.events import emit
from portal.webhooks.rules import EventType

log = logging.getLogger(__name__)

NOT_ALLOWED = (
    "The person who asked for this report may no longer export this partner's billing "
    "(or of the clients chosen)."
)


async def write_report_file(context: JobContext, payload: dict) -> None:
    report_id = int(payload["report_id"])
    row = await queries.report_by_id(report_id)
    if row is None or not await queries.mark_running(report_id, context.start, _now()):
        return  # deleted, or already ready, failed or expired: nothing left to do
    report = await _load(ReportRequest.from_dict(row["parameters"]))
    await queries.set_total(report_id, report.line_count)
    relative = (
        Path(REPORTS_FOLDER)
        / str(row["organisation"])
        / (f"{report_id}-{secrets.token_hex(8)}.{row['file_format']}")
    )
    target = Path(context.settings.data_dir) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in target.parent.glob(f"{report_id}-*.part"):  # a killed worker's half file
        stale.unlink(missing_ok=True)
    partial = target.with_name(target.name + ".part")
    saver = ProgressSaver(asyncio.get_running_loop(), report_id, report.line_count)
    try:
        await _written(asyncio.to_thread(write_report, report, partial, saver), saver)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    finished = _now()
    async with DB.transaction():  # ready and mailed in one commit: a lost worker loses no mail
        ready = await queries.mark_ready(
            report_id,
            context.start,
            {
                "rows_written": saver.total,
                "file_path": str(relative),
                "file_size": target.stat().st_size,
                "file_name": report.filename,
                "finished_at": finished,
                "expires_at": rules.expiry(finished),
                "progress_at": finished,
            },
        )
        if ready and row["kind"] == ReportKind.MONTHLY:
            await _mail_monthly_report(context.settings, report_id)
        if ready:
            await emit(
                EventType.REPORT_READY,
                row["organisation"],
                {
                    "kind": "billing_report",
                    "report_id": report_id,
                    "period_start": row["period_start"],
                    "period_end": row["period_end"],
                    "format": row["file_format"],
                    "rows": saver.total,
                    "requested_by": row["requested_by"],
                },
            )
    if not ready:  # another run holds the report, or it was given up: this file is nobody's
        target.unlink(missing_ok=True)


async def _written(writing, saver: ProgressSaver) -> None:
    """Await the writer's thread. A thread cannot be cancelled: when the job is (its worker
    lost the queue's connection and lets go of the jobs in hand), the writer is told to stop
    at its next progress report and awaited, so that no file is written after the run ended
    and no second writer runs beside the run that takes the report again."""
    writing = asyncio.ensure_future(writing)
    try:
        await asyncio.shield(writing)
    except asyncio.CancelledError:
        saver.stop()
        while not writing.done():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([writing])
        writing.exception()  # WriterStopped, most likely: the run's own cancel is what counts
        raise


async def _load(request: ReportRequest):
    """The report as its requester may see it today: one who left, lost the right to
    export, or a client since, gets no report (the job fails and says why)."""
    try:
        return await load_report(None, request)
    except FormErrors as error:
        raise JobFailed("The report's settings are not valid: " + error.detail) from error
    except PortalError as error:  # NotFound, Forbidden
        raise JobFailed(NOT_ALLOWED) from error


class WriterStopped(Exception):
    """Raised in the writer's thread once the run it writes for was cancelled."""


class ProgressSaver:
    """The writer's progress callback, called from its thread: saves rows written to the
    database at most every PROGRESS_EVERY_ROWS rows, on the worker's event loop. The
    writer's total counts every row it writes (per-client sheets repeat the lines)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, report_id: int, total: int):
        self.loop, self.report_id, self.total = loop, report_id, total
        self.saved = 0
        self.stopped = False

    def stop(self) -> None:
        """The writer raises WriterStopped at its next progress report."""
        self.stopped = True

    def __call__(self, rows_written: int, total: int) -> None:
        if self.stopped:
            raise WriterStopped()
        if total != self.total:
            self.total = total
            self._save(queries.set_total(self.report_id, total))
        rows_written = min(rows_written, total)
        if rules.progress_is_due(rows_written, self.saved, total):
            self.saved = rows_written
            self._save(queries.set_progress(self.report_id, rows_written, _now()))

    def _save(self, update) -> None:
        asyncio.run_coroutine_threadsafe(update, self.loop).result(timeout=30)


async def report_gave_up(context: JobContext, payload: dict, reason: str) -> None:
    report_id = int(payload["report_id"])
    async with DB.transaction():
        if await queries.mark_failed(report_id, reason, _now()):
            row = await queries.report_by_id(report_id)
            if row and row["kind"] == ReportKind.MONTHLY:
                await _mail_monthly_report(context.settings, report_id)


async def _mail_monthly_report(settings: Settings, report_id: int) -> None:
    """Queued in the caller's transaction, beside the report's final state; the mail job
    hands it to SMTP, with retries (no report's worker waits for SMTP)."""
    row = await queries.report_by_id(report_id)
    person = await queries.person_in(row["organisation"], row["requested_by"])
    if person is not None:
        await queue_mail(monthly_mail(settings, row, person))


def monthly_mail(settings: Settings, report: dict, person: dict) -> Mail:
    """What the person who asked for the monthly report is told: ready (with the link to
    the file behind login and its expiry), or why it could not be made."""
    month = report["period_start"].strftime("%B %Y")
    period = f"{report['period_start'].isoformat()} to {report['period_end'].isoformat()}"
    link = page_url(settings, "exports.report", report_id=report["id"])
    greeting = f"Hello {person['full_name']},\n\n"
    if report["status"] == rules.Status.READY:
        return Mail(
            recipient=person["email"],
            subject=f"Your billing report for {month} is ready",
            body=(
                greeting + f"The billing report of {person['organisation_name']} for {month} "
                f"({period}, {report['rows_written']} invoice lines, "
                f"{report['file_format'].upper()}) is ready.\n\n"
                f"Download it after logging in: {link}\n"
                f"It is kept until {report['expires_at'].strftime('%d %B %Y')}.\n\n"
                "You receive this because you asked for the previous month's report on the "
                f"1st of every month. To stop, change the setting on "
                f"{page_url(settings, 'exports.reports')}\n"
            ),
        )
    return Mail(
        recipient=person["email"],
        subject=f"Your billing report for {month} could not be made",
        body=(
            greeting + f"The billing report of {person['organisation_name']} for {month} "
            f"({period}) could not be made: {report['error']}\n\n"
            f"You can try again after logging in: {link}\n"
        ),
    )


# --- periodic ---------------------------------------------------------------------------------


async def deliver_monthly_reports(settings: Settings, now: datetime) -> int:
    """Queue the monthly reports that are due (see rules.monthly_reports_due)."""
    today = now.date()
    start, _ = rules.previous_month(today)
    due = rules.monthly_reports_due(
        today, await queries.all_subscriptions(), await queries.monthly_reports_made(start)
    )
    queued = 0
    for report in due:
        request = ReportRequest(
            partner_id=report.organisation_id,
            period_start=report.period_start,
            period_end=report.period_end,
            format=report.file_format,
            requested_by=report.account_id,
        )
        async with DB.transaction():
            report_id = await queries.insert_monthly_report(report_row(request))
            if report_id is None:
                continue  # another worker queued it a moment ago
            await queries.set_job(report_id, await enqueue(WRITE_REPORT, {"report_id": report_id}))
            queued += 1
    if queued:
        log.info("Queued %d monthly report(s) for %s.", queued, start.strftime("%B %Y"))
    return queued


async def delete_expired_reports(settings: Settings, now: datetime) -> int:
    expired = await queries.expired_reports(now)
    for report in expired:
        if report["file_path"]:
            (Path(settings.data_dir) / report["file_path"]).unlink(missing_ok=True)
        await queries.mark_expired(report["id"])
    if expired:
        log.info("Deleted %d expired report file(s).", len(expired))
    return len(expired)


def _now() -> datetime:
    return datetime.now(UTC)


JOBS = [
    Job(
        WRITE_REPORT,
        write_report_file,
        gave_up=report_gave_up,
        max_attempts=3,
        long_running=True,
    )
]
PERIODIC = [
    Periodic("exports.deliver_monthly_reports", "5 * * * *", deliver_monthly_reports),
    Periodic("exports.delete_expired_reports", "35 * * * *", delete_expired_reports),
]
