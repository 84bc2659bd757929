"""The periodic work of delegation on the real database and the real queue: what falls due
ends by itself — temporary full access goes back to the grant before, a collaboration at its
end date ends or is extended — even when no one is logged in and the worker was down at that
moment; and the reminders 30, 7 and 1 days before leave once each."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from piccolo.querystring import QueryString

from portal.access import Action
from portal.audit.tables import AuditEvent
from portal.background import all_periodic
from portal.clients import jobs, requests, rules, services
from portal.clients.tables import LinkRequest, PartnerLink
from portal.jobs.worker import run_worker
from portal.mail.tables import OutboxMail
from portal.piccolo_conf import DB
from tests.factories.accounts import PASSWORD
from tests.factories.clients import (
    SETTINGS,
    asked_and_approved,
    delegated,
    restricted_world,
    the_link,
)
from tests.factories.jobs import eventually


def test_the_delegation_jobs_run_every_minute_and_every_hour():
    crons = {task.name: task.cron for task in all_periodic()}
    assert crons["clients.settle_due"] == "* * * * *"
    assert crons["clients.remind_endings"] == "7 * * * *"


async def _sql(sql: str, *args):
    return await DB.run_querystring(QueryString(sql, *args))


async def _time_passes_for_the_elevation(link_id: int) -> None:
    """The two hours pass: the running temporary full access started two hours ago."""
    await _sql(
        "UPDATE link_request SET starts_at = now() - interval '2 hours 1 minute', "
        "ends_at = now() - interval '1 minute' WHERE link = {} AND status = 'active'",
        link_id,
    )


async def test_a_worker_down_when_temporary_access_ends_reverts_it_once_back(
    db, settings, tmp_path
):
    world = await asked_and_approved_world()
    worker_settings = replace(settings, data_dir=tmp_path, job_heartbeat=timedelta(seconds=2))

    # A worker runs the periodic jobs, and stops (restarted, or the machine lost) …
    stop = asyncio.Event()
    first = asyncio.create_task(run_worker(worker_settings, stop, jobs=[], periodic=jobs.PERIODIC))
    await eventually(
        lambda: _sql("SELECT 1 FROM pgqueuer_schedules WHERE entrypoint = 'clients.settle_due'"),
        what="the schedule",
    )
    stop.set()
    await asyncio.wait_for(first, 30)

    # … while the two hours pass and the run due meanwhile is missed; nobody reads the link.
    await _time_passes_for_the_elevation(world.link)
    await _sql(
        "UPDATE pgqueuer_schedules SET next_run = now() - interval '30 seconds' "
        "WHERE entrypoint = 'clients.settle_due'"
    )
    assert (await the_link(world.link))["access"] == "full"

    # A worker back takes the missed run at once and puts the grant back.
    stop = asyncio.Event()
    second = asyncio.create_task(run_worker(worker_settings, stop, jobs=[], periodic=jobs.PERIODIC))
    try:

        async def reverted():
            return (await the_link(world.link))["access"] == "restricted"

        await eventually(reverted, 30, "the grant back to restricted")
    finally:
        stop.set()
        await asyncio.wait_for(second, 30)
    assert await delegated(world.link) == {world.products["mail"]}
    ended = await AuditEvent.select(AuditEvent.organisation).where(
        AuditEvent.action == "link.elevation_ended"
    )
    assert sorted(row["organisation"] for row in ended) == sorted([world.partner, world.client])


async def asked_and_approved_world():
    world = await restricted_world()
    await asked_and_approved(world, hours=2)
    return world


async def test_a_read_of_the_link_puts_the_grant_back_before_any_job_runs(db):
    """No worker at all: the partner's next request already finds restricted access (access
    never outlives its end waiting for a job)."""
    world = await asked_and_approved_world()
    await _time_passes_for_the_elevation(world.link)
    link = await services.load_link(world.partner_rep, world.link, Action.VIEW_LINK)
    assert link["access"] == "restricted"
    assert (await the_link(world.link))["access"] == "restricted"


async def test_the_job_run_twice_or_by_two_workers_at_once_reverts_once(db):
    world = await asked_and_approved_world()
    await _time_passes_for_the_elevation(world.link)
    now = datetime.now(UTC)
    counts = await asyncio.gather(services.settle_due(now), services.settle_due(now))
    assert sorted(counts) == [0, 1]
    assert await AuditEvent.count().where(AuditEvent.action == "link.elevation_ended") == 2


async def _with_end(world, ends_on: date, *, auto_extend: bool = False, set_days_ago: int = 90):
    await PartnerLink.update(
        {
            PartnerLink.ends_at: rules.end_of_day(ends_on),
            PartnerLink.end_set_at: datetime.now(UTC) - timedelta(days=set_days_ago),
            PartnerLink.auto_extend: auto_extend,
        }
    ).where(PartnerLink.id == world.link)


async def test_at_its_end_date_a_collaboration_ends_by_itself_with_notices_and_audit(db):
    world = await restricted_world()
    today = datetime.now(UTC).date()
    await _with_end(world, today + timedelta(days=3))
    assert await jobs.settle_due(SETTINGS, datetime.now(UTC) + timedelta(days=2)) == 0
    later = datetime.now(UTC) + timedelta(days=5)
    assert await jobs.settle_due(SETTINGS, later) == 1
    link = await the_link(world.link)
    assert (link["status"], link["ended_by"], link["ended_by_account"]) == ("ended", None, None)
    assert await delegated(world.link) == set()
    entries = await AuditEvent.select(AuditEvent.organisation, AuditEvent.actor_name).where(
        AuditEvent.action == "link.ended"
    )
    assert sorted(e["organisation"] for e in entries) == sorted([world.partner, world.client])
    assert {e["actor_name"] for e in entries} == {"Partner Portal"}
    mails = await OutboxMail.select(OutboxMail.recipient, OutboxMail.subject)
    assert {m["recipient"] for m in mails} == {"nina.berg@partner.ch", "carl.client@client.ch"}
    assert all("ended" in m["subject"] for m in mails)


async def test_a_restricted_collaboration_set_to_extend_is_extended_by_180_days(db):
    world = await restricted_world()
    today = datetime.now(UTC).date()
    await _with_end(world, today + timedelta(days=1), auto_extend=True)
    assert await jobs.settle_due(SETTINGS, datetime.now(UTC) + timedelta(days=3)) == 1
    link = await the_link(world.link)
    assert link["status"] == "active"
    assert rules.end_day(link["ends_at"]) == today + timedelta(days=181)
    assert await AuditEvent.count().where(AuditEvent.action == "link.extended_automatically") == 2


async def test_an_end_date_reached_during_temporary_full_access_ends_the_collaboration(db):
    """Full access asked for 7 days, the end date in 2: the collaboration still ends on its
    date (access never outlives it), the temporary full access with it."""
    world = await restricted_world()
    await _with_end(world, datetime.now(UTC).date() + timedelta(days=2))
    await asked_and_approved(world, hours=7 * 24)
    assert await jobs.settle_due(SETTINGS, datetime.now(UTC) + timedelta(days=4)) == 1
    link = await the_link(world.link)
    assert link["status"] == "ended"
    assert await delegated(world.link) == set()
    elevation = await LinkRequest.select().where(LinkRequest.kind == "elevation").first()
    assert elevation["status"] == "ended"
    assert await AuditEvent.count().where(AuditEvent.action == "link.ended") == 2


async def test_an_automatic_extension_during_temporary_full_access_keeps_both_running(db):
    """Automatic extension is judged by the grant the link goes back to (restricted): the
    collaboration is extended and the temporary full access runs on to its own end."""
    world = await restricted_world()
    today = datetime.now(UTC).date()
    await _with_end(world, today + timedelta(days=2), auto_extend=True)
    await asked_and_approved(world, hours=7 * 24)
    assert await jobs.settle_due(SETTINGS, datetime.now(UTC) + timedelta(days=4)) == 1
    link = await the_link(world.link)
    assert (link["status"], link["access"]) == ("active", "full")
    assert rules.end_day(link["ends_at"]) == today + timedelta(days=182)
    assert await jobs.settle_due(SETTINGS, datetime.now(UTC) + timedelta(days=8)) == 1
    link = await the_link(world.link)
    assert (link["status"], link["access"]) == ("active", "restricted")
    assert link["auto_extend"] is True


async def test_the_reminders_leave_30_7_and_1_days_before_once_each_to_both_sides(db):
    world = await restricted_world()
    ends_at = rules.end_of_day(datetime.now(UTC).date() + timedelta(days=40))
    await _with_end(world, rules.end_day(ends_at))
    sent = []
    for days_before in (35, 29.9, 29.5, 20, 6.9, 6.5, 2, 0.9, 0.5, -1):
        now = ends_at - timedelta(days=days_before)
        sent.append(await jobs.remind_endings(SETTINGS, now))
    assert sent == [0, 1, 0, 0, 1, 0, 0, 1, 0, 0]
    subjects = sorted(m["subject"] for m in await OutboxMail.select(OutboxMail.subject))
    assert subjects == sorted(
        f"The collaboration between Partner AG and Client GmbH ends in {left}"
        for left in ("30 days", "7 days", "1 day")
        for _side in range(2)
    )
    # a later end date is a new deadline: its reminders come again
    await _with_end(world, rules.end_day(ends_at) + timedelta(days=90), set_days_ago=0)
    moved = await the_link(world.link)
    assert await jobs.remind_endings(SETTINGS, moved["ends_at"] - timedelta(days=6)) == 1


async def test_the_reminder_during_temporary_full_access_speaks_of_the_standing_grant(db):
    """Restricted access set to extend, elevated for a while: the reminder says it will be
    extended (the access it goes back to is restricted), not that it ends."""
    world = await restricted_world()
    ends_at = rules.end_of_day(datetime.now(UTC).date() + timedelta(days=3))
    await _with_end(world, rules.end_day(ends_at), auto_extend=True)
    await asked_and_approved(world, hours=24)
    assert await jobs.remind_endings(SETTINGS, ends_at - timedelta(hours=20)) == 1
    bodies = [m["body"] for m in await OutboxMail.select(OutboxMail.body)]
    reminders = [body for body in bodies if "ends on" in body]
    assert reminders and all("extended automatically by 180 days" in b for b in reminders)


async def test_two_workers_reminding_at_once_send_each_reminder_once(db):
    world = await restricted_world()
    ends_at = rules.end_of_day(datetime.now(UTC).date() + timedelta(days=20))
    await _with_end(world, rules.end_day(ends_at))
    now = ends_at - timedelta(days=6)
    assert sorted(
        await asyncio.gather(*(jobs.remind_endings(SETTINGS, now) for _ in range(3)))
    ) == [
        0,
        0,
        1,
    ]
    assert await OutboxMail.count() == 2  # one to each side


async def test_a_stopped_collaboration_takes_its_pending_requests_along(db):
    world = await restricted_world()
    await requests.request_elevation(
        SETTINGS, world.partner_rep, world.link, timedelta(hours=3), "A reason."
    )
    await services.stop_link(SETTINGS, world.partner_rep, world.link, PASSWORD)
    statuses = {r["status"] for r in await LinkRequest.select(LinkRequest.status)}
    assert statuses == {"withdrawn"}
