"""A renewal made by the run costs exactly what a manual renewal costs: the same price, tier,
volume discount, payer, cashback or discount and VAT as billing's own renewal of a twin
product, and what an independent computation here says, to the cent."""

from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import pytest

from portal.access import Actor, Role
from portal.billing.services import OrderRequest, order
from portal.billing.tables import LedgerEntry
from portal.core.current import Current, OrganisationSummary
from tests.factories.renewals import (
    DATE,
    balance,
    deposit,
    invoices_of,
    link,
    member,
    organisation,
    product,
    run,
)


def cents(amount: D) -> D:
    return amount.quantize(D("0.01"), rounding=ROUND_HALF_UP)


def expected(public: str, partner_rate: str, volume_rate: str, vat_rate: str, partner_pays: bool):
    """Price, payer's charge, cashback, discount, VAT and total, computed from the rules'
    words (docs/rules.md, Money), not from the portal's functions."""
    public_price = D(public)
    after_volume = cents(public_price * (1 - D(volume_rate)))
    reseller = cents(public_price * (1 - D(partner_rate)) * (1 - D(volume_rate)))
    charged = reseller if partner_pays else after_volume
    margin = after_volume - reseller
    vat = cents(charged * D(vat_rate))
    return {
        "amount": charged,
        "cashback": D("0.00") if partner_pays else margin,
        "discount": margin if partner_pays else D("0.00"),
        "vat": vat,
        "gross": charged + vat,
    }


async def person(organisation_id: int, email: str) -> Current:
    account = await member(organisation_id, email, billing=True)
    return Current(
        0,
        account,
        email,
        email,
        False,
        False,
        OrganisationSummary(organisation_id, email, "CHF", "CH"),
        ((organisation_id, email),),
        Actor(account, organisation_id, Role.LEGAL_REPRESENTATIVE, True),
    )


async def bronze_partner_with_client(billing_mode: str) -> tuple[int, int]:
    """A partner at 20 % (cloud servers worth CHF 3,240 a year) with a full-access client
    that has 5 web hostings (a 5 % volume discount)."""
    partner = await organisation("Partner AG", partner=True)
    client = await organisation("Client AG")
    await link(partner, client, "full", billing_mode)
    for number in range(10):
        await product(client, "cloud-2", DATE + timedelta(days=200), name=f"cloud-{number}")
    for number in range(3):
        await product(client, "web-starter", DATE + timedelta(days=200), name=f"site-{number}")
    return partner, client


FIELDS = ("amount", "cashback", "discount", "vat", "gross")


def money_of(line: dict) -> dict:
    return {name: line[name] for name in FIELDS}


@pytest.mark.parametrize("billing_mode", ["client", "partner"])
async def test_an_automatic_renewal_costs_what_a_manual_one_does(db, billing_mode):
    partner, client = await bronze_partner_with_client(billing_mode)
    automatic = await product(client, "web-pro", name="automatic.example", automatic=True)
    twin = await product(client, "web-pro", name="manual.example")
    payer = partner if billing_mode == "partner" else client
    await deposit(payer, "500.00")

    await run(DATE)
    renewing = await person(partner if billing_mode == "partner" else client, "p@x.test")
    await order(renewing, OrderRequest(client, None, twin, "yearly"))

    [by_run], [by_hand] = await invoices_of(automatic), await invoices_of(twin)
    want = expected("119.04", "0.20", "0.05", "0.081", billing_mode == "partner")
    assert money_of(by_run) == money_of(by_hand) == want
    assert by_run["payer"] == by_hand["payer"] == payer
    assert (by_run["service_from"], by_run["service_to"]) == (
        by_hand["service_from"],
        by_hand["service_to"],
    )
    assert by_run["vat_rule"] == "swiss_vat" and by_run["paid_with"] == "prepaid"
    assert await balance(payer) == D("500.00") - want["gross"]
    cashback = await LedgerEntry.select().where(LedgerEntry.kind == "cashback")
    assert sum((e["amount"] for e in cashback), D(0)) == 2 * want["cashback"]


async def test_a_warranty_renewal_in_euros_pays_the_buyers_country_vat(db):
    client = await organisation("Client SARL", country="FR", currency="EUR")
    domain = await product(client, "domain-com", name="exemple.com", warranty=True, automatic=False)
    twin = await product(client, "domain-com", name="jumeau.com", automatic=False)

    await run(DATE)
    await order(await person(client, "c@x.test"), OrderRequest(client, None, twin, "yearly"))

    [by_run], [by_hand] = await invoices_of(domain), await invoices_of(twin)
    want = expected("14.00", "0", "0", "0.20", False)
    assert money_of(by_run) == money_of(by_hand) == want
    assert by_run["currency"] == "EUR" and by_run["vat_rule"] == "eu_destination_vat"
    assert by_run["paid_at"] is None  # the warranty's invoice waits for its payment
