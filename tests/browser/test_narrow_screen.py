"""On a 390 px phone screen, each main page of a partner's legal representative: the menu is
folded behind "Menu" (and opens without JavaScript), and the organisation switcher shows the
whole name of a long-named organisation, wrapping rather than cut. A screenshot of each."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.factories.accounts import PASSWORD
from tests.factories.organisations import insert_person, insert_team
from tests.factories.partners import organisation

pytestmark = pytest.mark.browser

LONG_NAME = "Atelier numérique de la Riviera vaudoise et du Chablais Sàrl"
PHONE = {"width": 390, "height": 844}


async def fits_in_its_box(locator) -> bool:
    """Nothing of the element's text is cut: it is no wider than its box, and on screen."""
    return await locator.evaluate(
        """e => { const r = e.getBoundingClientRect();
                  return e.scrollWidth <= e.clientWidth + 1 && r.left >= 0
                         && r.right <= window.innerWidth + 1; }"""
    )


async def log_in(page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/$"))


async def test_the_menu_folds_and_the_whole_organisation_name_shows_on_a_phone(
    db, open_page, page_errors, screenshots
):
    partner = await organisation(LONG_NAME, status="active")
    await insert_person("lea@riviera.example.ch", partner, "legal_representative")
    await insert_team(partner, "Support", [])
    page = await open_page("phone")
    await page.set_viewport_size(PHONE)
    await log_in(page, "lea@riviera.example.ch")

    menu = page.locator("#main-menu")
    button = page.get_by_test_id("menu-button")
    await expect(menu).to_be_hidden()
    await button.click()  # a label for a checkbox: no script involved
    await expect(menu).to_be_visible()
    await screenshots.take(page, "menu-open")
    sections = {
        await link.inner_text(): await link.get_attribute("href")
        for link in await menu.get_by_role("link").all()
    }
    assert {
        "Dashboard",
        "Clients",
        "Renewals",
        "Client renewals",
        "Billing",
        "Prepaid account",
        "Reports",
        "Tenders",
        "Members",
        "Webhooks",
    } <= set(sections)

    for label, url in sections.items():
        response = await page.goto(url)
        assert response is not None and response.status == 200, label
        await expect(menu).to_be_hidden()
        await expect(button).to_be_visible()
        name = page.get_by_test_id("organisation-name")
        await expect(name).to_have_text(LONG_NAME)
        assert await fits_in_its_box(name), f"{label}: the organisation's name is cut"
        box = await name.bounding_box()
        assert box is not None and box["height"] > 30, f"{label}: the long name does not wrap"
        await screenshots.take(page, re.sub(r"\W+", "-", label.lower()))

    await page.get_by_test_id("organisation-switcher").locator("summary").click()
    switch_to = page.get_by_role("button", name=LONG_NAME)
    await expect(switch_to).to_be_visible()
    assert await fits_in_its_box(switch_to)
    await screenshots.take(page, "switcher-open")
    assert page_errors == []


async def test_a_wide_screen_shows_the_menu_unfolded(db, page, page_errors, screenshots):
    partner = await organisation(LONG_NAME, status="active")
    await insert_person("lea@riviera.example.ch", partner, "legal_representative")
    await log_in(page, "lea@riviera.example.ch")
    await expect(page.locator("#main-menu")).to_be_visible()
    await expect(page.get_by_test_id("menu-button")).to_be_hidden()
    await expect(page.get_by_test_id("organisation-name")).to_have_text(LONG_NAME)
    await screenshots.take(page, "wide")
    assert page_errors == []
