"""Billing reports in the browser: the form, the client search, the download."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.response import Stream

from portal.core.current import Current
from portal.errors import FormErrors
from portal.exports import forms
from portal.exports.billing_report import (
    ReportRequest,
    exportable_clients,
    measure_report,
    report_scope,
    report_to_copy,
)
from portal.exports.offload import warm_writer_pool, written_chunks
from portal.exports.reports.rules import runs_in_background
from portal.exports.reports.services import start_report
from portal.exports.rules import PERIOD_LABELS, PeriodKind, content_disposition
from portal.web import form_page, page, redirect, url_for

Me = NamedDependency[Current]
CLIENTS_SHOWN = 50  # a big partner searches; the page lists this many at once
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


class ExportsController(Controller):
    path = "/exports"

    @get("", name="exports.index")
    async def index(self, request: Request, current: Me) -> Response:
        defaults = {"period": PeriodKind.LAST_QUARTER, "format": "xlsx", "clients": "all"}
        context = await _form_context(request, current, defaults)
        warm_writer_pool()  # for the download this form leads to
        return page(request, "exports/index.html", context, fragment="clients")

    @get("/clients", name="exports.clients")
    async def clients(self, request: Request, current: Me) -> Response:
        """The client picker's matches (htmx, as the user types), chosen ones kept."""
        context = await _form_context(request, current, {"clients": "selected"})
        return page(request, "exports/index.html", context, fragment="clients")

    @post("/search", name="exports.search", status_code=200)
    async def search(self, request: Request, current: Me) -> Response:
        """The client search without JavaScript: the report form posts here and comes back
        whole with the matches, what was typed kept. (As a GET it sent the form's CSRF
        token in the URL.)"""
        data = await request.form()
        context = await _form_context(request, current, _flat(data))
        return page(request, "exports/index.html", context)

    @post("", name="exports.download", status_code=200)
    async def download(self, request: Request, current: Me) -> Response:
        data = await request.form()
        partner = current.organisation_resource()
        try:
            report_request = forms.parse_report_form(
                data,
                partner_id=partner.organisation_id,
                requested_by=current.user_id,
                today=datetime.now(UTC).date(),
            )
            return await deliver_report(request, current, report_request)
        except FormErrors as error:
            context = await _form_context(request, current, _flat(data))
            return form_page(request, "exports/index.html", context, error.errors)


async def deliver_report(
    request: Request, current: Current, report_request: ReportRequest
) -> Response:
    """A report comes straight back as a download, written in a process of its own and sent
    as it is written; a large one goes to the background queue, and the browser to the page
    of its progress."""
    scope = await report_scope(current, report_request)
    measure = await measure_report(scope, report_request)
    if runs_in_background(measure["lines"]):
        report_id = await start_report(current, report_request)
        return redirect(
            request,
            url_for(request, "exports.report", report_id=report_id),
            flash="This report is large: it is being written in the background.",
            level="info",
        )
    report, copying = await report_to_copy(scope, report_request, measure)
    return Stream(
        written_chunks(report, copying),
        media_type=MEDIA_TYPES[report_request.format],
        headers={"content-disposition": content_disposition(report.filename)},
    )


def _flat(data) -> dict:
    """What the user typed, for re-rendering: single values, and the chosen clients; a file
    sent where text belongs is no text to show again."""
    flat = {k: v for k, v in data.items() if k != "client_ids" and isinstance(v, str)}
    chosen = data.getall("client_ids", []) if hasattr(data, "getall") else []
    flat["client_ids"] = [value for value in chosen if isinstance(value, str)]
    return flat


async def _form_context(request: Request, current: Current, form: dict) -> dict:
    partner = current.organisation_resource()
    clients = await exportable_clients(current.actor, partner.organisation_id)
    query = (request.query_params.get("q") or form.get("q") or "").strip()[:100]
    chosen = {str(value) for value in _chosen(request, form)}
    matches = [c for c in clients if query.casefold() in c["client_name"].casefold()]
    shown = [c for c in clients if str(c["client"]) in chosen]
    shown += [c for c in matches if str(c["client"]) not in chosen][:CLIENTS_SHOWN]
    today = datetime.now(UTC).date()
    return {
        "form": form,
        "clients": shown,
        "client_total": len(clients),
        "match_total": len(matches),
        "chosen": chosen,
        "query": query,
        "period_labels": PERIOD_LABELS,
        "quarters": forms.quarter_choices(today),
        "today": today,
    }


def _chosen(request: Request, form: dict) -> list:
    if form.get("client_ids"):
        return list(form["client_ids"])
    return request.query_params.getall("client_ids", [])


ROUTES = [ExportsController]
