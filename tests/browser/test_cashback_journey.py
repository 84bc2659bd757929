"""Cashback in a real browser, two users side by side (docs/rules.md, Money): a programme partner
manages a client with full access, the client paying. The client renews a product on its own; the
invoice goes to the client, the partner's share of it lands in the partner's prepaid account as
cashback and on its dashboard's chart, and the client's invoice stays out of its reach."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.async_api import Page, expect

from portal.billing.tables import Invoice, InvoiceLine, LedgerEntry
from portal.products.tables import CatalogueItem, CataloguePrice
from tests.factories.browser import (
    give_products,
    link_with_full_access,
    make_programme_partner,
    organisation_id,
    sign_up,
    swiss_money,
)

pytestmark = pytest.mark.browser

PARTNER_EMAIL = "paula@partner-ag.ch"
PARTNER_ORGANISATION = "Partner AG"
CLIENT_EMAIL = "carl@client-gmbh.ch"
CLIENT_ORGANISATION = "Client GmbH"
# 9 cloud servers and one web hosting, yearly: above the first tier's CHF 2,000 a year.
CLIENT_PRODUCTS = ["cloud-2"] * 9 + ["web-pro"]


async def yearly_price(code: str) -> Decimal:
    item = await CatalogueItem.select(CatalogueItem.id).where(CatalogueItem.code == code).first()
    price = (
        await CataloguePrice.select(CataloguePrice.amount)
        .where(
            CataloguePrice.item == item["id"],
            CataloguePrice.currency == "CHF",
            CataloguePrice.period == "yearly",
        )
        .first()
    )
    return price["amount"]


def stat_card(page: Page, heading: str):
    """The figure of one of the dashboard's cards (Managed volume, Tier, Prepaid balance)."""
    card = page.locator("section.card.stat").filter(
        has=page.get_by_role("heading", name=heading, exact=True)
    )
    return card.locator(".figure")


def chart_section(page: Page):
    return page.locator("section.card").filter(
        has=page.get_by_role("heading", name="Cashback and discounts, last 12 months")
    )


async def test_a_client_renewal_credits_the_partner_with_cashback(
    db, open_page, page_errors, screenshots
):
    partner = await open_page("partner")
    client = await open_page("client")

    # Both sign up; the partner joins the programme and manages the client with full access,
    # the client paying its own invoices. The client owns enough for the first tier.
    await sign_up(partner, PARTNER_EMAIL, name="Paula Partner", organisation=PARTNER_ORGANISATION)
    await sign_up(client, CLIENT_EMAIL, name="Carl Client", organisation=CLIENT_ORGANISATION)
    await make_programme_partner(PARTNER_ORGANISATION)
    await link_with_full_access(PARTNER_ORGANISATION, CLIENT_ORGANISATION, billing_mode="client")
    hosting = (await give_products(CLIENT_ORGANISATION, *CLIENT_PRODUCTS))["web-pro"]
    volume = sum([await yearly_price(code) for code in CLIENT_PRODUCTS], Decimal(0))
    assert Decimal("2000") <= volume < Decimal("10000"), "the test needs the first tier only"

    # The partner's dashboard: the managed volume reaches the first tier, no cashback yet.
    await partner.reload()  # the menu offers a partner's pages once it is one
    await (
        partner.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    )
    await partner.wait_for_url("**/partner/dashboard")
    await expect(partner.get_by_test_id("managed-volume")).to_have_text(swiss_money(volume))
    await expect(stat_card(partner, "Tier")).to_have_text("Bronze · 20 %")
    await expect(partner.get_by_test_id("next-tier")).to_have_text(
        f"{swiss_money(Decimal('10000') - volume)} more to reach 25 % (Silver)."
    )
    await expect(partner.locator("main")).to_contain_text("Counting 1 client.")
    chart = chart_section(partner)
    await expect(chart.locator(".empty")).to_have_text("No cashback or discount yet.")
    await expect(chart.locator("svg")).to_have_count(0)
    await expect(stat_card(partner, "Prepaid balance")).to_have_text(swiss_money(Decimal(0)))
    await screenshots.take(partner, "partner-dashboard-before")

    # the dashboard's link (the menu has one too)
    await partner.get_by_role("main").get_by_role("link", name="Prepaid account").click()
    await partner.wait_for_url("**/billing/prepaid")
    await expect(partner.get_by_test_id("balance-CHF")).to_have_text(swiss_money(Decimal(0)))
    await expect(partner.locator("#entries .empty")).to_contain_text("No entry yet.")
    await screenshots.take(partner, "partner-prepaid-empty")

    # The client renews its web hosting from its list of products.
    await client.get_by_role("navigation", name="Main").get_by_role("link", name="Products").click()
    await client.wait_for_url("**/products")
    await expect(client.locator("main tbody tr")).to_have_count(len(CLIENT_PRODUCTS))
    row = client.locator("main tbody tr").filter(has_text=hosting)
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("Web Hosting Pro")
    await screenshots.take(client, "client-products")
    await row.locator("summary", has_text="Renew").click()  # renewing is confirmed first
    await row.get_by_role("button", name="Yes, renew").click()
    await expect(client.locator("#flashes")).to_contain_text(
        "Renewed. The invoice is issued to whoever pays under your agreement."
    )
    await client.wait_for_url("**/products")
    await screenshots.take(client, "client-renewed")

    # One invoice, paid by the client, with one line whose cashback goes to the partner.
    [invoice] = await Invoice.select()
    [line] = await InvoiceLine.select().where(InvoiceLine.invoice == invoice["id"])
    assert invoice["payer"] == await organisation_id(CLIENT_ORGANISATION)
    assert invoice["partner"] == await organisation_id(PARTNER_ORGANISATION)
    assert line["cashback"] > 0 and line["discount"] == 0
    assert line["cashback"] == (line["public_price"] * Decimal("0.20")).quantize(Decimal("0.01"))

    # The client finds it under Billing and opens it.
    await client.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    await client.wait_for_url(re.compile(r"/billing$"))
    listed = client.locator("main tbody tr")
    await expect(listed).to_have_count(1)
    await expect(listed).to_contain_text(invoice["number"])
    await expect(listed).to_contain_text(CLIENT_ORGANISATION)
    await expect(listed.locator("td").nth(6)).to_have_text(swiss_money(invoice["gross"]))
    await expect(listed.locator("td").last).to_have_text("Open")
    await screenshots.take(client, "client-invoices")
    await listed.get_by_role("link", name=invoice["number"]).click()
    await client.wait_for_url(f"**/billing/invoices/{invoice['id']}")
    await expect(
        client.get_by_role("heading", name=f"Invoice {invoice['number']}", level=1)
    ).to_be_visible()
    facts = client.locator("dl.facts")
    await expect(facts).to_contain_text(f"Paid by{CLIENT_ORGANISATION}")
    vat_rule = facts.locator("dt", has_text="VAT rule").locator("xpath=following-sibling::dd[1]")
    await expect(vat_rule).to_have_text(f"Swiss VAT ({invoice['vat_rate'] * 100:.1f} %)")
    lines = client.locator("main table tbody tr")
    await expect(lines).to_have_count(1)
    await expect(lines.locator("td").first).to_have_text(f"Web Hosting Pro — {hosting}")
    await expect(lines.locator("td").nth(2)).to_have_text("1")  # the quantity
    await expect(lines.locator("td").nth(3)).to_have_text(swiss_money(line["public_price"]))
    await expect(lines.locator("td").last).to_have_text(swiss_money(line["amount"]))
    total = client.locator("main tfoot tr").filter(has_text="Total").locator("td")
    await expect(total).to_have_text(swiss_money(invoice["gross"]))
    assert invoice["gross"] == invoice["net"] + invoice["vat"]
    await screenshots.take(client, "client-invoice")

    # The partner's prepaid account: the cashback entry, and a balance of exactly that.
    await partner.reload()
    await expect(partner.get_by_test_id("balance-CHF")).to_have_text(swiss_money(line["cashback"]))
    entries = partner.locator("main tbody tr")
    await expect(entries).to_have_count(1)
    await expect(entries.locator("td").nth(1)).to_have_text("Cashback")
    await expect(entries.locator("td").nth(2)).to_have_text(
        f"Cashback on Web Hosting Pro for {CLIENT_ORGANISATION} · {invoice['number']}"
    )
    await expect(entries.locator("td").last).to_have_text(swiss_money(line["cashback"]))
    [entry] = await LedgerEntry.select().where(LedgerEntry.invoice == invoice["id"])
    assert entry["kind"] == "cashback" and entry["amount"] == line["cashback"]
    await screenshots.take(partner, "partner-prepaid-cashback")

    # The dashboard draws this month's cashback as a bar.
    await partner.goto("/partner/dashboard")
    chart = chart_section(partner)
    svg = chart.get_by_role("img", name="Cashback and discounts per month")
    await expect(svg).to_be_visible()
    await expect(chart.locator(".empty")).to_have_count(0)
    heights = await svg.locator("rect").evaluate_all(
        "rects => rects.map(rect => parseFloat(rect.getAttribute('height')))"
    )
    assert len(heights) == 24  # 12 months, cashback and discount stacked
    assert [height for height in heights if height > 0] != [], heights
    await expect(chart).to_contain_text(f"highest month {swiss_money(line['cashback'])}")
    await expect(stat_card(partner, "Prepaid balance")).to_have_text(swiss_money(line["cashback"]))
    await expect(partner.get_by_test_id("managed-volume")).to_have_text(swiss_money(volume))
    await screenshots.take(partner, "partner-dashboard-with-cashback")

    # The client's invoice is not the partner's: neither listed nor reachable.
    await partner.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    await partner.wait_for_url(re.compile(r"/billing$"))
    await expect(partner.locator("main .empty")).to_have_text("No invoice yet.")
    response = await partner.goto(f"/billing/invoices/{invoice['id']}")
    assert response is not None and response.status == 404
    await expect(partner.get_by_role("heading", name="Page not found")).to_be_visible()
    await expect(partner.locator("main")).not_to_contain_text(invoice["number"])
    await screenshots.take(partner, "partner-invoice-not-found")

    assert page_errors == []
