"""The API's floor reference: a bare Litestar app answering GET /api/v1/clients and GET
/api/v1/reports/lines for one partner (BENCH_PARTNER_ID) with the portal's own SQL
(`clients_query`, LINES_PAGE_SQL with a manager's client scope) on raw asyncpg, encoded with
msgspec into the same structures — no token, rate limit, authorization or ORM.

    DATABASE_URL=... BENCH_PARTNER_ID=... granian --interface asgi --factory \\
        bench.api_reference:create_app
"""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated

import asyncpg
import msgspec
from litestar import Litestar, Response, get
from litestar.params import QueryParameter
from piccolo.querystring import QueryString

from portal.access import ClientScope
from portal.api import paging, schemas
from portal.api.routes import client_item, report_line
from portal.clients.queries import CLIENT_ORDER, clients_query
from portal.exports.queries import LINES_AFTER, LINES_PAGE_SQL, Lines

POOL: dict[str, asyncpg.Pool] = {}
EVERY_CLIENT = ClientScope(every_client=True, user_id=0)  # the partner's managers' scope


@asynccontextmanager
async def pool(app: Litestar):
    POOL["pool"] = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=1, max_size=10)
    try:
        yield
    finally:
        await POOL["pool"].close()


def _partner() -> int:
    return int(os.environ["BENCH_PARTNER_ID"])


def _json(body) -> Response:
    return Response(msgspec.json.encode(body), media_type="application/json")


@get("/api/v1/clients")
async def clients(cursor: str | None = None, limit: int = 50) -> Response:
    window = CLIENT_ORDER.window(paging.position(cursor, str, int), limit)
    template, args = clients_query(_partner(), window, scope=ClientScope(True, 0))
    sql, values = QueryString(template, *args, *window.arguments).compile_string()
    async with POOL["pool"].acquire() as connection:
        page = window.page([dict(row) for row in await connection.fetch(sql, *values)])
    return _json(
        schemas.ClientPage(
            data=[client_item(row) for row in page],
            next_cursor=paging.page_cursor(page, "client_name", "id"),
        )
    )


@get("/api/v1/reports/lines")
async def lines(
    period_from: Annotated[date, QueryParameter(name="from")],
    period_to: Annotated[date, QueryParameter(name="to")],
    cursor: str | None = None,
    limit: int = 50,
) -> Response:
    lines = Lines(_partner(), period_from, period_to, EVERY_CLIENT)
    after = paging.decode(cursor, date, int, int)
    if after is None:
        sql, values = LINES_PAGE_SQL.format(after="", limit="$8"), (*lines.arguments(), limit + 1)
    else:
        sql = LINES_PAGE_SQL.format(after=LINES_AFTER, limit="$11")
        values = (*lines.arguments(), *after, limit + 1)
    async with POOL["pool"].acquire() as connection:
        rows = [dict(row) for row in await connection.fetch(sql, *values)]
    page, more = rows[:limit], len(rows) > limit
    return _json(
        schemas.ReportLinePage(
            data=[report_line(row) for row in page],
            next_cursor=paging.next_cursor(page, more, "issued_on", "invoice_id", "position"),
        )
    )


@get("/health")
async def health() -> dict:
    return {"status": "ok"}


def create_app() -> Litestar:
    return Litestar([health, clients, lines], lifespan=[pool], openapi_config=None, debug=False)
