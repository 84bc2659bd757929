"""Billing reports (docs/rules.md, Billing reports): what a request asks, what the actor may get,
and the writing.

The interface other parts build on (web download, command line, background jobs):

    ReportRequest                                   what to export, for whom, by whom
    await count_report_lines(who, request) -> int   authorized and scoped, like the report
    await load_report(who, request) -> Report       the lines (in a file) and title info
    write_report(report, path, progress=None)       synchronous: xlsx or csv, written
                                                    forward as the lines are read

WHO is the web request's Current, an Actor, or None to rebuild the actor of
`request.requested_by` fresh from the database (a background job, the command line): rights
are checked again on each run, so a revoked role or link stops the next report."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from portal.access import Actor, ClientScope, OrganisationResource, Role, export_scope
from portal.core.current import actor_in
from portal.core.enums import IN_PROGRAMME
from portal.database import storable_id
from portal.errors import FormErrors, NotFound
from portal.exports import queries
from portal.exports.frames import prepare, whole_invoices
from portal.exports.rules import FORMATS, Period, period_problems, report_filename

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ReportRequest:
    partner_id: int
    period_start: date
    period_end: date
    client_ids: tuple[int, ...] = ()  # empty: every client the actor may export
    format: str = "xlsx"  # xlsx | csv
    sheet_per_client: bool = False
    requested_by: int | None = None  # the account asking

    @property
    def period(self) -> Period:
        return Period(self.period_start, self.period_end)

    def as_dict(self) -> dict:
        """JSON-ready, for a job's payload."""
        return {
            "partner_id": self.partner_id,
            "period_start": self.period_start.isoformat(),
            "period_end": self.period_end.isoformat(),
            "client_ids": list(self.client_ids),
            "format": self.format,
            "sheet_per_client": self.sheet_per_client,
            "requested_by": self.requested_by,
        }

    @classmethod
    def from_dict(cls, data: dict) -> ReportRequest:
        return cls(
            partner_id=int(data["partner_id"]),
            period_start=date.fromisoformat(data["period_start"]),
            period_end=date.fromisoformat(data["period_end"]),
            client_ids=tuple(int(i) for i in data.get("client_ids") or ()),
            format=data.get("format", "xlsx"),
            sheet_per_client=bool(data.get("sheet_per_client")),
            requested_by=data.get("requested_by"),
        )


@dataclass(frozen=True, eq=False)
class Report:
    """A report ready to be written: its lines wait in files (queries.LinesFile), read chunk
    by chunk by the writers, so that memory does not grow with the number of lines."""

    request: ReportRequest
    partner_name: str
    partner_currency: str
    generated_at: datetime
    source: queries.LinesFile = field(repr=False)  # by date: the Lines sheet, the CSV
    measure: dict = field(repr=False)  # queries.MEASURE_SQL: the longest texts, largest sums
    by_client: queries.LinesFile | None = field(default=None, repr=False)  # client sheets

    @property
    def period(self) -> Period:
        return self.request.period

    @property
    def line_count(self) -> int:
        return self.source.rows

    @property
    def filename(self) -> str:
        return report_filename(
            self.partner_name, self.period, self.request.format, self.generated_at
        )

    def chunks(self) -> Iterator[pd.DataFrame]:
        """The lines by date, a chunk of whole invoices at a time, with their VAT."""
        return map(prepare, whole_invoices(self.source.chunks()))

    def client_chunks(self) -> Iterator[pd.DataFrame]:
        """The lines client after client (in the Summary's order), as chunks() gives them."""
        assert self.by_client is not None, "loaded without sheet_per_client"
        return map(prepare, whole_invoices(self.by_client.chunks()))

    @property
    def lines(self) -> pd.DataFrame:
        """Every line in one frame, with its VAT: for a small report (or a test)."""
        return prepare(self.source.frame())


@dataclass(frozen=True)
class Scope:
    """What the actor may export of the partner: the clients of CLIENTS (access.py's
    `export_scope`, applied by the queries), narrowed to CHOSEN when a selection was made."""

    partner: dict
    clients: ClientScope
    chosen: tuple[int, ...] | None = None


async def partner_view(partner_id: int) -> Actor:
    """The partner as its legal representatives see it, for an operator's export (the
    command line): the same scope, with no one's account behind it."""
    partner = await queries.organisation(partner_id)
    if partner is None:
        raise NotFound()
    return Actor(
        user_id=0,
        organisation_id=partner_id,
        role=Role.LEGAL_REPRESENTATIVE,
        in_programme=partner["partner_status"] in IN_PROGRAMME,
    )


async def resolve_actor(who, request: ReportRequest) -> Actor:
    if who is None:
        actor = (
            await actor_in(request.requested_by, request.partner_id)
            if request.requested_by is not None
            else None
        )
        if actor is None:
            raise NotFound()
        return actor
    return who.actor if hasattr(who, "actor") else who


async def exportable_clients(actor: Actor, partner_id: int) -> list[dict]:
    """The clients ACTOR may put in a report of PARTNER_ID, by name (for the form too)."""
    return await queries.scope_clients(
        partner_id, export_scope(actor, OrganisationResource(partner_id))
    )


async def report_scope(who, request: ReportRequest) -> Scope:
    """Authorize REQUEST for WHO (`lines_scope`), with the partner's name and currency for
    the file."""
    clients, chosen = await lines_scope(who, request)
    partner = await queries.organisation(request.partner_id)
    if partner is None:
        raise NotFound()
    return Scope(partner, clients, chosen)


async def lines_scope(who, request: ReportRequest) -> tuple[ClientScope, tuple | None]:
    """Authorize REQUEST for WHO: the partner must be the organisation acted in, the actor may
    export, every client asked for is one of theirs (else 404), the period is valid (422).
    The clients WHO may export, and those chosen (None: all of them)."""
    actor = await resolve_actor(who, request)
    if actor.organisation_id != request.partner_id:
        raise NotFound()
    problems = request_problems(request)
    if problems:
        raise FormErrors(problems)
    clients = export_scope(actor, OrganisationResource(request.partner_id))
    if not request.client_ids:
        return clients, None
    chosen = tuple(dict.fromkeys(request.client_ids))
    if not all(storable_id(client_id) for client_id in chosen) or len(
        await queries.scope_clients(request.partner_id, clients, chosen)
    ) != len(chosen):
        raise NotFound()  # another partner's client, or none: the same answer
    return clients, chosen


def request_problems(request: ReportRequest) -> dict[str, str]:
    problems = period_problems(request.period_start, request.period_end)
    if request.format not in FORMATS:
        problems["format"] = "Choose Excel (.xlsx) or CSV."
    return problems


async def count_report_lines(who, request: ReportRequest) -> int:
    scope = await report_scope(who, request)
    return await queries.count_lines(report_lines(request, scope.clients, scope.chosen))


async def load_report(who, request: ReportRequest) -> Report:
    """The report with its lines copied: ready to be written."""
    scope = await report_scope(who, request)
    report, copying = await report_to_copy(scope, request, await measure_report(scope, request))
    await copying
    return report


async def measure_report(scope: Scope, request: ReportRequest) -> dict:
    """How many lines, the longest texts and the largest sums (queries.MEASURE_SQL)."""
    return await queries.measure_lines(report_lines(request, scope.clients, scope.chosen))


async def report_to_copy(
    scope: Scope, request: ReportRequest, measure: dict
) -> tuple[Report, Awaitable[None]]:
    """The report, and the copy of its lines still to await: a writer may start on the report
    at once (it waits for the lines), so that its first bytes do not wait for the query."""
    lines = report_lines(request, scope.clients, scope.chosen)
    source = queries.lines_file(measure["lines"])
    by_client = None
    copies = [queries.copy_into(source, lines)]
    if request.sheet_per_client and request.format == "xlsx":
        by_client = queries.lines_file(measure["lines"])
        clients = await queries.scope_clients(scope.partner["id"], scope.clients, scope.chosen)
        order = [client["client"] for client in clients]  # by name, as the Summary
        copies.append(queries.copy_into(by_client, lines, client_order=order))
    report = Report(
        request=request,
        partner_name=scope.partner["name"],
        partner_currency=scope.partner["currency"],
        generated_at=datetime.now(UTC),
        source=source,
        measure=measure,
        by_client=by_client,
    )
    files = [source] if by_client is None else [source, by_client]
    return report, _copied(list(zip(copies, files, strict=True)))


async def _copied(copies: list[tuple[Awaitable[int], queries.LinesFile]]) -> None:
    for copy, lines in copies:
        lines.rows = await copy


def report_lines(
    request: ReportRequest, clients: ClientScope, chosen: tuple | None = None
) -> queries.Lines:
    """The lines REQUEST asks for, of the CLIENTS its person may export (of CHOSEN, if any)."""
    return queries.Lines(
        request.partner_id, request.period_start, request.period_end, clients, chosen
    )


def write_report(report: Report, path: str | Path, progress: Progress | None = None) -> None:
    """Synchronous and CPU-bound: call it off the event loop (a thread, a process, a job)."""
    if report.request.format == "csv":
        from portal.exports.csvfile import write_csv

        write_csv(report, path, progress)
    else:
        from portal.exports.xlsx import write_xlsx

        write_xlsx(report, path, progress)
