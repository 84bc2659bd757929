"""Pages of delegation. Partner side under /clients, client side under
/organisation/partners, and the landing page of a partner's emailed invitation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import Action, client_scope, may, require
from portal.audit.services import AuditFilter, events_of, with_sentences
from portal.clients import forms, queries, requests, rules, services
from portal.clients.forms import (
    ending_form_values,
    ending_from,
    grant_form_values,
    grant_from,
)
from portal.clients.link_pages import (
    ENDED_PREFIX,
    ENDING_SOON,
    ended_context,
    lifetime_context,
)
from portal.clients.rules import Access, LinkStatus, Side
from portal.core.current import Current
from portal.errors import Conflict, FormErrors, NotFound
from portal.forms import (
    PRODUCT_SEARCH,
    Form,
    has_control_characters,
    product_search,
    search_text,
)
from portal.organisations import queries as organisation_queries
from portal.paging import FIRST, NO_ROWS, Page, Position, position_of
from portal.products import queries as product_queries
from portal.products.rules import FAMILIES
from portal.web import form_page, fragment_or_redirect, page, redirect, url_for

Me = NamedDependency[Current]
LinkId = FromPath[int]


def _base(current: Current) -> dict:
    return {
        "families": FAMILIES,
        "describe": rules.describe,
        "grant_of": queries.grant_of,
        "requested_grant_of": queries.requested_grant_of,
    }


# --- partner side ----------------------------------------------------------------------------


class ClientsController(Controller):
    path = "/clients"

    @get("", name="clients.index")
    async def index(self, request: Request, current: Me) -> Response:
        return page(
            request,
            "clients/index.html",
            await clients_context(request, current),
            fragment="client_list",
        )

    @post("/invite", name="clients.invite")
    async def invite(self, request: Request, current: Me) -> Response:
        data = await request.form()
        form = Form(data)
        invitation = forms.client_invitation_from(form)
        email, grant = invitation.email, invitation.grant
        try:
            form.check()
            if invitation.template_id is not None:
                grant = await requests.template_grant(current, invitation.template_id)
            await services.invite_client(
                request.app.state.settings,
                current,
                email,
                grant,
                invitation.message,
                invitation.requested_days,
            )
        except FormErrors as error:
            context = await clients_context(request, current)
            return form_page(
                request,
                "clients/index.html",
                {**context, "form": {**dict(data), **grant_form_values(grant)}},
                error.errors,
            )
        return redirect(
            request, url_for(request, "clients.index"), flash=f"Your request was sent to {email}."
        )

    @get("/{link_id:int}", name="clients.show")
    async def show(self, request: Request, current: Me, link_id: LinkId) -> Response:
        return page(
            request,
            "clients/show.html",
            await client_context(request, current, link_id),
            fragment="products",
        )

    @post("/{link_id:int}/accept", name="clients.accept")
    async def accept(self, request: Request, current: Me, link_id: LinkId) -> Response:
        try:
            await services.answer_request(request.app.state.settings, current, link_id, True)
        except (FormErrors, Conflict) as error:
            return _problem(request, url_for(request, "clients.show", link_id=link_id), error)
        return redirect(
            request,
            url_for(request, "clients.show", link_id=link_id),
            flash="You are now this client's partner.",
        )

    @post("/{link_id:int}/refuse", name="clients.refuse")
    async def refuse(self, request: Request, current: Me, link_id: LinkId) -> Response:
        await services.answer_request(request.app.state.settings, current, link_id, False)
        return redirect(
            request,
            url_for(request, "clients.index"),
            flash="The request was refused.",
            level="info",
        )

    @post("/{link_id:int}/withdraw", name="clients.withdraw")
    async def withdraw(self, request: Request, current: Me, link_id: LinkId) -> Response:
        await services.withdraw_request(current, link_id)
        return redirect(
            request,
            url_for(request, "clients.index"),
            flash="Your request was withdrawn.",
            level="info",
        )

    @post("/{link_id:int}/stop", name="clients.stop")
    async def stop(self, request: Request, current: Me, link_id: LinkId) -> Response:
        return await _stop(request, current, link_id, url_for(request, "clients.index"))

    @post("/{link_id:int}/collaborators", name="clients.collaborators")
    async def collaborators(self, request: Request, current: Me, link_id: LinkId) -> Response:
        await services.load_link(current, link_id, Action.ASSIGN_COLLABORATORS)  # 404 first
        form = Form(await request.form())
        people, teams = forms.collaborators_from(form)
        form.check()
        partner_id = current.organisation.id if current.organisation else 0
        members = {m["id"] for m in await organisation_queries.member_choices(partner_id)}
        own_teams = {t["id"] for t in await organisation_queries.team_choices(partner_id)}
        await services.assign_collaborators(current, link_id, people, teams, members, own_teams)
        return redirect(
            request, url_for(request, "clients.show", link_id=link_id), flash="Collaborators saved."
        )

    @post("/{link_id:int}/people/invite", name="clients.people.invite")
    async def invite_user(self, request: Request, current: Me, link_id: LinkId) -> Response:
        form = Form(await request.form())
        email = form.email()
        try:
            form.check()
            await services.invite_client_user(request.app.state.settings, current, link_id, email)
        except FormErrors as error:
            context = await client_context(request, current, link_id)
            return form_page(request, "clients/show.html", context, error.errors)
        return redirect(
            request,
            url_for(request, "clients.show", link_id=link_id),
            flash=f"{email} is invited into the client's organisation.",
        )

    @post("/{link_id:int}/products/{product_id:int}/rename", name="clients.products.rename")
    async def rename_product(
        self, request: Request, current: Me, link_id: LinkId, product_id: FromPath[int]
    ) -> Response:
        form = Form(await request.form())
        name = form.name("name")
        try:
            form.check()
            await services.rename_client_product(current, link_id, product_id, name)
        except FormErrors as error:
            context = await client_context(request, current, link_id)
            return form_page(
                request,
                "clients/show.html",
                context,
                {f"product-{product_id}": " ".join(error.errors.values())},
                fragment="products",
            )
        return await fragment_or_redirect(
            request,
            "clients/show.html",
            "products",
            lambda: client_context(request, current, link_id),
            url=url_for(request, "clients.show", link_id=link_id),
            flash="The product is renamed.",
        )


def _ended_position(request: Request) -> Position:
    """Where the page's second list, the ended collaborations, starts (its own parameters)."""
    return position_of(request.query_params, prefix=ENDED_PREFIX)


def _clients_filters(request: Request) -> dict:
    params = request.query_params
    access = params.get("access", "")
    return {
        "access": access if access in set(Access) else "",
        "search": (params.get("search") or "")[:100],
    }


async def clients_context(request: Request, current: Current) -> dict:
    partner = current.organisation_resource()
    require(current.actor, Action.VIEW_ORGANISATION, partner)
    filters = _clients_filters(request)
    scope = client_scope(current.actor)  # collaborators see only the clients given to them
    clients = await queries.clients_of_partner(
        partner.organisation_id,
        position_of(request.query_params),
        scope=scope,
        access=filters["access"],
        search=filters["search"],
    )
    query = urlencode({k: filters[k] for k in ("access", "search") if filters[k]})
    ended = await ended_context(
        "partner", partner.organisation_id, _ended_position(request), scope.every_client
    )
    can_invite = may(current.actor, Action.INVITE_CLIENT, partner)
    return {
        **_base(current),
        "now": datetime.now(UTC),
        "ending_soon_before": datetime.now(UTC) + ENDING_SOON,
        "elevations": await queries.running_elevations_of(partner.organisation_id),
        **ended,
        "templates": await queries.templates_of(partner.organisation_id) if can_invite else [],
        "extension_choices": rules.EXTENSION_CHOICES,
        "transfer_code": "",
        "clients": clients,
        "filters": filters,
        "query": query,
        "pending": await queries.pending_for_partner(partner.organisation_id)
        if scope.every_client
        else [],
        "can_invite": can_invite,
        "in_programme": current.actor.in_programme,
        "form": grant_form_values(None),
    }


async def client_context(request: Request, current: Current, link_id: int) -> dict:
    link = await services.load_link(current, link_id, Action.VIEW_LINK)
    if link["partner"] != current.organisation.id:  # the client's page is under /organisation
        raise NotFound()
    resource = services.link_resource(link)
    products = NO_ROWS
    if link["status"] == LinkStatus.ACTIVE and may(current.actor, Action.ACT_FOR_CLIENT, resource):
        products = await queries.delegated_products(link, position_of(request.query_params))
    can_assign = may(current.actor, Action.ASSIGN_COLLABORATORS, resource)
    partner_id = link["partner"]
    return {
        **_base(current),
        **await lifetime_context(current, link),
        "link": link,
        "products": products,
        "grant": queries.grant_of(link) if link["status"] == LinkStatus.ACTIVE else None,
        "requested": queries.requested_grant_of(link),
        "can_decide": link["status"] == LinkStatus.AWAITING_PARTNER
        and may(current.actor, Action.DECIDE_AS_PARTNER, resource),
        "can_withdraw": link["status"] == LinkStatus.AWAITING_CLIENT
        and may(current.actor, Action.WITHDRAW_REQUEST, resource),
        "can_stop": link["status"] == LinkStatus.ACTIVE
        and may(current.actor, Action.STOP_LINK, resource),
        "can_assign": can_assign,
        "members": await organisation_queries.member_choices(partner_id) if can_assign else [],
        "teams": await organisation_queries.team_choices(partner_id) if can_assign else [],
        "events": await _link_events(request, current, link),
        "catalogue": await product_queries.catalogue(link["client_currency"] or "CHF"),
        "can_invite_people": link["status"] == LinkStatus.ACTIVE
        and may(current.actor, Action.INVITE_CLIENT_USER, resource),
        "people": await queries.client_people(link["client"])
        if link["status"] == LinkStatus.ACTIVE
        and may(current.actor, Action.ACT_FOR_CLIENT, resource)
        else None,
    }


async def _link_events(request: Request, current: Current, link: dict) -> list[dict]:
    """The entries of the actor's own log that concern this link's other side, as sentences."""
    if not may(current.actor, Action.VIEW_AUDIT, current.organisation_resource()):
        return []
    other = (
        link["client_name"] if current.organisation.id == link["partner"] else link["partner_name"]
    )
    if not other:
        return []
    events = await events_of(current.organisation.id, AuditFilter(subject=other), size=20)
    return await with_sentences(events.rows, request.app.state.audit_sentences)


def _problem(request: Request, back: str, error: Exception) -> Response:
    message = " ".join(error.errors.values()) if isinstance(error, FormErrors) else error.detail
    return redirect(request, back, flash=message, level="error")


async def _stop(request: Request, current: Current, link_id: int, back: str) -> Response:
    form = Form(await request.form())
    password = form.password("password")
    try:
        form.check()
        link = await services.stop_link(request.app.state.settings, current, link_id, password)
    except FormErrors as error:
        return redirect(
            request,
            f"{back}/{link_id}?stop=1",
            flash=error.errors.get("password", "Enter your password."),
            level="error",
        )
    other = (
        link["client_name"] if current.organisation.id == link["partner"] else link["partner_name"]
    )
    return redirect(request, back, flash=f"The collaboration with {other} has ended.", level="info")


# --- client side -----------------------------------------------------------------------------


class PartnersController(Controller):
    """The client's view: its partners, adding one, changing or stopping access."""

    path = "/organisation/partners"

    @get("", name="clients.partners")
    async def index(self, request: Request, current: Me) -> Response:
        text, ticked = product_search(request.query_params)
        context = await _partners_context(
            request,
            current,
            position_of(request.query_params),
            chosen=ticked or (),
            products_text=text,
        )
        return page(request, "clients/partners.html", context)

    @get("/search", name="clients.partners.search")
    async def search(self, request: Request, current: Me) -> Response:
        text = (request.query_params.get("q") or "").strip()[:100]
        return page(
            request,
            "clients/partners.html",
            {**await _partners_context(request, current), **await _found_partners(current, text)},
            fragment="search_results",
        )

    @post("/search", name="clients.partners.search.submit")
    async def search_submitted(self, request: Request, current: Me) -> Response:
        """The search without JavaScript: the request form posts here and comes back whole
        with the matches, what was chosen kept. (As a GET it sent the form's CSRF token in
        the URL.)"""
        form = Form(await request.form())
        text = form.text("q", max_length=100, label="The search")
        chosen = {
            "q": text,
            "message": form.text("message", max_length=1000, multiline=True),
            **grant_form_values(grant_from(form)),
        }
        context = await _partners_context(
            request,
            current,
            chosen=chosen["products"],
            products_text=form.data.get(PRODUCT_SEARCH, ""),
        )
        if "q" in form.errors:  # the request's own fields are checked when it is sent
            return form_page(
                request, "clients/partners.html", {**context, "form": chosen}, form.errors
            )
        found = await _found_partners(current, text)
        return page(request, "clients/partners.html", {**context, **found, "form": chosen})

    @post("/add", name="clients.partners.add")
    async def add(self, request: Request, current: Me) -> Response:
        data = await request.form()
        form = Form(data)
        entered = forms.partner_request_from(form)
        grant = entered.grant
        try:
            form.check()
            await services.request_partner(
                request.app.state.settings,
                current,
                entered.partner_id,
                grant,
                entered.message,
                entered.ending,
            )
        except FormErrors as error:
            context = await _partners_context(
                request, current, chosen=grant_form_values(grant)["products"]
            )
            return form_page(
                request,
                "clients/partners.html",
                {**context, "form": {**dict(data), **grant_form_values(grant)}},
                error.errors,
            )
        return redirect(
            request,
            url_for(request, "clients.partners"),
            flash="Your request was sent; the partner will accept or refuse it.",
        )

    @get("/{link_id:int}", name="clients.partner")
    async def show(self, request: Request, current: Me, link_id: LinkId) -> Response:
        text, ticked = product_search(request.query_params)
        context = await partner_context(
            request,
            current,
            link_id,
            position_of(request.query_params),
            chosen=ticked,
            products_text=text,
        )
        return page(request, "clients/partner.html", context)

    @post("/{link_id:int}/change", name="clients.partner.change")
    async def change(self, request: Request, current: Me, link_id: LinkId) -> Response:
        form = Form(await request.form())
        change = forms.grant_change_from(form)
        grant = change.grant
        try:
            form.check()
            await services.change_grant(
                request.app.state.settings, current, link_id, grant, change.answering
            )
        except (FormErrors, Conflict) as error:
            context = await partner_context(
                request, current, link_id, chosen=grant_form_values(grant)["products"]
            )
            found = error.errors if isinstance(error, FormErrors) else {"access": error.detail}
            return form_page(
                request,
                "clients/partner.html",
                {**context, "form": grant_form_values(grant)},
                found,
            )
        return redirect(
            request,
            url_for(request, "clients.partner", link_id=link_id),
            flash="The access is changed; the partner was told.",
        )

    @post(
        "/{link_id:int}/products/{product_id:int}/withdraw",
        name="clients.partner.withdraw_product",
    )
    async def withdraw_product(
        self, request: Request, current: Me, link_id: LinkId, product_id: FromPath[int]
    ) -> Response:
        try:
            await services.withdraw_product(
                request.app.state.settings, current, link_id, product_id
            )
        except FormErrors as error:
            return _problem(request, url_for(request, "clients.partner", link_id=link_id), error)
        return redirect(
            request,
            url_for(request, "clients.partner", link_id=link_id),
            flash="The product is withdrawn from the partner.",
        )

    @post("/{link_id:int}/withdraw", name="clients.partner.withdraw_request")
    async def withdraw_request(self, request: Request, current: Me, link_id: LinkId) -> Response:
        await services.withdraw_request(current, link_id)
        return redirect(
            request,
            url_for(request, "clients.partners"),
            flash="Your request was withdrawn.",
            level="info",
        )

    @post("/{link_id:int}/stop", name="clients.partner.stop")
    async def stop(self, request: Request, current: Me, link_id: LinkId) -> Response:
        return await _stop(request, current, link_id, url_for(request, "clients.partners"))


async def _partners_context(
    request: Request,
    current: Current,
    position: Position = FIRST,
    *,
    chosen: Iterable[int] = (),
    products_text: str = "",
) -> dict:
    client = current.organisation_resource()
    require(current.actor, Action.VIEW_ORGANISATION, client)
    can_manage = may(current.actor, Action.ADD_PARTNER, client)
    await services.expire_overdue_for(client.organisation_id)
    sees_links = may(current.actor, Action.VIEW_AUDIT, client)  # managers: as VIEW_LINK asks
    ended = await ended_context(
        "client", client.organisation_id, _ended_position(request), sees_links
    )
    return {
        **_base(current),
        **await inbox_context(current),
        "now": datetime.now(UTC),
        "ending_soon_before": datetime.now(UTC) + ENDING_SOON,
        "elevations": await queries.running_elevations_of(client.organisation_id),
        **ended,
        "links": await _visible_links(current, client.organisation_id, position),
        "products": await _product_choices(client.organisation_id, chosen, products_text),
        "can_manage": can_manage,
        "found": [],
        "q": "",
        "form": {**grant_form_values(None), "products": sorted(chosen)},
    }


async def _found_partners(current: Current, text: str) -> dict:
    """The partners matching TEXT (2 characters at least; control characters match none)."""
    client = current.organisation_resource()
    searchable = len(text) >= 2 and not has_control_characters(text)
    found = await queries.find_partners(text, client.organisation_id) if searchable else []
    return {"found": found, "q": text}


async def _visible_links(current: Current, client_id: int, position: Position) -> Page:
    """The client's plain users and team guests may not view its links (a decision that is
    the same for every link of the page: all are shown, or none)."""
    links = await queries.links_of_client(client_id, position)
    visible = all(
        may(current.actor, Action.VIEW_LINK, services.link_resource(link)) for link in links
    )
    return links if visible else NO_ROWS


async def _product_choices(client_id: int, chosen: Iterable[int], text: str):
    """The products the grant form offers; TEXT (typed in the form) narrows them by name."""
    return await queries.client_product_choices(client_id, chosen, search_text(text))


async def partner_context(
    request: Request,
    current: Current,
    link_id: int,
    position: Position = FIRST,
    *,
    chosen: Iterable[int] | None = None,
    products_text: str = "",
) -> dict:
    link = await services.load_link(current, link_id, Action.VIEW_LINK)
    if link["client"] != current.organisation.id:
        raise NotFound()
    resource = services.link_resource(link)
    grant = queries.grant_of(link) if link["status"] == LinkStatus.ACTIVE else None
    delegated = await queries.delegated_products(link, position) if grant else NO_ROWS
    invitation = (
        link["status"] == LinkStatus.AWAITING_CLIENT and link["initiated_by"] == Side.PARTNER
    )
    lifetime = await lifetime_context(current, link)
    form = grant_form_values(grant or queries.requested_grant_of(link))
    if invitation:  # the partner's asked-for duration suggests the end date
        form |= ending_form_values(rules.NO_END, link["requested_days"], datetime.now(UTC))
    answering = _change_request_answered(request, lifetime)
    if answering is not None:
        form = grant_form_values(queries.requested_grant_of(answering))
    if chosen is None:
        chosen = form["products"]
    form["products"] = sorted(chosen)
    return {
        **_base(current),
        **lifetime,
        "answering": answering,
        "link": link,
        "grant": grant,
        "requested": queries.requested_grant_of(link),
        "delegated": delegated,
        "products": await _product_choices(link["client"], chosen, products_text),
        "form": form,
        "can_answer_invitation": invitation
        and may(current.actor, Action.DECIDE_AS_CLIENT, resource),
        "found": [],
        "q": "",
        "transfer_form": {"keep_grant": "yes"},
        "can_change": link["status"] == LinkStatus.ACTIVE
        and may(current.actor, Action.CHANGE_LINK, resource),
        "can_stop": link["status"] == LinkStatus.ACTIVE
        and may(current.actor, Action.STOP_LINK, resource),
        "can_withdraw": link["status"] == LinkStatus.AWAITING_PARTNER
        and may(current.actor, Action.WITHDRAW_REQUEST, resource),
        "events": await _link_events(request, current, link),
    }


def _change_request_answered(request: Request, lifetime: dict) -> dict | None:
    """The partner's request for other access the client reviews (?answer=ID): the change
    form shows what was asked."""
    raw = request.query_params.get("answer") or ""
    if not lifetime["can_change"] or not forms.is_id(raw):
        return None
    return next(
        (r for r in lifetime["pending_requests"] if r["id"] == int(raw) and r["kind"] == "change"),
        None,
    )


async def inbox_context(current: Current) -> dict:
    """What partners ask of the client and waits for its answer, and its open transfer codes:
    shown to the client's managers (its legal representatives decide)."""
    client = current.organisation_resource()
    if not may(current.actor, Action.VIEW_AUDIT, client):  # the managers: as VIEW_LINK asks
        return {"inbox": [], "open_transfers": []}
    now = datetime.now(UTC)
    await services.expire_overdue_for(client.organisation_id)
    return {
        "describe": rules.describe,
        "requested_grant_of": queries.requested_grant_of,
        "inbox": await queries.inbox_of_client(client.organisation_id, now),
        "open_transfers": await queries.open_transfers_of_client(client.organisation_id, now),
        "request_names": requests.REQUEST_NAMES,
        "hours_text": requests.hours_text,
    }


# --- the partner's emailed invitation ------------------------------------------------------


class InvitationController(Controller):
    path = "/links/invitations/{token:str}"

    @get("", name="clients.invitation")
    async def show(self, request: Request, current: Me, token: FromPath[str]) -> Response:
        await services.deliver_invitation(current, token)  # it waits in this client's inbox
        text, ticked = product_search(request.query_params)
        context = await _invitation_context(current, token, chosen=ticked, products_text=text)
        return page(request, "clients/invitation.html", context)

    @post("/grant", name="clients.invitation.grant")
    async def grant(self, request: Request, current: Me, token: FromPath[str]) -> Response:
        form = Form(await request.form())
        grant = grant_from(form)
        ending = ending_from(form)
        try:
            form.check()
            link_id = await services.grant_invitation(
                request.app.state.settings, current, token, grant, ending
            )
        except FormErrors as error:
            context = await _invitation_context(
                current, token, chosen=grant_form_values(grant)["products"]
            )
            chosen = grant_form_values(grant) | ending_form_values(ending)
            return form_page(
                request, "clients/invitation.html", {**context, "form": chosen}, error.errors
            )
        return redirect(
            request,
            url_for(request, "clients.partner", link_id=link_id),
            flash="The partner now manages what you granted.",
        )

    @post("/decline", name="clients.invitation.decline")
    async def decline(self, request: Request, current: Me, token: FromPath[str]) -> Response:
        await services.decline_invitation(current, token)
        return redirect(
            request,
            url_for(request, "clients.partners"),
            flash="You declined the request.",
            level="info",
        )


async def _invitation_context(
    current: Current, token: str, *, chosen: Iterable[int] | None = None, products_text: str = ""
) -> dict:
    invitation = await services.open_invitation(token)
    client = current.organisation_resource()
    requested = queries.requested_grant_of(invitation)
    form = grant_form_values(requested)
    if chosen is None:
        chosen = form["products"]
    form["products"] = sorted(chosen)
    return {
        **_base(current),
        "invitation": invitation,
        "token": token,
        "requested": requested,
        "products": await _product_choices(client.organisation_id, chosen, products_text),
        "form": form
        | ending_form_values(rules.NO_END, invitation["requested_days"], datetime.now(UTC)),
        "can_decide": may(current.actor, Action.ADD_PARTNER, client)
        and invitation["partner"] != client.organisation_id,
    }


ROUTES = [ClientsController, PartnersController, InvitationController]
