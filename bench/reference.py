"""The floor reference: a bare Litestar app doing the dashboard's work and nothing else.

It runs the same SQL as the portal (the per-request session query CURRENT_SQL and the queries
of HomeController.home) with raw asyncpg on one pooled connection, and renders the same
template with the same filters, without session middleware, CSRF, authorization or ORM.
Served like the portal (granian, 2 workers), it shows what the hardware and the libraries can
do for that work: `granian --interface asgi --factory bench.reference:create_app`, with
DATABASE_URL set.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import asyncpg
import jinja2
from litestar import Litestar, MediaType, Request, Response, get
from litestar.logging.config import LoggingConfig

from portal.access import Role
from portal.accounts.queries import CURRENT_SQL
from portal.accounts.rules import token_hash
from portal.audit.services import recent_events
from portal.formatting import FILTERS
from portal.organisations import queries
from portal.piccolo_conf import DB
from portal.settings import Settings

FACTORY = "bench.reference:create_app"
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
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
        "recent_events": (lambda: recent_events(organisation_id), (organisation_id, 8)),
    }


async def capture_dashboard_sql() -> dict[str, str]:
    """The exact SQL text the portal sends for each dashboard query, caught before it reaches
    a database: the reference runs the same SQL however the portal builds it."""
    probes = _dashboard_calls(-7, datetime(2000, 1, 2, 3, 4, 5, tzinfo=UTC))
    return {name: await _sent_sql(call, args) for name, (call, args) in probes.items()}


async def _sent_sql(call: Callable[[], Awaitable], expected_args: tuple) -> str:
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
    if len(sent) != 1 or tuple(sent[0][1]) != expected_args:
        raise RuntimeError(f"expected one statement with {expected_args}, caught {sent}")
    return sent[0][0]


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
    work = dashboard_queries(sql, session["organisation_id"], datetime.now(UTC))
    rows = {name: await connection.fetch(text, *args) for name, (text, args) in work.items()}
    return {
        "current": current_of(session),
        "organisation": rows["summary"][0],
        "role_counts": json.loads(rows["summary"][0]["role_counts"]),
        "team_count": rows["summary"][0]["team_count"],
        "recent": rows["recent_events"],
        "pending_invitations": rows["summary"][0]["pending_invitations"],
    }


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
        ),
    }
    return SimpleNamespace(**plain, actor=SimpleNamespace(**plain))


def build_templates() -> jinja2.Environment:
    """The portal's Jinja2 settings and filters (portal/web.py: build_templates)."""
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(FILTERS)
    return environment


TEMPLATES = build_templates()
PAGE_EXTRAS = {
    "csrf_token": CSRF_PLACEHOLDER,
    "flashes": [],
    "errors": {},
    "form": {},
    "settings": SimpleNamespace(outbox_visible=True),
}


@get("/", media_type=MediaType.HTML)
async def dashboard(request: Request) -> Response:
    state = request.app.state
    async with state.pool.acquire() as connection:
        data = await load_dashboard(connection, state.sql, request.cookies.get(SESSION_COOKIE, ""))
    if data is None:
        return Response("no session", status_code=401, media_type=MediaType.TEXT)
    html = TEMPLATES.get_template("organisations/home.html").render(
        request=request, **PAGE_EXTRAS, **data
    )
    return Response(html, media_type=MediaType.HTML)


@get("/health", media_type=MediaType.JSON)
async def health(request: Request) -> dict[str, str]:
    ok = await request.app.state.pool.fetchval("SELECT 1 AS ok")
    return {"status": "ok" if ok == 1 else "degraded"}


@asynccontextmanager
async def database_pool(app: Litestar) -> AsyncIterator[None]:
    app.state.sql = await capture_dashboard_sql()
    app.state.pool = await asyncpg.create_pool(
        dsn=os.environ["DATABASE_URL"], min_size=1, max_size=POOL_SIZE
    )
    try:
        yield
    finally:
        await app.state.pool.close()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[dashboard, health],
        lifespan=[database_pool],
        logging_config=LoggingConfig(log_exceptions="always"),  # a 500 shows its cause
        debug=False,
    )
