"""Pages of the tender marketplace. Public: posting (/tenders/new), the emailed confirmation
and the visitor's private link (/tenders/manage/…). A logged-in client's tenders under
/tenders/mine; a partner's inbox, tender pages and settings under /partner/tenders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import Action, may
from portal.core import reference
from portal.core.current import Current
from portal.core.enums import PartnerStatus
from portal.core.reference import countries
from portal.errors import FormErrors, TooManyAttempts
from portal.formatting import money
from portal.forms import Form
from portal.paging import position_of
from portal.tenders import notifications, rules, services
from portal.tenders.forms import (
    quote_form_values,
    quote_from,
    seen_version_from,
    settings_from,
    tender_form_values,
    tender_from,
)
from portal.tenders.rules import DEADLINE_ZONE, TenderStatus
from portal.web import PUBLIC, client_of, form_page, page, redirect, url_for

Me = NamedDependency[Current]
MaybeMe = NamedDependency[Current | None]
TenderId = FromPath[int]
QuoteId = FromPath[int]
Token = FromPath[str]

CHOICES = {
    "categories": rules.CATEGORIES,
    "languages": reference.LANGUAGES,
    "currencies": reference.CURRENCIES,
    "cantons": reference.CANTONS,
    "status_labels": rules.TENDER_STATUS_LABELS,
    "quote_labels": rules.QUOTE_STATUS_LABELS,
    "location": rules.location,
    "deadline_day": rules.deadline_day,
}


def _today():
    return datetime.now(DEADLINE_ZONE).date()


def _posts_as_client(current: Current | None) -> bool:
    """A logged-in person acting in an organisation posts in its name, without confirming."""
    return (
        current is not None
        and current.organisation is not None
        and may(current.actor, Action.POST_TENDER, current.organisation_resource())
    )


def _new_context(current: Current | None, form: dict | None = None) -> dict:
    return {
        **CHOICES,
        "countries": countries(),
        "as_client": _posts_as_client(current),
        "form": form or {"currency": _currency(current), "country": _country(current)},
        "earliest": _today() + rules.SHORTEST_NOTICE,
        "latest": _today() + rules.LONGEST_NOTICE,
    }


def _currency(current: Current | None) -> str:
    return current.organisation.currency if current and current.organisation else "CHF"


def _country(current: Current | None) -> str:
    return current.organisation.country if current and current.organisation else "CH"


class PostingController(Controller):
    path = "/tenders"

    @get("/new", name="tenders.new", opt=PUBLIC)
    async def new(self, request: Request, current_or_none: MaybeMe) -> Response:
        return page(request, "tenders/new.html", _new_context(current_or_none))

    @post("/new", name="tenders.create", opt=PUBLIC)
    async def create(self, request: Request, current_or_none: MaybeMe) -> Response:
        current = current_or_none
        settings = request.app.state.settings
        data = await request.form()
        as_client = _posts_as_client(current)
        entered, errors = tender_from(data, _today(), visitor=not as_client)
        context = _new_context(current, tender_form_values(data))
        ip = client_of(request).ip_address
        try:
            if errors:
                raise FormErrors(errors)
            if as_client:
                posted = await services.post_as_client(settings, current, entered, ip)
            else:
                posted = await services.post_as_visitor(settings, entered, ip)
        except FormErrors as error:
            return form_page(request, "tenders/new.html", context, error.errors)
        except TooManyAttempts as error:
            response = page(
                request, "tenders/new.html", {**context, "refusal": error.detail}, status=429
            )
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        if posted.opened:
            return redirect(
                request,
                url_for(request, "tenders.mine.show", tender_id=posted.tender_id),
                flash=f"Your tender is published and was sent to "
                f"{notifications.partners_count(posted.recipients)}.",
            )
        return redirect(request, url_for(request, "tenders.sent"))

    @get("/sent", name="tenders.sent", opt=PUBLIC)
    async def sent(self, request: Request) -> Response:
        return page(request, "tenders/sent.html")

    @get("/confirm/{token:str}", name="tenders.confirm", opt=PUBLIC)
    async def confirmation(self, request: Request, token: Token) -> Response:
        """A page with a button: mail scanners that open links must not publish the tender."""
        tender = await services.tender_to_confirm(token)
        now = datetime.now(UTC)
        expired = now >= tender["deadline"] or rules.is_purgeable(
            TenderStatus(tender["status"]), tender["created_at"], now
        )
        return page(
            request,
            "tenders/confirm.html",
            {"token": token, "tender": tender, "expired": expired},
        )

    @post("/confirm/{token:str}", name="tenders.confirm.submit", opt=PUBLIC)
    async def confirm(self, request: Request, token: Token) -> Response:
        try:
            confirmation = await services.confirm(request.app.state.settings, token)
        except rules.TenderClosed as closed:  # confirmed already, or past its deadline
            return redirect(
                request,
                url_for(request, "tenders.confirm", token=token),
                flash=closed.detail,
                level="info",
            )
        return redirect(
            request,
            url_for(request, "tenders.manage", token=confirmation.manage_token),
            flash="Your tender is published. We mailed you this page's private link: "
            "keep it to follow the quotes.",
        )


# --- the author: a visitor through the private link, or a logged-in client -------------------


async def _author_page(
    request: Request,
    author: services.Author,
    tender_id: int | None,
    *,
    refusal: str | None = None,
    status: int = 200,
):
    settings = request.app.state.settings
    view = await services.author_view(
        settings, author, tender_id, position_of(request.query_params)
    )
    return page(
        request,
        "tenders/author.html",
        {
            **CHOICES,
            "view": view,
            "tender": view.tender,
            "urls": _author_urls(request, author, tender_id),
            "decidable": view.status is TenderStatus.OPEN,
            "refusal": refusal,
            "quote_version": rules.quote_version,
        },
        fragment="quotes",
        status=status,
    )


class PrivateLinkController(Controller):
    path = "/tenders/manage/{token:str}"

    @get("", name="tenders.manage", opt=PUBLIC)
    async def show(self, request: Request, token: Token) -> Response:
        return await _author_page(request, services.Author(token=token), None)

    @post("/quotes/{quote_id:int}/accept", name="tenders.manage.accept", opt=PUBLIC)
    async def accept(self, request: Request, token: Token, quote_id: QuoteId) -> Response:
        return await _accept(request, services.Author(token=token), None, quote_id)

    @post("/withdraw", name="tenders.manage.withdraw", opt=PUBLIC)
    async def withdraw(self, request: Request, token: Token) -> Response:
        return await _withdraw(request, services.Author(token=token), None)


async def _accept(request: Request, author: services.Author, tender_id, quote_id: int):
    settings = request.app.state.settings
    back = _back(request, author, tender_id)
    form = Form(await request.form())
    seen_version = seen_version_from(form)
    form.check()
    try:
        chosen = await services.accept_quote(settings, author, tender_id, quote_id, seen_version)
    except rules.QuoteChanged as changed:  # the page again, showing the quote as it is now
        return await _author_page(request, author, tender_id, refusal=changed.detail, status=409)
    except rules.TenderClosed as closed:
        return redirect(request, back, flash=closed.detail, level="error")
    return redirect(
        request,
        back,
        flash=f"You accepted the quote of {money(chosen['price'], chosen['currency'])}. "
        "The partner received your contact details; the others were told.",
    )


async def _withdraw(request: Request, author: services.Author, tender_id):
    settings = request.app.state.settings
    back = _back(request, author, tender_id)
    try:
        await services.withdraw_tender(settings, author, tender_id)
    except rules.TenderClosed as closed:
        return redirect(request, back, flash=closed.detail, level="error")
    return redirect(request, back, flash="Your tender is withdrawn.", level="info")


def _back(request: Request, author: services.Author, tender_id: int | None) -> str:
    return _author_urls(request, author, tender_id).page


@dataclass(frozen=True, slots=True)
class AuthorUrls:
    """Where the author's page and its forms are: under the private link, or the client's
    own list."""

    page: str
    withdraw: str
    accept: Callable[[int], str]  # a quote's id -> the address accepting it


def _author_urls(request: Request, author: services.Author, tender_id: int | None) -> AuthorUrls:
    if author.token is not None:
        token = author.token
        return AuthorUrls(
            url_for(request, "tenders.manage", token=token),
            url_for(request, "tenders.manage.withdraw", token=token),
            lambda quote_id: url_for(
                request, "tenders.manage.accept", token=token, quote_id=quote_id
            ),
        )
    return AuthorUrls(
        url_for(request, "tenders.mine.show", tender_id=tender_id),
        url_for(request, "tenders.mine.withdraw", tender_id=tender_id),
        lambda quote_id: url_for(
            request, "tenders.mine.accept", tender_id=tender_id, quote_id=quote_id
        ),
    )


class ClientTendersController(Controller):
    path = "/tenders/mine"

    @get("", name="tenders.mine")
    async def index(self, request: Request, current: Me) -> Response:
        tenders = await services.tenders_of_client(current, position_of(request.query_params))
        return page(
            request,
            "tenders/mine.html",
            {**CHOICES, "tenders": tenders},
            fragment="tender_list",
        )

    @get("/{tender_id:int}", name="tenders.mine.show")
    async def show(self, request: Request, current: Me, tender_id: TenderId) -> Response:
        return await _author_page(request, services.Author(current=current), tender_id)

    @post("/{tender_id:int}/quotes/{quote_id:int}/accept", name="tenders.mine.accept")
    async def accept(
        self, request: Request, current: Me, tender_id: TenderId, quote_id: QuoteId
    ) -> Response:
        return await _accept(request, services.Author(current=current), tender_id, quote_id)

    @post("/{tender_id:int}/withdraw", name="tenders.mine.withdraw")
    async def withdraw(self, request: Request, current: Me, tender_id: TenderId) -> Response:
        return await _withdraw(request, services.Author(current=current), tender_id)


# --- the partner -------------------------------------------------------------------------------


class PartnerTendersController(Controller):
    path = "/partner/tenders"

    @get("", name="tenders.inbox")
    async def index(self, request: Request, current: Me) -> Response:
        if not await services.takes_part_in_tenders(current):  # say why, not a bare 404
            return page(request, "tenders/inbox.html", _not_taking_part(current))
        inbox = await services.inbox(current, position_of(request.query_params))
        return page(
            request,
            "tenders/inbox.html",
            {**CHOICES, "inbox": inbox},
            fragment="inbox",
        )

    @get("/settings", name="tenders.settings")
    async def settings(self, request: Request, current: Me) -> Response:
        return page(request, "tenders/settings.html", await _settings_context(current))

    @post("/settings", name="tenders.settings.save")
    async def save_settings(self, request: Request, current: Me) -> Response:
        entered, errors = settings_from(await request.form())
        if errors:
            return form_page(
                request, "tenders/settings.html", await _settings_context(current), errors
            )
        await services.save_preferences(current, entered)
        return redirect(
            request, url_for(request, "tenders.settings"), flash="Your tender settings are saved."
        )

    @get("/{tender_id:int}", name="tenders.inbox.show")
    async def show(self, request: Request, current: Me, tender_id: TenderId) -> Response:
        return page(
            request,
            "tenders/partner_tender.html",
            await _tender_context(current, tender_id, opened=True),
        )

    @post("/{tender_id:int}/quote", name="tenders.quote")
    async def quote(self, request: Request, current: Me, tender_id: TenderId) -> Response:
        return await _save_quote(request, current, tender_id, services.submit_quote, "sent")

    @post("/{tender_id:int}/quote/amend", name="tenders.quote.amend")
    async def amend(self, request: Request, current: Me, tender_id: TenderId) -> Response:
        return await _save_quote(request, current, tender_id, services.amend_quote, "amended")

    @post("/{tender_id:int}/quote/withdraw", name="tenders.quote.withdraw")
    async def withdraw(self, request: Request, current: Me, tender_id: TenderId) -> Response:
        back = url_for(request, "tenders.inbox.show", tender_id=tender_id)
        try:
            await services.withdraw_quote(request.app.state.settings, current, tender_id)
        except rules.TenderClosed as closed:
            return redirect(request, back, flash=closed.detail, level="error")
        return redirect(request, back, flash="Your quote is withdrawn.", level="info")


def _not_taking_part(current: Current) -> dict:
    """The inbox of an organisation that is not an active partner: why, and what it may do."""
    assert current.organisation is not None  # takes_part_in_tenders answered 404 otherwise
    status = PartnerStatus(current.organisation.partner_status)
    return {
        **CHOICES,
        "inbox": None,
        "status_label": status.label,
        "may_prepare": may(
            current.actor, Action.VIEW_TENDER_SETTINGS, current.organisation_resource()
        ),
    }


async def _save_quote(request: Request, current: Current, tender_id: int, save, done: str):
    data = await request.form()
    entered, errors = quote_from(data)
    back = url_for(request, "tenders.inbox.show", tender_id=tender_id)
    try:
        if errors:
            raise FormErrors(errors)
        await save(request.app.state.settings, current, tender_id, entered)
    except FormErrors as error:
        context = await _tender_context(current, tender_id)
        return form_page(
            request,
            "tenders/partner_tender.html",
            {**context, "form": quote_form_values(data)},
            error.errors,
        )
    except rules.TenderClosed as closed:
        return redirect(request, back, flash=closed.detail, level="error")
    return redirect(request, back, flash=f"Your quote is {done}. The author was told.")


async def _tender_context(current: Current, tender_id: int, *, opened: bool = False) -> dict:
    view = await services.partner_view(current, tender_id, opened=opened)
    quote = view.quote
    form = (
        {k: str(quote[k]) for k in ("price", "currency", "timeline", "message")}
        if quote
        else {"currency": view.tender["currency"]}
    )
    return {**CHOICES, "view": view, "tender": view.tender, "form": form}


async def _settings_context(current: Current) -> dict:
    preferences = await services.preferences(current)
    country_names = countries()
    return {
        **CHOICES,
        "preferences": preferences,
        "rule": rules.matching_rule_in_words(preferences, country_names),
        "countries": country_names,
        "can_edit": may(
            current.actor, Action.MANAGE_TENDER_SETTINGS, current.organisation_resource()
        ),
    }


ROUTES = [
    PostingController,
    PrivateLinkController,
    ClientTendersController,
    PartnerTendersController,
]
