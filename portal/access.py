"""THE authorization decision: may this actor do this action on this resource?

Pure: no I/O. Handlers load the resource scoped to the actor's organisation, then ask
`decide`. HIDDEN means the resource is none of the actor's business and answers 404, exactly
like one that does not exist; FORBIDDEN means the actor sees it but lacks the right (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from portal.errors import Forbidden, NotFound


class Role(StrEnum):
    LEGAL_REPRESENTATIVE = "legal_representative"
    ADMINISTRATOR = "administrator"
    USER = "user"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.LEGAL_REPRESENTATIVE: "Legal representative",
    Role.ADMINISTRATOR: "Administrator",
    Role.USER: "User",
}


class Action(StrEnum):
    VIEW_ORGANISATION = "organisation.view"
    EDIT_ORGANISATION = "organisation.edit"
    VIEW_MEMBERS = "members.view"
    MANAGE_MEMBERS = "members.manage"
    MANAGE_LEGAL_REPRESENTATIVES = "members.manage_legal_representatives"
    VIEW_TEAM = "teams.view"
    MANAGE_TEAMS = "teams.manage"
    MANAGE_TEAM_MEMBERS = "teams.manage_members"
    VIEW_AUDIT = "audit.view"
    VIEW_BILLING = "billing.view"


class Decision(Enum):
    ALLOWED = "allowed"
    FORBIDDEN = "forbidden"  # visible, but not this actor's right: 403
    HIDDEN = "hidden"  # another tenant's, or none of the actor's business: 404


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a user inside one organisation, with a role there (None: a team guest)."""

    user_id: int
    organisation_id: int | None
    role: Role | None
    billing_rights: bool = False
    team_ids: frozenset[int] = frozenset()

    @property
    def is_member(self) -> bool:
        return self.role is not None


@dataclass(frozen=True, slots=True)
class OrganisationResource:
    organisation_id: int


@dataclass(frozen=True, slots=True)
class TeamResource:
    organisation_id: int
    team_id: int
    leader_id: int | None


Resource = OrganisationResource | TeamResource

MANAGERS = frozenset({Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR})


def decide(actor: Actor, action: Action, resource: Resource) -> Decision:
    if actor.organisation_id is None or resource.organisation_id != actor.organisation_id:
        return Decision.HIDDEN
    if not actor.is_member:
        return _decide_for_team_guest(actor, action, resource)
    return Decision.ALLOWED if _role_allows(actor, action, resource) else Decision.FORBIDDEN


def may(actor: Actor, action: Action, resource: Resource) -> bool:
    return decide(actor, action, resource) is Decision.ALLOWED


def require(actor: Actor, action: Action, resource: Resource) -> None:
    """Raise unless allowed: another tenant's resource is NotFound (404), a missing right is
    Forbidden (403)."""
    decision = decide(actor, action, resource)
    if decision is Decision.HIDDEN:
        raise NotFound()
    if decision is Decision.FORBIDDEN:
        raise Forbidden("Your role in this organisation does not allow this.")


def _role_allows(actor: Actor, action: Action, resource: Resource) -> bool:
    match action:
        case Action.VIEW_ORGANISATION | Action.VIEW_MEMBERS | Action.VIEW_TEAM:
            return True
        case Action.MANAGE_LEGAL_REPRESENTATIVES:
            return actor.role is Role.LEGAL_REPRESENTATIVE
        case Action.VIEW_BILLING:
            return actor.role in MANAGERS or actor.billing_rights
        case Action.MANAGE_TEAM_MEMBERS:
            return actor.role in MANAGERS or _leads(actor, resource)
        case (
            Action.EDIT_ORGANISATION
            | Action.MANAGE_MEMBERS
            | Action.MANAGE_TEAMS
            | Action.VIEW_AUDIT
        ):
            return actor.role in MANAGERS
    return False


def _decide_for_team_guest(actor: Actor, action: Action, resource: Resource) -> Decision:
    """An external user sees the organisation only through the teams they were invited to."""
    if isinstance(resource, TeamResource):
        if resource.team_id not in actor.team_ids:
            return Decision.HIDDEN
        if action is Action.VIEW_TEAM:
            return Decision.ALLOWED
        if action is Action.MANAGE_TEAM_MEMBERS and _leads(actor, resource):
            return Decision.ALLOWED
        return Decision.FORBIDDEN
    return Decision.ALLOWED if action is Action.VIEW_ORGANISATION else Decision.HIDDEN


def _leads(actor: Actor, resource: Resource) -> bool:
    return isinstance(resource, TeamResource) and resource.leader_id == actor.user_id
