"""Background reports for people: start one, see it, retry it, and the monthly delivery
setting. Every read asks access.py; every row is looked up inside the acted-in organisation."""

from __future__ import annotations

from pathlib import Path

from portal.access import Action, ReportFileResource, require
from portal.core.current import Current
from portal.errors import Conflict, NotFound
from portal.exports.reports import queries
from portal.exports.reports.rules import Status, may_retry
from portal.jobs.queue import enqueue
from portal.paging import FIRST, Page, Position
from portal.piccolo_conf import DB
from portal.settings import Settings

WRITE_REPORT = "exports.write_report"
REPORTS_FOLDER = "reports"


async def start_report(current: Current, request) -> int:
    """Queue REQUEST (a ReportRequest of the current person, validated and authorised by the
    caller) as a background report; its id. The row and its job commit together."""
    organisation = current.organisation_resource()
    if request.partner_id != organisation.organisation_id or request.requested_by != (
        current.user_id
    ):
        raise NotFound()
    async with DB.transaction():
        report_id = await queries.insert_report(report_row(request))
        await queries.set_job(report_id, await enqueue(WRITE_REPORT, {"report_id": report_id}))
    return report_id


def report_row(request) -> dict:
    return {
        "organisation": request.partner_id,
        "requested_by": request.requested_by,
        "parameters": request.as_dict(),
        "period_start": request.period_start,
        "period_end": request.period_end,
        "file_format": request.format,
    }


async def report_for(current: Current, report_id: int) -> dict:
    """The report if the current person may see it; another's, or none, is NotFound."""
    organisation = current.organisation_resource()
    report = await queries.report_of_organisation(organisation.organisation_id, report_id)
    if report is None:
        raise NotFound()
    require(
        current.actor,
        Action.VIEW_REPORT_FILE,
        ReportFileResource(report["organisation"], report["requested_by"]),
    )
    return report


async def retry_report(current: Current, report_id: int) -> None:
    report = await report_for(current, report_id)
    if not may_retry(Status(report["status"])):
        raise Conflict("Only a failed report can be tried again.")
    async with DB.transaction():
        if not await queries.requeue_failed(report_id):
            raise Conflict("Only a failed report can be tried again.")
        await queries.set_job(report_id, await enqueue(WRITE_REPORT, {"report_id": report_id}))


async def my_reports(current: Current, position: Position = FIRST) -> Page:
    organisation = current.organisation_resource()
    require(current.actor, Action.EXPORT_BILLING, organisation)
    return await queries.reports_of_person(organisation.organisation_id, current.user_id, position)


async def monthly_subscription(current: Current) -> dict | None:
    organisation = current.organisation_resource()
    require(current.actor, Action.EXPORT_BILLING, organisation)
    return await queries.subscription(organisation.organisation_id, current.user_id)


async def set_monthly_delivery(current: Current, file_format: str | None) -> None:
    """Subscribe the current person in FILE_FORMAT, or unsubscribe them (None)."""
    organisation = current.organisation_resource()
    require(current.actor, Action.EXPORT_BILLING, organisation)
    if file_format is None:
        await queries.unsubscribe(organisation.organisation_id, current.user_id)
    else:
        await queries.subscribe(organisation.organisation_id, current.user_id, file_format)


def file_on_disk(settings: Settings, report: dict) -> Path:
    return Path(settings.data_dir) / report["file_path"]
