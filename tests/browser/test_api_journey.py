"""A person makes an API token on their security page (the password asked again), sees it
once, uses it from a script, reads the API's documentation page (no outside script, the
Content-Security-Policy holds: no console error), registers a webhook endpoint and sees its
secret once, then revokes the token."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import expect

from tests.factories.accounts import PASSWORD
from tests.factories.browser import sign_up

pytestmark = pytest.mark.browser


async def test_a_token_is_made_used_documented_and_revoked(
    page, live_server, screenshots, page_errors
):
    await sign_up(page, "tokens@example.ch")
    await page.goto("/account/security")
    await page.get_by_text("Create a token").click()
    await page.get_by_label("Name").fill("CRM sync")
    await page.get_by_label("Clients and links").select_option("read")
    await page.get_by_label("Your password").last.fill(PASSWORD)
    await screenshots.take(page, "token-form")
    await page.get_by_role("button", name="Create the token").click()
    token = (await page.get_by_test_id("api-token").text_content()).strip()
    assert re.fullmatch(r"ppt_[A-Za-z0-9_-]{40,}", token)
    await screenshots.take(page, "token-shown-once")

    answer = httpx.get(
        live_server.url + "/api/v1/organisation", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200 and answer.json()["name"] == "Muster Web AG"

    await page.get_by_role("link", name="I have saved it").click()
    row = page.locator("#api-tokens tbody tr").first
    await expect(row).to_contain_text("CRM sync")
    await expect(row).not_to_contain_text("Never used")
    await expect(page.locator("body")).not_to_contain_text(token)

    await page.goto("/api/v1/docs")
    await expect(page.get_by_role("heading", name=re.compile("Partner Portal API"))).to_be_visible()
    await expect(page.locator("#listClients")).to_contain_text("/api/v1/clients")
    await screenshots.take(page, "api-docs")

    await page.goto("/organisation/webhooks")
    await page.get_by_label("Address (https)").fill("https://crm.example.ch/hooks/portal")
    await page.get_by_label(re.compile("A link is stopped")).check()
    await page.get_by_role("button", name="Add the endpoint").click()
    secret = (await page.get_by_test_id("webhook-secret").text_content()).strip()
    assert secret.startswith("whsec_")
    await screenshots.take(page, "webhook-secret")
    await page.get_by_role("link", name="I have saved it").click()
    await expect(page.get_by_text("No event was sent to this endpoint yet.")).to_be_visible()

    await page.goto("/account/security")
    await page.locator("#api-tokens").get_by_role("button", name="Revoke").click()
    await expect(page.locator("#api-tokens tbody tr").first).to_contain_text("Revoked")
    await screenshots.take(page, "token-revoked")
    again = httpx.get(
        live_server.url + "/api/v1/organisation", headers={"Authorization": f"Bearer {token}"}
    )
    assert again.status_code == 401
    assert page_errors == []
