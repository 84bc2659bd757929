"""Organisation use cases: create and edit, members and roles, invitations, work teams.
Each loads what it needs scoped to the actor's organisation, asks access.py and the rules,
then writes in one transaction with its audit entry and the mail it sends (queued, so it
leaves once the change is committed, never for one rolled back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asyncpg.exceptions import UniqueViolationError

from portal.access import Action, Role, TeamResource, may, require
from portal.accounts import queries as account_queries
from portal.accounts import rules as account_rules
from portal.accounts import services as account_services
from portal.accounts.passwords import hash_password
from portal.audit.services import Who, record
from portal.core.current import Current, actor_in
from portal.core.origin import Origin
from portal.core.tokens import new_token, token_hash
from portal.core.urls import page_url
from portal.errors import Conflict, FormErrors, NotFound
from portal.forms import CONTROL_CHARACTERS_PROBLEM
from portal.mail.services import Mail, queue_mail
from portal.organisations import queries, rules
from portal.organisations.rules import OrganisationDetails
from portal.piccolo_conf import DB
from portal.settings import Settings

INVITATION_LIFETIME = timedelta(days=14)


def _now() -> datetime:
    return datetime.now(UTC)


def who(current: Current) -> Who:
    return Who(current.user_id, f"{current.full_name} <{current.email}>")


# --- organisations -------------------------------------------------------------------------


async def create_organisation(
    account_id: int, actor_name: str, details: OrganisationDetails
) -> int:
    """A new organisation whose creator is its first legal representative. Runs inside the
    caller's transaction when there is one (sign-up)."""
    async with DB.transaction(allow_nested=True):
        organisation_id = await queries.insert_organisation(details.__dict__)
        await queries.insert_membership(
            organisation_id, account_id, Role.LEGAL_REPRESENTATIVE, True
        )
        await record(
            organisation_id,
            Who(account_id, actor_name),
            "organisation.created",
            details.name,
            after=details.__dict__,
        )
    return organisation_id


async def update_organisation(current: Current, changes: dict[str, str]) -> None:
    resource = current.organisation_resource()
    require(current.actor, Action.EDIT_ORGANISATION, resource)
    async with DB.transaction():
        before = await queries.organisation(resource.organisation_id)
        changed = {k: v for k, v in changes.items() if before[k] != v}
        if not changed:
            return
        await queries.update_organisation(resource.organisation_id, changed)
        await record(
            resource.organisation_id,
            who(current),
            "organisation.updated",
            before["name"],
            before={k: before[k] for k in changed},
            after=changed,
        )


# --- members -------------------------------------------------------------------------------


async def change_member(
    current: Current, membership_id: int, role: Role, billing_rights: bool
) -> None:
    resource = current.organisation_resource()
    require(current.actor, Action.MANAGE_MEMBERS, resource)
    async with DB.transaction():
        await queries.lock_organisation(resource.organisation_id)
        member = await queries.membership(resource.organisation_id, membership_id)
        if member is None:
            raise NotFound()
        role_before = Role(member["role"])
        if rules.touches_legal_representation(role_before, role) and role_before is not role:
            require(current.actor, Action.MANAGE_LEGAL_REPRESENTATIVES, resource)
        problem = rules.last_legal_representative_problem(
            role_before, role, await queries.count_legal_representatives(resource.organisation_id)
        )
        if problem:
            raise FormErrors({"role": problem})
        if role_before is role and member["billing_rights"] == billing_rights:
            return
        await queries.update_membership(membership_id, role, billing_rights)
        await record(
            resource.organisation_id,
            who(current),
            "member.changed",
            member["email"],
            before={"role": role_before, "billing_rights": member["billing_rights"]},
            after={"role": role, "billing_rights": billing_rights},
        )


async def remove_member(current: Current, membership_id: int) -> dict:
    resource = current.organisation_resource()
    require(current.actor, Action.MANAGE_MEMBERS, resource)
    async with DB.transaction():
        await queries.lock_organisation(resource.organisation_id)
        member = await queries.membership(resource.organisation_id, membership_id)
        if member is None:
            raise NotFound()
        role_before = Role(member["role"])
        if role_before is Role.LEGAL_REPRESENTATIVE:
            require(current.actor, Action.MANAGE_LEGAL_REPRESENTATIVES, resource)
        problem = rules.last_legal_representative_problem(
            role_before, None, await queries.count_legal_representatives(resource.organisation_id)
        )
        if problem:
            raise FormErrors({"member": problem})
        await queries.delete_membership(
            resource.organisation_id, membership_id, member["account_id"]
        )
        await record(
            resource.organisation_id,
            who(current),
            "member.removed",
            member["email"],
            before={"role": role_before, "billing_rights": member["billing_rights"]},
        )
    return member


# --- invitations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationRequest:
    email: str
    role: Role = Role.USER
    billing_rights: bool = False
    team_id: int | None = None
    message: str = ""


async def invite(settings: Settings, current: Current, request: InvitationRequest) -> None:
    """Invite someone to the organisation, or (with a team) as an external team member."""
    resource = current.organisation_resource()
    organisation_id = resource.organisation_id
    email = request.email.lower()
    team = None
    if request.team_id is not None:
        team = await queries.team(organisation_id, request.team_id)
        if team is None:
            raise NotFound()
        require(current.actor, Action.INVITE_TO_TEAM, team_resource(team))
    else:
        require(current.actor, Action.MANAGE_MEMBERS, resource)
        if request.role is Role.LEGAL_REPRESENTATIVE:
            require(current.actor, Action.MANAGE_LEGAL_REPRESENTATIVES, resource)
    token = new_token()
    now = _now()
    async with DB.transaction():
        await _refuse_duplicate_invitation(organisation_id, email, team, now)
        await queries.insert_invitation(
            {
                "organisation": organisation_id,
                "email": email,
                "role": request.role if team is None else Role.USER,
                "billing_rights": request.billing_rights and team is None,
                "team": request.team_id,
                "token_hash": token_hash(token),
                "invited_by": current.user_id,
                "message": request.message,
                "expires_at": now + INVITATION_LIFETIME,
            }
        )
        await record(
            organisation_id,
            who(current),
            "invitation.sent",
            email,
            after={
                "role": request.role,
                "billing_rights": request.billing_rights,
                "team": team["name"] if team else None,
            },
        )
        await _mail_invitation(settings, current, email, token, team, request.message)


async def _refuse_duplicate_invitation(
    organisation_id: int, email: str, team: dict | None, now: datetime
) -> None:
    account = await account_queries.account_by_email(email)
    if team is None and account and await queries.is_member(organisation_id, account["id"]):
        raise FormErrors({"email": "This person is already a member of the organisation."})
    if team is not None and account and await queries.in_team(team["id"], account["id"]):
        raise FormErrors({"email": "This person is already in the team."})
    team_id = team["id"] if team else None
    if await queries.pending_invitation_for(organisation_id, email, team_id, now):
        raise FormErrors(
            {
                "email": "An invitation to this address is already waiting. "
                "Resend it from the list below."
            }
        )


async def _mail_invitation(
    settings: Settings, current: Current, email: str, token: str, team: dict | None, message: str
) -> None:
    organisation = current.organisation.name
    where = f"the work team “{team['name']}” of {organisation}" if team else organisation
    note = f"\nTheir message:\n{message}\n" if message else ""
    inviter = " ".join(current.full_name.split())  # a line break cannot go in a mail header
    await queue_mail(
        Mail(
            email,
            f"{inviter} invites you to {' '.join(organisation.split())} on the Partner Portal",
            f"Hello,\n\n{current.full_name} ({current.email}) invites you to join {where} on the "
            f"Partner Portal.\n{note}\nAccept the invitation here (valid for "
            f"{INVITATION_LIFETIME.days} days):\n\n"
            f"{page_url(settings, 'organisations.invitation', token=token)}\n\n"
            f"If you do not know this person, ignore this message.\n",
        ),
        awaited=True,  # the link is the way in
    )


async def resend_invitation(settings: Settings, current: Current, invitation_id: int) -> None:
    resource = current.organisation_resource()
    require(current.actor, Action.MANAGE_MEMBERS, resource)
    invitation = await queries.invitation_in(resource.organisation_id, invitation_id)
    if invitation is None or invitation["accepted_at"] or invitation["revoked_at"]:
        raise NotFound()
    token = new_token()
    team = (
        await queries.team(resource.organisation_id, invitation["team"])
        if invitation["team"]
        else None
    )
    async with DB.transaction():
        await queries.renew_invitation(
            invitation_id, token_hash(token), _now() + INVITATION_LIFETIME
        )
        await record(
            resource.organisation_id, who(current), "invitation.resent", invitation["email"]
        )
        await _mail_invitation(
            settings, current, invitation["email"], token, team, invitation["message"]
        )


async def revoke_invitation(current: Current, invitation_id: int) -> None:
    resource = current.organisation_resource()
    require(current.actor, Action.MANAGE_MEMBERS, resource)
    async with DB.transaction():
        invitation = await queries.invitation_in(resource.organisation_id, invitation_id)
        if invitation is None or invitation["accepted_at"] or invitation["revoked_at"]:
            raise NotFound()
        await queries.mark_invitation(invitation_id, revoked_at=_now())
        await record(
            resource.organisation_id, who(current), "invitation.withdrawn", invitation["email"]
        )


def invitation_problem(invitation: dict | None, now: datetime) -> str | None:
    if invitation is None:
        return "This invitation link is not valid."
    if invitation["revoked_at"]:
        return "This invitation was withdrawn."
    if invitation["accepted_at"]:
        return "This invitation was accepted already."
    if invitation["expires_at"] <= now:
        return "This invitation has expired. Ask for a new one."
    return None


async def open_invitation(token: str) -> dict:
    """The invitation TOKEN opens, while it may still be accepted (else Conflict)."""
    invitation = await queries.invitation_by_token(token_hash(token))
    problem = invitation_problem(invitation, _now())
    if problem:
        raise Conflict(problem)
    if invitation["team"] is not None:
        await _refuse_unless_inviter_still_may(invitation)
    return invitation


async def accept_invitation(
    token: str, account_id: int, account_email: str, account_name: str
) -> int:
    """Join the organisation (or only the team) the invitation names; returns its id."""
    invitation = await open_invitation(token)
    if invitation["email"] != account_email.lower():
        raise Conflict(
            f"This invitation was sent to {invitation['email']}. Log in with that "
            f"address to accept it."
        )
    async with DB.transaction():
        locked = await queries.lock_invitation(invitation["id"])
        if invitation_problem(locked, _now()):
            raise Conflict(invitation_problem(locked, _now()))
        organisation_id = invitation["organisation"]
        actor = Who(account_id, f"{account_name} <{account_email}>")
        if invitation["team"] is not None:
            await queries.add_to_team(invitation["team"], account_id)
            await record(
                organisation_id,
                actor,
                "team.member_joined",
                invitation["team_name"],
                after={"email": account_email},
            )
        elif not await queries.is_member(organisation_id, account_id):
            await queries.insert_membership(
                organisation_id, account_id, invitation["role"], invitation["billing_rights"]
            )
            await record(
                organisation_id,
                actor,
                "member.joined",
                account_email,
                after={"role": invitation["role"], "billing_rights": invitation["billing_rights"]},
            )
        await queries.mark_invitation(invitation["id"], accepted_at=_now())
    return organisation_id


async def _refuse_unless_inviter_still_may(invitation: dict) -> None:
    """Someone from outside joins a team only if whoever invited them may still bring them
    in: a team given clients since the invitation was sent, or an inviter who lost the
    right, ends it (docs/rules.md, Who may do what: only legal representatives bring outsiders
    into such a team)."""

    team = await queries.team(invitation["organisation"], invitation["team"])
    inviter = (
        await actor_in(invitation["invited_by"], invitation["organisation"])
        if invitation["invited_by"] is not None
        else None
    )
    if (
        team is None
        or inviter is None
        or not may(inviter, Action.INVITE_TO_TEAM, team_resource(team))
    ):
        raise Conflict(
            "This invitation can no longer be accepted: only a legal representative of the "
            "organisation may now bring someone from outside into this team. Ask them for a "
            "new invitation."
        )


# --- teams ---------------------------------------------------------------------------------


def team_resource(team: dict) -> TeamResource:
    """A team as access.py needs it; TEAM as queries.team gives it."""
    return TeamResource(
        team["organisation"], team["id"], team["leader"], bool(team.get("acts_for_clients"))
    )


TEAM_NAME_TAKEN = {"name": "A team of this name exists already."}


def team_name_problem(name: str) -> str | None:
    if not name.strip():
        return "Give the team a name."
    if len(name) > 100:
        return "Use at most 100 characters."
    if rules.has_control_characters(name):
        return CONTROL_CHARACTERS_PROBLEM
    return None


async def create_team(current: Current, name: str) -> int:
    resource = current.organisation_resource()
    require(current.actor, Action.MANAGE_TEAMS, resource)
    name = name.strip()
    try:
        async with DB.transaction():
            if await queries.team_name_taken(resource.organisation_id, name):
                raise FormErrors(TEAM_NAME_TAKEN)
            team_id = await queries.insert_team(resource.organisation_id, name)
            await record(
                resource.organisation_id, who(current), "team.created", name, after={"name": name}
            )
    except UniqueViolationError:  # the same name created at the same moment
        raise FormErrors(TEAM_NAME_TAKEN) from None
    return team_id


async def load_team(current: Current, team_id: int, action: Action) -> dict:
    if current.organisation is None:
        raise NotFound()
    team = await queries.team(current.organisation.id, team_id)
    if team is None:
        raise NotFound()
    require(current.actor, action, team_resource(team))
    return team


async def rename_team(current: Current, team_id: int, name: str) -> None:
    team = await load_team(current, team_id, Action.MANAGE_TEAMS)
    name = name.strip()
    try:
        async with DB.transaction():
            if await queries.team_name_taken(team["organisation"], name, except_id=team_id):
                raise FormErrors(TEAM_NAME_TAKEN)
            await queries.update_team(team_id, {"name": name})
            await record(
                team["organisation"],
                who(current),
                "team.renamed",
                name,
                before={"name": team["name"]},
                after={"name": name},
            )
    except UniqueViolationError:
        raise FormErrors(TEAM_NAME_TAKEN) from None


async def delete_team(current: Current, team_id: int) -> None:
    team = await load_team(current, team_id, Action.MANAGE_TEAMS)
    async with DB.transaction():
        await queries.delete_team(team_id)
        await record(
            team["organisation"],
            who(current),
            "team.deleted",
            team["name"],
            before={"name": team["name"]},
        )


async def add_team_member(current: Current, team_id: int, account_id: int) -> None:
    team = await load_team(current, team_id, Action.MANAGE_TEAM_MEMBERS)
    if not await queries.is_member(team["organisation"], account_id):
        raise FormErrors(
            {"account": "Choose a member of the organisation, or invite an external user by email."}
        )
    async with DB.transaction():
        await queries.add_to_team(team_id, account_id)
        await record(
            team["organisation"],
            who(current),
            "team.member_added",
            team["name"],
            after={"member": await queries.account_email(account_id)},
        )


async def remove_team_member(current: Current, team_id: int, account_id: int) -> None:
    team = await load_team(current, team_id, Action.MANAGE_TEAM_MEMBERS)
    if not await queries.in_team(team_id, account_id):
        raise NotFound()
    async with DB.transaction():
        await queries.remove_from_team(team_id, account_id)
        await record(
            team["organisation"],
            who(current),
            "team.member_removed",
            team["name"],
            before={"member": await queries.account_email(account_id)},
        )


async def set_team_leader(current: Current, team_id: int, account_id: int | None) -> None:
    team = await load_team(current, team_id, Action.MANAGE_TEAMS)
    if account_id is not None and not await queries.in_team(team_id, account_id):
        raise FormErrors({"leader": "The leader must be a member of the team."})
    async with DB.transaction():
        await queries.update_team(team_id, {"leader": account_id})
        await record(
            team["organisation"],
            who(current),
            "team.leader_set",
            team["name"],
            before={"leader": await queries.account_email(team["leader"])},
            after={"leader": await queries.account_email(account_id)},
        )


# --- signing up: a new person with their first organisation ---------------------------------

EMAIL_TAKEN = (
    "An account with this address exists already. Log in, or reset your password if you forgot it."
)


async def sign_up(
    full_name: str,
    email: str,
    password: str,
    organisation: OrganisationDetails,
    client: Origin,
    referred_by: int | None = None,
) -> str:
    """A new user with their first organisation, of which they are legal representative;
    REFERRED_BY is the affiliate whose link brought them (ignored unless it is one)."""
    problem = account_rules.password_problem(password, email=email, name=full_name)
    if problem:
        raise FormErrors({"password": problem})
    password_hash = hash_password(password)
    async with DB.transaction():
        account_id = await account_queries.insert_account(email, full_name, password_hash)
        if account_id is None:
            raise FormErrors({"email": EMAIL_TAKEN})
        organisation_id = await create_organisation(
            account_id, account_rules.actor_label(full_name, email), organisation
        )
        if referred_by is not None:
            await queries.insert_referral(referred_by, organisation_id)
        return await account_services.start_session(
            account_id, client, organisation_id=organisation_id
        )
