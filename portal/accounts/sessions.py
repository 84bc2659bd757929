"""The browser's side of a session: a login or sign-up ends the browser's previous session and
sets the cookies of the new one."""

from __future__ import annotations

from litestar import Request, Response

from portal.accounts import rules, services
from portal.core.current import SESSION_COOKIE, load_current
from portal.web import redirect, set_cookie

ONE_YEAR = 365 * 24 * 3600
DEVICE_COOKIE = "__Host-device"  # a device the account logged in from: spared its throttle


async def end_previous_session(request: Request) -> None:
    """Logging in (or signing up) in a browser that had a session ends that one on the server:
    one browser, one live session."""
    previous = await load_current(request)
    if previous is not None:
        await services.log_out(previous.session_id)


def logged_in(
    request: Request,
    token: str,
    target: str,
    *,
    account_id: int | None = None,
    flash: str | None = None,
) -> Response:
    response = redirect(request, target, flash=flash)
    set_cookie(response, SESSION_COOKIE, token)
    if account_id is not None:
        secret = request.app.state.settings.secret_key
        set_cookie(
            response, DEVICE_COOKIE, rules.device_token(secret, account_id), max_age=ONE_YEAR
        )
    return response
