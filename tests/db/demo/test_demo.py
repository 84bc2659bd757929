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
    cashback_ledger = await scalar(  # credit notes' lines take back what clawbacks reverse
        "SELECT coalesce(sum(amount), 0) FROM ledger_entry WHERE kind IN ('cashback', 'clawback')"
    )
    assert cashback_lines == cashback_ledger > D("0")
    # no cashback on an invoice issued before the partner's link existed
    assert (
        await scalar(
            "SELECT count(*) FROM invoice i JOIN partner_link l ON l.partner = i.partner "
            "AND l.client = i.client WHERE i.issued_on < l.decided_at::date AND i.kind = 'invoice'"
        )
        == 0
    )
    # the kept balances are the sums of the ledgers
    assert (
        await scalar(
            "SELECT count(*) FROM ledger_balance b WHERE b.balance <> (SELECT sum(amount) "
            "FROM ledger_entry e WHERE e.organisation = b.organisation "
            "AND e.currency = b.currency)"
        )
        == 0
    )


async def test_the_demo_shows_money_that_moves(db):
    assert await demo.load(db, 0) is True
    alpine = "(SELECT id FROM organisation WHERE name = 'Alpine Web Studio GmbH')"
    currencies = await DB.run_querystring(
        QueryString(f"SELECT currency FROM ledger_balance WHERE organisation = {alpine}")
    )
    assert {row["currency"] for row in currencies} == {"CHF", "EUR"}  # a second ledger
    assert (
        await scalar(
            f"SELECT count(*) FROM payment_request WHERE organisation = {alpine} "
            "AND status = 'pending'"
        )
        == 1
    )
    assert await scalar("SELECT count(*) FROM bank_entry WHERE status = 'credited'") == 1
    assert await scalar("SELECT count(*) FROM bank_entry WHERE status = 'queued'") == 1
    assert await scalar("SELECT count(*) FROM payout WHERE status = 'requested'") == 1
    assert await scalar("SELECT count(*) FROM invoice WHERE kind = 'credit_note'") == 1


async def test_every_status_role_and_kind_holds_only_its_enums_values(db):
    """The `choices` of each column (portal/*/tables.py) name every value the portal writes
    there: the demo writes them all, as the services do."""
    from portal.piccolo_conf import APP_REGISTRY

    await demo.load(db, 60)
    outside = {}
    for app in APP_REGISTRY.app_configs.values():
        for table in app.table_classes:
            for column in table._meta.columns:
                choices = column._meta.choices
                if choices is None:
                    continue
                name = column._meta.db_column_name
                found = await DB.run_querystring(
                    QueryString(f"SELECT DISTINCT {name} AS v FROM {table._meta.tablename}")
                )
                unknown = {row["v"] for row in found} - {c.value for c in choices} - {None}
                if unknown:
                    outside[f"{table._meta.tablename}.{name}"] = unknown
    assert outside == {}
