"""access.decide on delegation (docs/rules.md, Delegation) compared with an oracle written from the
rules and the product decisions, not from the code:

- a link is the business of its two sides only: anyone else (a third organisation, or no
  organisation at all) gets HIDDEN, also for a pending emailed invitation, whose client is not
  known yet;
- partner side, legal representatives and administrators: always see the link; act for the
  client only while it is active (FORBIDDEN otherwise); only legal representatives decide on a
  client's request, stop, assign collaborators, and withdraw a request the partner made;
- partner side, anyone else (a plain user, a team guest): sees the link only while it is active
  and only if assigned, in person or through one of their teams (else HIDDEN); then may view it
  and act for the client, nothing more;
- inviting a new user into the client goes with acting for it, except that an outside guest of
  the partner's team brings nobody into the client;
- client side: everyone of the client sees that the link exists, but only legal
  representatives and administrators may view it; only legal representatives decide on an
  invitation, change the grant, stop, and withdraw a request the client made;
- a client's product, seen through a link: only the partner side, only when it may act for the
  client, only the products the grant covers (else HIDDEN); managing is allowed, ordering or
  renewing only with full access (FORBIDDEN otherwise);
- on the actor's own organisation: a legal representative of an organisation in the programme
  invites clients; a legal representative adds a partner; another organisation is HIDDEN and a
  team guest sees nothing of delegation there.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.access import (
    Action,
    Actor,
    ClientProductResource,
    Decision,
    LinkResource,
    OrganisationResource,
    Role,
    decide,
    require,
)
from portal.errors import Forbidden, NotFound
from tests.factories.access import (
    ADMIN,
    ALL_ACTORS,
    ALL_LINKS,
    ALLOWED,
    FORBIDDEN,
    HIDDEN,
    LEGAL,
    ORGANISATIONS,
    USER,
    expected_decision,
)

DELEGATION_ACTIONS = [
    Action.INVITE_CLIENT,
    Action.ADD_PARTNER,
    Action.VIEW_LINK,
    Action.DECIDE_AS_CLIENT,
    Action.DECIDE_AS_PARTNER,
    Action.WITHDRAW_REQUEST,
    Action.CHANGE_LINK,
    Action.STOP_LINK,
    Action.ASSIGN_COLLABORATORS,
    Action.REQUEST_ON_LINK,
    Action.END_ELEVATION,
    Action.ACT_FOR_CLIENT,
    Action.INVITE_CLIENT_USER,
    Action.MANAGE_CLIENT_PRODUCT,
    Action.ORDER_FOR_CLIENT,
]


# --- the oracle --------------------------------------------------------------------------------


RESOURCES = st.one_of(
    st.sampled_from(ALL_LINKS),
    st.builds(ClientProductResource, st.sampled_from(ALL_LINKS), st.booleans(), st.booleans()),
    st.builds(OrganisationResource, st.sampled_from(ORGANISATIONS)),
)


@settings(max_examples=5000, deadline=None, database=None)
@given(
    actor=st.sampled_from(ALL_ACTORS),
    action=st.sampled_from(DELEGATION_ACTIONS),
    resource=RESOURCES,
)
def test_decide_agrees_with_the_oracle_on_delegation(actor, action, resource):
    assert decide(actor, action, resource) is expected_decision(actor, action, resource)


# --- every case of a small world that still has every distinction -----------------------------

PARTNER, CLIENT, THIRD = 1, 2, 3
ME, SOMEONE_ELSE = 10, 11
MY_TEAM, OTHER_TEAM = 20, 21

SMALL_LINKS = [
    LinkResource(PARTNER, client, active, open_, by_partner, frozenset(people), frozenset(teams))
    for client, active, open_, by_partner, people, teams in itertools.product(
        (CLIENT, None),
        (True, False),
        (True, False),
        (True, False),
        ((), (ME,), (SOMEONE_ELSE,)),
        ((), (MY_TEAM,), (OTHER_TEAM,)),
    )
]
SMALL_ACTORS = [
    Actor(ME, organisation, role, team_ids=frozenset(teams), in_programme=in_programme)
    for organisation, role, teams, in_programme in itertools.product(
        (PARTNER, CLIENT, THIRD, None),
        (LEGAL, ADMIN, USER, None),
        ((), (MY_TEAM,)),
        (True, False),
    )
]
SMALL_RESOURCES = [
    *SMALL_LINKS,
    *(
        ClientProductResource(link, covered, may_order)
        for link, covered, may_order in itertools.product(SMALL_LINKS, (True, False), (True, False))
    ),
    *(OrganisationResource(o) for o in (PARTNER, CLIENT, THIRD)),
]


def test_decide_agrees_with_the_oracle_on_every_case_of_the_small_world():
    disagreements = [
        (actor, action, resource)
        for actor, action, resource in itertools.product(
            SMALL_ACTORS, DELEGATION_ACTIONS, SMALL_RESOURCES
        )
        if decide(actor, action, resource) is not expected_decision(actor, action, resource)
    ]
    assert disagreements[:5] == []


def test_the_small_world_reaches_every_verdict_of_every_action():
    """Guards the world above: a world too small to allow (or refuse) an action tests nothing."""
    seen = {
        (action, expected_decision(actor, action, resource))
        for actor, action, resource in itertools.product(
            SMALL_ACTORS, DELEGATION_ACTIONS, SMALL_RESOURCES
        )
    }
    assert seen == set(itertools.product(DELEGATION_ACTIONS, Decision))


# --- the rules, one example each, so that a failure reads like the spec ------------------------

ACTIVE = LinkResource(PARTNER, CLIENT, active=True, assigned_user_ids=frozenset({ME}))
AWAITING_PARTNER = LinkResource(PARTNER, CLIENT, active=False, initiated_by_partner=False)
INVITATION = LinkResource(PARTNER, None, active=False, initiated_by_partner=True)
STOPPED = LinkResource(PARTNER, CLIENT, active=False, open=False, assigned_user_ids=frozenset({ME}))


def person(organisation: int | None, role: Role | None, **kwargs) -> Actor:
    return Actor(user_id=ME, organisation_id=organisation, role=role, **kwargs)


@pytest.mark.parametrize("role", [LEGAL, ADMIN, USER, None])
@pytest.mark.parametrize("action", DELEGATION_ACTIONS)
def test_a_third_organisation_never_sees_a_link_nor_its_products(role, action):
    outsider = person(THIRD, role, team_ids=frozenset({MY_TEAM}))
    for link in (ACTIVE, AWAITING_PARTNER, INVITATION, STOPPED):
        assert decide(outsider, action, link) is HIDDEN
        assert decide(outsider, action, ClientProductResource(link, True, True)) is HIDDEN


def test_nobody_but_the_partner_sees_a_pending_invitation():
    for organisation in (CLIENT, THIRD, None):
        assert decide(person(organisation, LEGAL), Action.VIEW_LINK, INVITATION) is HIDDEN
    assert decide(person(PARTNER, ADMIN), Action.VIEW_LINK, INVITATION) is ALLOWED


@pytest.mark.parametrize("role", [LEGAL, ADMIN])
def test_partner_managers_always_see_the_link_and_act_only_while_it_is_active(role):
    manager = person(PARTNER, role)
    for link in (ACTIVE, AWAITING_PARTNER, INVITATION, STOPPED):
        assert decide(manager, Action.VIEW_LINK, link) is ALLOWED
    assert decide(manager, Action.ACT_FOR_CLIENT, ACTIVE) is ALLOWED
    for link in (AWAITING_PARTNER, INVITATION, STOPPED):
        assert decide(manager, Action.ACT_FOR_CLIENT, link) is FORBIDDEN


@pytest.mark.parametrize(
    "action", [Action.DECIDE_AS_PARTNER, Action.STOP_LINK, Action.ASSIGN_COLLABORATORS]
)
def test_only_the_partners_legal_representatives_decide_stop_and_assign(action):
    assert decide(person(PARTNER, LEGAL), action, ACTIVE) is ALLOWED
    assert decide(person(PARTNER, ADMIN), action, ACTIVE) is FORBIDDEN
    assert decide(person(PARTNER, USER), action, ACTIVE) is FORBIDDEN  # assigned: sees, no more


def test_a_request_is_withdrawn_by_the_legal_representatives_of_the_side_that_made_it():
    assert decide(person(PARTNER, LEGAL), Action.WITHDRAW_REQUEST, INVITATION) is ALLOWED
    assert decide(person(PARTNER, ADMIN), Action.WITHDRAW_REQUEST, INVITATION) is FORBIDDEN
    assert decide(person(PARTNER, LEGAL), Action.WITHDRAW_REQUEST, AWAITING_PARTNER) is FORBIDDEN
    assert decide(person(CLIENT, LEGAL), Action.WITHDRAW_REQUEST, AWAITING_PARTNER) is ALLOWED
    assert decide(person(CLIENT, ADMIN), Action.WITHDRAW_REQUEST, AWAITING_PARTNER) is FORBIDDEN
    by_partner = LinkResource(PARTNER, CLIENT, active=False, initiated_by_partner=True)
    assert decide(person(CLIENT, LEGAL), Action.WITHDRAW_REQUEST, by_partner) is FORBIDDEN


@pytest.mark.parametrize("role", [USER, None])
def test_a_collaborator_sees_only_active_clients_given_to_them(role):
    assigned = person(PARTNER, role)
    in_team = person(PARTNER, role, team_ids=frozenset({MY_TEAM}))
    through_team = LinkResource(PARTNER, CLIENT, True, assigned_team_ids=frozenset({MY_TEAM}))
    assert decide(assigned, Action.VIEW_LINK, ACTIVE) is ALLOWED
    assert decide(assigned, Action.ACT_FOR_CLIENT, ACTIVE) is ALLOWED
    assert decide(in_team, Action.ACT_FOR_CLIENT, through_team) is ALLOWED
    assert decide(assigned, Action.VIEW_LINK, through_team) is HIDDEN  # not in that team
    assert decide(assigned, Action.VIEW_LINK, STOPPED) is HIDDEN  # given, but ended
    others = LinkResource(PARTNER, CLIENT, True, assigned_user_ids=frozenset({SOMEONE_ELSE}))
    assert decide(assigned, Action.VIEW_LINK, others) is HIDDEN
    inviting = decide(assigned, Action.INVITE_CLIENT_USER, ACTIVE)
    assert inviting is (ALLOWED if role is USER else FORBIDDEN)  # an outside guest may not
    acting = {Action.VIEW_LINK, Action.ACT_FOR_CLIENT, Action.INVITE_CLIENT_USER}
    for action in set(DELEGATION_ACTIONS) - acting:
        assert decide(assigned, action, ACTIVE) is FORBIDDEN, action


def test_on_the_client_side_only_legal_representatives_decide_change_and_stop():
    for action in (Action.DECIDE_AS_CLIENT, Action.CHANGE_LINK, Action.STOP_LINK):
        assert decide(person(CLIENT, LEGAL), action, ACTIVE) is ALLOWED
        assert decide(person(CLIENT, ADMIN), action, ACTIVE) is FORBIDDEN
    assert decide(person(CLIENT, ADMIN), Action.VIEW_LINK, ACTIVE) is ALLOWED
    for role in (USER, None):
        assert decide(person(CLIENT, role), Action.VIEW_LINK, ACTIVE) is FORBIDDEN
    for action in (Action.ACT_FOR_CLIENT, Action.ASSIGN_COLLABORATORS, Action.DECIDE_AS_PARTNER):
        assert decide(person(CLIENT, LEGAL), action, ACTIVE) is FORBIDDEN


def test_inviting_clients_and_adding_partners_on_ones_own_organisation():
    home = OrganisationResource(PARTNER)
    assert decide(person(PARTNER, LEGAL, in_programme=True), Action.INVITE_CLIENT, home) is ALLOWED
    assert decide(person(PARTNER, LEGAL), Action.INVITE_CLIENT, home) is FORBIDDEN
    assert decide(person(PARTNER, ADMIN, in_programme=True), Action.INVITE_CLIENT, home) is (
        FORBIDDEN
    )
    assert decide(person(PARTNER, LEGAL), Action.ADD_PARTNER, home) is ALLOWED
    assert decide(person(PARTNER, ADMIN), Action.ADD_PARTNER, home) is FORBIDDEN
    assert decide(person(PARTNER, LEGAL), Action.ADD_PARTNER, OrganisationResource(CLIENT)) is (
        HIDDEN
    )


def test_a_clients_products_are_reached_through_an_active_link_and_its_grant_only():
    full, restricted = (ClientProductResource(ACTIVE, True, may) for may in (True, False))
    for role in (LEGAL, ADMIN, USER):
        actor = person(PARTNER, role)
        assert decide(actor, Action.MANAGE_CLIENT_PRODUCT, full) is ALLOWED
        assert decide(actor, Action.ORDER_FOR_CLIENT, full) is ALLOWED
        assert decide(actor, Action.MANAGE_CLIENT_PRODUCT, restricted) is ALLOWED
        assert decide(actor, Action.ORDER_FOR_CLIENT, restricted) is FORBIDDEN
        uncovered = ClientProductResource(ACTIVE, False, True)
        assert decide(actor, Action.MANAGE_CLIENT_PRODUCT, uncovered) is HIDDEN
        ended = ClientProductResource(STOPPED, True, True)
        assert decide(actor, Action.MANAGE_CLIENT_PRODUCT, ended) is HIDDEN
    # the client's own people reach their products through their organisation, not a link
    assert decide(person(CLIENT, LEGAL), Action.MANAGE_CLIENT_PRODUCT, full) is HIDDEN
    assert (
        decide(
            person(PARTNER, USER),
            Action.MANAGE_CLIENT_PRODUCT,
            ClientProductResource(LinkResource(PARTNER, CLIENT, True), True, True),
        )
        is HIDDEN
    )  # not assigned


def test_require_answers_404_for_a_hidden_link_and_403_for_a_visible_forbidden_one():
    with pytest.raises(NotFound):
        require(person(THIRD, LEGAL), Action.VIEW_LINK, ACTIVE)
    with pytest.raises(Forbidden):
        require(person(PARTNER, ADMIN), Action.STOP_LINK, ACTIVE)
    require(person(PARTNER, LEGAL), Action.STOP_LINK, ACTIVE)
