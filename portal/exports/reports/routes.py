"""Pages of background reports (/exports/reports): "My reports" (with the monthly delivery
setting), one report's page whose progress htmx polls, its download, and "Retry" for a failed
one. The old addresses under /my-reports (in mails already sent) redirect here."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import File

from portal.access import Action, may
from portal.core.current import Current
from portal.database import storable_id
from portal.errors import Conflict, FormErrors, NotFound
from portal.exports.feed import services as feed_services
from portal.exports.forms import FORMAT_LABELS, monthly_delivery_from
from portal.exports.reports import rules, services
from portal.forms import Form
from portal.paging import position_of
from portal.web import PUBLIC, form_page, page, polled, redirect, url_for

Me = NamedDependency[Current]

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class ReportsController(Controller):
    path = "/exports/reports"

    @get("", name="exports.reports")
    async def index(self, request: Request, current: Me) -> Response:
        return page(request, "exports/reports/index.html", await _list_context(request, current))

    @post("/monthly", name="exports.reports.monthly")
    async def monthly_delivery(self, request: Request, current: Me) -> Response:
        data = await request.form()
        form = Form(data)
        file_format = monthly_delivery_from(form)
        try:
            form.check()
        except FormErrors as error:
            context = await _list_context(request, current)
            return form_page(
                request,
                "exports/reports/index.html",
                {**context, "form": data},
                error.errors,
            )
        await services.set_monthly_delivery(current, file_format)
        flash = (
            "You will receive last month's report by email on the 1st of every month."
            if file_format is not None
            else "You will no longer receive the monthly report by email."
        )
        return redirect(request, url_for(request, "exports.reports"), flash=flash)

    @get("/{report_id:int}", name="exports.report")
    async def report(self, request: Request, current: Me, report_id: FromPath[int]) -> Response:
        report = await _report(current, report_id)
        context = _report_context(report)
        return polled(
            request,
            "exports/reports/report.html",
            context,
            fragment="progress",
            done=not context["in_progress"],
        )

    @get("/{report_id:int}/download", name="exports.report.download")
    async def download(self, request: Request, current: Me, report_id: FromPath[int]) -> File:
        report = await _report(current, report_id)
        if not rules.may_download(rules.Status(report["status"]), report["expires_at"], _now()):
            raise Conflict(_not_downloadable(report))
        path = services.file_on_disk(request.app.state.settings, report)
        if not path.is_file():
            raise Conflict("This report's file is no longer kept. Make the report again.")
        return File(
            path=path,
            media_type=MEDIA_TYPES[report["file_format"]],
            headers={"Cache-Control": "no-store"},
            content_disposition_type="attachment",
            filename=report["file_name"],
        )

    @post("/{report_id:int}/retry", name="exports.report.retry")
    async def retry(self, request: Request, current: Me, report_id: FromPath[int]) -> Response:
        _check_id(report_id)
        await services.retry_report(current, report_id)
        queued = "The report is queued again."
        return redirect(
            request, url_for(request, "exports.report", report_id=report_id), flash=queued
        )


class OldReportAddresses(Controller):
    """The old addresses: "My reports" was at /my-reports, and mails already sent link
    /my-reports/<id>. The redirect tells nothing, so it needs no login: the new address asks
    for it."""

    path = "/my-reports"
    opt = PUBLIC

    @get("", name="exports.reports.old_index")
    async def index(self, request: Request) -> Response:
        location = url_for(request, "exports.reports")
        return Response(None, status_code=301, headers={"Location": location})

    @get("/{rest:path}", name="exports.reports.old_page")
    async def page(self, request: Request, rest: FromPath[str]) -> Response:
        location = url_for(request, "exports.reports") + quote(rest)
        return Response(None, status_code=301, headers={"Location": location})


def _check_id(report_id: int) -> None:
    if not storable_id(report_id):
        raise NotFound()


async def _report(current: Current, report_id: int) -> dict:
    _check_id(report_id)
    return await services.report_for(current, report_id)


def _now() -> datetime:
    return datetime.now(UTC)


def _not_downloadable(report: dict) -> str:
    status = rules.Status(report["status"])
    if status in rules.IN_PROGRESS:
        return "This report is not written yet: its page shows how far it is."
    if status is rules.Status.FAILED:
        return "This report failed; retry it from its page."
    return "This report has expired (files are kept 7 days). Make the report again."


def _report_context(report: dict) -> dict:
    status = rules.Status(report["status"])
    return {
        "report": report,
        "status": status,
        "status_label": rules.STATUS_LABELS[status],
        "in_progress": status in rules.IN_PROGRESS,
        "stalled": rules.looks_stalled(status, report["progress_at"], _now()),
        "percent": rules.percent_done(report["rows_written"], report["rows_total"]),
        "may_retry": rules.may_retry(status),
        "may_download": rules.may_download(status, report["expires_at"], _now()),
        "format_label": FORMAT_LABELS[report["file_format"]],
    }


async def _list_context(request: Request, current: Current) -> dict:
    reports = await services.my_reports(current, position_of(request.query_params))
    subscription = await services.monthly_subscription(current)
    feed = []
    if may(current.actor, Action.VIEW_BILLING_FEED, current.organisation_resource()):
        feed, _ = await feed_services.versions(current, size=24)
    return {
        "feed_versions": feed,
        "reports": replace(reports, rows=[_report_context(report) for report in reports]),
        "subscription": subscription,
        "format_labels": FORMAT_LABELS,
        "form": {
            "monthly": "on" if subscription else "",
            "file_format": subscription["file_format"] if subscription else "xlsx",
        },
        "kept_days": rules.KEPT_FOR.days,
        "threshold": rules.BACKGROUND_THRESHOLD,
    }


ROUTES = [ReportsController, OldReportAddresses]
