"""Applying to the programme in a real browser (docs/rules.md, The partner programme): a company
fills the application and watches the checklist turn green criterion by criterion — as it types a
valid UID, as its website is checked, as its managed volume crosses CHF 2,000 — then becomes an
active partner."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect

from portal.mail.tables import OutboxMail
from portal.organisations.tables import Organisation
from portal.partners import queries
from portal.partners.rules import WebsiteCheck
from tests.factories.browser import sign_up
from tests.factories.partners import catalogue, give_product, linked_client  # noqa: F401

pytestmark = pytest.mark.browser

EMAIL = "anna@muster-web.ch"
ORGANISATION = "Muster Web AG"


def criterion(page: Page, key: str):
    return page.locator(f"#checklist li[data-criterion='{key}']")


async def expect_verdict(page: Page, key: str, verdict: str) -> None:
    await expect(criterion(page, key)).to_have_attribute("data-verdict", verdict, timeout=10_000)


async def test_a_company_applies_and_watches_its_checklist_turn_green(
    db,
    open_page,
    page_errors,
    screenshots,
    catalogue,  # noqa: F811
):
    page = await open_page("applicant")
    await sign_up(page, EMAIL, name="Anna Muster", organisation=ORGANISATION)
    partner = (
        await Organisation.select(Organisation.id).where(Organisation.name == ORGANISATION).first()
    )["id"]
    # One client already counts, a cent short of the threshold.
    client = await linked_client(partner, "Bäckerei Huber AG", await catalogue.offer(CHF="1999.99"))
    # The host's checker reached www.muster-web.example earlier. Recorded directly: this machine
    # has no internet, and the live server may not fetch local addresses.
    await queries.insert_website_check(
        partner,
        WebsiteCheck("https://www.muster-web.example", True, "HTTP 200", datetime.now(UTC)),
    )

    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Programme").click()
    await page.wait_for_url("**/programme")
    await expect(page.get_by_role("heading", name="Partner programme", level=1)).to_be_visible()
    for key in ("registration", "website", "volume", "commitments"):
        await expect_verdict(page, key, "not_met")
    await expect_verdict(page, "affiliate", "met")
    await expect(page.get_by_test_id("checklist-summary")).to_have_text("1 of 5 criteria met.")
    await expect(criterion(page, "volume")).to_contain_text("Bäckerei Huber AG")
    await expect(criterion(page, "volume")).to_contain_text("0.01 more is needed")
    await expect(criterion(page, "volume").locator("progress")).to_have_attribute("value", "99")
    await screenshots.take(page, "checklist-at-first")

    # The UID, typed as a person types: wrong until its check digit is there.
    uid = page.get_by_label("Company registration number")
    await uid.press_sequentially("CHE-116.281.71", delay=40)
    await expect(criterion(page, "registration")).to_contain_text("not a valid Swiss UID")
    await expect_verdict(page, "registration", "not_met")
    await uid.press_sequentially("0", delay=40)
    await expect_verdict(page, "registration", "met")
    await expect(criterion(page, "registration")).to_contain_text(
        "CHE-116.281.710 is a valid Swiss UID"
    )
    await screenshots.take(page, "uid-turns-green")

    # The website: checked in the background while the checklist says so and polls.
    site = page.get_by_label("Website")
    await site.fill("muster-web.example")
    await expect_verdict(page, "website", "pending")
    await expect(criterion(page, "website")).to_contain_text("Checking")
    await screenshots.take(page, "website-being-checked")
    await expect_verdict(page, "website", "not_met")  # the next poll brings the result
    await expect(criterion(page, "website")).to_contain_text("did not answer")
    await site.fill("www.muster-web.example")
    await expect_verdict(page, "website", "met")
    await expect(criterion(page, "website")).to_contain_text("answered (HTTP 200)")
    await screenshots.take(page, "website-answers")

    # The client orders a domain: the volume crosses CHF 2,000 and the bar is full.
    await give_product(client, await catalogue.offer(CHF="25.00"))
    commitments = page.locator("input[name=commitments]")
    await commitments.nth(0).check()  # any change asks for the checklist again
    await expect_verdict(page, "volume", "met")
    await expect(criterion(page, "volume").locator("progress")).to_have_attribute("value", "100")
    await expect(criterion(page, "volume")).to_contain_text("You manage CHF 2’024.99 a year.")
    await expect_verdict(page, "commitments", "not_met")
    await screenshots.take(page, "volume-crosses-the-threshold")

    for index in range(1, 4):
        await commitments.nth(index).check()
    await expect_verdict(page, "commitments", "met")
    await expect(page.get_by_test_id("checklist-summary")).to_have_text(
        "All five criteria are met."
    )
    await screenshots.take(page, "all-green")

    await page.get_by_role("button", name="Apply").click()
    await page.wait_for_url(re.compile(r"/programme$"))
    await expect(page.locator("#flashes")).to_contain_text(
        f"Welcome to the programme: {ORGANISATION} is now an active partner."
    )
    await expect(page.get_by_test_id("programme-status")).to_have_text("Active partner")
    await expect(page.locator("input[name=commitments][disabled]")).to_have_count(4)
    await screenshots.take(page, "active-partner")

    mails = await OutboxMail.select(OutboxMail.subject).where(OutboxMail.recipient == EMAIL)
    assert {"subject": "Welcome to the partner programme"} in mails
    assert page_errors == [], page_errors
