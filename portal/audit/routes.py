"""The organisation's audit log: filter, page through, download as CSV."""

from __future__ import annotations

import csv
import io
import json

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from portal.access import Action, OrganisationResource, require
from portal.audit.services import AuditFilter, events_of
from portal.core.current import Current
from portal.errors import FormErrors
from portal.forms import CONTROL_CHARACTERS_PROBLEM, Form, has_control_characters, page_number
from portal.web import page


def _audit_filter(request: Request) -> tuple[AuditFilter, dict[str, str]]:
    form = Form(request.query_params)
    where = AuditFilter(
        action=form.text("action", max_length=60),
        actor=form.text("actor", max_length=100),
        day_from=form.day("from"),
        day_to=form.day("to"),
    )
    if where.day_from and where.day_to and where.day_from > where.day_to:
        form.add("to", "The end date is before the start date.")
    for name in ("action", "actor"):
        if has_control_characters(form.data.get(name, "")):
            form.add(name, CONTROL_CHARACTERS_PROBLEM)
    return where, form.errors


def _organisation(current: Current) -> OrganisationResource:
    resource = current.organisation_resource()
    require(current.actor, Action.VIEW_AUDIT, resource)
    return resource


class AuditController(Controller):
    path = "/organisation/audit"

    @get("", name="audit.log")
    async def index(self, request: Request, current: NamedDependency[Current]) -> Response:
        resource = _organisation(current)
        where, errors = _audit_filter(request)
        page_no = page_number(request.query_params.get("page"))
        events, has_next = (
            ([], False) if errors else await events_of(resource.organisation_id, where, page_no)
        )
        return page(
            request,
            "audit/index.html",
            {
                "events": events,
                "has_next": has_next,
                "page_no": page_no,
                "form": dict(request.query_params),
                "errors": errors,
                "query": _query_without_page(request),
            },
            fragment="events",
            status=422 if errors else 200,
        )

    @get("/export.csv", name="audit.csv")
    async def export(self, request: Request, current: NamedDependency[Current]) -> Response:
        resource = _organisation(current)
        where, errors = _audit_filter(request)
        if errors:
            raise FormErrors(errors)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["time_utc", "actor", "action", "subject", "before", "after"])
        page_no = 1
        while True:
            events, has_next = await events_of(resource.organisation_id, where, page_no)
            for event in events:
                writer.writerow(
                    [
                        event["created_at"].isoformat(),
                        _cell(event["actor_name"]),
                        event["action"],
                        _cell(event["subject"]),
                        _cell(event["before"]),
                        _cell(event["after"]),
                    ]
                )
            if not has_next or page_no >= 2000:
                break
            page_no += 1
        return Response(
            "\ufeff" + buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'},
        )


def _cell(value) -> str:
    """Text that a spreadsheet will not run as a formula; before/after as JSON."""
    if value is None:
        text = ""
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _query_without_page(request: Request) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in request.query_params.items() if k != "page" and v})


ROUTES = [AuditController]
