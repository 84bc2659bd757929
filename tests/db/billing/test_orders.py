"""Orders and renewals through the billing service, against the real database: who pays,
cashback or discount, VAT, the ledger, and concurrent payments from one prepaid balance."""

import asyncio
from decimal import Decimal as D

from portal.billing import queries
from portal.billing.services import OrderRequest, order, pay_invoice_from_balance
from portal.billing.tables import LedgerEntry
from portal.errors import FormErrors
from portal.products.tables import Product
from tests.factories.billing import (
    big_enough,
    credit,
    invoice,
    item,
    link,
    only_line,
    organisation,
    person,
    product,
)


async def test_client_renewal_under_full_access_credits_cashback(db):
    partner, client = await organisation("Partner AG", partner=True), await organisation("C AG")
    await link(partner, client, "full", "client")
    await big_enough(partner, client)
    hosting = await product(client, "web-pro")
    who = await person(client, "c@c.ch")

    invoice_id = await order(who, OrderRequest(client, None, hosting, "yearly"))

    line, bill = await only_line(invoice_id), await invoice(invoice_id)
    assert bill["payer"] == client and bill["vat_rule"] == "swiss_vat"
    assert line["amount"] == D("119.04") and line["cashback"] == D("23.81")  # 20 % of 119.04
    assert bill["vat"] == D("9.64") and bill["gross"] == D("128.68")
    assert await queries.ledger_balance(partner, "CHF") == D("23.81")


async def test_partner_paying_orders_at_the_reseller_price(db):
    partner, client = await organisation("Partner AG", partner=True), await organisation("C AG")
    await link(partner, client, "full", "partner")
    await big_enough(partner, client)
    who = await person(partner, "p@p.ch")
    offer = await item("vps-lite")

    invoice_id = await order(who, OrderRequest(client, offer["id"], None, "yearly", "vps1"))

    line, bill = await only_line(invoice_id), await invoice(invoice_id)
    assert bill["payer"] == partner  # visible in the partner's organisation only
    assert line["amount"] == D("86.40") and line["discount"] == D("21.60")
    assert line["cashback"] == D("0.00")
    assert await queries.ledger_balance(partner, "CHF") == D("0.00")
    new = await Product.select().where(Product.name == "vps1").first()
    assert new["organisation"] == client  # products stay in the client's organisation


async def test_restricted_partner_earns_only_on_what_it_manages(db):
    partner, client = await organisation("Partner AG", partner=True), await organisation("C AG")
    await link(partner, client, "restricted", families=["cloud_server"])
    await big_enough(partner, client)
    who = await person(client, "c@c.ch")
    mail = await product(client, "mail-5")

    managed = await order(
        who, OrderRequest(client, (await item("cloud-2"))["id"], None, "yearly", "new-cloud")
    )
    unmanaged = await order(who, OrderRequest(client, None, mail, "yearly"))

    assert (await only_line(managed))["cashback"] > 0
    assert (await only_line(unmanaged))["cashback"] == D("0.00")
    assert (await invoice(unmanaged))["partner"] is None


async def test_eu_company_with_valid_vat_number_is_reverse_charged(db):
    client = await organisation("Client SARL", "FR", "EUR", vat="FR40303265045")
    who = await person(client, "c@c.fr")
    invoice_id = await order(
        who, OrderRequest(client, (await item("vps-lite"))["id"], None, "monthly", "vps")
    )
    bill = await invoice(invoice_id)
    assert (bill["vat_rule"], bill["vat"]) == ("eu_reverse_charge", D("0.00"))


async def test_two_payments_cannot_overdraw_the_prepaid_balance(db):
    client = await organisation("C AG")
    who = await person(client, "c@c.ch")
    await credit(client, D("150.00"))
    offer = await item("vps-lite")
    invoices = [
        await order(who, OrderRequest(client, offer["id"], None, "yearly", f"v{i}"))
        for i in range(2)
    ]  # 116.75 each with VAT

    async def attempt(invoice_id):
        try:
            await pay_invoice_from_balance(who, invoice_id)
            return "paid"
        except FormErrors:
            return "refused"

    results = await asyncio.gather(*[attempt(i) for i in invoices])
    assert sorted(results) == ["paid", "refused"]
    assert await queries.ledger_balance(client, "CHF") == D("150.00") - D("116.75")
    assert await LedgerEntry.count().where(LedgerEntry.kind == "payment") == 1
