"""Renewals in a real browser (docs/rules.md, Renewals): a client turns on the renewal warranty
for all its domains in one step; a partner watches a client's product go due, then into its
grace period, turns the warranty on, and sees it renewed under the warranty with the invoice.
The renewal run is started by the test with the day it should believe it is."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.async_api import Page, expect

from portal.billing.tables import Invoice
from portal.products.tables import CatalogueItem, Product
from portal.renewals.run import run_renewals
from portal.settings import Settings
from tests.factories.browser import (
    link_with_full_access,
    make_programme_partner,
    organisation_id,
    sign_up,
    swiss_money,
)

pytestmark = pytest.mark.browser

TODAY = datetime.now(UTC).date()
RUN_SETTINGS = Settings(secret_key="browser-tests", base_url="http://127.0.0.1")


async def own_products(organisation: str, *products: tuple[str, str, date]) -> dict[str, int]:
    """(code, name, renews on) products of the organisation; name → id."""
    owner = await organisation_id(organisation)
    ids = {}
    for code, name, renews_on in products:
        item = await CatalogueItem.select().where(CatalogueItem.code == code).first()
        rows = await Product.insert(
            Product(
                organisation=owner,
                item=item["id"],
                family=item["family"],
                name=name,
                period="yearly",
                started_on=renews_on - timedelta(days=365),
                renews_on=renews_on,
                automatic_renewal=False,
            )
        ).returning(Product.id)
        ids[name] = rows[0]["id"]
    return ids


async def run_on(day: date) -> None:
    """The renewal run, believing it is 02:07 UTC on DAY."""
    await run_renewals(RUN_SETTINGS, datetime.combine(day, time(2, 7), UTC))


def row_of(page: Page, name: str):
    """The row of the product called exactly NAME."""
    exactly = page.locator("strong").get_by_text(name, exact=True)
    return page.get_by_test_id("renewal-row").filter(has=exactly)


async def test_a_client_turns_on_the_warranty_for_all_its_domains_in_one_step(
    db, page: Page, page_errors, screenshots
):
    await sign_up(page, "carl@client-gmbh.ch", name="Carl Client", organisation="Client GmbH")
    await own_products(
        "Client GmbH",
        ("domain-ch", "client.ch", TODAY + timedelta(days=40)),
        ("domain-com", "client.com", TODAY + timedelta(days=200)),
        ("web-pro", "shop.client.ch", TODAY + timedelta(days=10)),
        ("mail-5", "mail.client.ch", TODAY + timedelta(days=90)),
    )

    menu = page.get_by_role("navigation", name="Main")
    await menu.get_by_role("link", name="Renewals", exact=True).click()
    await page.wait_for_url(re.compile(r"/renewals$"))
    await expect(page.get_by_test_id("renewal-row")).to_have_count(4)
    await expect(page.get_by_test_id("warranty")).to_have_text(["Off"] * 4)
    await screenshots.take(page, "renewals")

    await page.get_by_label("Kind of product").select_option(label="Domains")
    await page.wait_for_url(re.compile(r"/renewals\?family=domain$"))
    await expect(page.get_by_test_id("renewal-row")).to_have_count(2)
    await page.get_by_label("every product shown by this filter, on all pages").check()
    await page.get_by_role("button", name="Turn the warranty on").click()

    await expect(page.locator("#flashes")).to_contain_text(
        "The renewal warranty is now on. Products changed: 2."
    )
    await page.wait_for_url(re.compile(r"/renewals\?family=domain$"))
    await expect(page.get_by_test_id("warranty")).to_have_text(["On", "On"])
    await screenshots.take(page, "domains-under-warranty")

    await page.get_by_label("Kind of product").select_option(label="All kinds")
    await expect(page.get_by_test_id("renewal-row")).to_have_count(4)
    for name, shown in (
        ("client.ch", "On"),
        ("client.com", "On"),
        ("shop.client.ch", "Off"),
        ("mail.client.ch", "Off"),
    ):
        await expect(row_of(page, name).get_by_test_id("warranty")).to_have_text(shown)
    warranties = {r["name"]: r["renewal_warranty"] for r in await Product.select()}
    assert warranties == {
        "client.ch": True,
        "client.com": True,
        "shop.client.ch": False,
        "mail.client.ch": False,
    }
    assert page_errors == []


async def test_a_partner_sees_a_product_go_due_then_grace_then_renewed_by_the_warranty(
    db, open_page, page_errors, screenshots
):
    partner = await open_page("partner")
    client = await open_page("client")
    await sign_up(partner, "paula@partner-ag.ch", name="Paula Partner", organisation="Partner AG")
    await sign_up(client, "carl@client-gmbh.ch", name="Carl Client", organisation="Client GmbH")
    await make_programme_partner("Partner AG")
    await link_with_full_access("Partner AG", "Client GmbH", billing_mode="partner")
    ids = await own_products("Client GmbH", ("web-pro", "shop.client.ch", TODAY))
    product_id = ids["shop.client.ch"]

    # The renewal date: not renewed, the product is due.
    await run_on(TODAY)
    await partner.goto("/renewals")
    await partner.get_by_role("link", name="Your clients' products").click()
    await partner.wait_for_url(re.compile(r"/partner/renewals$"))
    shop = row_of(partner, "shop.client.ch")
    await expect(shop.get_by_test_id("state")).to_have_text("Due")
    await expect(shop).to_contain_text("Client GmbH")
    await expect(shop).to_contain_text("Partner AG")  # the partner pays under this agreement
    await screenshots.take(partner, "due")

    # Two days later, still not renewed: in its grace period.
    await run_on(TODAY + timedelta(days=2))
    await partner.reload()
    await expect(shop.get_by_test_id("state")).to_have_text("In grace")
    # (the "In grace" filter reads the dates against the real day, not this run's simulated
    # one: tests/db/renewals/test_lists.py holds the filters to the states shown)
    await screenshots.take(partner, "in-grace")

    # The partner turns the warranty on; the next run renews the product under it.
    await shop.get_by_label("Select shop.client.ch").check()
    await partner.get_by_role("button", name="Turn the warranty on").click()
    await expect(partner.locator("#flashes")).to_contain_text(
        "The renewal warranty is now on. Products changed: 1."
    )
    await run_on(TODAY + timedelta(days=3))
    renewed = await Product.select().where(Product.id == product_id).first()
    assert renewed["renews_on"] > TODAY and renewed["renewal_warranty"]
    await partner.reload()
    await expect(shop.get_by_test_id("state")).to_have_text("Active")
    await expect(shop.get_by_test_id("warranty")).to_have_text("On")
    await expect(shop).to_contain_text(renewed["renews_on"].strftime("%d %b %Y"))
    await screenshots.take(partner, "renewed-by-the-warranty")

    # The invoice: to the partner, who pays under this agreement, open for 30 days.
    [invoice] = await Invoice.select()
    assert invoice["payer"] == await organisation_id("Partner AG") and invoice["paid_at"] is None
    await partner.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    await partner.wait_for_url(re.compile(r"/billing$"))
    listed = partner.locator("main tbody tr")
    await expect(listed).to_contain_text(invoice["number"])
    await listed.get_by_role("link", name=invoice["number"]).click()
    await partner.wait_for_url(f"**/billing/invoices/{invoice['id']}")
    await expect(partner.locator("main")).to_contain_text("shop.client.ch")
    await expect(partner.locator("main tfoot")).to_contain_text(swiss_money(invoice["gross"]))
    await screenshots.take(partner, "the-invoice")

    # The client sees its product renewed too.
    await client.goto("/renewals")
    await expect(row_of(client, "shop.client.ch").get_by_test_id("state")).to_have_text("Active")
    assert page_errors == []
