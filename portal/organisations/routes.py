"""Pages of organisations: home, switching, settings, members, invitations, work teams."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from portal.access import (
    Action,
    Role,
    may,
    may_change_member,
    may_here,
    require,
    sees_every_product,
)
from portal.accounts import services as account_services
from portal.accounts.queries import switch_session_organisation
from portal.accounts.sessions import end_previous_session, logged_in
from portal.audit.services import recent_events, with_sentences
from portal.core.current import (
    SESSION_COOKIE,
    Current,
)
from portal.errors import FormErrors, NotFound
from portal.forms import Form
from portal.organisations import forms, queries, services
from portal.paging import FIRST, Position, position_of
from portal.web import (
    PUBLIC,
    client_of,
    form_page,
    fragment_or_redirect,
    page,
    redirect,
    safe_next,
    set_cookie,
    url_for,
)

ROLE_CHOICES = {role.value: role.label for role in Role}


class HomeController(Controller):
    @get("/", name="organisations.home", opt=PUBLIC)
    async def home(
        self, request: Request, current_or_none: NamedDependency[Current | None]
    ) -> Response:
        current = current_or_none
        if current is None:
            return page(request, "home_public.html")
        if current.organisation is None:
            if may_here(current.actor, Action.STAFF_REVIEW):  # staff land on their area
                return redirect(request, url_for(request, "partners.staff"))
            return page(request, "organisations/none.html")
        organisation_id = current.organisation.id
        member = current.actor.is_member  # a team guest sees their own teams, not the rest
        summary = await queries.dashboard_summary(organisation_id, datetime.now(UTC))
        sees_members = may(current.actor, Action.VIEW_MEMBERS, current.organisation_resource())
        sees_audit = may(current.actor, Action.VIEW_AUDIT, current.organisation_resource())
        recent = await recent_events(organisation_id) if sees_audit else []
        context = {
            "organisation": summary,
            "role_counts": summary["role_counts"] if sees_members else {},
            "team_count": summary["team_count"] if member else len(current.actor.team_ids),
            "recent": await with_sentences(recent, request.app.state.audit_sentences),
            "pending_invitations": summary["pending_invitations"] if sees_audit else None,
        }
        for section in request.app.state.home_sections:  # the client's inbox, for one
            context |= await section(current)
        return page(request, "organisations/home.html", context)


class SignUpController(Controller):
    """A person signs up with their first organisation (through an affiliate's link: ?ref=)."""

    path = "/signup"
    opt = PUBLIC

    @get("", name="organisations.signup")
    async def show(self, request: Request) -> Response:
        """NEXT: where the new person was going (an emailed invitation, say): they go on
        there once signed up."""
        referral = forms.referral(request.query_params.get("ref"))
        home = url_for(request, "organisations.home")
        target = safe_next(request.query_params.get("next"), home)
        defaults = {"currency": "CHF", "country": "CH", "ref": referral or "", "next": target}
        return page(request, "organisations/signup.html", forms.sign_up_context(defaults))

    @post("", name="organisations.signup.submit")
    async def submit(self, request: Request) -> Response:
        data = await request.form()
        form = Form(data)
        signup = forms.sign_up_from(form)
        try:
            form.check()
            token = await services.sign_up(
                signup.full_name,
                signup.email,
                signup.password,
                signup.organisation,
                client_of(request),
                referred_by=signup.referred_by,
            )
        except FormErrors as error:
            context = forms.sign_up_context(data)
            return form_page(request, "organisations/signup.html", context, error.errors)
        await end_previous_session(request)
        welcome = f"Welcome, {signup.full_name}. {signup.organisation.name} is ready."
        home = url_for(request, "organisations.home")
        return logged_in(request, token, safe_next(form.value("next"), home), flash=welcome)


class OrganisationController(Controller):
    path = "/organisations"

    @get("/new", name="organisations.new")
    async def new(self, request: Request, current: NamedDependency[Current]) -> Response:
        return page(
            request,
            "organisations/new.html",
            forms.details_context({"currency": "CHF", "country": "CH"}),
        )

    @post("/new", name="organisations.create")
    async def create(self, request: Request, current: NamedDependency[Current]) -> Response:
        data = await request.form()
        form = Form(data)
        details = forms.details_from(form, with_fixed=True)
        try:
            form.check()
            organisation_id = await services.create_organisation(
                current.user_id, f"{current.full_name} <{current.email}>", details
            )
        except FormErrors as error:
            return form_page(
                request, "organisations/new.html", forms.details_context(data), error.errors
            )
        await switch_session_organisation(current.session_id, organisation_id)
        return redirect(
            request,
            url_for(request, "organisations.home"),
            flash=f"{details.name} is created; you now act in it.",
        )

    @post("/switch", name="organisations.switch")
    async def switch(self, request: Request, current: NamedDependency[Current]) -> Response:
        form = Form(await request.form())
        organisation_id = form.integer("organisation_id")
        if organisation_id is None or organisation_id not in dict(current.organisations):
            raise NotFound()
        await switch_session_organisation(current.session_id, organisation_id)
        name = dict(current.organisations)[organisation_id]
        return redirect(
            request,
            url_for(request, "organisations.home"),
            flash=f"You now act in {name}.",
            level="info",
        )


class SettingsController(Controller):
    path = "/organisation"

    @get("/settings", name="organisations.settings")
    async def show(self, request: Request, current: NamedDependency[Current]) -> Response:
        require(current.actor, Action.VIEW_ORGANISATION, current.organisation_resource())
        organisation = await queries.organisation(current.organisation.id)
        return page(
            request,
            "organisations/settings.html",
            {
                "organisation": organisation,
                "form": organisation,
                "can_edit": may(
                    current.actor, Action.EDIT_ORGANISATION, current.organisation_resource()
                ),
            },
        )

    @post("/settings", name="organisations.settings.save")
    async def save(self, request: Request, current: NamedDependency[Current]) -> Response:
        require(current.actor, Action.EDIT_ORGANISATION, current.organisation_resource())
        organisation = await queries.organisation(current.organisation.id)
        data = await request.form()
        form = Form(data)
        details = forms.details_from(form, with_fixed=False, country=organisation["country"])
        changes = {
            "name": details.name,
            "registration_number": details.registration_number,
            "vat_number": details.vat_number,
            "website": details.website,
        }
        try:
            form.check()
            await services.update_organisation(current, changes)
        except FormErrors as error:
            return form_page(
                request,
                "organisations/settings.html",
                {"organisation": organisation, "form": data, "can_edit": True},
                error.errors,
            )
        return redirect(
            request, url_for(request, "organisations.settings"), flash="The details are saved."
        )


class MembersController(Controller):
    path = "/organisation/members"

    @get("", name="organisations.members")
    async def show(self, request: Request, current: NamedDependency[Current]) -> Response:
        return page(
            request,
            "organisations/members.html",
            await _members_context(current, position_of(request.query_params)),
            fragment="members",
        )

    @post("/invite", name="organisations.members.invite")
    async def invite(self, request: Request, current: NamedDependency[Current]) -> Response:
        data = await request.form()
        form = Form(data)
        invitation = forms.invitation_from(form)
        try:
            form.check()
            await services.invite(request.app.state.settings, current, invitation)
        except FormErrors as error:
            context = await _members_context(current, FIRST)
            return form_page(
                request, "organisations/members.html", {**context, "form": data}, error.errors
            )
        return redirect(
            request,
            url_for(request, "organisations.members"),
            flash=f"An invitation was sent to {invitation.email}.",
        )

    @post("/{membership_id:int}", name="organisations.members.change")
    async def change(
        self, request: Request, current: NamedDependency[Current], membership_id: FromPath[int]
    ) -> Response:
        form = Form(await request.form())
        role, billing_rights = forms.member_rights_from(form)
        try:
            form.check()
            await services.change_member(current, membership_id, role, billing_rights)
        except FormErrors as error:
            return form_page(
                request,
                "organisations/members.html",
                await _members_context(current, FIRST),
                {f"member-{membership_id}": " ".join(error.errors.values())},
            )
        return redirect(
            request,
            url_for(request, "organisations.members"),
            flash="The member's rights are saved.",
        )

    @post("/{membership_id:int}/remove", name="organisations.members.remove")
    async def remove(
        self, request: Request, current: NamedDependency[Current], membership_id: FromPath[int]
    ) -> Response:
        try:
            member = await services.remove_member(current, membership_id)
        except FormErrors as error:
            return form_page(
                request,
                "organisations/members.html",
                await _members_context(current, FIRST),
                {f"member-{membership_id}": " ".join(error.errors.values())},
            )
        return redirect(
            request,
            url_for(request, "organisations.members"),
            flash=f"{member['full_name']} is no longer a member.",
        )

    @post("/invitations/{invitation_id:int}/resend", name="organisations.invitations.resend")
    async def resend(
        self, request: Request, current: NamedDependency[Current], invitation_id: FromPath[int]
    ) -> Response:
        await services.resend_invitation(request.app.state.settings, current, invitation_id)
        return redirect(
            request,
            url_for(request, "organisations.members"),
            flash="The invitation was sent again.",
        )

    @post("/invitations/{invitation_id:int}/withdraw", name="organisations.invitations.withdraw")
    async def withdraw(
        self, request: Request, current: NamedDependency[Current], invitation_id: FromPath[int]
    ) -> Response:
        await services.revoke_invitation(current, invitation_id)
        return redirect(
            request,
            url_for(request, "organisations.members"),
            flash="The invitation is withdrawn.",
            level="info",
        )


async def _members_context(current: Current, position: Position) -> dict:
    resource = current.organisation_resource()
    require(current.actor, Action.VIEW_MEMBERS, resource)
    members = await queries.members(resource.organisation_id, position)
    can_manage = may(current.actor, Action.MANAGE_MEMBERS, resource)
    organisation_id = resource.organisation_id
    return {
        "members": members,
        # whose role and rights this person may change, and whose products choose
        "changeable": {
            m["id"] for m in members if may_change_member(current.actor, organisation_id, m["role"])
        },
        "given_products": {
            m["id"] for m in members if can_manage and not sees_every_product(m["role"])
        },
        "invitations": await queries.pending_invitations(
            resource.organisation_id, datetime.now(UTC)
        )
        if can_manage
        else [],
        "can_manage": can_manage,
        "can_manage_legal": may(current.actor, Action.MANAGE_LEGAL_REPRESENTATIVES, resource),
        "roles": ROLE_CHOICES,
    }


class InvitationController(Controller):
    """Where an emailed invitation link lands: accept it, logged in or after signing up."""

    path = "/invitations/{token:str}"
    opt = PUBLIC

    @get("", name="organisations.invitation")
    async def show(
        self,
        request: Request,
        current_or_none: NamedDependency[Current | None],
        token: FromPath[str],
    ) -> Response:
        invitation = await services.open_invitation(token)
        return page(
            request, "organisations/invitation.html", {"invitation": invitation, "token": token}
        )

    @post("/accept", name="organisations.invitation.accept")
    async def accept(
        self,
        request: Request,
        current_or_none: NamedDependency[Current | None],
        token: FromPath[str],
    ) -> Response:
        current = current_or_none
        if current is None:
            invitation = url_for(request, "organisations.invitation", token=token)
            return redirect(request, url_for(request, "accounts.login") + "?next=" + invitation)
        organisation_id = await services.accept_invitation(
            token, current.user_id, current.email, current.full_name
        )
        await switch_session_organisation(current.session_id, organisation_id)
        return redirect(
            request,
            url_for(request, "organisations.home"),
            flash="Welcome: you joined the organisation.",
        )

    @post("/signup", name="organisations.invitation.signup")
    async def sign_up(
        self,
        request: Request,
        current_or_none: NamedDependency[Current | None],
        token: FromPath[str],
    ) -> Response:
        invitation = await services.open_invitation(token)
        data = await request.form()
        form = Form(data)
        entered = forms.invited_sign_up_from(form)
        full_name = entered.full_name
        try:
            form.check()
            account_id = await account_services.sign_up_invited(
                full_name, invitation["email"], entered.password, client_of(request)
            )
        except FormErrors as error:
            return form_page(
                request,
                "organisations/invitation.html",
                {"invitation": invitation, "token": token, "form": data},
                error.errors,
            )
        organisation_id = await services.accept_invitation(
            token, account_id, invitation["email"], full_name
        )
        session = await account_services.start_session(
            account_id, client_of(request), organisation_id=organisation_id
        )
        response = redirect(
            request, url_for(request, "organisations.home"), flash=f"Welcome, {full_name}."
        )
        set_cookie(response, SESSION_COOKIE, session)
        return response


class TeamsController(Controller):
    path = "/organisation/teams"

    @get("", name="organisations.teams")
    async def index(self, request: Request, current: NamedDependency[Current]) -> Response:
        return page(
            request,
            "organisations/teams.html",
            await _teams_context(current, position_of(request.query_params)),
        )

    @post("", name="organisations.teams.create")
    async def create(self, request: Request, current: NamedDependency[Current]) -> Response:
        data = await request.form()
        form = Form(data)
        name = forms.team_name_from(form)
        try:
            form.check()
            team_id = await services.create_team(current, name)
        except FormErrors as error:
            return form_page(
                request,
                "organisations/teams.html",
                {**await _teams_context(current, FIRST), "form": data},
                error.errors,
            )
        return redirect(
            request,
            url_for(request, "organisations.teams.show", team_id=team_id),
            flash=f"Team {name} created.",
        )

    @get("/{team_id:int}", name="organisations.teams.show")
    async def show(
        self, request: Request, current: NamedDependency[Current], team_id: FromPath[int]
    ) -> Response:
        return page(
            request,
            "organisations/team.html",
            await _team_context(current, team_id),
            fragment="team_members",
        )

    @post("/{team_id:int}/rename", name="organisations.teams.rename")
    async def rename(
        self, request: Request, current: NamedDependency[Current], team_id: FromPath[int]
    ) -> Response:
        data = await request.form()
        form = Form(data)
        name = forms.team_name_from(form)
        try:
            form.check()
            await services.rename_team(current, team_id, name)
        except FormErrors as error:
            return form_page(
                request,
                "organisations/team.html",
                {**await _team_context(current, team_id), "form": data},
                error.errors,
            )
        return redirect(
            request,
            url_for(request, "organisations.teams.show", team_id=team_id),
            flash="The team is renamed.",
        )

    @post("/{team_id:int}/delete", name="organisations.teams.delete")
    async def delete(
        self, request: Request, current: NamedDependency[Current], team_id: FromPath[int]
    ) -> Response:
        await services.delete_team(current, team_id)
        return redirect(
            request,
            url_for(request, "organisations.teams"),
            flash="The team is deleted.",
            level="info",
        )

    @post("/{team_id:int}/members", name="organisations.teams.members.add")
    async def add_member(
        self, request: Request, current: NamedDependency[Current], team_id: FromPath[int]
    ) -> Response:
        form = Form(await request.form())
        account_id = form.integer("account")
        try:
            form.check()
            await services.add_team_member(current, team_id, account_id)
        except FormErrors as error:
            return form_page(
                request,
                "organisations/team.html",
                await _team_context(current, team_id),
                error.errors,
                fragment="team_members",
            )
        return await self._members_changed(request, current, team_id, "The member is added.")

    @post(
        "/{team_id:int}/members/{account_id:int}/remove", name="organisations.teams.members.remove"
    )
    async def remove_member(
        self,
        request: Request,
        current: NamedDependency[Current],
        team_id: FromPath[int],
        account_id: FromPath[int],
    ) -> Response:
        await services.remove_team_member(current, team_id, account_id)
        return await self._members_changed(request, current, team_id, "The member is removed.")

    @post("/{team_id:int}/leader", name="organisations.teams.leader")
    async def leader(
        self, request: Request, current: NamedDependency[Current], team_id: FromPath[int]
    ) -> Response:
        form = Form(await request.form())
        account_id = form.integer("leader", required=False)
        try:
            form.check()
            await services.set_team_leader(current, team_id, account_id)
        except FormErrors as error:
            return form_page(
                request,
                "organisations/team.html",
                await _team_context(current, team_id),
                error.errors,
            )
        return redirect(
            request,
            url_for(request, "organisations.teams.show", team_id=team_id),
            flash="The leader is saved.",
        )

    @post("/{team_id:int}/invite", name="organisations.teams.invite")
    async def invite_external(
        self, request: Request, current: NamedDependency[Current], team_id: FromPath[int]
    ) -> Response:
        data = await request.form()
        form = Form(data)
        email = form.email()
        try:
            form.check()
            await services.invite(
                request.app.state.settings,
                current,
                services.InvitationRequest(email=email, team_id=team_id),
            )
        except FormErrors as error:
            return form_page(
                request,
                "organisations/team.html",
                {**await _team_context(current, team_id), "form": data},
                error.errors,
            )
        return redirect(
            request,
            url_for(request, "organisations.teams.show", team_id=team_id),
            flash=f"An invitation to the team was sent to {email}.",
        )

    async def _members_changed(
        self, request: Request, current: Current, team_id: FromPath[int], message: str
    ) -> Response:
        return await fragment_or_redirect(
            request,
            "organisations/team.html",
            "team_members",
            lambda: _team_context(current, team_id),
            url=url_for(request, "organisations.teams.show", team_id=team_id),
            flash=message,
        )


async def _teams_context(current: Current, position: Position) -> dict:
    """Members see every team; a team guest sees only the teams they are in."""
    resource = current.organisation_resource()
    require(current.actor, Action.VIEW_ORGANISATION, resource)
    only = None if current.actor.is_member else current.actor.team_ids
    teams = await queries.teams(resource.organisation_id, position, only)
    return {
        "teams": teams,
        "can_manage": may(current.actor, Action.MANAGE_TEAMS, resource),
    }


async def _team_context(current: Current, team_id: FromPath[int]) -> dict:
    team = await services.load_team(current, team_id, Action.VIEW_TEAM)
    members = await queries.team_members(team["organisation"], team_id)
    in_team = {m["account_id"] for m in members}
    candidates = [
        m for m in await queries.member_choices(team["organisation"]) if m["id"] not in in_team
    ]
    resource = services.team_resource(team)
    return {
        "team": team,
        "members": members,
        "candidates": candidates,
        "can_manage": may(current.actor, Action.MANAGE_TEAMS, resource),
        "can_manage_members": may(current.actor, Action.MANAGE_TEAM_MEMBERS, resource),
        "can_invite": may(current.actor, Action.INVITE_TO_TEAM, resource),
    }


ROUTES = [
    HomeController,
    SignUpController,
    OrganisationController,
    SettingsController,
    MembersController,
    InvitationController,
    TeamsController,
]
