"""Pages and forms of a delegation's life beyond grant and stop: end dates and extensions,
temporary full access, requests on a link (one client or many at once), transfer codes, request
templates, and the answers to an invitation delivered to the client's inbox. Partner side under
/clients, client side under /organisation/partners."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import Action, require
from portal.clients import forms, queries, requests, rules, services, transfers
from portal.clients.forms import (
    ending_form_values,
    ending_from,
    grant_form_values,
    grant_from,
)
from portal.clients.routes import client_context, clients_context, partner_context
from portal.clients.rules import Access, Grant, RequestKind
from portal.core.current import Current
from portal.errors import Conflict, FormErrors
from portal.forms import Form, has_control_characters
from portal.web import form_page, page, redirect, url_for

Me = NamedDependency[Current]
LinkId = FromPath[int]
RequestId = FromPath[int]


def _now() -> datetime:
    return datetime.now(UTC)


def _problem(request: Request, back: str, error: Exception) -> Response:
    message = " ".join(error.errors.values()) if isinstance(error, FormErrors) else error.detail
    return redirect(request, back, flash=message, level="error")


# --- the client's side -------------------------------------------------------------------------


class ClientLifetimeController(Controller):
    path = "/organisation/partners/{link_id:int}"

    @post("/ending", name="clients.partner.ending")
    async def ending(self, request: Request, current: Me, link_id: LinkId) -> Response:
        form = Form(await request.form())
        ending = ending_from(form)
        back = url_for(request, "clients.partner", link_id=link_id)
        try:
            form.check()
            await services.set_ending(current, link_id, ending)
        except FormErrors as error:
            return await _partner_page_with_errors(request, current, link_id, error, ending=ending)
        except Conflict as error:
            return _problem(request, back, error)
        return redirect(request, back, flash="The end date is saved; the partner was told.")

    @post("/extend", name="clients.partner.extend")
    async def extend(self, request: Request, current: Me, link_id: LinkId) -> Response:
        form = Form(await request.form())
        days = form.integer("days")
        back = url_for(request, "clients.partner", link_id=link_id)
        try:
            form.check()
            await services.extend_link(current, link_id, days)
        except (FormErrors, Conflict) as error:
            return _problem(request, back, error)
        return redirect(request, back, flash=f"The collaboration is extended by {days} days.")

    @post("/requests/{request_id:int}/approve", name="clients.partner.requests.approve")
    async def approve(
        self, request: Request, current: Me, link_id: LinkId, request_id: RequestId
    ) -> Response:
        """Temporary full access (with the password, and the second factor when on) or a
        later end date. Other access is answered with the change form."""
        form = Form(await request.form())
        back = url_for(request, "clients.partner", link_id=link_id)
        link = await services.load_link(current, link_id, Action.CHANGE_LINK)
        asked = await queries.request_of_link(link_id, request_id)
        if asked is None:
            return _problem(request, back, Conflict("This request no longer exists."))
        try:
            if asked["kind"] == RequestKind.ELEVATION:
                confirmation = forms.confirmation_from(form)
                form.check()
                await requests.approve_elevation(
                    request.app.state.settings,
                    current,
                    link_id,
                    request_id,
                    confirmation.password,
                    confirmation.code,
                )
                flash = f"{link['partner_name']} has full access until it ends by itself."
            elif asked["kind"] == RequestKind.EXTENSION:
                await requests.approve_extension(current, link_id, request_id)
                flash = "The collaboration is extended; the partner was told."
            else:
                raise Conflict("Answer a request for other access with the access form.")
        except FormErrors as error:
            return await _partner_page_with_errors(request, current, link_id, error)
        except Conflict as error:
            return _problem(request, back, error)
        return redirect(request, back, flash=flash)

    @post("/requests/{request_id:int}/refuse", name="clients.partner.requests.refuse")
    async def refuse(
        self, request: Request, current: Me, link_id: LinkId, request_id: RequestId
    ) -> Response:
        back = url_for(request, "clients.partner", link_id=link_id)
        try:
            await requests.refuse_request(current, link_id, request_id)
        except Conflict as error:
            return _problem(request, back, error)
        return redirect(
            request, back, flash="The request is refused; the partner was told.", level="info"
        )

    @post("/elevation/end", name="clients.partner.elevation.end")
    async def end_elevation(self, request: Request, current: Me, link_id: LinkId) -> Response:
        back = url_for(request, "clients.partner", link_id=link_id)
        try:
            await requests.end_elevation_early(current, link_id)
        except Conflict as error:
            return _problem(request, back, error)
        return redirect(request, back, flash="The temporary full access has ended.", level="info")

    @post("/transfer", name="clients.partner.transfer.create")
    async def create_transfer(self, request: Request, current: Me, link_id: LinkId) -> Response:
        data = await request.form()
        form = Form(data)
        entered = forms.transfer_request_from(form)
        text, chosen, grant = entered.search, entered.partner_id, entered.grant
        found = []
        if chosen is None:
            searchable = len(text) >= 2 and not has_control_characters(text)
            found = await queries.find_partners(text, current.organisation.id) if searchable else []
            if len(found) == 1:
                chosen = found[0]["id"]
            else:
                form.add("partner", "Find the new partner, then choose it from the list.")
        try:
            form.check()
            made = await transfers.create_transfer(
                request.app.state.settings, current, link_id, chosen, grant
            )
        except FormErrors as error:
            extra = {"found": found, "q": text, "transfer_form": dict(data)}
            return await _partner_page_with_errors(request, current, link_id, error, extra=extra)
        except Conflict as error:
            return _problem(request, url_for(request, "clients.partner", link_id=link_id), error)
        context = await _transfer_made_context(current, link_id, made)
        return page(request, "clients/transfer_code.html", context)

    @post("/transfer/{transfer_id:int}/cancel", name="clients.partner.transfer.cancel")
    async def cancel_transfer(
        self, request: Request, current: Me, link_id: LinkId, transfer_id: FromPath[int]
    ) -> Response:
        back = url_for(request, "clients.partner", link_id=link_id)
        try:
            await transfers.cancel_transfer(current, link_id, transfer_id)
        except Conflict as error:
            return _problem(request, back, error)
        return redirect(request, back, flash="The transfer code is cancelled.", level="info")

    @post("/grant", name="clients.partner.invitation.grant")
    async def grant(self, request: Request, current: Me, link_id: LinkId) -> Response:
        """The answer to a partner's invitation waiting in the client's inbox."""
        form = Form(await request.form())
        grant = grant_from(form)
        ending = ending_from(form)
        try:
            form.check()
            await services.grant_delivered_invitation(
                request.app.state.settings, current, link_id, grant, ending
            )
        except FormErrors as error:
            return await _partner_page_with_errors(
                request, current, link_id, error, grant=grant, ending=ending
            )
        except Conflict as error:
            return _problem(request, url_for(request, "clients.partners"), error)
        return redirect(
            request,
            url_for(request, "clients.partner", link_id=link_id),
            flash="The partner now manages what you granted.",
        )

    @post("/decline", name="clients.partner.invitation.decline")
    async def decline(self, request: Request, current: Me, link_id: LinkId) -> Response:
        try:
            await services.decline_delivered_invitation(current, link_id)
        except Conflict as error:
            return _problem(request, url_for(request, "clients.partners"), error)
        return redirect(
            request,
            url_for(request, "clients.partners"),
            flash="You declined the request.",
            level="info",
        )


async def _partner_page_with_errors(
    request: Request,
    current: Current,
    link_id: int,
    error: FormErrors,
    *,
    grant: Grant | None = None,
    ending=None,
    extra: dict | None = None,
) -> Response:
    context = await partner_context(request, current, link_id)
    if grant is not None:
        context["form"] = grant_form_values(grant)
    if ending is not None:
        context["ending_form"] = ending_form_values(ending)
        context["form"] = {**context["form"], **context["ending_form"]}
    return form_page(request, "clients/partner.html", {**context, **(extra or {})}, error.errors)


async def _transfer_made_context(current: Current, link_id: int, made) -> dict:
    link = await services.load_link(current, link_id, Action.VIEW_LINK)
    return {
        "link": link,
        "code": made.code,
        "partner_name": made.partner_name,
        "valid_until": _now() + rules.TRANSFER_LIFETIME,
    }


# --- the partner's side ------------------------------------------------------------------------


class PartnerLifetimeController(Controller):
    path = "/clients"

    @post("/{link_id:int}/elevation", name="clients.elevation.request")
    async def ask_elevation(self, request: Request, current: Me, link_id: LinkId) -> Response:
        form = Form(await request.form())
        asked = forms.elevation_request_from(form)
        back = url_for(request, "clients.show", link_id=link_id)
        try:
            form.check()
            await requests.request_elevation(
                request.app.state.settings, current, link_id, asked.length, asked.reason
            )
        except FormErrors as error:
            return await _client_page_with_errors(request, current, link_id, error, form.data)
        except Conflict as error:
            return _problem(request, back, error)
        return redirect(
            request, back, flash="Your request was sent; the client approves or refuses it."
        )

    @post("/{link_id:int}/elevation/end", name="clients.elevation.end")
    async def end_elevation(self, request: Request, current: Me, link_id: LinkId) -> Response:
        back = url_for(request, "clients.show", link_id=link_id)
        try:
            await requests.end_elevation_early(current, link_id)
        except Conflict as error:
            return _problem(request, back, error)
        return redirect(request, back, flash="The temporary full access has ended.", level="info")

    @post("/{link_id:int}/extension", name="clients.extension.request")
    async def ask_extension(self, request: Request, current: Me, link_id: LinkId) -> Response:
        form = Form(await request.form())
        days = form.integer("days")
        back = url_for(request, "clients.show", link_id=link_id)
        try:
            form.check()
            await requests.request_extension(request.app.state.settings, current, link_id, days)
        except (FormErrors, Conflict) as error:
            return _problem(request, back, error)
        return redirect(request, back, flash="Your request was sent to the client.")

    @post("/{link_id:int}/change-request", name="clients.change.request")
    async def ask_change(self, request: Request, current: Me, link_id: LinkId) -> Response:
        form = Form(await request.form())
        wanted = forms.asked_grant_from(form)
        back = url_for(request, "clients.show", link_id=link_id)
        try:
            form.check()
            await requests.request_change(request.app.state.settings, current, link_id, wanted)
        except (FormErrors, Conflict) as error:
            return _problem(request, back, error)
        return redirect(request, back, flash="Your request was sent to the client.")

    @post("/{link_id:int}/requests/{request_id:int}/withdraw", name="clients.requests.withdraw")
    async def withdraw(
        self, request: Request, current: Me, link_id: LinkId, request_id: RequestId
    ) -> Response:
        back = url_for(request, "clients.show", link_id=link_id)
        try:
            await requests.withdraw_link_request(current, link_id, request_id)
        except Conflict as error:
            return _problem(request, back, error)
        return redirect(request, back, flash="Your request was withdrawn.", level="info")

    @post("/bulk", name="clients.bulk")
    async def bulk(self, request: Request, current: Me) -> Response:
        """The same request to each ticked client: a later end date, or other access."""
        require(current.actor, Action.INVITE_CLIENT, current.organisation_resource())
        form = Form(await request.form())
        asked = forms.many_request_from(form)
        back = url_for(request, "clients.index")
        try:
            form.check()
            wanted = None
            if asked.kind == "change":  # full access, or the categories of a template
                wanted = (
                    Grant(Access.FULL)
                    if asked.template == "full"
                    else await requests.template_grant(current, int(asked.template))
                )
            outcome = await requests.request_for_many(
                request.app.state.settings,
                current,
                list(asked.link_ids),
                RequestKind(asked.kind),
                days=asked.days,
                wanted=wanted,
            )
        except FormErrors as error:
            return _problem(request, back, error)
        asked = len(outcome.asked)
        message = f"Your request was sent to {asked} client{'s' if asked != 1 else ''}."
        if outcome.skipped:
            reasons = "; ".join(f"{name}: {why}" for name, why in outcome.skipped)
            message += f" Not asked: {reasons}"
        return redirect(request, back, flash=message, level="success" if asked else "info")

    @get("/templates", name="clients.templates")
    async def templates(self, request: Request, current: Me) -> Response:
        return page(request, "clients/templates.html", await _templates_context(current))

    @post("/templates", name="clients.templates.create")
    async def create_template(self, request: Request, current: Me) -> Response:
        data = await request.form()
        form = Form(data)
        template = forms.template_from(form)
        name, families = template.name, template.families
        try:
            form.check()
            await requests.create_template(current, name, families)
        except FormErrors as error:
            context = await _templates_context(current)
            chosen = {"name": name, "families": sorted(families)}
            return form_page(
                request, "clients/templates.html", {**context, "form": chosen}, error.errors
            )
        return redirect(
            request, url_for(request, "clients.templates"), flash=f"The template {name} is saved."
        )

    @post("/templates/{template_id:int}/delete", name="clients.templates.delete")
    async def delete_template(
        self, request: Request, current: Me, template_id: FromPath[int]
    ) -> Response:
        template = await requests.delete_template(current, template_id)
        return redirect(
            request,
            url_for(request, "clients.templates"),
            flash=f"The template {template['name']} is deleted.",
            level="info",
        )

    @get("/transfer", name="clients.transfer")
    async def transfer(self, request: Request, current: Me) -> Response:
        """A transfer code typed in: what it moves, to confirm."""
        form = Form(request.query_params)
        code = forms.transfer_code_from(form)
        try:
            form.check()
            found = await transfers.find_transfer(current, code)
        except FormErrors as error:
            context = await clients_context(request, current)
            return form_page(
                request, "clients/index.html", {**context, "transfer_code": code}, error.errors
            )
        grant = rules.grant_from_snapshot(found["new_grant"]) if found["new_grant"] else None
        return page(
            request,
            "clients/transfer.html",
            {"transfer": found, "code": code, "grant": grant, "describe": rules.describe},
        )

    @post("/transfer", name="clients.transfer.redeem")
    async def redeem(self, request: Request, current: Me) -> Response:
        form = Form(await request.form())
        code = forms.transfer_code_from(form)
        try:
            form.check()
            link_id = await transfers.redeem_transfer(request.app.state.settings, current, code)
        except (FormErrors, Conflict) as error:
            return _problem(request, url_for(request, "clients.index"), error)
        return redirect(
            request,
            url_for(request, "clients.show", link_id=link_id),
            flash="The client is now yours; its previous partner was told.",
        )


async def _client_page_with_errors(
    request: Request, current: Current, link_id: int, error: FormErrors, data
) -> Response:
    context = await client_context(request, current, link_id)
    context["elevation_form"] = {k: data.get(k, "") for k in ("length", "unit", "reason")}
    return form_page(request, "clients/show.html", context, error.errors)


async def _templates_context(current: Current) -> dict:
    partner = current.organisation_resource()
    require(current.actor, Action.INVITE_CLIENT, partner)
    return {
        "templates": await queries.templates_of(partner.organisation_id),
        "families": rules.FAMILIES,
        "form": {"name": "", "families": []},
    }


ROUTES = [ClientLifetimeController, PartnerLifetimeController]
