"""The organisation's audit log: sentences in the reader's terms, filtered, paged, and
downloaded as CSV — the sentence beside the machine columns, following the filters on screen."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.response import Stream

from portal.access import Action, OrganisationResource, require
from portal.audit import forms
from portal.audit.services import (
    EXPORT_BATCH,
    AuditFilter,
    events_after,
    events_of,
    with_sentences,
)
from portal.core.current import Current
from portal.errors import FormErrors
from portal.paging import NO_ROWS, position_of, without_position
from portal.web import page

# What the log's filter offers: the beginning of the event codes of each kind of change.
KINDS = {
    "": "Everything",
    "link.": "Partners and clients",
    "client.": "Work done inside a client",
    "member.": "Members",
    "invitation.": "Invitations",
    "team.": "Teams",
    "organisation.": "The organisation's details",
    "billing.": "Orders and renewals",
    "prepaid.": "The prepaid account",
    "programme.": "The partner programme",
    "affiliate.": "The affiliate programme",
    "tender.": "Tenders",
    "webhook.": "Webhooks",
}
CSV_COLUMNS = [
    "time_utc",
    "event",
    "sentence",
    "event_id",
    "actor_id",
    "actor",
    "acting_for_id",
    "subject",
    "subject_role",
    "link_id",
    "before",
    "after",
]


def _organisation(current: Current) -> OrganisationResource:
    resource = current.organisation_resource()
    require(current.actor, Action.VIEW_AUDIT, resource)
    return resource


class AuditController(Controller):
    path = "/organisation/audit"

    @get("", name="audit.log")
    async def index(self, request: Request, current: NamedDependency[Current]) -> Response:
        resource = _organisation(current)
        where, errors = forms.audit_filter_from(request.query_params)
        position = position_of(request.query_params)
        events = NO_ROWS if errors else await events_of(resource.organisation_id, where, position)
        kinds = dict(KINDS)
        if where.action and where.action not in kinds:  # a prefix typed into the address
            kinds[where.action] = where.action
        return page(
            request,
            "audit/index.html",
            {
                "events": replace(
                    events,
                    rows=await with_sentences(events.rows, request.app.state.audit_sentences),
                ),
                "form": dict(request.query_params),
                "errors": errors,
                "kinds": kinds,
                "query": _filters_query(request),
            },
            fragment="events",
            status=422 if errors else 200,
        )

    @get("/export.csv", name="audit.csv")
    async def export(self, request: Request, current: NamedDependency[Current]) -> Response:
        resource = _organisation(current)
        where, errors = forms.audit_filter_from(request.query_params)
        if errors:
            raise FormErrors(errors)
        catalogue = request.app.state.audit_sentences
        return Stream(
            _csv_lines(resource.organisation_id, where, catalogue),
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="audit-log.csv"',
                "Cache-Control": "no-store",
            },
        )


async def _csv_lines(organisation_id: int, where: AuditFilter, catalogue) -> AsyncIterator[str]:
    """The whole filtered log, newest first, read in batches along its index: flat memory,
    no cut-off."""
    yield "\ufeff" + _row(CSV_COLUMNS)
    cursor = None
    while True:
        events = await events_after(organisation_id, where, cursor, EXPORT_BATCH)
        if not events:
            return
        lines = []
        for event in await with_sentences(events, catalogue):
            lines.append(
                _row(
                    [
                        event["created_at"].isoformat(),
                        event["action"],
                        _cell(event["sentence"]),
                        event["id"],
                        event["actor"] if event["actor"] is not None else "",
                        _cell(event["actor_name"]),
                        event["acting_for_id"] if event["acting_for_id"] is not None else "",
                        _cell(event["subject"]),
                        event["subject_role"] or "",
                        event["link_id"] if event["link_id"] is not None else "",
                        _cell(event["before"]),
                        _cell(event["after"]),
                    ]
                )
            )
        yield "".join(lines)
        last = events[-1]
        cursor = (last["created_at"], last["id"])
        if len(events) < EXPORT_BATCH:
            return


def _row(cells: list) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


def _cell(value) -> str:
    """Text that a spreadsheet will not run as a formula; before/after as JSON."""
    if value is None:
        text = ""
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


def _filters_query(request: Request) -> str:
    """The filters on screen, as the pager and the download carry them."""
    return urlencode(without_position(request.query_params))


ROUTES = [AuditController]
