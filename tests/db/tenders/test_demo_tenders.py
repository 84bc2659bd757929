"""The demo's tenders: every state shown, routed only to partners that opted in, one winner
at most, and the unconfirmed one reaching nobody."""

from piccolo.querystring import QueryString

from portal import demo
from portal.piccolo_conf import DB
from portal.tenders import queries


async def rows(sql: str) -> list[dict]:
    return await DB.run_querystring(QueryString(sql))


async def test_demo_tenders_cover_every_state_and_follow_the_rules(db):
    assert await demo.load(db, 60) is True
    statuses = {r["status"] for r in await rows("SELECT status FROM tender")}
    assert statuses == {"unconfirmed", "open", "decided", "expired", "withdrawn"}
    unrouted = await rows(
        "SELECT r.id FROM tender_recipient r JOIN tender t ON t.id = r.tender "
        "JOIN tender_preference p ON p.partner = r.partner "
        "WHERE NOT (t.category = ANY(p.categories)) OR t.status = 'unconfirmed'"
    )
    assert unrouted == []
    winners = await rows(
        "SELECT tender, count(*) AS n FROM quote WHERE status = 'accepted' GROUP BY tender"
    )
    assert [w["n"] for w in winners] == [1]
    opted_in = await rows("SELECT count(*) AS n FROM tender_preference")
    assert opted_in[0]["n"] >= 3
    records = await queries.tender_records()
    assert sum(r.won for r in records.values()) == 1
    assert all(r.answered <= r.received for r in records.values())
