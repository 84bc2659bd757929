"""`portal demo` loads consistent data: links per the rules, invoices to the cent."""

from decimal import Decimal as D

from piccolo.querystring import QueryString

from portal import demo
from portal.piccolo_conf import DB


async def scalar(sql: str):
    rows = await DB.run_querystring(QueryString(sql))
    return list(rows[0].values())[0]


async def test_demo_data_is_consistent_and_loads_once(db):
    assert await demo.load(db, 60) is True
    assert await demo.load(db, 60) is False  # already there
    assert await scalar("SELECT count(*) FROM organisation WHERE partner_status = 'active'") >= 3
    assert await scalar("SELECT count(*) FROM partner_link WHERE status = 'active'") > 3
    # one full-access partner per client, and invoices that add up
    assert (
        await scalar(
            "SELECT count(*) FROM (SELECT client FROM partner_link WHERE "
            "access = 'full' AND status = 'active' GROUP BY client "
            "HAVING count(*) > 1) x"
        )
        == 0
    )
    assert (
        await scalar(
            "SELECT count(*) FROM invoice i WHERE i.net <> (SELECT sum(amount) "
            "FROM invoice_line l WHERE l.invoice = i.id)"
        )
        == 0
    )
    cashback_lines = await scalar("SELECT coalesce(sum(cashback), 0) FROM invoice_line")
    cashback_ledger = await scalar(
        "SELECT coalesce(sum(amount), 0) FROM ledger_entry WHERE kind = 'cashback'"
    )
    assert cashback_lines == cashback_ledger > D("0")
