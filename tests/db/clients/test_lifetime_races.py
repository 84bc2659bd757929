"""Races of a delegation's life, on two connections at once: temporary full access approved
while the client stops the collaboration, and a transfer code redeemed twice at once. One
wins, the other is told clearly, and the rules hold after either order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from portal.clients import requests, rules, services, transfers
from portal.clients.rules import Access, BillingMode, Grant
from portal.clients.tables import LinkRequest, LinkTransfer, PartnerLink
from portal.core.current import Current
from portal.errors import Conflict, FormErrors
from tests.factories.accounts import PASSWORD
from tests.factories.clients import (
    SETTINGS,
    asked_and_approved,
    current_of,
    delegated,
    restricted_world,
    the_link,
)
from tests.factories.organisations import insert_organisation, insert_person


@pytest.mark.parametrize("attempt", range(6))
async def test_temporary_access_approved_while_the_client_stops_the_link(db, attempt):
    world = await restricted_world()
    second_rep = await world.person("cora.client@client.ch", "client", "Client GmbH")
    request_id = await requests.request_elevation(
        SETTINGS, world.partner_rep, world.link, timedelta(hours=2), "Migrating the mail."
    )
    approve = requests.approve_elevation(
        SETTINGS, world.client_rep, world.link, request_id, PASSWORD, ""
    )
    stop = services.stop_link(SETTINGS, second_rep, world.link, PASSWORD)
    if attempt % 2:  # both orders of starting
        outcomes = await asyncio.gather(stop, approve, return_exceptions=True)
    else:
        outcomes = await asyncio.gather(approve, stop, return_exceptions=True)
    problems = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(p, Conflict) for p in problems), problems
    link = await the_link(world.link)
    # the stop always wins in the end: no access, no temporary full access left running
    assert link["status"] == "stopped"
    assert link["access"] == "restricted"  # the grant kept for the record is the one before
    assert await delegated(world.link) == set()
    request = await LinkRequest.select().where(LinkRequest.id == request_id).first()
    assert request["status"] in {"ended", "withdrawn"}
    if problems:  # the approval came second: the link had ended
        assert request["status"] == "withdrawn"
        assert "ended" in problems[0].detail


async def _other_partner_rep(name: str, email: str) -> Current:
    organisation = await insert_organisation(name, partner_status="active")
    account = await insert_person(email, organisation, "legal_representative")
    return current_of(account, email, organisation, name)


@pytest.mark.parametrize("attempt", range(4))
async def test_a_transfer_code_redeemed_twice_at_once_moves_the_client_once(db, attempt):
    world = await restricted_world()
    newcomer = await _other_partner_rep("Newcomer AG", "noah@newcomer.ch")
    colleague_account = await insert_person(
        "nora@newcomer.ch", newcomer.organisation.id, "legal_representative"
    )
    colleague = current_of(
        colleague_account, "nora@newcomer.ch", newcomer.organisation.id, "Newcomer AG"
    )
    made = await transfers.create_transfer(
        SETTINGS, world.client_rep, world.link, newcomer.organisation.id, None
    )
    outcomes = await asyncio.gather(
        transfers.redeem_transfer(SETTINGS, newcomer, made.code),
        transfers.redeem_transfer(SETTINGS, colleague, made.code.lower().replace("-", " ")),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, int)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert isinstance(lost[0], Conflict | FormErrors)
    new = await the_link(won[0])
    old = await the_link(world.link)
    assert (old["status"], new["status"]) == ("transferred", "active")
    assert (new["partner"], new["access"], new["families"]) == (
        newcomer.organisation.id,
        "restricted",
        ["web_hosting"],
    )
    assert await delegated(won[0]) == {world.products["mail"]}  # the same grant, products too
    assert await delegated(world.link) == set()
    assert await PartnerLink.count().where(PartnerLink.status == "active") == 1
    transfer = await LinkTransfer.select().first()
    assert transfer["redeemed_at"] is not None and transfer["new_link"] == won[0]


async def test_a_code_is_for_its_partner_only_and_dies_with_the_collaboration(db):
    world = await restricted_world()
    newcomer = await _other_partner_rep("Newcomer AG", "noah@newcomer.ch")
    stranger = await _other_partner_rep("Stranger AG", "sam@stranger.ch")
    made = await transfers.create_transfer(
        SETTINGS, world.client_rep, world.link, newcomer.organisation.id, None
    )
    with pytest.raises(FormErrors) as refused:
        await transfers.redeem_transfer(SETTINGS, stranger, made.code)
    assert refused.value.errors["code"].startswith("This transfer code is not valid")
    await services.stop_link(SETTINGS, world.client_rep, world.link, PASSWORD)
    with pytest.raises(FormErrors):
        await transfers.redeem_transfer(SETTINGS, newcomer, made.code)


async def test_a_full_access_client_moves_with_its_grant_and_stays_with_one_full_partner(db):
    world = await restricted_world(named=())
    await services.change_grant(
        SETTINGS, world.client_rep, world.link, Grant(Access.FULL, billing_mode=BillingMode.PARTNER)
    )
    newcomer = await _other_partner_rep("Newcomer AG", "noah@newcomer.ch")
    made = await transfers.create_transfer(
        SETTINGS, world.client_rep, world.link, newcomer.organisation.id, None
    )
    new_id = await transfers.redeem_transfer(SETTINGS, newcomer, made.code)
    new = await the_link(new_id)
    assert (new["access"], new["billing_mode"]) == ("full", "partner")
    assert (
        await PartnerLink.count().where(
            (PartnerLink.client == world.client)
            & (PartnerLink.access == "full")
            & (PartnerLink.status == "active")
        )
        == 1
    )


async def test_a_moved_client_keeps_its_end_date_with_the_new_partner(db):
    world = await restricted_world()
    ends_at = rules.end_of_day(datetime.now(UTC).date() + timedelta(days=60))
    await PartnerLink.update(
        {
            PartnerLink.ends_at: ends_at,
            PartnerLink.end_set_at: datetime.now(UTC),
            PartnerLink.auto_extend: True,
        }
    ).where(PartnerLink.id == world.link)
    newcomer = await _other_partner_rep("Newcomer AG", "noah@newcomer.ch")
    made = await transfers.create_transfer(
        SETTINGS, world.client_rep, world.link, newcomer.organisation.id, None
    )
    new = await the_link(await transfers.redeem_transfer(SETTINGS, newcomer, made.code))
    assert (new["ends_at"], new["auto_extend"]) == (ends_at, True)


async def test_no_other_partner_is_added_during_temporary_full_access(db):
    world = await restricted_world()
    await asked_and_approved(world)
    other = await insert_organisation("Other Partner AG", partner_status="active")
    invitation = await PartnerLink.insert(
        PartnerLink(
            partner=other,
            client=world.client,
            status="awaiting_client",
            initiated_by="partner",
            requested_access="restricted",
            requested_families=["domain"],
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
    ).returning(PartnerLink.id)
    with pytest.raises(FormErrors) as refused:
        await services.grant_delivered_invitation(
            SETTINGS,
            world.client_rep,
            invitation[0]["id"],
            Grant(Access.RESTRICTED, frozenset({"domain"})),
        )
    assert "Partner AG has full access to this client" in refused.value.errors["access"]
    assert await PartnerLink.count().where(PartnerLink.status == "active") == 1
