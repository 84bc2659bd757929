"""The floor reference: a bare Litestar app doing the dashboard's work and nothing else.

It runs the same SQL as the portal (the per-request session query CURRENT_SQL and the queries
of HomeController.home) with raw asyncpg on one pooled connection, and renders the same
template with the same filters, without session middleware, CSRF, authorization or ORM.
Served like the portal (granian, 2 workers), it shows what the hardware and the libraries can
do for that work: `granian --interface asgi --factory bench.reference:create_app`, with
DATABASE_URL set.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import re
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlencode

import asyncpg
from jinja2_fragments import render_block
from litestar import Litestar, MediaType, Request, Response, get, post
from litestar.logging.config import LoggingConfig
from litestar.plugins.htmx import HTMXRequest

from portal.access import VISITOR, Action, Actor, ClientScope, Role, may, may_here
from portal.app import DEPENDENCIES, PAGES, static_files
from portal.audit.sentences import Names, product_ids_of, sentence
from portal.audit.services import AuditFilter, events_of, recent_events
from portal.audit_catalogue import CATALOGUE
from portal.billing import charts
from portal.billing import queries as billing_queries
from portal.billing import rules as billing_rules
from portal.billing.rules import Tier
from portal.clients import queries as client_queries
from portal.clients import requests as client_requests
from portal.clients import rules as client_rules
from portal.clients import services as client_services
from portal.clients.forms import grant_form_values
from portal.clients.link_pages import ENDING_SOON, lifetime_view
from portal.core.current import SESSION_SQL as CURRENT_SQL
from portal.core.enums import IN_PROGRAMME, STATUS_LABELS
from portal.core.navigation import menu_for
from portal.core.tokens import token_hash
from portal.organisations import queries
from portal.organisations import queries as organisation_queries
from portal.paging import FIRST
from portal.partners import queries as programme_queries
from portal.partners import rules as programme_rules
from portal.partners import website
from portal.partners.forms import application_from, form_values
from portal.partners.rules import COMMITMENTS, TERMS_VERSION, VOLUME_THRESHOLDS, volume_progress
from portal.partners.services import Checklist
from portal.piccolo_conf import DB
from portal.products import queries as product_queries
from portal.products import rules as product_rules
from portal.renewals import lists as renewal_lists
from portal.renewals import queries as renewal_queries
from portal.settings import Settings
from portal.web import build_templates, is_fragment_request, route_names

FACTORY = "bench.reference:create_app"
SESSION_COOKIE = "__Host-session"
POOL_SIZE = Settings.database_pool_size  # the portal's default pool: min 1, max 10
CSRF_PLACEHOLDER = "x" * 128  # as long as a real token: the pages weigh the same


# --- the SQL ---------------------------------------------------------------------------------


def dollar_placeholders(sql: str) -> str:
    """Piccolo's `{}` placeholders as asyncpg's $1..$n."""
    numbers = itertools.count(1)
    return re.sub(r"\{\}", lambda _: f"${next(numbers)}", sql)


SESSION_SQL = dollar_placeholders(CURRENT_SQL)


def session_query(token: str) -> tuple[str, tuple]:
    """The per-request session query with the portal's parameters (default session limits)."""
    return SESSION_SQL, (token_hash(token), Settings.session_idle, Settings.session_absolute)


def _dashboard_calls(organisation_id: int, now: datetime) -> dict[str, tuple[Callable, tuple]]:
    """The portal's query functions HomeController.home awaits after the session query (for a
    user who may see the audit log), each with the arguments it sends to the database."""
    return {
        "summary": (
            lambda: queries.dashboard_summary(organisation_id, now),
            (now, organisation_id),
        ),
        "recent_events": (lambda: recent_events(organisation_id), (organisation_id,)),
    }


# What the inbox section's template reads besides its rows (inbox_context).
INBOX_HELPERS = {
    "describe": client_rules.describe,
    "requested_grant_of": client_queries.requested_grant_of,
    "request_names": client_requests.REQUEST_NAMES,
    "hours_text": client_requests.hours_text,
}
PROBE_ORGANISATION = -7
PROBE_NOW = datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC)


async def capture_dashboard_sql() -> dict[str, str]:
    """The exact SQL text the portal sends for each dashboard query, caught before it reaches
    a database: the reference runs the same SQL however the portal builds it."""
    probes = _dashboard_calls(PROBE_ORGANISATION, PROBE_NOW)
    return {name: await _sent_sql(call, args) for name, (call, args) in probes.items()}


async def capture_inbox_statements() -> list[tuple[str, list]]:
    """The statements of the overview's inbox section (portal/clients/routes.py:
    inbox_context, for a manager), with the probe's organisation and time in their arguments:
    whether anything on the links fell due (nothing, as on most reads), then the inbox and
    the open transfer codes."""
    calls = [
        lambda: client_services.expire_overdue_for(PROBE_ORGANISATION),
        lambda: client_queries.inbox_of_client(PROBE_ORGANISATION, PROBE_NOW),
        lambda: client_queries.open_transfers_of_client(PROBE_ORGANISATION, PROBE_NOW),
    ]
    original_now = client_services.utc_now
    client_services.utc_now = lambda: PROBE_NOW  # the probe's time in what it sends
    try:
        return [statement for call in calls for statement in await _sent_statements(call, None)]
    finally:
        client_services.utc_now = original_now


def bound(arguments: list, organisation_id: int, now: datetime) -> tuple:
    """A caught statement's arguments with the probe's organisation and time replaced."""
    values = {PROBE_ORGANISATION: organisation_id, PROBE_NOW: now}
    return tuple(values.get(value, value) if _probe_key(value) else value for value in arguments)


def _probe_key(value: object) -> bool:
    return isinstance(value, int | datetime) and not isinstance(value, bool)


async def _sent_sql(call: Callable[[], Awaitable], expected_args: tuple) -> str:
    return (await _sent_statements(call, [expected_args]))[0]


async def _sent_statements(call: Callable[[], Awaitable], expected: list[tuple] | None):
    """The SQL texts of the statements CALL sends, checked against their EXPECTED arguments
    (None: the texts with their arguments, unchecked)."""
    sent: list[tuple[str, list]] = []

    async def record(querystring, in_pool: bool = True) -> list:
        sent.append(querystring.compile_string(engine_type="postgres"))
        return []

    DB.run_querystring = record  # shadows the engine's method for this one call
    try:
        with suppress(Exception):  # the function may stumble over the empty result
            await call()
    finally:
        del DB.run_querystring
    if expected is None:
        return sent
    if [tuple(args) for _, args in sent] != expected:
        raise RuntimeError(f"expected statements with {expected}, caught {sent}")
    return [text for text, _ in sent]


def dashboard_queries(
    sql: dict[str, str], organisation_id: int, now: datetime
) -> dict[str, tuple[str, tuple]]:
    """The dashboard's queries after the session query, by name: (sql, arguments)."""
    calls = _dashboard_calls(organisation_id, now)
    return {name: (sql[name], args) for name, (_, args) in calls.items()}


# --- the page --------------------------------------------------------------------------------


async def load_dashboard(
    connection: asyncpg.Connection, sql: dict[str, str], token: str
) -> dict | None:
    session_sql, session_args = session_query(token)
    session = await connection.fetchrow(session_sql, *session_args)
    if session is None or session["organisation_id"] is None:
        return None
    now = datetime.now(UTC)
    work = dashboard_queries(sql, session["organisation_id"], now)
    rows = {name: await connection.fetch(text, *args) for name, (text, args) in work.items()}
    inbox = [
        await connection.fetch(text, *bound(args, session["organisation_id"], now))
        for text, args in sql["inbox"]
    ]
    return {
        **INBOX_HELPERS,
        "inbox": inbox[-2],
        "open_transfers": inbox[-1],
        "current": current_of(session),
        "organisation": rows["summary"][0],
        "role_counts": json.loads(rows["summary"][0]["role_counts"]),
        "team_count": rows["summary"][0]["team_count"],
        "recent": await events_with_sentences(connection, rows["recent_events"]),
        "pending_invitations": rows["summary"][0]["pending_invitations"],
    }


async def events_with_sentences(connection: asyncpg.Connection, rows: list) -> list[dict]:
    """The overview's entries with their sentences (portal/audit/services.py with_sentences:
    the same lookups of the names they refer to by id)."""
    events = [{**row, "before": _json(row["before"]), "after": _json(row["after"])} for row in rows]
    product_ids = sorted(set().union(*(product_ids_of(event) for event in events)))
    organisation_ids = sorted({e["acting_for_id"] for e in events if e.get("acting_for_id")})
    products, organisations = {}, {}
    if product_ids:
        found = await connection.fetch(
            "SELECT id, name FROM product WHERE id = ANY($1)", product_ids
        )
        products = {row["id"]: row["name"] for row in found}
    if organisation_ids:
        found = await connection.fetch(
            "SELECT id, name FROM organisation WHERE id = ANY($1)", organisation_ids
        )
        organisations = {row["id"]: row["name"] for row in found}
    names = Names(products, organisations)
    return [{**event, "sentence": sentence(event, CATALOGUE, names)} for event in events]


def _json(value: str | None) -> object:
    return json.loads(value) if value is not None else None


def current_of(session: asyncpg.Record) -> SimpleNamespace:
    """What the templates read of the logged-in user and their actor: the session row as plain
    data (so a column the portal adds to CURRENT_SQL reaches the templates too), no decisions."""
    row = dict(session)
    plain = {
        **row,
        "role": Role(row["role"]) if row["role"] else None,
        "team_ids": frozenset(row["team_ids"] or ()),
        "organisations": [tuple(pair) for pair in json.loads(row["organisations"])],
        "organisation": SimpleNamespace(
            id=row["organisation_id"],
            name=row["organisation_name"],
            currency=row["currency"],
            country=row["country"],
            partner_status=row["partner_status"],
        ),
    }
    actor = Actor(
        user_id=row["user_id"],
        organisation_id=row["organisation_id"],
        role=plain["role"],
        billing_rights=row["billing_rights"],
        team_ids=plain["team_ids"],
        in_programme=row["partner_status"] in IN_PROGRAMME,
        is_affiliate=row["is_affiliate"],
        is_staff=row["is_staff"],
    )
    return SimpleNamespace(**plain, actor=actor)


TEMPLATES = build_templates()  # the portal's own environment: its settings and filters
# The portal's pages, for the addresses and the menu the templates build from route names.
PORTAL_PAGES = Litestar(
    route_handlers=[*PAGES, static_files()], dependencies=DEPENDENCIES, openapi_config=None
)
URL_FOR = functools.lru_cache(maxsize=8192)(PORTAL_PAGES.route_reverse)
ROUTE_NAMES = route_names(PORTAL_PAGES)


def person_extras(request: Request, current) -> dict:
    """What the templates ask of the person (portal/web.py: _base_context): `can` and the menu,
    decided by access.py as in the portal."""
    actor = current.actor if current is not None else VISITOR

    def can(action: str, resource=None) -> bool:
        if resource is None:
            return may_here(actor, Action(action))
        return may(actor, Action(action), resource)

    return {
        "url_for": URL_FOR,
        "can": can,
        "menu": lambda: (
            menu_for(actor, request.url.path, URL_FOR, ROUTE_NAMES) if current is not None else ()
        ),
    }


PAGE_EXTRAS = {
    "csrf_token": CSRF_PLACEHOLDER,
    "flashes": [],
    "errors": {},
    "form": {},
    "settings": SimpleNamespace(development=True, smtp_host=None, host_account=None),
}


@get("/", media_type=MediaType.HTML)
async def dashboard(request: Request) -> Response:
    state = request.app.state
    async with state.pool.acquire() as connection:
        data = await load_dashboard(connection, state.sql, request.cookies.get(SESSION_COOKIE, ""))
    if data is None:
        return Response("no session", status_code=401, media_type=MediaType.TEXT)
    html = TEMPLATES.get_template("organisations/home.html").render(
        request=request, **PAGE_EXTRAS, **person_extras(request, data["current"]), **data
    )
    return Response(html, media_type=MediaType.HTML)


# --- the pages of delegation and money (bench/delegation.py, bench/money.py) -----------------
#
# Each page: the session query, then the SQL of the portal's query functions its handler awaits
# (caught at start-up as above, for the benchmark's user: a legal representative of the partner,
# who may do everything on these pages, so no authorization is decided), then the portal's own
# pure helpers and the same template (or the same block for an htmx request).

Calls = dict[str, tuple[Callable[[], Awaitable], list[tuple]]]
PROBE_NOW = datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC)
PROBE_LINK = {
    "id": -9, "partner": -7, "client": -8, "access": "full", "families": [],
    "client_name": "probe", "client_currency": "CHF",
}  # fmt: skip
ACCESS_FILTERS = ("", "full", "restricted")
EVERY_CLIENT = ClientScope(every_client=True, user_id=0)  # a manager's view: nothing filtered


def _clients_calls(partner_id: int, access: str) -> Calls:
    """ClientsController.index for a manager (sees every client), first page, no search."""
    return {
        "clients": (
            lambda: client_queries.clients_of_partner(
                partner_id, FIRST, scope=EVERY_CLIENT, access=access
            ),
            [(partner_id, *([access] if access else []))],
        ),
        "pending": (lambda: client_queries.pending_for_partner(partner_id), [(partner_id,)]),
    }


def _link_calls(organisation_id: int, link_id: int, now: datetime) -> Calls:
    """ClientsController.show, first part: services.load_link."""
    return {
        "expire": (
            lambda: client_queries.expire_overdue(organisation_id, now),
            [(organisation_id, organisation_id, now)],
        ),
        "link": (
            lambda: client_queries.link_seen_by(organisation_id, link_id),
            [(link_id, organisation_id, organisation_id)],
        ),
    }


def _client_calls(organisation_id: int, link: dict) -> Calls:
    """ClientsController.show, the rest, for an active link seen from the partner's side."""
    partner, client, currency = link["partner"], link["client"], link["client_currency"] or "CHF"
    families = list(link["families"] or [])
    return {
        "products": (
            lambda: client_queries.delegated_products(link, FIRST),
            [(client, link["access"] == "full", families, link["id"])],
        ),
        "members": (lambda: organisation_queries.member_choices(partner), [(partner,)]),
        "teams": (lambda: organisation_queries.team_choices(partner), [(partner,)]),
        "events": (
            lambda: events_of(organisation_id, AuditFilter(subject=link["client_name"]), size=20),
            [(organisation_id, link["client_name"])],
        ),
        "catalogue": (lambda: product_queries.catalogue(currency), [(currency,)]),
        "people": (lambda: client_queries.client_people(client), [(client,), (client,)]),
        "running": (
            lambda: client_queries.running_elevation(link["id"]),
            [(link["id"], "active")],
        ),
        "history": (lambda: client_queries.requests_of_link(link["id"]), [(link["id"], 20)]),
    }


def lifetime_of(session: asyncpg.Record, link: dict, rows: dict) -> dict:
    """What a link's page shows of its life (portal/clients/link_pages.py), from the rows of
    _client_calls, for the partner's side (no transfer code)."""
    running = rows["running"][0][0] if rows["running"][0] else None
    if running is not None and isinstance(running["previous"], str):  # .output(load_json=True)
        running = {**running, "previous": json.loads(running["previous"])}
    history = rows["history"][0]
    return lifetime_view(current_of(session), link, running, history, None, datetime.now(UTC))


def _partner_dashboard_calls(partner_id: int, currency: str, now: datetime = PROBE_NOW) -> Calls:
    """DashboardController.dashboard for a user who may see the money."""
    p = partner_id
    return {
        "due": (  # nothing due on the links, as on most reads
            lambda: client_queries.anything_due(partner_id, now),
            [(now, p, p, now, p, p, now, p, p, now, p, p)],
        ),
        "ending_soon": (
            lambda: client_queries.ending_soon_for_partner(
                partner_id, EVERY_CLIENT, now + ENDING_SOON
            ),
            [(partner_id, now + ENDING_SOON)],
        ),
        "volume": (
            lambda: billing_queries.managed_volume(partner_id),
            [(partner_id,)],
        ),
        "tiers": (lambda: billing_queries.tiers(currency), [("tiers",)]),
        "months": (
            lambda: billing_queries.benefits_by_month(partner_id, currency),
            [(partner_id, currency, 11)],
        ),
        "balances": (
            lambda: billing_queries.balances(partner_id),
            [(partner_id,)],
        ),
        "recent": (
            lambda: billing_queries.invoices_paid_by(partner_id, EVERY_CLIENT, size=5),
            [(partner_id,)],
        ),
        "waiting": (
            lambda: billing_queries.requests_waiting(partner_id, EVERY_CLIENT),
            [(partner_id,)],
        ),
        "renewal_policy": (
            lambda: billing_queries.setting("renewal_policy"),
            [("renewal_policy",)],
        ),
    }


def _prepaid_calls(organisation_id: int, currency: str, before: int | None) -> Calls:
    """PrepaidController.prepaid for a manager: the balances kept per currency, one page of
    entries from BEFORE (keyset), the latest deposits and payouts."""
    from portal.billing.payments import queries as payment_queries

    account = (organisation_id, currency)  # twice: the first and the last of the range
    entries_args = account + account + ((before,) if before is not None else ())
    return {
        "balances": (lambda: billing_queries.balances(organisation_id), [(organisation_id,)]),
        "entries": (
            lambda: billing_queries.ledger_entries(organisation_id, currency, before, EVERY_CLIENT),
            [(*entries_args, 51)],
        ),
        "requests": (
            lambda: payment_queries.payment_requests_of(organisation_id),
            [(organisation_id, 10)],
        ),
        "payouts": (
            lambda: payment_queries.payouts_of(organisation_id),
            [(organisation_id, 10)],
        ),
    }


async def _renewal_counts(connection: asyncpg.Connection, partner_id: int, payload) -> dict:
    """The dashboard's renewal counts (renewals.services.due_counts for a manager): the same
    SQL, built by the portal's own query builder and sent with asyncpg."""
    payload = json.loads(payload) if isinstance(payload, str) else payload
    policies = renewal_queries.policies_of(payload)
    owner = renewal_lists.Owner(partner_id, partner=True)
    today = datetime.now(UTC).date()
    query = renewal_lists.counts_query(owner, today, policies)
    text, args = query.compile_string(engine_type="postgres")
    row = await connection.fetchrow(text, *args)
    return {chosen: row[chosen.value] or 0 for chosen in renewal_lists.COUNTED}


def _checklist_calls(organisation_id: int, currency: str, website: str) -> Calls:
    """ProgrammeController.checklist (services.evaluate), for an organisation with clients and
    a fresh website check of the address typed."""
    return {
        "organisation": (
            lambda: programme_queries.organisation(organisation_id),
            [(organisation_id,)],
        ),
        "accepted": (
            lambda: programme_queries.accepted_commitments(organisation_id, TERMS_VERSION),
            [(organisation_id, TERMS_VERSION)],
        ),
        "website": (
            lambda: programme_queries.latest_website_check(organisation_id, website),
            [(organisation_id, website)],
        ),
        "managed": (
            lambda: billing_queries.managed_clients(organisation_id),
            [(organisation_id, 20)],
        ),
    }


async def capture_page_sql() -> dict[str, list[str]]:
    """The SQL texts of every page above, by page part (clients by access filter)."""
    probes: Calls = {}
    for access in ACCESS_FILTERS:
        probes |= {f"{access}:{name}": c for name, c in _clients_calls(-7, access).items()}
    probes |= _link_calls(-7, -9, PROBE_NOW) | _client_calls(-7, PROBE_LINK)
    probes |= {f"dashboard:{k}": c for k, c in _partner_dashboard_calls(-7, "CHF").items()}
    probes |= _checklist_calls(-7, "CHF", "https://probe.example")
    probes |= {f"prepaid:{k}": c for k, c in _prepaid_calls(-7, "CHF", None).items()}
    probes |= {f"prepaid_before:{k}": c for k, c in _prepaid_calls(-7, "CHF", -9).items()}
    return {name: await _sent_statements(call, args) for name, (call, args) in probes.items()}


async def run_calls(
    connection: asyncpg.Connection, sql: dict[str, list[str]], calls: Calls, prefix: str = ""
) -> dict[str, list[list[dict]]]:
    """Each call's statements in order, with the arguments the portal sends; rows as dicts
    (what Piccolo's raw queries give the portal)."""
    results = {}
    for name, (_, arguments) in calls.items():
        texts = sql[prefix + name]
        results[name] = [
            [dict(row) for row in await connection.fetch(text, *args)]
            for text, args in zip(texts, arguments, strict=True)
        ]
    return results


def render(request: Request, template: str, context: dict, fragment: str | None) -> Response:
    """The whole page, or only FRAGMENT for an htmx request (portal/web.py: page)."""
    extras = person_extras(request, context.get("current"))
    full = {"request": request, **PAGE_EXTRAS, **extras, **context}
    if fragment and is_fragment_request(request):
        html = render_block(TEMPLATES, template, fragment, **full)
    else:
        html = TEMPLATES.get_template(template).render(**full)
    return Response(html, media_type=MediaType.HTML)


async def _session(connection: asyncpg.Connection, request: Request) -> asyncpg.Record | None:
    session_sql, session_args = session_query(request.cookies.get(SESSION_COOKIE, ""))
    session = await connection.fetchrow(session_sql, *session_args)
    return None if session is None or session["organisation_id"] is None else session


NO_SESSION = Response("no session", status_code=401, media_type=MediaType.TEXT)


def _grant_helpers() -> dict:
    return {
        "families": product_rules.FAMILIES,
        "describe": client_rules.describe,
        "grant_of": client_queries.grant_of,
        "requested_grant_of": client_queries.requested_grant_of,
    }


@get("/clients", media_type=MediaType.HTML)
async def clients_page(request: Request) -> Response:
    state = request.app.state
    access = request.query_params.get("access", "")
    access = access if access in {"full", "restricted"} else ""
    async with state.pool.acquire() as connection:
        session = await _session(connection, request)
        if session is None:
            return NO_SESSION
        calls = _clients_calls(session["organisation_id"], access)
        rows = await run_calls(connection, state.page_sql, calls, f"{access}:")
    found = rows["clients"][0]
    filters = {"access": access, "search": ""}
    context = {
        **_grant_helpers(),
        "current": current_of(session),
        "clients": client_queries.CLIENT_ORDER.window(FIRST, client_queries.PAGE_SIZE).page(found),
        "filters": filters,
        "query": urlencode({"access": access} if access else {}),
        "pending": rows["pending"][0],
        "can_invite": True,
        "in_programme": session["partner_status"] in IN_PROGRAMME,
        "form": grant_form_values(None),
    }
    return render(request, "clients/index.html", context, "client_list")


@get("/clients/{link_id:int}", media_type=MediaType.HTML)
async def client_page(request: Request, link_id: int) -> Response:
    state = request.app.state
    async with state.pool.acquire() as connection:
        session = await _session(connection, request)
        if session is None:
            return NO_SESSION
        organisation_id = session["organisation_id"]
        first = await run_calls(
            connection, state.page_sql, _link_calls(organisation_id, link_id, datetime.now(UTC))
        )
        if not first["link"][0]:
            return Response("no such link", status_code=404, media_type=MediaType.TEXT)
        link = first["link"][0][0]
        rows = await run_calls(connection, state.page_sql, _client_calls(organisation_id, link))
    events = rows["events"][0]
    for event in events:  # .output(load_json=True)
        for key in ("before", "after"):
            if isinstance(event[key], str):
                event[key] = json.loads(event[key])
    products = product_queries.with_states(rows["products"][0])
    context = {
        **_grant_helpers(),
        "current": current_of(session),
        "link": link,
        "products": client_queries.PRODUCT_ORDER.window(FIRST, 50).page(products),
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
        **lifetime_of(session, link, rows),
    }
    return render(request, "clients/show.html", context, "products")


@get("/partner/dashboard", media_type=MediaType.HTML)
async def partner_dashboard(request: Request) -> Response:
    state = request.app.state
    async with state.pool.acquire() as connection:
        session = await _session(connection, request)
        if session is None:
            return NO_SESSION
        currency = session["currency"]
        calls = _partner_dashboard_calls(session["organisation_id"], currency, datetime.now(UTC))
        rows = await run_calls(connection, state.page_sql, calls, "dashboard:")
        payload = rows["renewal_policy"][0][0]["payload"]
        renewals = await _renewal_counts(connection, session["organisation_id"], payload)
    volume = Decimal(rows["volume"][0][0]["volume"]).quantize(Decimal("0.01"))
    payload = rows["tiers"][0][0]["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    tiers = [Tier(name, Decimal(rate), Decimal(limit)) for name, rate, limit in payload[currency]]
    context = {
        "current": current_of(session),
        "currency": currency,
        "volume": volume,
        "clients": rows["volume"][0][0]["clients"],
        "threshold": VOLUME_THRESHOLDS[currency],
        "progress": volume_progress(currency, volume),
        "tier": billing_rules.tier_for(tiers, volume),
        "next": billing_rules.next_tier(tiers, volume),
        "chart": charts.benefits_chart(rows["months"][0], currency, datetime.now(UTC).date()),
        "sees_money": True,
        "sees_invoices": True,
        "balances": rows["balances"][0],
        "recent": rows["recent"][0][:5],
        "waiting": rows["waiting"][0][0]["n"],
        "renewals": renewals,
        "ending_soon": rows["ending_soon"][0],
    }
    return render(request, "partners/dashboard.html", context, None)


@get("/billing/prepaid", media_type=MediaType.HTML)
async def prepaid_page(request: Request) -> Response:
    """The prepaid account of a manager, in the organisation's currency."""
    state = request.app.state
    raw_before = request.query_params.get("before") or ""
    before = int(raw_before) if raw_before.isdigit() else None
    async with state.pool.acquire() as connection:
        session = await _session(connection, request)
        if session is None:
            return NO_SESSION
        currency = session["currency"]
        calls = _prepaid_calls(session["organisation_id"], currency, before)
        prefix = "prepaid:" if before is None else "prepaid_before:"
        rows = await run_calls(connection, state.page_sql, calls, prefix)
    entries = rows["entries"][0]
    shown = entries[:50]
    context = {
        "current": current_of(session),
        "currency": currency,
        "organisation_currency": currency,
        "balances": rows["balances"][0],
        "currencies": sorted({row["currency"] for row in rows["balances"][0]} | {currency}),
        "entries": shown,
        "next_before": shown[-1]["id"] if len(entries) > 50 else None,
        "labels": billing_rules.ENTRY_LABELS,
        "payout_statuses": billing_rules.PAYOUT_STATUS_LABELS,
        "requests": rows["requests"][0],
        "payouts": rows["payouts"][0],
        "methods": {"iban": "Bank account (IBAN)", "paypal": "PayPal"},
        "deposit_min": billing_rules.DEPOSIT_MIN,
        "deposit_max": billing_rules.DEPOSIT_MAX,
        "asks_second_factor": False,
        "submission": secrets.token_urlsafe(16),
    }
    return render(request, "billing/prepaid.html", context, "entries")


@post("/programme/checklist", media_type=MediaType.HTML, status_code=200)
async def programme_checklist(request: Request) -> Response:
    state = request.app.state
    data = await request.form()
    async with state.pool.acquire() as connection:
        session = await _session(connection, request)
        if session is None:
            return NO_SESSION
        entered, errors, _ = application_from(
            data, session["country"], allow_private=website.private_addresses_allowed()
        )
        if errors or not entered.website or entered.website_problem:
            return Response("the reference checks valid forms only", status_code=400)
        calls = _checklist_calls(session["organisation_id"], session["currency"], entered.website)
        rows = await run_calls(connection, state.page_sql, calls)
    organisation = rows["organisation"][0][0]
    accepted = {row["commitment"]: row for row in rows["accepted"][0]}
    found = rows["website"][0]
    check = (
        programme_rules.WebsiteCheck(
            found[0]["url"], found[0]["answered"], found[0]["detail"], found[0]["checked_at"]
        )
        if found
        else None
    )
    if check is not None and not programme_rules.check_is_fresh(check, datetime.now(UTC)):
        check = None
    largest = rows["managed"][0]
    managed = Decimal(largest[0]["total"] if largest else 0).quantize(Decimal("0.01"))
    criteria = programme_rules.checklist(
        programme_rules.Application(
            country=organisation["country"],
            currency=organisation["currency"],
            registration_number=entered.registration_number,
            vat_number=entered.vat_number,
            website=entered.website,
            website_check=check,
            managed=managed,
            commitments=frozenset(accepted) | entered.commitments,
            is_affiliate=organisation["is_affiliate"],
            website_problem=entered.website_problem,
        )
    )
    checklist = Checklist(
        organisation=organisation,
        criteria=criteria,
        verdict=programme_rules.outcome(criteria),
        managed=managed,
        clients=largest,
        client_count=largest[0]["clients"] if largest else 0,
        accepted=accepted,
    )
    context = {
        "current": current_of(session),
        "organisation": organisation,
        "checklist": checklist,
        "status": checklist.status,
        "statuses": STATUS_LABELS,
        "form": form_values(entered),
        "commitments": COMMITMENTS,
        "accepted": accepted,
        "terms_version": TERMS_VERSION,
        "can_apply": True,
        "poll": True,
    }
    return render(request, "partners/apply.html", context, "checklist")


@get("/health", media_type=MediaType.JSON)
async def health(request: Request) -> dict[str, str]:
    ok = await request.app.state.pool.fetchval("SELECT 1 AS ok")
    return {"status": "ok" if ok == 1 else "degraded"}


@asynccontextmanager
async def database_pool(app: Litestar) -> AsyncIterator[None]:
    app.state.sql = {**await capture_dashboard_sql(), "inbox": await capture_inbox_statements()}
    app.state.page_sql = await capture_page_sql()
    app.state.pool = await asyncpg.create_pool(
        dsn=os.environ["DATABASE_URL"], min_size=1, max_size=POOL_SIZE
    )
    try:
        yield
    finally:
        await app.state.pool.close()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[
            dashboard,
            health,
            clients_page,
            client_page,
            partner_dashboard,
            programme_checklist,
            prepaid_page,
        ],  # fmt: skip
        lifespan=[database_pool],
        request_class=HTMXRequest,  # request.htmx, as the portal's page-or-fragment reads it
        logging_config=LoggingConfig(log_exceptions="always"),  # a 500 shows its cause
        debug=False,
    )
