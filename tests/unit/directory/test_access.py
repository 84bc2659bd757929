"""Who may edit a directory listing, and what a visitor may see: access.py's answers against
the rule — managers (legal representatives, administrators) of an organisation in the
programme edit its listing; a listing is seen by anyone while shown, and does not exist
otherwise."""

import itertools

import pytest

from portal.access import (
    Action,
    Actor,
    Decision,
    ListingResource,
    OrganisationResource,
    Role,
    decide,
    decide_for_visitor,
    require_as_visitor,
)
from portal.errors import NotFound

ROLES = [Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR, Role.USER, None]


@pytest.mark.parametrize(("role", "in_programme"), list(itertools.product(ROLES, [True, False])))
def test_managers_of_a_programme_organisation_edit_its_listing(role, in_programme):
    actor = Actor(1, 10, role, in_programme=in_programme, team_ids=frozenset({3}))
    decision = decide(actor, Action.MANAGE_LISTING, OrganisationResource(10))
    if role is None:
        expected = Decision.HIDDEN  # a team guest: not the organisation's business
    elif role in (Role.LEGAL_REPRESENTATIVE, Role.ADMINISTRATOR) and in_programme:
        expected = Decision.ALLOWED
    else:
        expected = Decision.FORBIDDEN
    assert decision is expected


def test_nobody_edits_another_organisations_listing():
    actor = Actor(1, 10, Role.LEGAL_REPRESENTATIVE, in_programme=True)
    assert decide(actor, Action.MANAGE_LISTING, OrganisationResource(11)) is Decision.HIDDEN


@pytest.mark.parametrize("shown", [True, False])
def test_a_listing_is_public_while_shown_and_missing_otherwise(shown):
    expected = Decision.ALLOWED if shown else Decision.HIDDEN
    assert decide_for_visitor(Action.VIEW_LISTING, ListingResource(shown)) is expected
    for actor in (
        Actor(1, 10, Role.LEGAL_REPRESENTATIVE, in_programme=True),
        Actor(2, None, None),
        Actor(3, 5, Role.USER, is_staff=True),
    ):
        assert decide(actor, Action.VIEW_LISTING, ListingResource(shown)) is expected


def test_a_visitor_does_nothing_else():
    for action in Action:
        if action is not Action.VIEW_LISTING:
            assert decide_for_visitor(action, ListingResource(True)) is Decision.HIDDEN
    with pytest.raises(NotFound):
        require_as_visitor(Action.VIEW_LISTING, ListingResource(False))
