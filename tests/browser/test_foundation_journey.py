"""The foundation's journey in a real browser: sign up, log out and in, turn on two-factor
authentication, then log in again with a code from the authenticator app."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import pyotp
import pytest
from playwright.async_api import Page, expect

from tests.factories.accounts import PASSWORD
from tests.factories.browser import sign_up

pytestmark = pytest.mark.browser


async def log_out(page: Page) -> None:
    await page.locator("details.menu summary").click()
    await page.get_by_role("button", name="Log out").click()
    await page.wait_for_url("**/login")
    await expect(page.locator("#flashes")).to_contain_text("You are logged out.")


async def log_in_with_password(page: Page, email: str) -> None:
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()


async def wait_for_next_totp_step(totp: pyotp.TOTP, used_step: int) -> None:
    """A code works once: the server refuses any step at or before the one already used."""
    while int(time.time() // totp.interval) <= used_step:
        await asyncio.sleep(0.25)


async def test_sign_up_then_log_in_with_two_factor_authentication(
    db, page, page_errors, screenshots
):
    email = f"journey-{uuid.uuid4().hex[:10]}@example.ch"
    name = "Anna Muster"

    # Sign up: the new account owns a new organisation and is logged in.
    await page.goto("/signup")
    await expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_label("Organisation name").fill("Muster Web AG")
    await page.get_by_label("Country").select_option("CH")
    await page.get_by_label("Currency").select_option("CHF")
    await page.get_by_label("I accept the terms of use").check()
    await screenshots.take(page, "signup-filled")
    await page.get_by_role("button", name="Create my account").click()
    await page.wait_for_url(re.compile(r"/$"))
    await expect(page.locator("#flashes")).to_contain_text("Welcome, Anna Muster.")
    await expect(page.locator("details.menu summary")).to_have_text(name)
    await screenshots.take(page, "signed-up")

    await log_out(page)
    await screenshots.take(page, "logged-out")

    await log_in_with_password(page, email)
    await page.wait_for_url(re.compile(r"/$"))
    await expect(page.locator("details.menu summary")).to_have_text(name)
    await screenshots.take(page, "logged-in")

    # Turn on two-factor authentication from the Security page.
    await page.locator("details.menu summary").click()
    await page.get_by_role("link", name="Security & 2FA").click()
    await page.wait_for_url("**/account/security")
    await expect(page.locator(".badge.warn")).to_have_text("Off")
    await screenshots.take(page, "security-2fa-off")
    await page.get_by_role("button", name="Set up two-factor authentication").click()
    secret_element = page.locator("[data-testid=totp-secret]")
    await expect(secret_element).to_be_visible()
    await expect(page.locator(".qr svg")).to_be_visible()
    secret = (await secret_element.inner_text()).replace(" ", "").strip()
    totp = pyotp.TOTP(secret)
    moment = time.time()
    confirmed_step = int(moment // totp.interval)
    confirmation_code = totp.at(moment)
    await page.get_by_label("Code").fill(confirmation_code)
    await page.get_by_label("Your password").fill(PASSWORD)
    await screenshots.take(page, "two-factor-setup")
    await page.get_by_role("button", name="Turn on").click()

    await expect(
        page.get_by_role("heading", name="Two-factor authentication is on")
    ).to_be_visible()
    codes = page.locator("[data-testid=backup-codes] li")
    await expect(codes).to_have_count(10)
    backup_codes = [text.strip() for text in await codes.all_inner_texts()]
    assert len(set(backup_codes)) == 10 and all(backup_codes), backup_codes
    await screenshots.take(page, "backup-codes")
    await page.get_by_role("link", name="I have saved them").click()
    await page.wait_for_url("**/account/security")
    await expect(page.locator(".badge.ok")).to_have_text("On")
    await expect(page.get_by_text("10 unused backup codes left.")).to_be_visible()
    await screenshots.take(page, "security-2fa-on")

    # Logging in now takes the password, then a code.
    await log_out(page)
    await log_in_with_password(page, email)
    await page.wait_for_url("**/login/second-factor**")
    await expect(page.get_by_role("heading", name="Two-factor authentication")).to_be_visible()
    await expect(page.locator("details.menu")).to_have_count(0)  # not logged in yet
    await screenshots.take(page, "second-factor")

    # The code used to turn 2FA on was spent: it is refused.
    await page.get_by_label("Code").fill(confirmation_code)
    await page.get_by_role("button", name="Verify").click()
    await expect(page.locator("#e-code")).to_be_visible()
    assert "/login/second-factor" in page.url
    await expect(page.locator("details.menu")).to_have_count(0)
    await screenshots.take(page, "second-factor-reused-code-refused")

    await wait_for_next_totp_step(totp, confirmed_step)
    await page.get_by_label("Code").fill(totp.now())
    await page.get_by_role("button", name="Verify").click()
    await page.wait_for_url(re.compile(r"/$"))
    await expect(page.locator("details.menu summary")).to_have_text(name)
    await screenshots.take(page, "logged-in-with-two-factor")

    assert page_errors == []


async def test_a_message_is_shown_once(db, page, page_errors, screenshots):
    await sign_up(page, f"flash-{uuid.uuid4().hex[:10]}@example.ch")
    await expect(page.locator("#flashes")).to_contain_text("Welcome, Anna Muster.")
    await page.reload()
    await screenshots.take(page, "overview-reloaded")
    await expect(page.locator("#flashes .flash")).to_have_count(0, timeout=2_000)
    icon = await page.locator("link[rel=icon]").get_attribute("href")
    response = await page.request.get(icon)
    assert response.ok and response.headers["content-type"].startswith("image/svg+xml")
    assert page_errors == []
