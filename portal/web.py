"""The web layer's shared pieces: page-or-fragment rendering, redirects, flash messages,
form errors, error pages and security headers.

htmx goes through litestar-htmx: `request.htmx` tells an htmx request, its responses
(`ClientRedirect`, `HXStopPolling`) answer it; pages and their blocks are rendered by Litestar's
template support (jinja2-fragments' `HTMXBlockTemplate`) with the environment below."""

from __future__ import annotations

import base64
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_to_bytes

import jinja2
from jinja2_fragments.litestar import HTMXBlockTemplate
from litestar import MediaType, Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, FormMultiDict
from litestar.enums import RequestEncodingType
from litestar.exceptions import ClientException, HTTPException
from litestar.handlers import BaseRouteHandler
from litestar.plugins.htmx import ClientRedirect, HTMXHeaders, HTMXRequest, HXStopPolling
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.status_codes import HTTP_200_OK
from litestar.template import TemplateConfig
from litestar.types import Empty, Message, Scope
from litestar.utils.scope.state import ScopeState

from portal import database, formatting
from portal.access import VISITOR, Action, may, may_here
from portal.core.navigation import menu_for
from portal.core.origin import Origin
from portal.errors import PortalError, TooManyAttempts
from portal.proxies import client_address
from portal.retries import mark_conflict

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
FLASH_COOKIE = "__Host-flash"


def build_templates() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters.update(formatting.FILTERS)
    return environment


def template_config(environment: jinja2.Environment) -> TemplateConfig:
    """Litestar's template support, rendering with the portal's ENVIRONMENT."""
    return TemplateConfig(instance=JinjaTemplateEngine.from_environment(environment))


def templates(request: Request) -> jinja2.Environment:
    """The environment the app renders its pages with."""
    return request.app.template_engine.engine


def is_fragment_request(request: HTMXRequest) -> bool:
    """An htmx request that wants a partial: not boosted, not a history restore."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


# The request headers htmx sends that decide between page and fragment (is_fragment_request):
# a cache keeping one answer per URL must tell them apart.
FRAGMENT_VARY = ", ".join(
    header.value
    for header in (HTMXHeaders.REQUEST, HTMXHeaders.HISTORY_RESTORE_REQUEST, HTMXHeaders.BOOSTED)
)


def push_url(url: str) -> dict[str, str]:
    """The header of an htmx answer that puts URL in the address bar and the history."""
    return {HTMXHeaders.PUSH_URL.value: url}


def csrf_token(request: Request) -> str:
    return ScopeState.from_scope(request.scope).csrf_token or ""


def page(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status: int = 200,
) -> HTMXBlockTemplate:
    """Render TEMPLATE whole, or only its block FRAGMENT for an htmx partial request."""
    partial = bool(fragment) and is_fragment_request(request)
    return HTMXBlockTemplate(
        template_name=template,
        block_name=fragment if partial else None,
        context=_base_context(request) | dict(context or {}),
        status_code=status,
        media_type=MediaType.HTML,
        cookies=[] if partial else flashes_shown(request),
    )


def flashes_shown(request: Request) -> list[Cookie]:
    """A whole page shows the flash messages: their cookie ends with it (an htmx fragment
    does not show them, and keeps it). Not a deletion: without Secure, browsers ignore the
    deletion of a __Host- cookie."""
    return [cookie(FLASH_COOKIE, "", max_age=0)] if request.cookies.get(FLASH_COOKIE) else []


def html_response(
    request: Request,
    html: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    partial: bool = False,
) -> Response:
    """HTML rendered by the handler itself (render_text) as the answer; a whole page ends
    the flash messages as page() does."""
    return Response(
        html,
        status_code=status,
        media_type=MediaType.HTML,
        headers=headers,
        cookies=[] if partial else flashes_shown(request),
    )


def render_text(request: Request, template: str, context: Mapping[str, Any]) -> str:
    """TEMPLATE rendered whole, with what every page reads (request, CSRF token, the person,
    flashes, settings), as text: for a handler that keeps or validates the bytes itself
    (the public directory's cache and ETags)."""
    return templates(request).get_template(template).render(_base_context(request) | context)


def form_page(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    errors: Mapping[str, str],
    *,
    fragment: str | None = None,
) -> Response:
    """Re-render a form with its field errors and what the user typed (422)."""
    return page(request, template, {**context, "errors": errors}, fragment=fragment, status=422)


def _base_context(request: Request) -> dict[str, Any]:
    state = request.state
    current = state.get("current")
    return {
        "request": request,
        "csrf_token": csrf_token(request),
        "current": current,
        "can": _can(current),
        "menu": lambda: _menu(request, current),
        "flashes": read_flashes(request),
        "errors": {},
        "form": {},
        "settings": request.app.state.settings,
        "url_for": reverse_routes(request.app),
    }


def _can(current) -> Any:
    """Templates ask access.py: `can("billing.view")` where the person stands (their
    organisation, or the staff area), or `can(action, resource)` for a resource in hand."""
    actor = current.actor if current is not None else VISITOR

    def can(action: str, resource: Any = None) -> bool:
        if resource is None:
            return may_here(actor, Action(action))
        return may(actor, Action(action), resource)

    return can


def _menu(request: Request, current) -> tuple:
    if current is None or current.second_factor_pending:
        return ()
    app = request.app
    return menu_for(current.actor, request.url.path, reverse_routes(app), route_names(app))


def route_names(app) -> frozenset[str]:
    """The names of the app's routes (read once: routes do not change after start)."""
    names = app.state.get("route_names")
    if names is None:
        names = frozenset(
            handler.name
            for route in app.routes
            for handler in getattr(route, "route_handlers", ())
            if handler.name
        )
        app.state.route_names = names
    return names


def url_for(request: Request, name: str, **path_parameters: Any) -> str:
    """The path of the route NAME (e.g. "clients.show", link_id=3): the portal never types
    its own URLs (tests/unit/test_typed_urls.py)."""
    return reverse_routes(request.app)(name, **path_parameters)


def reverse_routes(app) -> Any:
    """The app's route reverse, remembering the paths it made: a list page asks for the same
    few addresses once per row."""
    reverse = app.state.get("reverse_routes")
    if reverse is None:
        reverse = functools.lru_cache(maxsize=8192)(app.route_reverse)
        app.state.reverse_routes = reverse
    return reverse


def redirect(request: Request, url: str, *, flash: str | None = None, level: str = "success"):
    """After a successful write: 303 for a plain form, a client-side redirect for htmx. URL
    may hold what a person typed or a path carried (a token): it is sent percent-encoded, as
    a header can only carry ASCII."""
    url = quote(url, safe=URL_SAFE)
    response = client_redirect(url) if request.htmx else Redirect(url, status_code=303)
    if flash:
        set_flash(response, flash, level)
    return response


async def fragment_or_redirect(
    request: Request,
    template: str,
    fragment: str,
    context: Callable[[], Awaitable[Mapping[str, Any]]],
    *,
    url: str,
    flash: str,
) -> Response:
    """After a write made from inside a block of a page: an htmx partial request gets that
    block FRAGMENT of TEMPLATE again, with the CONTEXT it then has; anything else goes back
    to URL with FLASH."""
    if is_fragment_request(request):
        return page(request, template, await context(), fragment=fragment)
    return redirect(request, url, flash=flash)


# htmx's stop-polling status (286): it swaps the answer in, then polls no more.
STOP_POLLING = HXStopPolling().status_code


def polled(
    request: Request, template: str, context: Mapping[str, Any], *, fragment: str, done: bool
) -> Response:
    """A page whose block FRAGMENT htmx polls for progress: as page(), and once the work is
    DONE the fragment comes with the stop-polling status of litestar-htmx's HXStopPolling."""
    status = STOP_POLLING if done and is_fragment_request(request) else 200
    return page(request, template, context, fragment=fragment, status=status)


def set_flash(response: Response, message: str, level: str = "success") -> None:
    payload = base64.urlsafe_b64encode(json.dumps([level, message]).encode()).decode()
    response.set_cookie(cookie(FLASH_COOKIE, payload))


def read_flashes(request: Request) -> list[tuple[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        level, message = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, TypeError):
        return []
    if level not in {"success", "info", "warning", "error"}:
        return []
    return [(level, str(message)[:500])]


# --- error pages --------------------------------------------------------------------------

ERROR_TITLES = {
    400: "Bad request",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    413: "Too large",
    415: "Not a form",
    422: "Please check the form",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Please try again in a moment",
}

BUSY = "Someone changed the same thing at the same moment. Nothing was saved; please try again."
UNAVAILABLE = (
    "The portal cannot reach its database just now. Nothing was lost; please try again in a moment."
)
UNAVAILABLE_RETRY_AFTER = 5  # seconds: a database restart takes a few


def error_page(request: Request, exc: Exception) -> Response:
    if database.is_conflict(exc):
        log.warning("Database conflict on %s %s: %s", request.method, request.url.path, exc)
        mark_conflict(request.scope)  # run again once (portal/retries.py)
        return _try_again_page(request, BUSY, retry_after=1)
    if database.is_unavailable(exc):
        log.warning("Database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return _try_again_page(request, UNAVAILABLE, retry_after=UNAVAILABLE_RETRY_AFTER)
    status = (
        getattr(exc, "status_code", 500) if isinstance(exc, (HTTPException, PortalError)) else 500
    )
    if status >= 500:
        log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = {}
    if isinstance(exc, HTTPException) and exc.headers:
        headers.update(exc.headers)
    if isinstance(exc, TooManyAttempts):
        headers["Retry-After"] = str(exc.retry_after)
    return _error_template(request, status, _explain(exc, status), headers)


def _try_again_page(request: Request, detail: str, *, retry_after: int) -> Response:
    """503: the request could not be served now, and the same request will be later."""
    return _error_template(request, 503, detail, {"Retry-After": str(retry_after)})


def _error_template(
    request: Request, status: int, detail: str, headers: Mapping[str, str]
) -> Response:
    """The error page. To an htmx partial request, it is a whole page all the same: htmx is
    told to put it in place of the page's body, never inside the block that asked (htmx swaps
    a 422 and a 429; it leaves the page as it is for the others and the portal says so)."""
    context = {"status": status, "title": ERROR_TITLES.get(status, "Error"), "detail": detail}
    in_place_of_the_page = {"re_target": "body", "re_swap": "innerHTML"}
    return HTMXBlockTemplate(
        template_name="error.html",
        context=_base_context(request) | context,
        status_code=status,
        media_type=MediaType.HTML,
        headers={"Cache-Control": "no-store", **headers},
        **(in_place_of_the_page if is_fragment_request(request) else {}),
    )


def _explain(exc: Exception, status: int) -> str:
    detail = getattr(exc, "detail", "") or ""
    if "CSRF" in detail:
        return "This form has expired. Reload the page and try again."
    if status == 404:
        return "There is nothing here, or it is not yours to see."
    if status >= 500:
        return "We could not complete this request. Nothing was lost; please try again."
    if status == 400 and detail:
        return "The request could not be read. Check what you entered and try again."
    return detail or ERROR_TITLES.get(status, "")


# What a URL keeps as it is when percent-encoded: its delimiters and what is encoded already.
URL_SAFE = "/?&=#%:@!$'()*+,;~"


# The longest post-login destination kept: a longer one (a crafted query string) would make
# a Location header no browser or proxy takes; the person lands on the page without it.
NEXT_MAX = 2_000


def login_redirect(request: Request, exc: Exception) -> Response:
    target = quote(request.url.path, safe=URL_SAFE)
    if request.url.query and len(target) + len(request.url.query) < NEXT_MAX:
        target += "?" + request.url.query
    if len(target) >= NEXT_MAX:
        target = url_for(request, "organisations.home")
    url = url_for(request, "accounts.login") + "?next=" + quote(target, safe="")
    return client_redirect(url) if request.htmx else Redirect(url, status_code=303)


def client_redirect(url: str) -> ClientRedirect:
    """htmx goes to URL as a whole page (litestar-htmx's ClientRedirect), answered 200 like
    any htmx answer: a POST's own default status would be 201 Created."""
    response = ClientRedirect(url)
    response.status_code = HTTP_200_OK
    return response


# --- what a request may carry -------------------------------------------------------------

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = frozenset(
    {RequestEncodingType.URL_ENCODED.value, RequestEncodingType.MULTI_PART.value}
)
NOT_A_FORM = "This address takes a form sent from its page, nothing else."
UNREADABLE_ADDRESS = "The address holds characters that cannot be read (such as NUL)."
UNREADABLE_FORM = "The form holds text that is not UTF-8."


async def form_bodies_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Every route that writes takes a form: a body of another kind (JSON, plain text...) is
    refused with 415 before any handler runs, instead of being read as an empty form. A body
    without a type must be empty (a button that posts nothing but its token in a header)."""
    if connection.scope["method"] not in UNSAFE_METHODS or _.opt.get("api"):
        return  # the API takes JSON (portal/api/auth.py, json_bodies_only)
    headers = connection.headers
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in FORM_TYPES:
        return
    has_body = headers.get("content-length", "0").strip() != "0" or "transfer-encoding" in headers
    if content_type or has_body:
        raise HTTPException(status_code=415, detail=NOT_A_FORM)


async def readable_address(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A path or query string that decodes to a NUL byte (which PostgreSQL refuses in text) or
    to bytes that are not UTF-8 answers 400, before any handler reads it."""
    scope = connection.scope
    raw_path = scope.get("raw_path") or scope["path"].encode()
    for part in (raw_path, scope.get("query_string", b"").replace(b"+", b" ")):
        decoded = unquote_to_bytes(part)
        try:
            decoded.decode("utf-8")
        except UnicodeDecodeError:
            raise ClientException(UNREADABLE_ADDRESS) from None
        if b"\x00" in decoded:
            raise ClientException(UNREADABLE_ADDRESS)


class FormRequest(HTMXRequest):
    """The portal's request: litestar-htmx's (`request.htmx`), with its form read strictly.
    Text that is not UTF-8 is refused (400) rather than stored as U+FFFD (url-encoded, as
    Litestar reads it) or answered with a 500 (multipart); empty url-encoded fields are kept,
    so that the rows of a table form stay aligned. Litestar's own reader does the rest, from
    what is read here."""

    async def form(self) -> FormMultiDict:
        try:
            state = self._connection_state
            if state.form is Empty and self.content_type[0] == RequestEncodingType.URL_ENCODED:
                state.form = _url_encoded_fields(await self.body())
            return await super().form()
        except (UnicodeDecodeError, LookupError):  # LookupError: a charset Python does not know
            raise ClientException(UNREADABLE_FORM) from None


def _url_encoded_fields(body: bytes) -> dict[str, list[str]]:
    pairs = parse_qsl(
        body.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict"
    )
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


# --- headers on every response ------------------------------------------------------------

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HTMX_VARY = HTMXHeaders.REQUEST.value.encode()  # the same URL answers a page or a fragment
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook, so that every answer gets them — error pages for unmatched routes
    included, which route middleware never sees: the security headers, `Vary: HX-Request`,
    and no-store where the response chose no cache policy of its own (static files do)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    names = {name.lower() for name, _ in headers}
    headers.extend(SECURITY_HEADERS)
    if b"vary" not in names:
        headers.append((b"vary", HTMX_VARY))
    if b"cache-control" not in names:
        headers.append((b"cache-control", b"no-store"))
    message["headers"] = headers


STRICT_TRANSPORT_SECURITY = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


async def add_strict_transport_security(message: Message, scope: Scope) -> None:
    """A `before_send` hook of a portal served over https (an https PORTAL_BASE_URL): for a
    year, browsers reach it and its subdomains over https only, never plain http first."""
    if message["type"] == "http.response.start":
        message["headers"] = [*message.get("headers", []), STRICT_TRANSPORT_SECURITY]


PUBLIC = {"public": True}  # route opt: reachable without logging in (checked by a test)


def safe_next(target: str | None, home: str) -> str:
    """Only a path on this site may be a post-login destination (no open redirect): printable
    ASCII (what the login redirect sends, percent-encoded), starting with one slash. Browsers
    drop tabs and read a backslash as a slash (`/\\evil` is `//evil`); other spaces and odd
    characters have no place in a link the portal made, so the destination is home."""
    if (
        target
        and len(target) < NEXT_MAX
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and all("!" <= c <= "~" for c in target)
    ):
        return target
    return home


def set_cookie(response: Response, name: str, value: str, *, max_age: int | None = None) -> None:
    response.set_cookie(cookie(name, value, max_age=max_age))


def cookie(name: str, value: str, *, max_age: int | None = None) -> Cookie:
    """The portal's cookies: the whole site's, sent over https only, never read by scripts."""
    return Cookie(
        key=name,
        value=value,
        path="/",
        secure=True,
        httponly=True,
        samesite="lax",
        max_age=max_age,
    )


def client_of(request: Request) -> Origin:
    peer = request.client.host if request.client else "unknown"
    trusted = request.app.state.settings.trusted_proxies
    return Origin(
        # every X-Forwarded-For line: a proxy may add its own line rather than append
        ip_address=client_address(
            peer, ", ".join(request.headers.getall("x-forwarded-for", [])), trusted
        ),
        user_agent=request.headers.get("user-agent", "")[:300],
    )
