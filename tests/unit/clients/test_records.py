"""Link records built from the rows of active_links_of_client."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.access import LinkResource
from portal.clients.records import Link
from portal.clients.rules import Access, BillingMode, Grant, LinkStatus, Side

ROW = {
    "id": 5,
    "partner": 2,
    "client": 9,
    "status": "active",
    "initiated_by": "client",
    "access": "restricted",
    "families": ["hosting", "domains"],
    "product_ids": [31, 32],
    "billing_mode": None,
    "partner_name": "Alpine Web Studio GmbH",
    "partner_currency": "EUR",
    "assigned_user_ids": [4],
    "assigned_team_ids": [],
    "ends_at": datetime(2027, 1, 31, 23, 0, tzinfo=UTC),
}


def test_a_link_row_becomes_a_typed_record():
    link = Link.from_row(ROW)

    assert link.status is LinkStatus.ACTIVE and link.initiated_by is Side.CLIENT
    assert link.access is Access.RESTRICTED and link.billing_mode is None
    assert link.families == frozenset({"hosting", "domains"})
    assert link.product_ids == frozenset({31, 32})
    assert (link.partner_id, link.client_id, link.partner_currency) == (2, 9, "EUR")
    assert link.ends_at == datetime(2027, 1, 31, 23, 0, tzinfo=UTC)


def test_its_grant_is_what_the_link_delegates():
    grant = Link.from_row(ROW).grant
    assert grant == Grant(Access.RESTRICTED, frozenset({"hosting", "domains"}), frozenset({31, 32}))
    assert grant.covers(31, "email") and grant.covers(99, "hosting")
    assert not grant.covers(99, "email")


def test_full_access_carries_its_billing_mode():
    full = Link.from_row({**ROW, "access": "full", "families": None, "billing_mode": "partner"})
    assert full.grant == Grant(Access.FULL, frozenset(), frozenset({31, 32}), BillingMode.PARTNER)
    assert full.grant.covers(99, "email")


def test_a_link_without_access_has_no_grant():
    assert Link.from_row({**ROW, "access": None}).grant is None


def test_its_resource_is_what_the_authorization_decision_reads():
    assert Link.from_row(ROW).resource == LinkResource(
        partner_id=2,
        client_id=9,
        active=True,
        open=True,
        initiated_by_partner=False,
        assigned_user_ids=frozenset({4}),
        assigned_team_ids=frozenset(),
    )
    stopped = Link.from_row({**ROW, "status": "stopped", "initiated_by": "partner"}).resource
    assert not stopped.active and not stopped.open and stopped.initiated_by_partner


def test_a_link_record_is_immutable_and_slotted():
    link = Link.from_row(ROW)
    with pytest.raises(AttributeError):
        link.access = Access.FULL  # type: ignore[misc]
    assert not hasattr(link, "__dict__")
