"""The demo's delegation history (issue: demo data with a history): a fresh demo shows the
whole life of a delegation — the client's inbox, ending soon, temporary full access running,
ended collaborations on both sides — and every entry it writes reads as a sentence."""

import json
from datetime import UTC, datetime, timedelta

from piccolo.querystring import QueryString

from portal import demo
from portal.access import ClientScope
from portal.audit.sentences import Names, sentence
from portal.audit_catalogue import CATALOGUE
from portal.clients import queries, services
from portal.piccolo_conf import DB


async def scalar(sql: str, *args):
    rows = await DB.run_querystring(QueryString(sql, *args))
    return next(iter(rows[0].values()))


async def organisation(name: str) -> int:
    return await scalar("SELECT id FROM organisation WHERE name = {}", name)


async def test_a_fresh_demo_shows_every_part_of_a_delegation_life(db):
    assert await demo.load(db, 40)
    now = datetime.now(UTC)
    assert await services.settle_due(now) == 0  # nothing is overdue on a fresh start
    alpine, lumiere = (
        await organisation("Alpine Web Studio GmbH"),
        await organisation("Lumière Digital SARL"),
    )
    bellevue, dupont = (
        await organisation("Hotel Bellevue Sàrl"),
        await organisation("Cabinet Dupont"),
    )

    inbox = await queries.inbox_of_client(bellevue, now)
    assert {item["kind"] for item in inbox} == {"invitation", "extension"}
    everyone = ClientScope(True, 0)
    soon = await queries.ending_soon_for_partner(alpine, everyone, now + timedelta(days=30))
    assert [link["client_name"] for link in soon] == ["Hotel Bellevue Sàrl"]
    assert await queries.running_elevations_of(dupont)
    ended_for_client = (await queries.ended_links("client", bellevue)).rows
    assert [link["status"] for link in ended_for_client] == ["stopped"]
    ended_for_partner = (await queries.ended_links("partner", alpine)).rows
    assert [link["status"] for link in ended_for_partner] == ["transferred"]
    assert await queries.templates_of(alpine) and await queries.templates_of(lumiere)
    generated_soon = await scalar(
        "SELECT count(*) FROM partner_link WHERE status = 'active' AND ends_at < {} "
        "AND partner NOT IN ({}, {})",
        now + timedelta(days=30),
        alpine,
        lumiere,
    )
    assert generated_soon > 0

    rows = await DB.run_querystring(
        QueryString(
            "SELECT action, actor, actor_name, acting_for_id, subject, subject_role, before, "
            "after FROM audit_event WHERE action LIKE 'link.%'"
        )
    )
    codes = set()
    organisations = {
        row["id"]: row["name"]
        for row in await DB.run_querystring(QueryString("SELECT id, name FROM organisation"))
    }
    for row in rows:
        row = dict(row)
        for part in ("before", "after"):
            row[part] = json.loads(row[part]) if row[part] else None
        text = sentence(row, CATALOGUE, Names({}, organisations))
        codes.add(row["action"])
        assert text.endswith(".") and not any(bad in text for bad in ("None", "{", "[", "_")), text
    assert {
        "link.granted",
        "link.changed",
        "link.transferred",
        "link.transferred_away",
        "link.transferred_in",
        "link.stopped",
        "link.elevation_started",
        "link.elevation_ended",
        "link.extended_automatically",
        "link.extension_requested",
    } <= codes
