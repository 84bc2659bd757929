"""A partner flagged at the yearly review opens Tenders: no tender is listed, the page says
why (only active partners take part; its programme status) and leads to the programme page;
the tender it was sent while active is gone."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from portal.organisations.tables import Organisation
from tests.factories.accounts import PASSWORD
from tests.factories.tenders import client_current, partner, posted_by_client

pytestmark = pytest.mark.browser


async def test_a_flagged_partner_is_told_why_it_sees_no_tender(db, page, page_errors, screenshots):
    lea_org = await partner("Léman Web SA", "lea@leman-web.ch", categories=("email",))
    tender_id = await posted_by_client(await client_current())  # routed to Léman Web SA
    await Organisation.update({Organisation.partner_status: "flagged"}).where(
        Organisation.id == lea_org
    )

    await page.goto("/login")
    await page.get_by_label("Email address").fill("lea@leman-web.ch")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/$"))
    await page.get_by_role("navigation").get_by_role("link", name="Tenders").click()

    told = page.get_by_test_id("not-taking-part")
    await expect(told).to_contain_text("Tenders are open to active partners")
    await expect(page.get_by_test_id("programme-status")).to_have_text(
        "Partner, flagged at the yearly review"
    )
    await expect(page.get_by_text("Move our mail to the host")).to_have_count(0)
    await expect(page.get_by_test_id("received")).to_have_count(0)
    await screenshots.take(page, "flagged-partner-tenders")

    response = await page.goto(f"/partner/tenders/{tender_id}")
    assert response is not None and response.status == 404
    await page.goto("/partner/tenders")
    await page.get_by_role("link", name="See your programme status and what is missing").click()
    await page.wait_for_url(re.compile(r"/programme$"))
    await screenshots.take(page, "flagged-partner-programme")
    assert page_errors == []
