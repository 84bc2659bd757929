"""The floor reference of the lists of bench/big_tenants.py: a bare Litestar app (served like
the portal, `granian --factory bench.big_tenants_reference:create_app`) that, for each list
page, runs the session query and the SQL of every portal query function the page's handler
awaits, with raw asyncpg, and renders the same template with the portal's pure helpers: no
session middleware, CSRF, authorization or ORM. Its user may do everything on these pages
(the legal representative of the organisation), so no decision is taken.

The SQL is caught from the portal's own query functions at start-up (bench/reference.py's
`_sent_statements`), for each way a list is read (first page, after a key, before a key,
last page): the keyset's values are the last arguments of a list's query, so the reference
sends the page's key after the list's own arguments, as the portal does.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

import asyncpg
from litestar import Litestar, MediaType, Request, Response, get
from litestar.logging.config import LoggingConfig
from litestar.plugins.htmx import HTMXRequest

from bench import reference
from bench.reference import (
    EVERY_CLIENT,
    NO_SESSION,
    URL_FOR,
    _grant_helpers,
    _sent_statements,
    _session,
    current_of,
)
from portal.access import sees_every_product
from portal.accounts import queries as account_queries
from portal.accounts import rules as account_rules
from portal.audit import services as audit
from portal.audit.routes import KINDS
from portal.billing import queries as billing_queries
from portal.clients import queries as client_queries
from portal.clients import rules as client_rules
from portal.clients.forms import grant_form_values
from portal.clients.link_pages import ENDED_PREFIX, ENDING_SOON, ended_view
from portal.core.enums import IN_PROGRAMME
from portal.exports.feed import services as feed_services
from portal.exports.reports import queries as report_queries
from portal.exports.reports import rules as report_rules
from portal.exports.reports.routes import FORMAT_LABELS, _report_context
from portal.organisations import queries as organisation_queries
from portal.organisations.routes import ROLE_CHOICES
from portal.paging import FIRST, LAST, Kind, Order, Page, Position, position_of
from portal.products import queries as product_queries
from portal.settings import Settings
from portal.tenders import queries as tender_queries
from portal.tenders import rules as tender_rules
from portal.tenders.routes import CHOICES, AuthorUrls
from portal.tenders.services import AuthorView, Inbox, _status_now
from portal.webhooks import services as webhook_services
from portal.webhooks.forms import EVENT_CHOICES

FACTORY = "bench.big_tenants_reference:create_app"
PROBE = {
    "organisation": -7, "account": -8, "link": -9, "tender": -10, "endpoint": -12,
    "currency": "CHF",
}  # fmt: skip
PROBE_LINK = {**reference.PROBE_LINK, "id": -9, "client": -8}
PROBE_VALUES = {
    Kind.TEXT: "probe",
    Kind.ID: -11,
    Kind.TIME: datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC),
    Kind.DAY: date(2000, 1, 2),
    Kind.DECIMAL: Decimal("1.5"),
}
IDLE, ABSOLUTE = Settings.session_idle, Settings.session_absolute


@dataclass(frozen=True)
class ListQuery:
    """A list's query function: CALL(ids, position) as a handler awaits it, the arguments it
    sends before the key (FIXED(ids)), its order and page size, and the prefix of its paging
    parameters (a page's second list)."""

    call: Callable[[dict, Position], Awaitable]
    fixed: Callable[[dict], tuple]
    order: Order
    size: int
    prefix: str = ""


LISTS: dict[str, ListQuery] = {
    "clients": ListQuery(
        lambda ids, at: client_queries.clients_of_partner(
            ids["organisation"], at, scope=EVERY_CLIENT
        ),
        lambda ids: (ids["organisation"],),
        client_queries.CLIENT_ORDER,
        client_queries.PAGE_SIZE,
    ),
    "link_products": ListQuery(
        lambda ids, at: client_queries.delegated_products(ids["link_row"], at),
        lambda ids: (ids["link_row"]["client"], True, [], ids["link_row"]["id"]),
        client_queries.PRODUCT_ORDER,
        50,
    ),
    "partners": ListQuery(
        lambda ids, at: client_queries.links_of_client(ids["organisation"], at),
        lambda ids: (ids["organisation"],),
        client_queries.PARTNER_ORDER,
        client_queries.PAGE_SIZE,
    ),
    "products": ListQuery(
        lambda ids, at: product_queries.products_of(ids["organisation"], at),
        lambda ids: (ids["organisation"], None, None),
        product_queries.PRODUCT_ORDER,
        50,
    ),
    "invoices": ListQuery(
        lambda ids, at: billing_queries.invoices_paid_by(ids["organisation"], EVERY_CLIENT, at),
        lambda ids: (ids["organisation"],),
        billing_queries.INVOICE_ORDER,
        25,
    ),
    "audit": ListQuery(
        lambda ids, at: audit.events_of(ids["organisation"], audit.AuditFilter(), at),
        lambda ids: (ids["organisation"],),
        audit.ORDER,
        audit.PAGE_SIZE,
    ),
    "tenders": ListQuery(
        lambda ids, at: tender_queries.tenders_of_organisation(ids["organisation"], at),
        lambda ids: (ids["organisation"], None, None),
        tender_queries.AUTHOR_ORDER,
        tender_queries.PAGE_SIZE,
    ),
    "quotes": ListQuery(
        lambda ids, at: tender_queries.quotes_for_author(ids["tender"], at),
        lambda ids: (ids["tender"],),
        tender_queries.QUOTE_ORDER,
        tender_queries.QUOTE_PAGE_SIZE,
    ),
    "inbox": ListQuery(
        lambda ids, at: tender_queries.inbox(ids["organisation"], datetime.now(UTC), at),
        lambda ids: (ids["organisation"],),
        tender_queries.INBOX_ORDER,
        tender_queries.PAGE_SIZE,
    ),
    "reports": ListQuery(
        lambda ids, at: report_queries.reports_of_person(ids["organisation"], ids["account"], at),
        lambda ids: (ids["organisation"], ids["account"]),
        report_queries.MINE_ORDER,
        report_rules.PAGE_SIZE,
    ),
    "members": ListQuery(
        lambda ids, at: organisation_queries.members(ids["organisation"], at),
        lambda ids: (ids["organisation"],),
        organisation_queries.MEMBER_ORDER,
        organisation_queries.PAGE_SIZE,
    ),
    "teams": ListQuery(
        lambda ids, at: organisation_queries.teams(ids["organisation"], at),
        lambda ids: (ids["organisation"], True, []),
        organisation_queries.TEAM_ORDER,
        organisation_queries.PAGE_SIZE,
    ),
    "sessions": ListQuery(
        lambda ids, at: account_queries.live_sessions_of(ids["account"], IDLE, ABSOLUTE, at),
        lambda ids: (ids["account"], IDLE, ABSOLUTE),
        account_queries.LIVE_ORDER,
        account_queries.SESSIONS_SHOWN,
    ),
    "ended": ListQuery(
        lambda ids, at: client_queries.ended_links("partner", ids["organisation"], at),
        lambda ids: (ids["organisation"],),
        client_queries.ENDED_ORDER,
        client_queries.PAGE_SIZE,
        ENDED_PREFIX,
    ),
    "ended_client": ListQuery(
        lambda ids, at: client_queries.ended_links("client", ids["organisation"], at),
        lambda ids: (ids["organisation"],),
        client_queries.ENDED_ORDER,
        client_queries.PAGE_SIZE,
        ENDED_PREFIX,
    ),
    "deliveries": ListQuery(
        lambda ids, at: webhook_services.deliveries({"id": ids["endpoint"]}, at),
        lambda ids: (ids["endpoint"],),
        webhook_services.DELIVERY_ORDER,
        webhook_services.PAGE_SIZE,
    ),
}
DIRECTIONS = ("first", "after", "before", "last")


def _probe_ids() -> dict:
    return {**PROBE, "link_row": PROBE_LINK}


async def capture_list_sql() -> dict[tuple[str, str], str]:
    """(list, direction) -> the SQL the portal sends for that page of that list."""
    ids, caught = _probe_ids(), {}
    for name, query in LISTS.items():
        key = tuple(PROBE_VALUES[kind] for kind in query.order.kinds)
        token = query.order.token(dict(zip(query.order.keys, key, strict=True)))
        for direction in DIRECTIONS:
            reads_a_key = direction in ("after", "before")
            position = Position(direction, token if reads_a_key else "")
            expected = [query.fixed(ids) + key] if reads_a_key else [query.fixed(ids)]
            if reads_a_key:  # no row found (a probe): the end, or the start, is read instead
                expected.append(query.fixed(ids))
            statements = await _sent_statements(
                lambda q=query, at=position: q.call(ids, at), expected
            )
            caught[name, direction] = statements[0]
    return caught


async def read_list(connection: asyncpg.Connection, name: str, ids: dict, request: Request) -> Page:
    """The page of list NAME the query string asks for, read with the portal's SQL."""
    query = LISTS[name]
    window = query.order.window(position_of(request.query_params, query.prefix), query.size)
    direction = window.position.direction
    sql = request.app.state.list_sql[name, direction]
    rows = await connection.fetch(sql, *query.fixed(ids), *window.arguments)
    page = window.page([dict(row) for row in rows])
    if page.rows or direction not in ("after", "before"):
        return page
    turned = query.order.window(FIRST if direction == "before" else LAST, query.size)
    sql = request.app.state.list_sql[name, turned.position.direction]
    rows = await connection.fetch(sql, *query.fixed(ids))
    return turned.page([dict(row) for row in rows])


# --- the other queries of the pages ---------------------------------------------------------

Calls = reference.Calls


def _extra_calls(ids: dict, now: datetime) -> Calls:
    organisation, account = ids["organisation"], ids["account"]
    return {
        "pending": (
            lambda: client_queries.pending_for_partner(organisation),
            [(organisation,)],
        ),
        "elevations": (
            lambda: client_queries.running_elevations_of(organisation),
            [(organisation, organisation)],
        ),
        "templates": (lambda: client_queries.templates_of(organisation), [(organisation,)]),
        "client_products": (
            lambda: client_queries.client_product_choices(organisation),
            [(organisation,)],
        ),
        "balances": (lambda: billing_queries.balances(organisation), [(organisation,)]),
        "feed": (lambda: _feed_versions(organisation), [(organisation, FEED_SHOWN + 1)]),
        "catalogue": (lambda: product_queries.catalogue("CHF"), [("CHF",)]),
        "balance": (
            lambda: billing_queries.ledger_balance(organisation, "CHF"),
            [(organisation, "CHF")],
        ),
        "tender": (
            lambda: tender_queries.tender_of_organisation(organisation, ids["tender"]),
            [(ids["tender"], organisation)],
        ),
        "recipients": (lambda: tender_queries.recipient_count(ids["tender"]), [(ids["tender"],)]),
        "record": (
            lambda: tender_queries.tender_record(organisation),
            [([organisation],)],
        ),
        "unread": (lambda: tender_queries.unread_count(organisation), [(organisation,)]),
        "subscription": (
            lambda: report_queries.subscription(organisation, account),
            [(organisation, account)],
        ),
        "invitations": (
            lambda: organisation_queries.pending_invitations(organisation, now),
            [(organisation, now)],
        ),
        "endpoint": (
            lambda: webhook_services.endpoint_of(organisation, ids.get("endpoint")),
            [(ids.get("endpoint"), organisation)],
        ),
    }


FEED_SHOWN = 24  # the billing feed's versions on the reports' page


async def _feed_versions(organisation_id: int) -> None:
    """The feed's versions as the reports' page reads them (portal/exports/reports/routes.py),
    for ORGANISATION_ID's reader (the reference decides nothing)."""
    reader = feed_services._reader
    feed_services._reader = lambda _current: organisation_id
    try:
        await feed_services.versions(None, size=FEED_SHOWN)
    finally:
        feed_services._reader = reader


async def capture_extra_sql() -> dict[str, list[str]]:
    calls = _extra_calls(_probe_ids(), reference.PROBE_NOW)
    return {name: await _sent_statements(call, args) for name, (call, args) in calls.items()}


async def run_extra(
    connection: asyncpg.Connection, request: Request, name: str, ids: dict
) -> list[list[dict]]:
    calls = _extra_calls(ids, datetime.now(UTC))
    found = await reference.run_calls(connection, request.app.state.extra_sql, {name: calls[name]})
    return found[name]


# --- the pages ------------------------------------------------------------------------------


async def _start(connection, request: Request) -> tuple[asyncpg.Record | None, dict]:
    session = await _session(connection, request)
    if session is None:
        return None, {}
    ids = {
        "organisation": session["organisation_id"],
        "account": session["user_id"],
        "currency": session["currency"],
        "tender": 0,  # the quotes' page sets its own
    }
    return session, ids


def _page(request, session, template: str, context: dict, fragment: str | None = None):
    return reference.render(
        request, template, {"current": current_of(session), **context}, fragment
    )


@get("/clients", media_type=MediaType.HTML)
async def clients_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        clients = await read_list(connection, "clients", ids, request)
        pending = (await run_extra(connection, request, "pending", ids))[0]
        ended = await read_list(connection, "ended", ids, request)
        elevations = (await run_extra(connection, request, "elevations", ids))[0]
        templates = (await run_extra(connection, request, "templates", ids))[0]
    now = datetime.now(UTC)
    context = {
        "now": now,
        "ending_soon_before": now + ENDING_SOON,
        "elevations": {row["link"]: row for row in elevations},
        "templates": templates,
        "extension_choices": client_rules.EXTENSION_CHOICES,
        "transfer_code": "",
        **ended_view("partner", ended),
        **_grant_helpers(),
        "clients": clients,
        "filters": {"access": "", "search": ""},
        "query": "",
        "pending": pending,
        "can_invite": True,
        "in_programme": session["partner_status"] in IN_PROGRAMME,
        "form": grant_form_values(None),
    }
    return _page(request, session, "clients/index.html", context, "client_list")


@get("/clients/{link_id:int}", media_type=MediaType.HTML)
async def client_page(request: Request, link_id: int) -> Response:
    """bench/reference.py's client page, with the page of products the URL asks for."""
    state = request.app.state
    async with state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        organisation_id = session["organisation_id"]
        first = await reference.run_calls(
            connection,
            state.page_sql,
            reference._link_calls(organisation_id, link_id, datetime.now(UTC)),
        )
        if not first["link"][0]:
            return Response("no such link", status_code=404, media_type=MediaType.TEXT)
        link = first["link"][0][0]
        products = await read_list(connection, "link_products", {**ids, "link_row": link}, request)
        product_queries.with_states(products.rows)  # as the portal's page does
        calls = reference._client_calls(organisation_id, link)
        del calls["products"]
        rows = await reference.run_calls(connection, state.page_sql, calls)
    events = rows["events"][0]
    for event in events:
        for key in ("before", "after"):
            if isinstance(event[key], str):
                event[key] = json.loads(event[key])
    context = {
        **_grant_helpers(),
        "link": link,
        "products": products,
        "grant": client_queries.grant_of(link),
        "requested": client_queries.requested_grant_of(link),
        "can_decide": False,
        "can_withdraw": False,
        "can_stop": True,
        "can_assign": True,
        "members": rows["members"][0],
        "teams": rows["teams"][0],
        "events": events[:20],
        "catalogue": rows["catalogue"][0],
        "people": {"members": rows["people"][0], "teams": rows["people"][1]},
        "can_invite_people": True,
        **reference.lifetime_of(session, link, rows),
    }
    return _page(request, session, "clients/show.html", context, "products")


@get("/organisation/partners", media_type=MediaType.HTML)
async def partners_page(request: Request) -> Response:
    """PartnersController.index (portal/clients/routes.py: _partners_context) for a manager."""
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        now = datetime.now(UTC)
        due, *_ = request.app.state.inbox_sql  # whether anything fell due: nothing, as a rule
        await _run_bound(connection, [due], ids, now)
        ended = await read_list(connection, "ended_client", ids, request)
        inbox = await _run_bound(connection, request.app.state.inbox_sql, ids, now)
        elevations = (await run_extra(connection, request, "elevations", ids))[0]
        links = await read_list(connection, "partners", ids, request)
        rows = (await run_extra(connection, request, "client_products", ids))[0]
    limit = product_queries.PRODUCT_CHOICES
    products = product_queries.ProductChoices(rows[:limit], len(rows) > limit, "", limit)
    context = {
        **_grant_helpers(),
        **reference.INBOX_HELPERS,
        "inbox": inbox[-2],
        "open_transfers": inbox[-1],
        "now": now,
        "ending_soon_before": now + ENDING_SOON,
        "elevations": {row["link"]: row for row in elevations},
        **ended_view("client", ended),
        "links": links,
        "products": products,
        "can_manage": True,
        "found": [],
        "q": "",
        "form": {**grant_form_values(None), "products": []},
    }
    return _page(request, session, "clients/partners.html", context)


async def _run_bound(connection, statements: list, ids: dict, now: datetime) -> list[list[dict]]:
    """Statements caught with the probe's organisation and time, for IDS's at NOW."""
    bound = [(text, reference.bound(args, ids["organisation"], now)) for text, args in statements]
    return [[dict(row) for row in await connection.fetch(text, *args)] for text, args in bound]


@get("/products", media_type=MediaType.HTML)
async def products_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        products = await read_list(connection, "products", ids, request)
        product_queries.with_states(products.rows)  # as the portal's page does
        catalogue = (await run_extra(connection, request, "catalogue", ids))[0]
    context = {"products": products, "can_order": True, "catalogue": catalogue}
    return _page(request, session, "billing/products.html", context)


@get("/billing", media_type=MediaType.HTML)
async def invoices_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        invoices = await read_list(connection, "invoices", ids, request)
        balances = (await run_extra(connection, request, "balances", ids))[0]
    context = {"invoices": invoices, "balances": balances}
    return _page(request, session, "billing/invoices.html", context)


@get("/organisation/audit", media_type=MediaType.HTML)
async def audit_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        events = await read_list(connection, "audit", ids, request)
        shown = await reference.events_with_sentences(connection, events.rows)
    context = {
        "events": replace(events, rows=shown),
        "form": dict(request.query_params),
        "errors": {},
        "kinds": dict(KINDS),
        "query": "",
    }
    return _page(request, session, "audit/index.html", context, "events")


@get("/tenders/mine", media_type=MediaType.HTML)
async def tenders_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        tenders = await read_list(connection, "tenders", ids, request)
    now = datetime.now(UTC)
    tenders = replace(tenders, rows=[{**t, "status_now": _status_now(t, now)} for t in tenders])
    return _page(
        request, session, "tenders/mine.html", {**CHOICES, "tenders": tenders}, "tender_list"
    )


@get("/tenders/mine/{tender_id:int}", media_type=MediaType.HTML)
async def quotes_page(request: Request, tender_id: int) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        ids["tender"] = tender_id
        found = (await run_extra(connection, request, "tender", ids))[0]
        if not found:
            return Response("no such tender", status_code=404, media_type=MediaType.TEXT)
        quotes = await read_list(connection, "quotes", ids, request)
        recipients = (await run_extra(connection, request, "recipients", ids))[0][0]["count"]
    tender = found[0]
    view = AuthorView(tender, _status_now(tender, datetime.now(UTC)), quotes, recipients)
    context = {
        **CHOICES,
        "view": view,
        "tender": tender,
        "urls": _author_urls(tender_id),
        "decidable": view.status is tender_rules.TenderStatus.OPEN,
        "refusal": None,
        "quote_version": tender_rules.quote_version,
    }
    return _page(request, session, "tenders/author.html", context, "quotes")


def _author_urls(tender_id: int) -> AuthorUrls:
    """portal/tenders/routes.py's addresses of a client's own tender."""
    return AuthorUrls(
        URL_FOR("tenders.mine.show", tender_id=tender_id),
        URL_FOR("tenders.mine.withdraw", tender_id=tender_id),
        lambda quote_id: URL_FOR("tenders.mine.accept", tender_id=tender_id, quote_id=quote_id),
    )


@get("/partner/tenders", media_type=MediaType.HTML)
async def inbox_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        tenders = await read_list(connection, "inbox", ids, request)
        record = (await run_extra(connection, request, "record", ids))[0]
        unread = (await run_extra(connection, request, "unread", ids))[0][0]["unread"]
    now = datetime.now(UTC)
    rows = [
        {
            **t,
            "status_now": _status_now(t, now),
            "new": tender_rules.is_new(t["read_at"], t["quote_status"]),
        }
        for t in tenders
    ]
    tenders = replace(tenders, rows=rows)
    found = record[0] if record else {"received": 0, "answered": 0, "won": 0}
    counts = tender_rules.TenderRecord(found["received"], found["answered"], found["won"])
    inbox = Inbox(tenders=tenders, record=counts, unread=unread)
    return _page(request, session, "tenders/inbox.html", {**CHOICES, "inbox": inbox}, "inbox")


@get("/exports/reports", media_type=MediaType.HTML)
async def reports_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        reports = await read_list(connection, "reports", ids, request)
        found = (await run_extra(connection, request, "subscription", ids))[0]
        feed = (await run_extra(connection, request, "feed", ids))[0]
    for report in reports:  # .output(load_json=True)
        if isinstance(report["parameters"], str):
            report["parameters"] = json.loads(report["parameters"])
    for version in feed:
        if isinstance(version["manifest"], str):
            version["manifest"] = json.loads(version["manifest"])
    subscription = found[0] if found else None
    context = {
        "feed_versions": feed[:FEED_SHOWN],
        "reports": replace(reports, rows=[_report_context(report) for report in reports]),
        "subscription": subscription,
        "format_labels": FORMAT_LABELS,
        "form": {
            "monthly": "on" if subscription else "",
            "file_format": subscription["file_format"] if subscription else "xlsx",
        },
        "kept_days": report_rules.KEPT_FOR.days,
        "threshold": report_rules.BACKGROUND_THRESHOLD,
    }
    return _page(request, session, "exports/reports/index.html", context)


@get("/organisation/members", media_type=MediaType.HTML)
async def members_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        members = await read_list(connection, "members", ids, request)
        invitations = (await run_extra(connection, request, "invitations", ids))[0]
    context = {
        "members": members,
        # the reader may change everyone; products are chosen for those not seeing them all
        "changeable": {member["id"] for member in members},
        "given_products": {m["id"] for m in members if not sees_every_product(m["role"])},
        "invitations": invitations,
        "can_manage": True,
        "can_manage_legal": True,
        "roles": ROLE_CHOICES,
    }
    return _page(request, session, "organisations/members.html", context, "members")


@get("/organisation/teams", media_type=MediaType.HTML)
async def teams_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        teams = await read_list(connection, "teams", ids, request)
    return _page(request, session, "organisations/teams.html", {"teams": teams, "can_manage": True})


@get("/account/sessions", media_type=MediaType.HTML)
async def sessions_page(request: Request) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        sessions = await read_list(connection, "sessions", ids, request)
    devices = [{**s, "device": account_rules.device_label(s["user_agent"])} for s in sessions]
    context = {"sessions": replace(sessions, rows=devices)}
    return _page(request, session, "accounts/sessions.html", context, "sessions")


@get("/organisation/webhooks/{endpoint_id:int}", media_type=MediaType.HTML)
async def deliveries_page(request: Request, endpoint_id: int) -> Response:
    async with request.app.state.pool.acquire() as connection:
        session, ids = await _start(connection, request)
        if session is None:
            return NO_SESSION
        ids["endpoint"] = endpoint_id
        found = (await run_extra(connection, request, "endpoint", ids))[0]
        if not found:
            return Response("no such endpoint", status_code=404, media_type=MediaType.TEXT)
        deliveries = await read_list(connection, "deliveries", ids, request)
    shown = replace(deliveries, rows=[webhook_services._shown_delivery(d) for d in deliveries])
    context = {"endpoint": found[0], "deliveries": shown, "events": EVENT_CHOICES}
    return _page(request, session, "webhooks/show.html", context, "deliveries")


@get("/health", media_type=MediaType.JSON)
async def health(request: Request) -> dict[str, str]:
    ok = await request.app.state.pool.fetchval("SELECT 1 AS ok")
    return {"status": "ok" if ok == 1 else "degraded"}


@asynccontextmanager
async def database_pool(app: Litestar) -> AsyncIterator[None]:
    app.state.list_sql = await capture_list_sql()
    app.state.extra_sql = await capture_extra_sql()
    app.state.inbox_sql = await reference.capture_inbox_statements()
    app.state.page_sql = await reference.capture_page_sql()
    app.state.pool = await asyncpg.create_pool(
        dsn=os.environ["DATABASE_URL"], min_size=1, max_size=reference.POOL_SIZE
    )
    try:
        yield
    finally:
        await app.state.pool.close()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[
            clients_page,
            client_page,
            partners_page,
            products_page,
            invoices_page,
            audit_page,
            tenders_page,
            quotes_page,
            inbox_page,
            reports_page,
            members_page,
            teams_page,
            sessions_page,
            deliveries_page,
            health,
        ],  # fmt: skip
        lifespan=[database_pool],
        request_class=HTMXRequest,  # request.htmx, as the portal's page-or-fragment reads it
        logging_config=LoggingConfig(log_exceptions="always"),
        debug=False,
    )
