"""create_app(settings): the Litestar application with its routes, pool and safeguards."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, MediaType, Response, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from litestar.static_files import create_static_files_router

from portal import database
from portal.accounts.routes import ROUTES as ACCOUNT_ROUTES
from portal.api.docs import ApiDocsController
from portal.api.router import api_router, app_error, openapi_config
from portal.audit.routes import ROUTES as AUDIT_ROUTES
from portal.audit_catalogue import CATALOGUE
from portal.billing.routes import ROUTES as BILLING_ROUTES
from portal.clients.lifetime_routes import ROUTES as CLIENT_LIFETIME_ROUTES
from portal.clients.routes import ROUTES as CLIENT_ROUTES
from portal.clients.routes import inbox_context
from portal.core import urls
from portal.core.current import provide_current, provide_current_or_none
from portal.directory.routes import ROUTES as DIRECTORY_ROUTES
from portal.errors import LoginRequired, PortalError
from portal.exports.feed.routes import ROUTES as FEED_ROUTES
from portal.exports.offload import stop_writer_process
from portal.exports.reports.routes import ROUTES as REPORT_ROUTES
from portal.exports.routes import ROUTES as EXPORT_ROUTES
from portal.mail.routes import DEVELOPMENT_ROUTES
from portal.organisations.routes import ROUTES as ORGANISATION_ROUTES
from portal.organisations.tables import Organisation
from portal.partners.routes import ROUTES as PARTNER_ROUTES
from portal.piccolo_conf import DB
from portal.products.routes import ROUTES as PRODUCT_ROUTES
from portal.renewals.routes import ROUTES as RENEWAL_ROUTES
from portal.retries import retry_conflicts
from portal.settings import Settings
from portal.tenders.routes import ROUTES as TENDER_ROUTES
from portal.web import (
    STATIC_DIR,
    UNAVAILABLE_RETRY_AFTER,
    FormRequest,
    add_security_headers,
    add_strict_transport_security,
    build_templates,
    form_bodies_only,
    login_redirect,
    readable_address,
    template_config,
)
from portal.webhooks.routes import ROUTES as WEBHOOK_ROUTES


@get("/health", name="health", media_type=MediaType.JSON, opt={"public": True})
async def health() -> Response:
    """For load balancers: 200 when the database answers, 503 while it does not."""
    try:
        rows = await Organisation.raw("SELECT 1 AS ok")
    except Exception as error:
        if not database.is_unavailable(error):
            raise
        headers = {"Retry-After": str(UNAVAILABLE_RETRY_AFTER)}
        return Response({"status": "database unavailable"}, status_code=503, headers=headers)
    return Response({"status": "ok" if rows[0]["ok"] == 1 else "degraded"})


# No page waits longer for one statement (a database that stopped answering answers 503).
STATEMENT_TIMEOUT = 60


# The portal's pages, whatever the settings (development pages and static files aside).
PAGES = [
    health,
    *ACCOUNT_ROUTES,
    *ORGANISATION_ROUTES,
    *PRODUCT_ROUTES,
    *AUDIT_ROUTES,
    *CLIENT_ROUTES,
    *CLIENT_LIFETIME_ROUTES,
    *BILLING_ROUTES,
    *RENEWAL_ROUTES,
    *PARTNER_ROUTES,
    *TENDER_ROUTES,
    *DIRECTORY_ROUTES,
    *EXPORT_ROUTES,
    *REPORT_ROUTES,
    *FEED_ROUTES,
    *WEBHOOK_ROUTES,
]


# the person behind the request (portal/core/current.py): `current` for pages behind login,
# `current_or_none` for public pages that greet a logged-in person
DEPENDENCIES = {
    "current": Provide(provide_current),
    "current_or_none": Provide(provide_current_or_none),
}


def install_page_addresses() -> None:
    """For a process that writes mails without serving pages (`portal worker`, the commands):
    the pages' paths come from their route names, as in the app."""
    pages = Litestar(route_handlers=PAGES, dependencies=DEPENDENCIES, openapi_config=None)
    urls.install(pages.route_reverse)


def create_app(settings: Settings) -> Litestar:
    if settings.database_url:
        database.bind(settings.database_url)

    @asynccontextmanager
    async def database_pool(app: Litestar) -> AsyncIterator[None]:
        owns_pool = DB.pool is None  # tests may run several apps on one pool
        if owns_pool:
            await DB.start_connection_pool(
                # none at start: a server worker starts even while the database is down
                min_size=0,
                max_size=settings.database_pool_size,
                command_timeout=STATEMENT_TIMEOUT,
            )
        try:
            yield
        finally:
            if owns_pool:
                await DB.close_connection_pool()

    app = Litestar(
        route_handlers=[
            *PAGES,
            api_router(),
            ApiDocsController,
            *(DEVELOPMENT_ROUTES if settings.development else []),
            static_files(),
        ],
        lifespan=[database_pool],
        dependencies=DEPENDENCIES,
        plugins=[HTMXPlugin()],
        request_class=FormRequest,  # litestar-htmx's HTMXRequest, reading forms strictly
        template_config=template_config(build_templates()),
        guards=[readable_address, form_bodies_only],
        on_shutdown=[stop_writer_process],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="__Host-csrf",
            cookie_secure=True,
            cookie_httponly=True,
            cookie_samesite="lax",
            header_name="x-csrftoken",
            # Probes and cacheable files need no token (nor a cookie a shared cache could keep).
            # The API authenticates with a token in a header, never a cookie: no CSRF to fear.
            exclude=["^/health$", "^/static/", "^/api/"],  # regular expressions, searched anywhere
        ),
        exception_handlers={
            LoginRequired: login_redirect,
            PortalError: app_error,  # the portal's error page; a problem under /api/v1
            HTTPException: app_error,
            Exception: app_error,
        },
        middleware=[retry_conflicts],  # a request rolled back by a deadlock runs again once
        before_send=[
            add_security_headers,
            *([add_strict_transport_security] if settings.base_url.startswith("https://") else []),
        ],
        request_max_body_size=2 * 1024 * 1024,
        openapi_config=openapi_config(),  # the API's operations only (include_in_schema)
        include_in_schema=False,
        debug=False,
    )
    app.state.settings = settings
    app.state.audit_sentences = CATALOGUE  # how each audit entry reads
    # What the overview shows from domains above organisations: the client's inbox.
    app.state.home_sections = [inbox_context]
    urls.install(app.route_reverse)  # the links in the mails it writes
    return app


def app_from_environment() -> Litestar:
    """The factory the production server's workers call."""
    return create_app(Settings.from_env())


def static_files():
    """The router of /static, named "static" for url_for."""
    return create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="static",
        opt={"public": True},
        cache_control=CacheControlHeader(max_age=3600, public=True),
    )
