"""Pages of accounts: sign up, log in and out, second factor, password reset, security."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from portal.access import ApiArea, ApiLevel
from portal.accounts import forms, queries, rules, services
from portal.accounts.sessions import DEVICE_COOKIE, end_previous_session, logged_in
from portal.core.current import (
    SESSION_COOKIE,
    Current,
    load_current,
)
from portal.errors import FormErrors, TooManyAttempts
from portal.forms import Form
from portal.paging import position_of
from portal.web import (
    PUBLIC,
    client_of,
    form_page,
    fragment_or_redirect,
    page,
    redirect,
    set_cookie,
    url_for,
)


class LoginController(Controller):
    opt = PUBLIC

    @get("/login", name="accounts.login")
    async def show(self, request: Request, next: FromQuery[str | None] = None) -> Response:
        home = url_for(request, "organisations.home")
        return page(request, "accounts/login.html", {"next": forms.next_path(next, home)})

    @post("/login", name="accounts.login.submit")
    async def submit(self, request: Request) -> Response:
        form = Form(await request.form())
        login = forms.login_from(form, url_for(request, "organisations.home"))
        target = login.next
        context = {"form": {"email": login.email}, "next": target}
        try:
            form.check()
            outcome = await services.log_in(
                request.app.state.settings,
                login.email,
                login.password,
                client_of(request),
                request.cookies.get(DEVICE_COOKIE),
            )
        except FormErrors as error:
            return form_page(request, "accounts/login.html", context, error.errors)
        except TooManyAttempts as error:
            response = page(
                request,
                "accounts/login.html",
                {**context, "errors": {"password": error.detail}},
                status=429,
            )
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        await end_previous_session(request)
        if outcome.second_factor_pending:
            second_factor = url_for(request, "accounts.second_factor")
            second_factor += "?next=" + quote(target, safe="/")
            return logged_in(request, outcome.token, second_factor)
        return logged_in(request, outcome.token, target, account_id=outcome.account_id)

    @get("/login/second-factor", name="accounts.second_factor")
    async def second_factor(self, request: Request, next: FromQuery[str | None] = None) -> Response:
        current = await load_current(request)
        if current is None or not current.second_factor_pending:
            return redirect(request, url_for(request, "accounts.login"))
        home = url_for(request, "organisations.home")
        return page(request, "accounts/second_factor.html", {"next": forms.next_path(next, home)})

    @post("/login/second-factor", name="accounts.second_factor.submit")
    async def second_factor_submit(self, request: Request) -> Response:
        current = await load_current(request)
        if current is None or not current.second_factor_pending:
            return redirect(
                request,
                url_for(request, "accounts.login"),
                flash="Your login expired; start again.",
                level="warning",
            )
        form = Form(await request.form())
        entered = forms.second_factor_from(form, url_for(request, "organisations.home"))
        target = entered.next
        try:
            form.check()
            token = await services.complete_second_factor(
                current.session_id, current.user_id, entered.code, client_of(request)
            )
        except FormErrors as error:
            return form_page(request, "accounts/second_factor.html", {"next": target}, error.errors)
        except TooManyAttempts as error:
            response = page(
                request,
                "accounts/second_factor.html",
                {"next": target, "errors": {"code": error.detail}},
                status=429,
            )
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        return logged_in(request, token, target, account_id=current.user_id)

    @post("/logout", name="accounts.logout")
    async def logout(self, request: Request) -> Response:
        current = await load_current(request)
        if current is not None:
            await services.log_out(current.session_id)
        response = redirect(
            request, url_for(request, "accounts.login"), flash="You are logged out.", level="info"
        )
        # Not response.delete_cookie: without Secure, browsers ignore it for a __Host- cookie.
        set_cookie(response, SESSION_COOKIE, "", max_age=0)
        return response


class PasswordResetController(Controller):
    path = "/password"
    opt = PUBLIC
    SENT = (
        "If an account exists for this address, we have sent it a link to choose a new "
        "password. The link is valid for one hour."
    )

    @get("/forgot", name="accounts.password.forgot")
    async def forgot(self, request: Request) -> Response:
        return page(request, "accounts/forgot.html")

    @post("/forgot", name="accounts.password.forgot.submit")
    async def forgot_submit(self, request: Request) -> Response:
        data = await request.form()
        form = Form(data)
        email = form.email()
        try:
            form.check()
        except FormErrors as error:
            return form_page(request, "accounts/forgot.html", {"form": data}, error.errors)
        await services.request_password_reset(request.app.state.settings, email)
        return page(request, "accounts/forgot.html", {"sent": self.SENT})

    @get("/reset/{token:str}", name="accounts.password.reset")
    async def reset(self, request: Request, token: FromPath[str]) -> Response:
        if not await services.password_reset_is_usable(token):
            return _link_gone(request, token)
        return page(request, "accounts/reset.html", {"token": token, "expired": False})

    @post("/reset/{token:str}", name="accounts.password.reset.submit")
    async def reset_submit(self, request: Request, token: FromPath[str]) -> Response:
        if not await services.password_reset_is_usable(token):
            return _link_gone(request, token)  # say so before any complaint about the form
        form = Form(await request.form())
        password = forms.new_password_from(form)
        context = {"token": token, "expired": False}
        try:
            form.check()
            await services.reset_password(request.app.state.settings, token, password)
        except FormErrors as error:
            if "token" in error.errors:  # used meanwhile by another request
                return _link_gone(request, token)
            return form_page(request, "accounts/reset.html", context, error.errors)
        return redirect(
            request,
            url_for(request, "accounts.login"),
            flash="Your password is changed. Log in with it.",
        )


def _link_gone(request: Request, token: str) -> Response:
    return page(request, "accounts/reset.html", {"token": token, "expired": True}, status=410)


class SecurityController(Controller):
    """The user's own security: password, two-factor authentication, sessions."""

    path = "/account"

    @get("/security", name="accounts.security")
    async def show(self, request: Request, current: NamedDependency[Current]) -> Response:
        return page(request, "accounts/security.html", await _security_context(current))

    @post("/password", name="accounts.password.change")
    async def change_password(
        self, request: Request, current: NamedDependency[Current]
    ) -> Response:
        form = Form(await request.form())
        change = forms.password_change_from(form)
        try:
            form.check()
            await services.change_password(
                request.app.state.settings,
                current.user_id,
                current.session_id,
                change.current,
                change.new,
            )
        except FormErrors as error:
            return form_page(
                request, "accounts/security.html", await _security_context(current), error.errors
            )
        return redirect(
            request,
            url_for(request, "accounts.security"),
            flash="Your password is changed; your other sessions were ended.",
        )

    @post("/two-factor/setup", name="accounts.two_factor.setup")
    async def begin_two_factor(
        self, request: Request, current: NamedDependency[Current]
    ) -> Response:
        if current.totp_enabled:
            return redirect(request, url_for(request, "accounts.security"))
        secret = await services.begin_totp_setup(current.user_id)
        return page(request, "accounts/two_factor_setup.html", _setup_context(current, secret))

    @post("/two-factor/confirm", name="accounts.two_factor.confirm")
    async def confirm_two_factor(
        self, request: Request, current: NamedDependency[Current]
    ) -> Response:
        form = Form(await request.form())
        confirmation = forms.confirmation_from(form, with_code=True)
        try:
            form.check()
            codes = await services.confirm_totp_setup(
                current.user_id, confirmation.password, confirmation.code
            )
        except FormErrors as error:
            account = await queries.account_by_id(current.user_id)
            secret = account["totp_pending_secret"]
            if not secret:  # no setup begun: a refused confirmation must not begin one
                return redirect(
                    request,
                    url_for(request, "accounts.security"),
                    flash="Start setting up two-factor authentication from this page.",
                    level="error",
                )
            return form_page(
                request,
                "accounts/two_factor_setup.html",
                _setup_context(current, secret),
                error.errors,
            )
        return page(request, "accounts/backup_codes.html", {"codes": codes, "first_time": True})

    @post("/two-factor/disable", name="accounts.two_factor.disable")
    async def disable_two_factor(
        self, request: Request, current: NamedDependency[Current]
    ) -> Response:
        form = Form(await request.form())
        confirmation = forms.confirmation_from(form)
        try:
            form.check()
            await services.disable_totp(
                request.app.state.settings, current.user_id, confirmation.password
            )
        except FormErrors as error:
            return form_page(
                request,
                "accounts/security.html",
                await _security_context(current),
                {"disable_password": error.errors["password"]},
            )
        return redirect(
            request,
            url_for(request, "accounts.security"),
            flash="Two-factor authentication is off.",
            level="warning",
        )

    @post("/two-factor/backup-codes", name="accounts.two_factor.backup_codes")
    async def new_backup_codes(
        self, request: Request, current: NamedDependency[Current]
    ) -> Response:
        form = Form(await request.form())
        confirmation = forms.confirmation_from(form)
        try:
            form.check()
            codes = await services.regenerate_backup_codes(current.user_id, confirmation.password)
        except FormErrors as error:
            return form_page(
                request,
                "accounts/security.html",
                await _security_context(current),
                {"codes_password": error.errors["password"]},
            )
        return page(request, "accounts/backup_codes.html", {"codes": codes, "first_time": False})

    @get("/sessions", name="accounts.sessions")
    async def sessions(self, request: Request, current: NamedDependency[Current]) -> Response:
        return page(
            request,
            "accounts/sessions.html",
            await _sessions_context(request, current),
            fragment="sessions",
        )

    @post("/sessions/{session_id:int}/end", name="accounts.sessions.end")
    async def end_session(
        self, request: Request, current: NamedDependency[Current], session_id: FromPath[int]
    ) -> Response:
        await services.end_other_session(request.app.state.settings, current, session_id)
        return await fragment_or_redirect(
            request,
            "accounts/sessions.html",
            "sessions",
            lambda: _sessions_context(request, current),
            url=url_for(request, "accounts.sessions"),
            flash="The session was ended.",
        )

    @post("/sessions/end-others", name="accounts.sessions.end_others")
    async def end_other_sessions(
        self, request: Request, current: NamedDependency[Current]
    ) -> Response:
        count = await queries.end_sessions_of(
            current.user_id, datetime.now(UTC), keep=current.session_id
        )
        return redirect(
            request,
            url_for(request, "accounts.sessions"),
            flash=f"{count} other session{'s' if count != 1 else ''} ended.",
        )

    @post("/tokens", name="accounts.tokens.create")
    async def create_token(self, request: Request, current: NamedDependency[Current]) -> Response:
        form = Form(await request.form())
        entered = forms.new_token_from(form, with_code=current.totp_enabled)
        token_request = entered.request
        try:
            form.check()
            token = await services.create_api_token(
                current.user_id,
                token_request,
                {organisation_id for organisation_id, _ in current.organisations},
                confirmed_by=(entered.confirmation.password, entered.confirmation.code),
            )
        except FormErrors as error:
            errors = {forms.TOKEN_FIELDS.get(k, k): v for k, v in error.errors.items()}
            context = await _security_context(current)
            return form_page(
                request, "accounts/security.html", {**context, "token_form": form.data}, errors
            )
        organisation = dict(current.organisations)[token_request.organisation_id]
        return page(
            request,
            "accounts/token_created.html",
            {"token": token, "name": token_request.name, "organisation": organisation},
        )

    @post("/tokens/{token_id:int}/revoke", name="accounts.tokens.revoke")
    async def revoke_token(
        self, request: Request, current: NamedDependency[Current], token_id: FromPath[int]
    ) -> Response:
        await services.revoke_api_token(current.user_id, token_id)
        return redirect(
            request,
            url_for(request, "accounts.security"),
            flash="The token is revoked: it no longer works.",
            level="info",
        )


async def _security_context(current: Current) -> dict:
    now = datetime.now(UTC)
    return {
        "backup_codes_left": await queries.unused_backup_codes(current.user_id),
        "tokens": [
            {
                **token,
                "alive": token["revoked_at"] is None
                and (token["expires_at"] is None or token["expires_at"] > now),
            }
            for token in await queries.api_tokens_of(current.user_id)
        ],
        "api_areas": list(ApiArea),
        "api_levels": {"": "No access", ApiLevel.READ: "Read", ApiLevel.WRITE: "Read and write"},
        "token_expiries": rules.API_TOKEN_EXPIRY_LABELS,
        "token_form": {},
    }


def _setup_context(current: Current, secret: str) -> dict:
    import segno

    uri = rules.totp_uri(secret, current.email)
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, dark="#1f2937")
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return {"secret": spaced, "qr_svg": qr_svg, "uri": uri}


async def _sessions_context(request: Request, current: Current) -> dict:
    settings = request.app.state.settings
    sessions = await queries.live_sessions_of(
        current.user_id,
        settings.session_idle,
        settings.session_absolute,
        position_of(request.query_params),
    )
    devices = [
        {**session, "device": rules.device_label(session["user_agent"])} for session in sessions
    ]
    return {"sessions": replace(sessions, rows=devices)}


ROUTES = [LoginController, PasswordResetController, SecurityController]
