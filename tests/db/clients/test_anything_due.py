"""A page that reads an organisation's links first settles what fell due; when nothing did,
one statement says so. It must see every kind of due work that the settling statements
find, for either side of the link, and nothing of another organisation's links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from portal.clients import queries
from portal.clients.tables import LinkRequest, PartnerLink
from tests.factories.clients import asked_and_approved, restricted_world

NOW = datetime.now(UTC)
LATER = NOW + timedelta(minutes=5)


async def _ends_now(world) -> None:
    await PartnerLink.update(
        {PartnerLink.ends_at: NOW, PartnerLink.end_set_at: NOW - timedelta(days=90)}
    ).where(PartnerLink.id == world.link)


async def _due_for_both_sides(world) -> tuple[bool, bool]:
    return (
        await queries.anything_due(world.partner, LATER),
        await queries.anything_due(world.client, LATER),
    )


async def test_an_active_link_without_end_has_nothing_due(db):
    world = await restricted_world()
    assert await _due_for_both_sides(world) == (False, False)


async def test_an_unanswered_invitation_past_its_time_is_due(db):
    world = await restricted_world()
    await PartnerLink.update(
        {PartnerLink.status: "awaiting_client", PartnerLink.expires_at: NOW}
    ).where(PartnerLink.id == world.link)
    assert await _due_for_both_sides(world) == (True, True)
    assert await queries.anything_due(world.partner, NOW - timedelta(minutes=1)) is False


async def test_a_collaboration_at_its_end_date_is_due(db):
    world = await restricted_world()
    await _ends_now(world)
    assert await _due_for_both_sides(world) == (True, True)


async def test_temporary_full_access_whose_time_is_up_is_due(db):
    world = await restricted_world()
    await asked_and_approved(world, hours=2)
    assert await _due_for_both_sides(world) == (False, False)
    await LinkRequest.update({LinkRequest.ends_at: NOW}).where(
        LinkRequest.link == world.link, LinkRequest.status == "active"
    )
    assert await _due_for_both_sides(world) == (True, True)


async def test_a_request_left_unanswered_past_its_time_is_due(db):
    world = await restricted_world()
    await LinkRequest.insert(
        LinkRequest(
            link=world.link, kind="elevation", status="pending", length_hours=2, expires_at=NOW
        )
    )
    assert await _due_for_both_sides(world) == (True, True)


async def test_another_organisations_due_work_is_not_its(db):
    world = await restricted_world()
    await _ends_now(world)
    assert await queries.anything_due(world.partner + world.client + 1000, LATER) is False
