"""Who may export billing reports, decided in access.py (pure)."""

import pytest

from portal.access import (
    Action,
    Actor,
    Decision,
    LinkResource,
    OrganisationResource,
    Role,
    decide,
)

PARTNER, CLIENT, OTHER = 1, 2, 3


def actor(role, *, billing=False, in_programme=True, user_id=10, organisation=PARTNER, teams=()):
    return Actor(user_id, organisation, role, billing, frozenset(teams), in_programme)


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (actor(Role.LEGAL_REPRESENTATIVE), Decision.ALLOWED),
        (actor(Role.ADMINISTRATOR), Decision.ALLOWED),
        (actor(Role.USER, billing=True), Decision.ALLOWED),
        (actor(Role.USER), Decision.FORBIDDEN),
        (actor(Role.LEGAL_REPRESENTATIVE, in_programme=False), Decision.FORBIDDEN),
        (actor(None, teams=[5]), Decision.HIDDEN),  # a team guest
        (actor(Role.LEGAL_REPRESENTATIVE, organisation=OTHER), Decision.HIDDEN),
    ],
)
def test_who_may_export_the_partners_billing(who, expected):
    assert decide(who, Action.EXPORT_BILLING, OrganisationResource(PARTNER)) is expected


def link(*, active=True, users=(), teams=(), partner=PARTNER):
    return LinkResource(partner, CLIENT, active, active, True, frozenset(users), frozenset(teams))


@pytest.mark.parametrize(
    ("who", "resource", "expected"),
    [
        (actor(Role.LEGAL_REPRESENTATIVE), link(), Decision.ALLOWED),
        (actor(Role.ADMINISTRATOR), link(active=False), Decision.ALLOWED),  # a former client
        (actor(Role.USER, billing=True), link(users=[10]), Decision.ALLOWED),
        (actor(Role.USER, billing=True, teams=[7]), link(teams=[7]), Decision.ALLOWED),
        (actor(Role.USER, billing=True), link(), Decision.HIDDEN),  # not given to them
        (actor(Role.USER, billing=True), link(users=[10], active=False), Decision.HIDDEN),
        (actor(Role.LEGAL_REPRESENTATIVE), link(partner=OTHER), Decision.HIDDEN),
    ],
)
def test_which_clients_an_actor_may_export(who, resource, expected):
    assert decide(who, Action.EXPORT_BILLING, resource) is expected


def test_the_client_side_cannot_export_through_a_link():
    owner = actor(Role.LEGAL_REPRESENTATIVE, organisation=CLIENT)
    assert decide(owner, Action.EXPORT_BILLING, link()) is Decision.FORBIDDEN
