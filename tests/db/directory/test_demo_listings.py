"""The demo's partners appear in the directory with evidence from their links, and the
benchmark's bulk load gives listings the portal finds and ranks as its own rule does."""

import asyncpg

from portal import demo
from portal.directory import queries, rules, services
from portal.directory.demo import bulk_partners
from portal.directory.rules import Search


async def test_every_demo_partner_is_listed_with_its_evidence(db):
    assert await demo.load(db, 60) is True
    shown = await queries.search(Search())
    names = {row["name"] for row in shown}
    assert {"Alpine Web Studio GmbH", "Lumière Digital SARL"} <= names
    alpine = next(row for row in shown if row["name"] == "Alpine Web Studio GmbH")
    assert alpine["verified"] and alpine["active_clients"] >= 2 and alpine["tier"]
    before = {row["id"]: row for row in shown}
    await services.refresh_evidence()  # the portal's own refresh agrees with the loader
    after = {row["id"]: row for row in await queries.search(Search())}
    for partner, row in after.items():
        listed = await queries.listing_of(partner)
        assert (row["active_clients"], row["tier"], row["verified"]) == (
            before[partner]["active_clients"],
            before[partner]["tier"],
            before[partner]["verified"],
        )
        assert listed["rank_score"] == rules.rank_score(
            rules.Evidence(
                listed["active_clients"], listed["tenders_received"], listed["tenders_answered"]
            )
        )
    records = [await queries.listing_of(partner) for partner in after]
    assert any(record["tenders_received"] for record in records), "the demo's tenders count"
    assert await queries.search(Search(text="based")), "descriptions are searchable"


async def test_the_bulk_load_is_searchable_and_ranked_by_the_rule(db):
    connection = await asyncpg.connect(db)
    try:
        await bulk_partners(connection, 300)
    finally:
        await connection.close()
    first = await services.search(Search())
    assert first.has_next and len(first.partners) == rules.PAGE_SIZE
    seed = (await queries.state())["seed_week"]
    listed = [await queries.listing_of(row["id"]) for row in first.partners]
    keys = [rules.ranking_key(row["rank_score"], seed, row["organisation"]) for row in listed]
    assert keys == sorted(keys)
    assert listed[0]["rank_score"] > listed[-1]["rank_score"]
    lausanne = await queries.search(Search(text="lausanne"))
    assert lausanne and all("Lausanne" in row["description"] for row in lausanne)
