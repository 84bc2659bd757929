"""Temporary full access in a real browser, two users side by side (docs/rules.md, Delegation):
a restricted partner asks for 2 hours of full access with a reason; the request waits in the
client's inbox; the client approves it with its password; both sides see the countdown; the
partner orders for the client; the two hours pass (the clock is moved for the periodic job,
nobody sleeps) and the grant is back to restricted by itself; both audit logs say so in
sentences."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.async_api import expect

from portal.billing.tables import Invoice
from portal.clients import jobs
from portal.clients.tables import PartnerLink
from tests.factories.accounts import PASSWORD
from tests.factories.browser import (
    give_products,
    make_programme_partner,
    organisation_id,
    sign_up,
)

pytestmark = pytest.mark.browser

PARTNER_EMAIL = "paula@partner-ag.ch"
PARTNER_ORGANISATION = "Partner AG"
CLIENT_EMAIL = "carl@client-gmbh.ch"
CLIENT_ORGANISATION = "Client GmbH"
REASON = "Your new online shop needs a second web hosting, which we order for you."


async def restricted_link(partner: str, client: str) -> int:
    """An active link with restricted access to web hosting, as the client granted it."""
    now = datetime.now(UTC)
    rows = await PartnerLink.insert(
        PartnerLink(
            partner=await organisation_id(partner),
            client=await organisation_id(client),
            status="active",
            initiated_by="partner",
            requested_access="restricted",
            requested_families=["web_hosting"],
            access="restricted",
            families=["web_hosting"],
            expires_at=now,
            decided_at=now,
        )
    ).returning(PartnerLink.id)
    return rows[0]["id"]


async def test_two_hours_of_full_access_end_by_themselves(
    db, settings, open_page, page_errors, screenshots
):
    partner = await open_page("partner")
    client = await open_page("client")
    await sign_up(partner, PARTNER_EMAIL, name="Paula Partner", organisation=PARTNER_ORGANISATION)
    await make_programme_partner(PARTNER_ORGANISATION)
    await sign_up(client, CLIENT_EMAIL, name="Carl Client", organisation=CLIENT_ORGANISATION)
    products = await give_products(CLIENT_ORGANISATION, "web-pro", "domain-ch")
    link_id = await restricted_link(PARTNER_ORGANISATION, CLIENT_ORGANISATION)

    # The partner, restricted to web hosting, asks for 2 hours of full access with a reason.
    await partner.goto(f"/clients/{link_id}")
    await expect(partner.get_by_test_id("granted")).to_have_text("Restricted: Web hosting")
    await expect(partner.locator(f"form[action='/clients/{link_id}/order']")).to_have_count(0)
    ask = partner.locator(f"form[action='/clients/{link_id}/elevation']")
    await ask.get_by_label("For").fill("2")
    await ask.get_by_label("Unit").select_option("hours")
    await ask.get_by_label("Why you need it").fill(REASON)
    await screenshots.take(partner, "partner-asks-for-two-hours")
    await ask.get_by_role("button", name="Ask for temporary full access").click()
    await expect(partner.locator("#flashes")).to_contain_text("Your request was sent")
    await expect(partner.get_by_test_id("elevation-asked")).to_contain_text("for 2 hours")

    # The request waits in the client's inbox, on its overview.
    await client.goto("/")
    inbox = client.locator("#inbox")
    await expect(inbox.get_by_role("heading", name="Waiting for your answer")).to_be_visible()
    await expect(inbox).to_contain_text(
        f"{PARTNER_ORGANISATION} asks for temporary full access for 2 hours: “{REASON}”"
    )
    await screenshots.take(client, "client-inbox")
    await inbox.get_by_role("link", name="Review").click()
    await client.wait_for_url(f"**/organisation/partners/{link_id}")

    # The client approves with its password: full access starts now, for 2 hours.
    approve = client.locator("form[action$='/approve']")
    await expect(client.locator("#elevation blockquote")).to_have_text(REASON)
    await approve.get_by_label("Your password").fill(PASSWORD)
    await screenshots.take(client, "client-approves-with-password")
    await approve.get_by_role("button", name="Approve for 2 hours").click()
    await expect(client.locator("#flashes")).to_contain_text(
        f"{PARTNER_ORGANISATION} has full access until it ends by itself."
    )
    running = client.get_by_test_id("elevation-running")
    await expect(running).to_contain_text("Full access")
    await expect(running.locator("time.countdown")).to_have_text(
        re.compile(r"^(2 h 0|1 h 59) min left$")
    )
    await expect(client.locator("#elevation")).to_contain_text(
        "Then Partner AG's access goes back by itself to: Restricted: Web hosting."
    )
    await screenshots.take(client, "client-countdown")

    # The partner sees the countdown too, and orders a web hosting for the client.
    await partner.goto(f"/clients/{link_id}")
    await expect(
        partner.get_by_test_id("elevation-running").locator("time.countdown")
    ).to_have_text(re.compile(r"^(2 h 0|1 h 59) min left$"))
    order = partner.locator(f"form[action='/clients/{link_id}/order']")
    await order.get_by_label("Name (domain, label…)").fill("shop.client-gmbh.ch")
    await screenshots.take(partner, "partner-countdown-and-order")
    invoices_before = await Invoice.count()
    await order.get_by_role("button", name="Order").click()
    await expect(partner.locator("#flashes")).not_to_be_empty()
    assert await Invoice.count() == invoices_before + 1
    await expect(partner.locator("#products input[value='shop.client-gmbh.ch']")).to_have_count(1)
    assert set(products)  # the client's own products stay its own

    # The two hours pass: the periodic job runs with the clock moved on, no one logged in
    # needed; the grant is back to restricted by itself.
    two_hours_later = datetime.now(UTC) + timedelta(hours=2, minutes=1)
    assert await jobs.settle_due(settings, two_hours_later) == 1
    await partner.goto(f"/clients/{link_id}")
    await expect(partner.get_by_test_id("granted")).to_have_text("Restricted: Web hosting")
    await expect(partner.locator(f"form[action='/clients/{link_id}/order']")).to_have_count(0)
    await expect(partner.get_by_test_id("elevation-running")).to_have_count(0)

    # Both audit logs say so, in sentences, each in its reader's terms.
    await partner.goto("/organisation/audit")
    partner_log = partner.locator("#events")
    await expect(partner_log).to_contain_text(
        f"Your temporary full access to {CLIENT_ORGANISATION} ended as planned; your access is "
        "back to Restricted (Web hosting)."
    )
    await expect(partner_log).to_contain_text(
        f"{CLIENT_ORGANISATION} gave you full access for 2 hours, until"
    )
    await expect(partner_log).to_contain_text(
        f"You asked {CLIENT_ORGANISATION} for full access for 2 hours: “{REASON}” — by Paula "
        "Partner."
    )
    await screenshots.take(partner, "partner-audit-log")
    await client.goto("/organisation/audit")
    client_log = client.locator("#events")
    await expect(client_log).to_contain_text(
        f"The temporary full access of {PARTNER_ORGANISATION} ended as planned; their access is "
        "back to Restricted (Web hosting)."
    )
    await expect(client_log).to_contain_text(
        f"You gave {PARTNER_ORGANISATION} full access for 2 hours, until"
    )
    await expect(client_log).to_contain_text("— by Carl Client.")
    await expect(client_log).not_to_contain_text("link.")
    await expect(client_log).not_to_contain_text("None")
    await screenshots.take(client, "client-audit-log")

    assert page_errors == []
