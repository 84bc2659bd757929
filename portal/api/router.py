"""The API as one Litestar router under /api/v1, with what sets it apart from the pages: a
token instead of a session (guard), JSON bodies only, RFC 9457 problems for every error, the
RateLimit headers, and the OpenAPI document made from its operations."""

from __future__ import annotations

from litestar import Request, Response, Router
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag

from portal.api.auth import json_bodies_only, provide_current, rate_limit_headers, token_required
from portal.api.problems import api_error
from portal.api.routes import ROUTES
from portal.errors import PortalError
from portal.web import error_page

API_PATH = "/api/v1"
API_OPT = "api"  # a handler's opt: part of the API (web.form_bodies_only leaves it alone)
OPENAPI_PATH = API_PATH + "/openapi.json"
PROBLEM_HANDLERS = {Exception: api_error, HTTPException: api_error, PortalError: api_error}

DESCRIPTION = """The Partner Portal's API, for the programs of partners and clients (a CRM,
a helpdesk, accounting). Every request carries an API token, made on the account's security
page: `Authorization: Bearer <token>`. A token acts for one organisation with its owner's
rights there as they stand at each request, within its scopes (an area, read or read and
write), at most 60 requests a minute (RateLimit-* headers; 429 with Retry-After past it).
Lists page by cursor (`next_cursor`); writes accept an `Idempotency-Key`; errors are RFC 9457
problem details (`application/problem+json`). Another organisation's ids answer 404."""


def app_error(request: Request, exc: Exception) -> Response:
    """The application's error handler: under /api/v1 a problem (an address that names no
    operation, an id that is not a number), elsewhere the portal's error page."""
    if request.url.path.startswith(API_PATH + "/") or request.url.path == API_PATH:
        return api_error(request, exc)
    return error_page(request, exc)


def api_router() -> Router:
    return Router(
        path=API_PATH,
        route_handlers=ROUTES,
        guards=[json_bodies_only, token_required],  # a body not JSON: 415 before anything
        dependencies={"current": Provide(provide_current)},
        exception_handlers=PROBLEM_HANDLERS,
        middleware=[rate_limit_headers],
        opt={API_OPT: True},
        include_in_schema=True,
    )


def openapi_config() -> OpenAPIConfig:
    """The OpenAPI 3.1 document of the API's operations, served at /api/v1/openapi.json."""
    return OpenAPIConfig(
        title="Partner Portal API",
        version="1.0.0",
        description=DESCRIPTION,
        security=[{"token": []}],
        components=Components(
            security_schemes={
                "token": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="An API token from the account's security page.",
                )
            }
        ),
        tags=[
            Tag(name="Organisation"),
            Tag(name="Clients and links"),
            Tag(name="Products"),
            Tag(name="Invoices and ledger"),
            Tag(name="Reports and billing feed"),
            Tag(name="Tenders"),
        ],
        openapi_router=Router(
            path=OPENAPI_PATH, route_handlers=[], opt={"public": True}, include_in_schema=False
        ),
        render_plugins=[JsonRenderPlugin(path="/")],
    )
