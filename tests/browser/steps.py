"""Steps that several browser journeys take."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.helpers import PASSWORD


async def sign_up(
    page: Page, email: str, name: str = "Anna Muster", organisation: str = "Muster Web AG"
) -> None:
    """Create an account and its organisation; the new user lands on the overview."""
    await page.goto("/signup")
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Organisation name").fill(organisation)
    await page.get_by_label("I accept the terms of use").check()
    await page.get_by_role("button", name="Create my account").click()
    await page.wait_for_url(re.compile(r"/$"))
    await expect(page.locator("details.menu summary")).to_have_text(name)
