"""access.decide compared with an oracle written from the rules, not from the code:

- another organisation's resource (or no organisation at all) → HIDDEN;
- legal representatives and administrators may do everything in their organisation, except
  that only legal representatives give or take the legal-representative role;
- plain users view the organisation, its members and teams, and see billing and the
  programme's money (managed volume, tier, cashback, prepaid balance) only with billing rights;
- a team leader manages the members of the team they lead, and invites someone from outside
  the organisation into it unless it acts for clients: then only legal representatives do;
- a team guest (no role: an external user) sees the organisation and their own teams only
  (any other team is HIDDEN), and manages a team's members only if they lead it.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.access import (
    Action,
    Actor,
    Decision,
    LinkResource,
    OrganisationResource,
    Role,
    TeamResource,
    client_scope,
    decide,
    export_scope,
    may,
    require,
)
from portal.errors import Forbidden, NotFound

ALLOWED, FORBIDDEN, HIDDEN = Decision.ALLOWED, Decision.FORBIDDEN, Decision.HIDDEN

# The actions of organisations, members, teams, audit and billing (issue 2). Other domains add
# their own actions to access.py with rules of their own; they are tested with those domains.
ORGANISATION_ACTIONS = [
    Action.VIEW_ORGANISATION,
    Action.EDIT_ORGANISATION,
    Action.VIEW_MEMBERS,
    Action.MANAGE_MEMBERS,
    Action.MANAGE_LEGAL_REPRESENTATIVES,
    Action.VIEW_TEAM,
    Action.MANAGE_TEAMS,
    Action.MANAGE_TEAM_MEMBERS,
    Action.INVITE_TO_TEAM,
    Action.VIEW_AUDIT,
    Action.VIEW_BILLING,
    Action.VIEW_PROGRAMME_MONEY,
]

EVERYONE_IN_THE_ORGANISATION_MAY = {
    Action.VIEW_ORGANISATION,
    Action.VIEW_MEMBERS,
    Action.VIEW_TEAM,
}


def expected_decision(actor: Actor, action: Action, resource) -> Decision:
    if actor.organisation_id is None or actor.organisation_id != resource.organisation_id:
        return HIDDEN
    if actor.role is None:
        return _expected_for_team_guest(actor, action, resource)
    if actor.role is Role.LEGAL_REPRESENTATIVE:
        return ALLOWED
    if actor.role is Role.ADMINISTRATOR:
        if action is Action.MANAGE_LEGAL_REPRESENTATIVES or _brings_outsider_to_clients(
            action, resource
        ):
            return FORBIDDEN
        return ALLOWED
    return ALLOWED if action in _plain_user_rights(actor, resource) else FORBIDDEN


def _plain_user_rights(actor: Actor, resource) -> set[Action]:
    rights = set(EVERYONE_IN_THE_ORGANISATION_MAY)
    if actor.billing_rights:  # the organisation's money, the programme's included
        rights |= {Action.VIEW_BILLING, Action.VIEW_PROGRAMME_MONEY}
    if _is_leader(actor, resource):
        rights.add(Action.MANAGE_TEAM_MEMBERS)
        if not resource.acts_for_clients:
            rights.add(Action.INVITE_TO_TEAM)
    return rights


def _expected_for_team_guest(actor: Actor, action: Action, resource) -> Decision:
    if isinstance(resource, OrganisationResource):
        return ALLOWED if action is Action.VIEW_ORGANISATION else HIDDEN
    if resource.team_id not in actor.team_ids:
        return HIDDEN
    if action is Action.VIEW_TEAM:
        return ALLOWED
    if action is Action.MANAGE_TEAM_MEMBERS and _is_leader(actor, resource):
        return ALLOWED
    if action is Action.INVITE_TO_TEAM and _is_leader(actor, resource):
        return FORBIDDEN if resource.acts_for_clients else ALLOWED
    return FORBIDDEN


def _brings_outsider_to_clients(action: Action, resource) -> bool:
    """Only legal representatives invite someone from outside into a team acting for clients."""
    return action is Action.INVITE_TO_TEAM and getattr(resource, "acts_for_clients", False)


def _is_leader(actor: Actor, resource) -> bool:
    return isinstance(resource, TeamResource) and resource.leader_id == actor.user_id


# --- the world hypothesis draws from: ids 1–3, so that matches and mismatches are common ----

IDS = (1, 2, 3)
ALL_ACTORS = [
    Actor(user_id, organisation_id, role, billing_rights, frozenset(team_ids))
    for user_id, organisation_id, role, billing_rights, team_ids in itertools.product(
        IDS,
        (None, *IDS),
        (None, *Role),
        (False, True),
        [ids for size in range(4) for ids in itertools.combinations(IDS, size)],
    )
]
ALL_RESOURCES = [OrganisationResource(organisation_id) for organisation_id in IDS] + [
    TeamResource(organisation_id, team_id, leader_id, acts_for_clients)
    for organisation_id, team_id, leader_id, acts_for_clients in itertools.product(
        IDS, IDS, (None, *IDS), (False, True)
    )
]


@settings(max_examples=2000, deadline=None, database=None)
@given(
    actor=st.sampled_from(ALL_ACTORS),
    action=st.sampled_from(ORGANISATION_ACTIONS),
    resource=st.sampled_from(ALL_RESOURCES),
)
def test_decide_agrees_with_the_rules(actor, action, resource):
    assert decide(actor, action, resource) is expected_decision(actor, action, resource)


def test_decide_agrees_with_the_rules_on_every_case_of_the_small_world():
    disagreements = [
        (actor, action, resource)
        for actor, action, resource in itertools.product(
            ALL_ACTORS, ORGANISATION_ACTIONS, ALL_RESOURCES
        )
        if decide(actor, action, resource) is not expected_decision(actor, action, resource)
    ]
    assert disagreements == []


# --- the rules, one example each, so that a failure reads like the spec ----------------------

HOME = OrganisationResource(1)
ELSEWHERE = OrganisationResource(2)
TEAM = TeamResource(1, team_id=7, leader_id=None)


def member(role: Role | None, **kwargs) -> Actor:
    return Actor(user_id=10, organisation_id=1, role=role, **kwargs)


@pytest.mark.parametrize("role", [*Role, None])
def test_another_organisation_is_hidden_even_from_its_would_be_managers(role):
    assert decide(member(role, team_ids=frozenset({7})), Action.VIEW_ORGANISATION, ELSEWHERE) is (
        HIDDEN
    )
    assert decide(member(role), Action.VIEW_TEAM, TeamResource(2, 7, 10)) is HIDDEN


def test_an_actor_outside_any_organisation_sees_nothing():
    nobody = Actor(user_id=10, organisation_id=None, role=None)
    assert decide(nobody, Action.VIEW_ORGANISATION, HOME) is HIDDEN


def test_only_a_legal_representative_gives_or_takes_that_role():
    legal = member(Role.LEGAL_REPRESENTATIVE)
    administrator = member(Role.ADMINISTRATOR)
    assert decide(legal, Action.MANAGE_LEGAL_REPRESENTATIVES, HOME) is ALLOWED
    assert decide(administrator, Action.MANAGE_LEGAL_REPRESENTATIVES, HOME) is FORBIDDEN
    assert decide(administrator, Action.MANAGE_MEMBERS, HOME) is ALLOWED
    assert decide(administrator, Action.VIEW_AUDIT, HOME) is ALLOWED


def test_a_plain_user_sees_billing_only_with_billing_rights():
    assert decide(member(Role.USER), Action.VIEW_BILLING, HOME) is FORBIDDEN
    assert decide(member(Role.USER, billing_rights=True), Action.VIEW_BILLING, HOME) is ALLOWED


@pytest.mark.parametrize(
    "action",
    [Action.EDIT_ORGANISATION, Action.MANAGE_MEMBERS, Action.MANAGE_TEAMS, Action.VIEW_AUDIT],
)
def test_a_plain_user_does_not_manage(action):
    assert decide(member(Role.USER, billing_rights=True), action, HOME) is FORBIDDEN


def test_a_team_leader_manages_the_members_of_their_team_only():
    leader = member(Role.USER, team_ids=frozenset({7}))
    led = TeamResource(1, team_id=7, leader_id=10)
    assert decide(leader, Action.MANAGE_TEAM_MEMBERS, led) is ALLOWED
    assert decide(leader, Action.MANAGE_TEAM_MEMBERS, TEAM) is FORBIDDEN
    assert decide(leader, Action.MANAGE_TEAMS, led) is FORBIDDEN


def test_a_team_guest_sees_the_organisation_and_their_team_only():
    guest = member(None, team_ids=frozenset({7}))
    assert decide(guest, Action.VIEW_ORGANISATION, HOME) is ALLOWED
    assert decide(guest, Action.VIEW_TEAM, TEAM) is ALLOWED
    assert decide(guest, Action.VIEW_TEAM, TeamResource(1, team_id=8, leader_id=None)) is HIDDEN
    assert decide(guest, Action.VIEW_MEMBERS, HOME) is HIDDEN
    assert decide(guest, Action.MANAGE_TEAM_MEMBERS, TEAM) is FORBIDDEN
    led = TeamResource(1, team_id=7, leader_id=10)
    assert decide(guest, Action.MANAGE_TEAM_MEMBERS, led) is ALLOWED


def test_require_answers_404_for_hidden_and_403_for_forbidden():
    with pytest.raises(NotFound):
        require(member(Role.LEGAL_REPRESENTATIVE), Action.VIEW_ORGANISATION, ELSEWHERE)
    with pytest.raises(Forbidden):
        require(member(Role.USER), Action.MANAGE_MEMBERS, HOME)
    require(member(Role.ADMINISTRATOR), Action.MANAGE_MEMBERS, HOME)


def test_may_is_true_only_when_allowed():
    assert may(member(Role.ADMINISTRATOR), Action.MANAGE_TEAMS, HOME)
    assert not may(member(Role.USER), Action.MANAGE_TEAMS, HOME)
    assert not may(member(Role.ADMINISTRATOR), Action.MANAGE_TEAMS, ELSEWHERE)


@pytest.mark.parametrize(
    ("role", "every_client"),
    [
        (Role.LEGAL_REPRESENTATIVE, True),
        (Role.ADMINISTRATOR, True),
        (Role.USER, False),
        (None, False),
    ],
)
def test_only_legal_representatives_and_administrators_see_every_client(role, every_client):
    actor = Actor(7, 1, role, billing_rights=True, team_ids=frozenset({4}))
    scope = client_scope(actor)
    assert scope.every_client is every_client
    given_through_team = LinkResource(1, 2, active=True, assigned_team_ids=frozenset({4}))
    given_in_person = LinkResource(1, 2, active=True, assigned_user_ids=frozenset({7}))
    not_given = LinkResource(1, 2, active=True, assigned_user_ids=frozenset({8}))
    stopped = LinkResource(1, 2, active=False, assigned_user_ids=frozenset({7}))
    assert scope.sees(given_through_team) and scope.sees(given_in_person)
    assert scope.sees(not_given) is every_client
    assert scope.sees(stopped) is every_client


PARTNER_LINKS = [
    LinkResource(
        1, 2, active, assigned_user_ids=frozenset(users), assigned_team_ids=frozenset(teams)
    )
    for active, users, teams in itertools.product(
        (False, True), [(), (1,), (2, 3)], [(), (1,), (2, 3)]
    )
]


@pytest.mark.parametrize("actor", [a for a in ALL_ACTORS if a.organisation_id == 1])
def test_the_export_scope_sees_the_links_access_lets_export(actor):
    """The queries filter a report's clients by the scope export_scope gives (in SQL); that
    scope must agree, link by link, with the decision on each link."""
    for in_programme in (False, True):
        who = Actor(
            actor.user_id,
            1,
            actor.role,
            actor.billing_rights,
            actor.team_ids,
            in_programme=in_programme,
        )
        if not may(who, Action.EXPORT_BILLING, OrganisationResource(1)):
            with pytest.raises((Forbidden, NotFound)):
                export_scope(who, OrganisationResource(1))
            continue
        scope = export_scope(who, OrganisationResource(1))
        for link in PARTNER_LINKS:
            assert scope.sees(link) is may(who, Action.EXPORT_BILLING, link), (who, link)
