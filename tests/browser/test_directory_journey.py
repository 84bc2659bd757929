"""A visitor finds a partner in the public directory: the results follow their typing
(htmx, debounced, the URL kept shareable), a language filter narrows them, and a profile
opens with its checked badges and logo."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from PIL import Image
from playwright.async_api import Page, expect

from portal.directory import queries
from portal.directory.logos import reencode_logo
from tests.factories.directory import listed_partner

pytestmark = pytest.mark.browser


async def with_logo(organisation_id: int, colour: tuple[int, int, int]) -> None:
    source = io.BytesIO()
    image = Image.new("RGB", (240, 240), colour)
    image.paste((255, 255, 255), (60, 60, 180, 180))
    image.save(source, format="PNG")
    logo = reencode_logo(source.getvalue())
    listing = await queries.listing_of(organisation_id)
    await queries.save_logo(listing["id"], logo.image, logo.width, logo.height, datetime.now(UTC))


def names(page: Page):
    return page.locator('[data-testid="partner-card"] .directory-card-name')


async def test_a_visitor_searches_by_typing_filters_by_language_and_opens_a_profile(
    db, page, page_errors, screenshots
):
    geneva = await listed_partner(
        "Atelier Genève Web Sàrl",
        region="CH-GE",
        languages=("fr", "en"),
        specialities=("website_creation", "e_shop"),
        description="Sites web et boutiques en ligne pour les PME de Genève et de Nyon.",
        website="https://atelier-geneve.example",
    )
    await with_logo(geneva, (11, 95, 255))
    await listed_partner(
        "Ticino Cloud SA",
        region="CH-TI",
        languages=("it", "de"),
        specialities=("hosting", "email"),
        description="Hosting e posta elettronica per hotel e ristoranti a Lugano.",
    )
    await listed_partner(
        "Zürich Shop GmbH",
        region="CH-ZH",
        languages=("de", "en"),
        specialities=("e_shop", "migration"),
        description="Onlineshops und Umzüge für Händler in Zürich und Winterthur.",
    )
    await listed_partner("Not Active AG", status="flagged")

    await page.goto("/directory")
    await expect(page.get_by_role("heading", name="Find a partner")).to_be_visible()
    await expect(names(page)).to_have_count(3)
    await expect(page.get_by_test_id("result-count")).to_contain_text("3 partners match")
    await screenshots.take(page, "directory")

    # Typing: the results follow without a click, accents folded ("genev" finds Genève).
    search = page.get_by_label("Search by name, town or what they do")
    await search.press_sequentially("genev", delay=60)
    await expect(names(page)).to_have_count(1)
    await expect(names(page)).to_have_text(["Atelier Genève Web Sàrl"])
    await expect(page).to_have_url(re.compile(r"/directory\?q=genev$"))
    await screenshots.take(page, "typed-genev")

    # Nothing matches: an empty state that says what to do.
    await search.fill("plumber")
    await expect(page.get_by_test_id("empty")).to_contain_text("No partner matches “plumber”")
    await screenshots.take(page, "no-match")

    # A language filter, on its own: only the partners working in Italian.
    await search.fill("")
    await expect(names(page)).to_have_count(3)
    await page.get_by_label("Language").select_option("it")
    await expect(names(page)).to_have_text(["Ticino Cloud SA"])
    await expect(page).to_have_url(re.compile(r"/directory\?language=it$"))
    await screenshots.take(page, "filtered-italian")

    # The URL is shareable: opened afresh, it shows the same results with the filter chosen.
    await page.goto("/directory?language=fr")
    await expect(names(page)).to_have_text(["Atelier Genève Web Sàrl"])
    await expect(page.get_by_label("Language")).to_have_value("fr")

    # The profile: badges the portal checked, the logo, the website.
    await names(page).first.click()
    await page.wait_for_url("**/directory/atelier-geneve-web-sarl")
    await expect(page.get_by_role("heading", name="Atelier Genève Web Sàrl")).to_be_visible()
    await expect(page.locator(".directory-badges")).to_contain_text("Verified registration")
    await expect(page.get_by_text("Geneva", exact=False).first).to_be_visible()
    logo = page.get_by_alt_text("Logo of Atelier Genève Web Sàrl")
    await expect(logo).to_be_visible()
    assert await logo.evaluate("image => image.naturalWidth") == 240
    await expect(page.get_by_role("link", name="atelier-geneve.example")).to_be_visible()
    await screenshots.take(page, "profile")

    # A flagged partner has no profile.
    response = await page.goto("/directory/not-active-ag")
    assert response is not None and response.status == 404
    assert page_errors == []
