"""What access.py should decide, written independently of it, for the matrix tests."""

from __future__ import annotations

import itertools

from portal.access import (
    MANAGERS,
    Action,
    Actor,
    ClientProductResource,
    Decision,
    LinkResource,
    OrganisationResource,
    Role,
)

ALLOWED, FORBIDDEN, HIDDEN = Decision.ALLOWED, Decision.FORBIDDEN, Decision.HIDDEN


LEGAL, ADMIN, USER = Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR, Role.USER


def expected_decision(actor: Actor, action: Action, resource) -> Decision:
    if actor.organisation_id is None:
        return HIDDEN
    if isinstance(resource, OrganisationResource):
        return _on_organisation(actor, action, resource)
    if isinstance(resource, LinkResource):
        return _verdict(action, link_rights(actor, resource))
    if isinstance(resource, ClientProductResource):
        return _verdict(action, client_product_rights(actor, resource))
    raise AssertionError(f"not a delegation resource: {resource!r}")


def _verdict(action: Action, rights: frozenset[Action] | None) -> Decision:
    """RIGHTS None: the actor does not see the resource at all."""
    if rights is None:
        return HIDDEN
    return ALLOWED if action in rights else FORBIDDEN


def link_rights(actor: Actor, link: LinkResource) -> frozenset[Action] | None:
    """What the actor may do on LINK; None if the link is none of their business."""
    if actor.organisation_id == link.partner_id:
        return _partner_rights(actor, link)
    if link.client_id is not None and actor.organisation_id == link.client_id:
        return _client_rights(actor, link)
    return None


def _partner_rights(actor: Actor, link: LinkResource) -> frozenset[Action] | None:
    if actor.role is LEGAL:
        rights = {
            Action.VIEW_LINK,
            Action.DECIDE_AS_PARTNER,
            Action.STOP_LINK,
            Action.ASSIGN_COLLABORATORS,
            Action.REQUEST_ON_LINK,  # temporary full access, a later end date, other access
            Action.END_ELEVATION,
        }
        if link.initiated_by_partner:
            rights.add(Action.WITHDRAW_REQUEST)
        if link.active:
            rights |= {Action.ACT_FOR_CLIENT, Action.INVITE_CLIENT_USER}
        return frozenset(rights)
    acting = {Action.ACT_FOR_CLIENT, Action.INVITE_CLIENT_USER} if link.active else set()
    if actor.role is ADMIN:
        return frozenset({Action.VIEW_LINK, *acting})
    # a plain user or a team guest of the partner: a collaborator, if given this client
    in_person = actor.user_id in link.assigned_user_ids
    through_a_team = any(team in link.assigned_team_ids for team in actor.team_ids)
    if link.active and (in_person or through_a_team):
        if actor.role is None:  # an outside guest acts for the client, brings nobody in
            return frozenset({Action.VIEW_LINK, Action.ACT_FOR_CLIENT})
        return frozenset({Action.VIEW_LINK, Action.ACT_FOR_CLIENT, Action.INVITE_CLIENT_USER})
    return None


def _client_rights(actor: Actor, link: LinkResource) -> frozenset[Action]:
    if actor.role is LEGAL:
        rights = {
            Action.VIEW_LINK,
            Action.DECIDE_AS_CLIENT,
            Action.CHANGE_LINK,
            Action.STOP_LINK,
            Action.END_ELEVATION,
        }
        if not link.initiated_by_partner:
            rights.add(Action.WITHDRAW_REQUEST)
        return frozenset(rights)
    if actor.role is ADMIN:
        return frozenset({Action.VIEW_LINK})
    return frozenset()  # the client's other people know of the link, and may do nothing


def client_product_rights(actor: Actor, product: ClientProductResource) -> frozenset | None:
    if actor.organisation_id != product.link.partner_id:
        return None
    rights_on_link = link_rights(actor, product.link)
    if rights_on_link is None or Action.ACT_FOR_CLIENT not in rights_on_link:
        return None
    if not product.covered:
        return None
    if product.may_order:
        return frozenset({Action.MANAGE_CLIENT_PRODUCT, Action.ORDER_FOR_CLIENT})
    return frozenset({Action.MANAGE_CLIENT_PRODUCT})


def _on_organisation(actor: Actor, action: Action, resource: OrganisationResource) -> Decision:
    if resource.organisation_id != actor.organisation_id:
        return HIDDEN
    if actor.role is None:  # a team guest sees the organisation and their teams, no more
        return HIDDEN
    if action is Action.INVITE_CLIENT:
        return ALLOWED if actor.role is LEGAL and actor.in_programme else FORBIDDEN
    if action is Action.ADD_PARTNER:
        return ALLOWED if actor.role is LEGAL else FORBIDDEN
    return FORBIDDEN  # the link actions are decided on links, not on an organisation


# --- the world hypothesis draws from: three organisations, three people, three teams -----------

ORGANISATIONS = (1, 2, 3)
PEOPLE = (10, 11, 12)
TEAMS = (20, 21, 22)
ALL_LINKS = [
    LinkResource(partner, client, active, open_, by_partner, frozenset(people), frozenset(teams))
    for (partner, other), client_known, active, open_, by_partner, people, teams in (
        itertools.product(
            itertools.permutations(ORGANISATIONS, 2),
            (True, False),  # False: an emailed invitation, the client not known yet
            (True, False),
            (True, False),
            (True, False),
            [ids for size in range(3) for ids in itertools.combinations(PEOPLE, size)],
            [ids for size in range(3) for ids in itertools.combinations(TEAMS, size)],
        )
    )
    for client in [other if client_known else None]
]
ALL_ACTORS = [
    Actor(user_id, organisation, role, billing, frozenset(teams), in_programme, staff)
    for user_id, organisation, role, billing, teams, in_programme, staff in itertools.product(
        PEOPLE,
        (*ORGANISATIONS, None),
        (LEGAL, ADMIN, USER, None),
        (True, False),
        [ids for size in range(3) for ids in itertools.combinations(TEAMS, size)],
        (True, False),
        (True, False),
    )
]


def expected_renewal_decision(actor: Actor, action: Action, resource) -> Decision:
    """The renewals page and options (docs/rules.md, Renewals; tests/unit/renewals)."""
    if actor.organisation_id is None:
        return HIDDEN
    if isinstance(resource, ClientProductResource):
        rights = client_product_rights(actor, resource)
        if rights is None:
            return HIDDEN
        if action is Action.MANAGE_RENEWALS:
            return ALLOWED if Action.ORDER_FOR_CLIENT in rights else FORBIDDEN
        return FORBIDDEN
    if resource.organisation_id != actor.organisation_id or actor.role is None:
        return HIDDEN
    if action is Action.VIEW_RENEWALS:
        return ALLOWED
    if action is Action.VIEW_CLIENT_RENEWALS:  # a partner's page: the clients' products
        return ALLOWED if actor.in_programme else FORBIDDEN
    return ALLOWED if actor.role in MANAGERS or actor.billing_rights else FORBIDDEN
