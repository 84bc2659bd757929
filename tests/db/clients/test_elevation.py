"""Temporary full access through the services, on the real database: asked with a reason,
approved with the password, full access at once under the one-full-partner rule, ended early by
either side or by itself at its end — back to exactly the grant before, with both logs and the
mails saying so."""

from datetime import UTC, datetime, timedelta

import pytest

from portal.audit.tables import AuditEvent
from portal.clients import requests, services
from portal.clients.tables import LinkRequest, PartnerLink
from portal.errors import Conflict, FormErrors
from portal.mail.tables import OutboxMail
from tests.factories.accounts import PASSWORD
from tests.factories.clients import (
    SETTINGS,
    asked_and_approved,
    delegated,
    restricted_world,
    the_link,
)
from tests.factories.organisations import insert_organisation


async def test_approved_temporary_full_access_is_full_access_until_its_end(db):
    world = await restricted_world()
    before = datetime.now(UTC)
    request_id = await asked_and_approved(world, hours=2)

    link = await the_link(world.link)
    assert (link["access"], link["billing_mode"], link["families"]) == ("full", "client", [])
    assert await delegated(world.link) == set()
    elevation = await LinkRequest.select().where(LinkRequest.id == request_id).first()
    assert elevation["status"] == "active"
    assert timedelta(hours=2) <= elevation["ends_at"] - before < timedelta(hours=2, minutes=1)
    assert elevation["previous"]  # the grant it goes back to


async def test_at_its_end_the_grant_before_comes_back_exactly(db):
    world = await restricted_world()
    await asked_and_approved(world, hours=2)

    assert await services.settle_due(datetime.now(UTC) + timedelta(hours=1)) == 0
    assert (await the_link(world.link))["access"] == "full"
    assert await services.settle_due(datetime.now(UTC) + timedelta(hours=2, minutes=1)) == 1

    link = await the_link(world.link)
    assert (link["access"], link["families"], link["billing_mode"]) == (
        "restricted",
        ["web_hosting"],
        None,
    )
    assert await delegated(world.link) == {world.products["mail"]}
    actions = {
        (row["organisation"], row["action"], row["actor_name"])
        for row in await AuditEvent.select().where(AuditEvent.action == "link.elevation_ended")
    }
    assert actions == {
        (world.partner, "link.elevation_ended", "Partner Portal"),
        (world.client, "link.elevation_ended", "Partner Portal"),
    }
    subjects = [m["subject"] for m in await OutboxMail.select(OutboxMail.subject)]
    assert subjects.count("Temporary full access of Partner AG ended") == 2
    # settled: a second pass finds nothing
    assert await services.settle_due(datetime.now(UTC) + timedelta(hours=3)) == 0


@pytest.mark.parametrize("side", ["partner_rep", "client_rep"])
async def test_either_side_ends_it_early(db, side):
    world = await restricted_world()
    request_id = await asked_and_approved(world)
    await requests.end_elevation_early(getattr(world, side), world.link)
    assert (await the_link(world.link))["access"] == "restricted"
    assert await delegated(world.link) == {world.products["mail"]}
    elevation = await LinkRequest.select().where(LinkRequest.id == request_id).first()
    ended_by = getattr(world, side).organisation.id
    assert (elevation["status"], elevation["ended_by"]) == ("ended", ended_by)
    with pytest.raises(Conflict):
        await requests.end_elevation_early(getattr(world, side), world.link)


async def test_the_approval_asks_for_the_password(db):
    world = await restricted_world()
    request_id = await requests.request_elevation(
        SETTINGS, world.partner_rep, world.link, timedelta(hours=1), "Urgent fix."
    )
    with pytest.raises(FormErrors) as refused:
        await requests.approve_elevation(
            SETTINGS, world.client_rep, world.link, request_id, "not-the-password", ""
        )
    assert "password" in refused.value.errors
    assert (await the_link(world.link))["access"] == "restricted"


async def test_no_full_access_while_another_partner_manages_products(db):
    world = await restricted_world(families=("web_hosting",), named=())
    other = await insert_organisation("Other Partner AG", partner_status="active")
    await PartnerLink.insert(
        PartnerLink(
            partner=other,
            client=world.client,
            status="active",
            initiated_by="partner",
            requested_access="restricted",
            access="restricted",
            families=["domain"],
            expires_at=datetime.now(UTC),
        )
    )
    request_id = await requests.request_elevation(
        SETTINGS, world.partner_rep, world.link, timedelta(hours=1), "Urgent fix."
    )
    with pytest.raises(FormErrors) as refused:
        await requests.approve_elevation(
            SETTINGS, world.client_rep, world.link, request_id, PASSWORD, ""
        )
    assert "exactly one partner" in refused.value.errors["access"]
    assert (await the_link(world.link))["access"] == "restricted"


async def test_a_reason_and_a_restricted_grant_are_needed(db):
    world = await restricted_world()
    with pytest.raises(FormErrors) as refused:
        await requests.request_elevation(
            SETTINGS, world.partner_rep, world.link, timedelta(hours=1), "  "
        )
    assert "reason" in refused.value.errors
    await asked_and_approved(world)
    with pytest.raises(FormErrors):
        await requests.request_elevation(
            SETTINGS, world.partner_rep, world.link, timedelta(hours=1), "More."
        )


async def test_stopping_the_link_ends_the_elevation_and_keeps_the_grant_before(db):
    world = await restricted_world()
    request_id = await asked_and_approved(world)
    await services.stop_link(SETTINGS, world.client_rep, world.link, PASSWORD)
    link = await the_link(world.link)
    assert (link["status"], link["access"]) == ("stopped", "restricted")
    elevation = await LinkRequest.select().where(LinkRequest.id == request_id).first()
    assert elevation["status"] == "ended"
    assert await services.settle_due(datetime.now(UTC) + timedelta(days=1)) == 0
