"""Who may see a background report (page, progress, download): the decision in access.py."""

import pytest

from portal.access import (
    Action,
    Actor,
    Decision,
    OrganisationResource,
    ReportFileResource,
    Role,
    decide,
)

PARTNER, OTHER = 1, 2
REQUESTER, COLLEAGUE = 10, 11
REPORT = ReportFileResource(organisation_id=PARTNER, requested_by=REQUESTER)


def actor(user=REQUESTER, organisation=PARTNER, role=Role.USER, billing=True, programme=True):
    return Actor(
        user_id=user,
        organisation_id=organisation,
        role=role,
        billing_rights=billing,
        in_programme=programme,
    )


@pytest.mark.parametrize(
    ("who", "decision"),
    [
        (actor(), Decision.ALLOWED),  # the requester, with billing rights
        (actor(role=Role.LEGAL_REPRESENTATIVE, billing=False), Decision.ALLOWED),
        (actor(COLLEAGUE, role=Role.LEGAL_REPRESENTATIVE), Decision.ALLOWED),  # a manager
        (actor(COLLEAGUE, role=Role.ADMINISTRATOR, billing=False), Decision.ALLOWED),
        (actor(COLLEAGUE), Decision.HIDDEN),  # a colleague's report may hold other clients
        (actor(COLLEAGUE, billing=False), Decision.HIDDEN),
        (actor(COLLEAGUE, role=None), Decision.HIDDEN),  # a team guest
        (actor(organisation=OTHER, role=Role.LEGAL_REPRESENTATIVE), Decision.HIDDEN),
        (actor(organisation=None, role=None), Decision.HIDDEN),
        (actor(billing=False), Decision.FORBIDDEN),  # the requester lost the right to export
        (actor(role=Role.LEGAL_REPRESENTATIVE, programme=False), Decision.FORBIDDEN),
    ],
)
def test_who_sees_a_background_report(who, decision):
    assert decide(who, Action.VIEW_REPORT_FILE, REPORT) is decision


def test_a_report_resource_allows_nothing_but_viewing():
    manager = actor(role=Role.LEGAL_REPRESENTATIVE)
    assert decide(manager, Action.EDIT_ORGANISATION, REPORT) is Decision.FORBIDDEN
    # and the action means nothing on another kind of resource
    assert decide(manager, Action.VIEW_REPORT_FILE, OrganisationResource(PARTNER)) is (
        Decision.FORBIDDEN
    )
