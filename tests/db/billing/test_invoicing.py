"""Orders with quantities, calendar renewals, VAT for every buyer and a second currency's
cashback, through the billing service against the real database."""

import json
from datetime import date
from decimal import Decimal as D

import pytest

from portal.billing import invoicing, queries
from portal.billing.services import OrderRequest, order
from portal.billing.tables import Invoice, InvoiceLine, LedgerEntry, ProgrammeSetting
from portal.errors import Conflict
from portal.products.tables import Product
from tests.factories.billing import (
    big_enough,
    invoice,
    item,
    link,
    organisation,
    person,
    product,
)


async def test_the_spec_example_as_one_order_of_35_web_hostings(db):
    """35 web hostings at CHF 9.92/month, a 20 % partner paying, the 25 % volume step."""
    partner, client = await organisation("Partner AG", partner=True), await organisation("C AG")
    await link(partner, client, "full", "partner")
    await big_enough(partner, client)  # managed volume for the 20 % tier
    who = await person(partner, "p@p.ch")
    hosting = await item("web-pro")

    invoice_id = await order(
        who, OrderRequest(client, hosting["id"], None, "monthly", "site", quantity=35)
    )

    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id)
    assert (line["quantity"], line["unit_price"], line["public_price"]) == (
        35,
        D("9.92"),
        D("347.20"),
    )
    assert (line["partner_rate"], line["volume_rate"]) == (D("0.2000"), D("0.2500"))
    assert line["amount"] == D("208.32") and line["discount"] == D("52.08")
    bill = await invoice(invoice_id)
    assert bill["net"] == D("208.32") and bill["vat"] == D("16.87")  # 8.1 % of 208.32
    assert len(line["products"]) == 35
    assert await Product.count().where(Product.organisation == client) == 10 + 35
    assert await Invoice.count() == 1


async def test_a_renewal_starts_where_the_period_ended_and_follows_the_calendar(db):
    client = await organisation("C AG")
    hosting = await item("web-pro")
    rows = await Product.insert(
        *[
            Product(
                organisation=client,
                item=hosting["id"],
                family="web_hosting",
                name=f"site{n}",
                period="monthly",
                started_on=date(2026, 1, 31),
                renews_on=date(2026, 2, 28),
            )
            for n in range(3)
        ]
    ).returning(Product.id)

    [invoice_id] = await invoicing.issue_renewal(
        client, [r["id"] for r in rows], today=date(2026, 2, 20)
    )

    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == invoice_id)
    assert (line["service_from"], line["service_to"]) == (date(2026, 2, 28), date(2026, 3, 31))
    assert line["quantity"] == 3 and line["public_price"] == D("29.76")
    renewed = await Product.select(Product.renews_on).where(Product.organisation == client)
    assert {r["renews_on"] for r in renewed} == {date(2026, 3, 31)}
    [again] = await invoicing.issue_renewal(client, [rows[0]["id"]], today=date(2026, 3, 1))
    [next_line] = await InvoiceLine.select().where(InvoiceLine.invoice == again)
    assert (next_line["service_from"], next_line["service_to"]) == (
        date(2026, 3, 31),
        date(2026, 4, 30),
    )
    with pytest.raises(LookupError):  # another client's product, or none
        await invoicing.issue_renewal(client + 1, [rows[0]["id"]])


async def test_every_eu_buyer_pays_its_rate_and_an_unknown_rate_refuses_the_invoice(db):
    swedish = await organisation("Svensk AB", "SE", "EUR")
    who = await person(swedish, "s@s.se")
    vps = await item("vps-lite")
    invoice_id = await order(who, OrderRequest(swedish, vps["id"], None, "monthly", "v"))
    bill = await invoice(invoice_id)
    assert (bill["vat_rule"], bill["vat_rate"]) == ("eu_destination_vat", D("0.2500"))

    await ProgrammeSetting.insert(  # a table that lacks Denmark
        ProgrammeSetting(kind="vat_rates", payload='[["SE", "0.25", "1990-07-01"]]')
    )
    danish = await organisation("Dansk ApS", "DK", "EUR")
    buyer = await person(danish, "d@d.dk")
    with pytest.raises(Conflict, match="No VAT rate is configured for DK"):
        await order(buyer, OrderRequest(danish, vps["id"], None, "monthly", "v"))
    assert await Invoice.count().where(Invoice.payer == danish) == 0
    assert await Product.count().where(Product.organisation == danish) == 0  # nothing written


async def test_a_chf_partner_earns_euro_cashback_on_a_euro_client(db):
    partner = await organisation("Partner AG", partner=True)
    client = await organisation("Client SARL", "FR", "EUR")
    await link(partner, client, "full", "client")
    for _ in range(10):  # EUR products count in the partner's CHF volume at CHF prices
        await product(client, "cloud-2")
    who = await person(client, "c@c.fr")
    cloud = await item("cloud-2")

    await order(who, OrderRequest(client, cloud["id"], None, "yearly", "c"))

    [entry] = await LedgerEntry.select().where(LedgerEntry.organisation == partner)
    assert entry["currency"] == "EUR" and entry["kind"] == "cashback" and entry["amount"] > 0
    details = json.loads(entry["details"])
    assert details["tier"] == "Bronze" and details["client"] == "Client SARL"
    accounts = await queries.balances(partner)
    assert [(a["currency"], a["balance"]) for a in accounts] == [("EUR", entry["amount"])]
