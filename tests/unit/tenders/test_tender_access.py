"""access.py on tenders: the author (a visitor's private link, the account that posted it, its
organisation's managers) decides; a partner sees a tender only if routed to it, and only its
managers answer; posting, the inbox and the settings."""

import pytest

from portal.access import (
    VISITOR,
    Action,
    Actor,
    Decision,
    OrganisationResource,
    Role,
    TenderResource,
    decide,
)

ALLOWED, FORBIDDEN, HIDDEN = Decision.ALLOWED, Decision.FORBIDDEN, Decision.HIDDEN
AUTHOR_ORG, PARTNER_ORG, OTHER_ORG = 1, 2, 3


def actor(organisation=AUTHOR_ORG, role=Role.LEGAL_REPRESENTATIVE, user=10, programme=False):
    return Actor(user, organisation, role, in_programme=programme)


POSTED_BY_10 = TenderResource(AUTHOR_ORG, 10)


@pytest.mark.parametrize(
    ("who", "resource", "expected"),
    [
        (VISITOR, TenderResource(None, None, private_link=True), ALLOWED),
        (VISITOR, TenderResource(None, None), HIDDEN),
        (VISITOR, POSTED_BY_10, HIDDEN),
        (actor(role=Role.USER, user=10), POSTED_BY_10, ALLOWED),  # its author
        (actor(role=Role.USER, user=11), POSTED_BY_10, HIDDEN),  # a colleague's
        (actor(role=Role.ADMINISTRATOR, user=12), POSTED_BY_10, ALLOWED),
        (actor(organisation=OTHER_ORG, user=10), POSTED_BY_10, HIDDEN),
        (actor(organisation=None, role=None, user=10), POSTED_BY_10, HIDDEN),
        (actor(organisation=PARTNER_ORG), TenderResource(AUTHOR_ORG, 10, PARTNER_ORG), HIDDEN),
    ],
)
@pytest.mark.parametrize("action", [Action.VIEW_OWN_TENDER, Action.DECIDE_TENDER])
def test_the_author_decides(who, resource, expected, action):
    assert decide(who, action, resource) is expected


ROUTED = TenderResource(None, None, routed_to=PARTNER_ORG, partner_active=True)
LEFT_PROGRAMME = TenderResource(None, None, routed_to=PARTNER_ORG, partner_active=False)


@pytest.mark.parametrize(
    ("who", "resource", "view", "answer"),
    [
        (actor(PARTNER_ORG, programme=True), ROUTED, ALLOWED, ALLOWED),
        (actor(PARTNER_ORG, Role.ADMINISTRATOR, programme=True), ROUTED, ALLOWED, ALLOWED),
        (actor(PARTNER_ORG, Role.USER, programme=True), ROUTED, ALLOWED, FORBIDDEN),
        (actor(PARTNER_ORG, None, programme=True), ROUTED, HIDDEN, HIDDEN),  # a team guest
        (actor(OTHER_ORG, programme=True), ROUTED, HIDDEN, HIDDEN),
        (actor(PARTNER_ORG, programme=True), LEFT_PROGRAMME, HIDDEN, HIDDEN),
        (actor(PARTNER_ORG, Role.USER, programme=True), LEFT_PROGRAMME, HIDDEN, HIDDEN),
        (actor(PARTNER_ORG), TenderResource(None, None), HIDDEN, HIDDEN),  # not routed
        (VISITOR, ROUTED, HIDDEN, HIDDEN),
        (
            VISITOR,
            TenderResource(None, None, routed_to=PARTNER_ORG, private_link=True),
            HIDDEN,
            HIDDEN,
        ),
    ],
)
def test_a_partner_sees_only_tenders_routed_to_it(who, resource, view, answer):
    assert decide(who, Action.VIEW_TENDER, resource) is view
    assert decide(who, Action.ANSWER_TENDER, resource) is answer


@pytest.mark.parametrize(
    ("who", "post", "see_settings", "change_settings"),
    [
        (actor(PARTNER_ORG, programme=True), ALLOWED, ALLOWED, ALLOWED),
        (actor(PARTNER_ORG, Role.USER, programme=True), ALLOWED, ALLOWED, FORBIDDEN),
        (actor(AUTHOR_ORG), ALLOWED, FORBIDDEN, FORBIDDEN),
        (actor(AUTHOR_ORG, Role.USER), ALLOWED, FORBIDDEN, FORBIDDEN),
    ],
)
def test_posting_and_the_settings(who, post, see_settings, change_settings):
    """An applicant (in the programme, not yet active) may already prepare its settings."""
    own = OrganisationResource(who.organisation_id)
    assert decide(who, Action.POST_TENDER, own) is post
    assert decide(who, Action.VIEW_TENDER_SETTINGS, own) is see_settings
    assert decide(who, Action.MANAGE_TENDER_SETTINGS, own) is change_settings
    assert decide(who, Action.POST_TENDER, OrganisationResource(OTHER_ORG + 10)) is HIDDEN


@pytest.mark.parametrize(
    ("who", "resource", "inbox"),
    [
        (actor(PARTNER_ORG, programme=True), ROUTED, ALLOWED),
        (actor(PARTNER_ORG, Role.ADMINISTRATOR, programme=True), ROUTED, ALLOWED),
        (actor(PARTNER_ORG, Role.USER, programme=True), ROUTED, ALLOWED),
        (actor(PARTNER_ORG, None, programme=True), ROUTED, HIDDEN),  # a team guest
        (actor(OTHER_ORG, programme=True), ROUTED, HIDDEN),  # another partner's inbox
        (actor(PARTNER_ORG, programme=True), LEFT_PROGRAMME, HIDDEN),  # not active
        (actor(PARTNER_ORG, Role.USER, programme=True), LEFT_PROGRAMME, HIDDEN),
        (VISITOR, ROUTED, HIDDEN),
    ],
)
def test_only_an_active_partner_has_an_inbox_and_a_record(who, resource, inbox):
    assert decide(who, Action.VIEW_TENDER_INBOX, resource) is inbox
    own = OrganisationResource(PARTNER_ORG)
    assert decide(who, Action.VIEW_TENDER_INBOX, own) is not ALLOWED  # not by membership alone
