"""Who calls the API: the token in the Authorization header, checked on every request — alive,
within its minute (60 requests), its owner still in its organisation, its scopes covering the
operation. No session cookie, no CSRF: a page's session opens no API call, and a token opens
no page."""

from __future__ import annotations

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import HTTPException, NotAuthorizedException
from litestar.handlers import BaseRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from portal.access import ApiArea, ApiLevel, require_scope
from portal.accounts.api_tokens import TokenUse, use_api_token
from portal.accounts.rules import RateLimit
from portal.api.problems import BAD_TOKEN, NO_TOKEN, NOT_JSON, OWNER_LEFT, TooManyRequests
from portal.core.current import Current
from portal.web import UNSAFE_METHODS, client_of

TOKEN_STATE = "api_token"  # the request's TokenUse, in the scope's state
SCOPE_OPT = "scope"  # a handler's opt: the (area, level) it needs; None: any token


async def token_required(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The API router's guard: authenticate, count, and check the operation's scope, before
    any handler runs. The person behind the token is read afresh, as a session's is."""
    request = Request(connection.scope, connection.receive)
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthorizedException(NO_TOKEN)
    settings = connection.app.state.settings
    use = await use_api_token(
        token.strip(), client_of(request).ip_address, settings.api_requests_per_minute
    )
    if use is None:
        raise NotAuthorizedException(BAD_TOKEN)
    connection.scope.setdefault("state", {})[TOKEN_STATE] = use
    if not use.rate.admitted:
        raise TooManyRequests(use.rate.reset_seconds)
    if use.current is None:
        raise NotAuthorizedException(OWNER_LEFT)
    needed = handler.opt.get(SCOPE_OPT)
    if needed is not None:
        area, level = needed
        require_scope(use.current.actor, area, level)


def token_use(request: Request) -> TokenUse:
    return request.scope["state"][TOKEN_STATE]


async def provide_current(request: Request) -> Current:
    """The token's owner, as `token_required` found them."""
    current = token_use(request).current
    assert current is not None  # the guard refused the request otherwise
    return current


def needs(area: ApiArea, level: ApiLevel = ApiLevel.READ) -> dict:
    """A handler's opt: the scope it needs."""
    return {SCOPE_OPT: (area, level)}


async def json_bodies_only(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """A write takes JSON; a form or any other body is refused (415) before it is read."""
    if connection.scope["method"] not in UNSAFE_METHODS:
        return
    content_type = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise HTTPException(status_code=415, detail=NOT_JSON)


def rate_limit_headers(app: ASGIApp) -> ASGIApp:
    """Middleware of the API: every answer to a token tells where it stands in its minute
    (IETF RateLimit headers: limit, remaining, seconds until the reset)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            use = scope.get("state", {}).get(TOKEN_STATE)
            if message["type"] == "http.response.start" and use is not None:
                message["headers"] = [*message.get("headers", []), *_headers(use.rate)]
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


def _headers(rate: RateLimit) -> list[tuple[bytes, bytes]]:
    return [
        (b"ratelimit-limit", str(rate.limit).encode()),
        (b"ratelimit-remaining", str(rate.remaining).encode()),
        (b"ratelimit-reset", str(rate.reset_seconds).encode()),
        (b"ratelimit-policy", f"{rate.limit};w=60".encode()),
    ]
