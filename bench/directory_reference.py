"""The floor reference of the directory's live search: a bare Litestar app that reads the same
query string with the same pure rules, runs the *same SQL* as the portal (the page of results,
from portal.directory.queries) with raw asyncpg, and renders the same
fragment template — no directory version, cache, session, CSRF, access check or ORM.

    DATABASE_URL=... granian --interface asgi --factory bench.directory_reference:create_app
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from litestar import Litestar, MediaType, Request, Response, get
from litestar.logging.config import LoggingConfig

from bench.reference import POOL_SIZE, TEMPLATES, URL_FOR, dollar_placeholders
from portal.core.reference import countries
from portal.directory import queries, rules
from portal.directory.routes import page_labels
from portal.directory.services import Results, results_of

FACTORY = "bench.directory_reference:create_app"


async def search(pool: asyncpg.Pool, search: rules.Search) -> Results:
    sql, values = queries.search_sql(search)
    rows = await pool.fetch(dollar_placeholders(sql), *values)
    return results_of(search, [dict(row) for row in rows])


@get("/directory", media_type=MediaType.HTML)
async def partners(request: Request) -> Response:
    parsed = rules.parse_search(request.query_params, countries())
    results = await search(request.app.state.pool, parsed.search)
    html = TEMPLATES.get_template("directory/_results.html").render(
        url_for=URL_FOR,
        search=parsed.search,
        results=results,
        errors=parsed.errors,
        **page_labels(),
    )
    return Response(html, media_type=MediaType.HTML, status_code=422 if parsed.errors else 200)


@get("/health", media_type=MediaType.JSON)
async def health(request: Request) -> dict[str, str]:
    ok = await request.app.state.pool.fetchval("SELECT 1 AS ok")
    return {"status": "ok" if ok == 1 else "degraded"}


@asynccontextmanager
async def database_pool(app: Litestar) -> AsyncIterator[None]:
    app.state.pool = await asyncpg.create_pool(
        dsn=os.environ["DATABASE_URL"], min_size=1, max_size=POOL_SIZE
    )
    try:
        yield
    finally:
        await app.state.pool.close()


def create_app() -> Litestar:
    return Litestar(
        route_handlers=[partners, health],
        lifespan=[database_pool],
        logging_config=LoggingConfig(log_exceptions="always"),
        debug=False,
    )
