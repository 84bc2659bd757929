"""The tender marketplace in a real browser, with mail through a real SMTP server (docs/rules.md,
Tenders): a visitor posts a tender and confirms it by the emailed link; two matching partners read
it and answer with quotes (ticking the host-products commitment); the visitor compares them side by
side and accepts one; the winner sees the visitor's contact details, the second partner is told by
email. A partner that did not opt in never hears of it."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys

import pytest
from playwright.async_api import Page, expect

from tests.factories.accounts import PASSWORD
from tests.factories.mail import MailCatcher
from tests.factories.servers import ROOT, LiveServer, _wait_for_health, free_port
from tests.factories.tenders import in_days, partner
from tests.factories.web import link_in

pytestmark = pytest.mark.browser

VISITOR = "vera@bakery.example"
WINNER = "lea@leman-web.ch"
SECOND = "otto@alpen-digital.ch"
OUTSIDER = "sam@shop-only.ch"


@pytest.fixture
def live_server(migrated, smtp: MailCatcher, tmp_path):
    """The production server, as the session's, but sending its mail to the test's SMTP
    server on 127.0.0.1 (the session's server keeps mail in the outbox), with the job
    worker that `portal serve` runs beside it (partners are told of tenders by a job, and
    the mails of the decision leave through it)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DATABASE_URL": migrated,
        "PORTAL_SECRET_KEY": secrets.token_urlsafe(48),
        "PORTAL_BASE_URL": url,
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
    }
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "asgi",
                "--factory",
                "portal.app:app_from_environment",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    with (tmp_path / "worker.log").open("wb") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-m", "portal.cli", "worker"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(url, process, log)
    try:
        _wait_for_health(server)
        yield server
    finally:
        for child in (process, worker):
            child.terminate()
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


async def mail_to(smtp: MailCatcher, address: str, subject_start: str) -> str:
    """The body of the latest mail to ADDRESS whose subject starts so, waiting a little."""
    for _ in range(50):
        found = [m for m in smtp.to(address) if m["Subject"].startswith(subject_start)]
        if found:
            return found[-1].get_content()
        await asyncio.sleep(0.1)
    subjects = [(m["To"], m["Subject"]) for m in smtp.messages]
    raise AssertionError(f"no mail «{subject_start}…» to {address}; got {subjects}")


async def log_in(page: Page, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_url(re.compile(r"/$"))


async def answer(page: Page, price: str, timeline: str, message: str) -> None:
    await page.goto("/partner/tenders")
    await page.get_by_role("link", name="A new website for our bakery").click()
    await expect(page.get_by_text("online order form")).to_be_visible()
    await expect(page.get_by_test_id("contact")).not_to_contain_text(VISITOR)
    await page.get_by_label("Price").fill(price)
    await page.get_by_label("Timeline").fill(timeline)
    await page.get_by_label("Message to the author").fill(message)
    await page.get_by_role("button", name="Send the quote").click()
    # without the commitment ticked, the quote is refused beside the box
    await expect(page.locator("#e-commitment")).to_contain_text("only the host's products")
    await page.get_by_label("For this contract we use only the host's products.").check()
    await page.get_by_role("button", name="Send the quote").click()
    await expect(page.get_by_text("Your quote is sent")).to_be_visible()


async def test_visitor_posts_partners_quote_visitor_accepts(
    db, smtp, open_page, page_errors, screenshots
):
    await partner("Léman Web SA", WINNER, languages=("fr",), regions=("CH-VD",))
    await partner("Alpen Digital AG", SECOND, regions=("CH",))
    await partner("Shop Only GmbH", OUTSIDER, categories=("e_shop",))

    visitor = await open_page("visitor")
    await visitor.goto("/")
    await visitor.get_by_role("link", name="Post a tender").click()
    await visitor.get_by_label("Title").fill("A new website for our bakery")
    await visitor.get_by_label("Description").fill(
        "Our bakery in Lausanne needs a bilingual website with an online order form, our "
        "opening hours and a page per shop."
    )
    await visitor.get_by_label("Category").select_option(label="Website creation")
    await visitor.get_by_label("Language of the project").select_option(label="French")
    await visitor.get_by_label("Deadline for quotes").fill(in_days(21))
    await visitor.get_by_label("Budget from").fill("3000")
    await visitor.get_by_label("Budget up to").fill("2000")
    await visitor.get_by_label("Canton").select_option(label="Vaud")
    await visitor.get_by_label("Your name").fill("Vera Visitor")
    await visitor.get_by_label("Email address").fill(VISITOR)
    await visitor.get_by_label("Phone (optional)").fill("+41 21 555 12 34")
    await visitor.get_by_role("button", name="Post the tender").click()
    await expect(visitor.locator("#e-budget_max")).to_contain_text("at least the minimum")
    await screenshots.take(visitor, "visitor-budget-upside-down")
    await visitor.get_by_label("Budget up to").fill("6000")
    await visitor.get_by_role("button", name="Post the tender").click()
    await expect(visitor.get_by_role("heading", name="Check your email")).to_be_visible()
    await screenshots.take(visitor, "visitor-check-your-email")
    assert smtp.to(WINNER) == []  # nothing reaches partners before the confirmation

    confirmation = await mail_to(smtp, VISITOR, "Confirm your tender")
    await visitor.goto(link_in(confirmation, "/tenders/confirm/"))
    await screenshots.take(visitor, "visitor-confirm")
    await visitor.get_by_role("button", name="Confirm and publish").click()
    await expect(visitor.get_by_test_id("tender-status")).to_have_text("Open for quotes")
    await expect(visitor.get_by_text("sent to 2 partners")).to_be_visible()
    await screenshots.take(visitor, "visitor-published")
    manage_path = link_in(
        await mail_to(smtp, VISITOR, "Your tender is published"), "/tenders/manage/"
    )
    assert manage_path in visitor.url

    notification = await mail_to(smtp, WINNER, "New tender: A new website for our bakery")
    assert "online order form" in notification and VISITOR not in notification
    await mail_to(smtp, SECOND, "New tender")
    assert smtp.to(OUTSIDER) == []

    lea = await open_page("winner")
    await log_in(lea, WINNER)
    await lea.goto("/partner/tenders")
    await expect(lea.get_by_test_id("received")).to_have_text("1")
    await screenshots.take(lea, "partner-inbox")
    await lea.get_by_role("link", name="Tender settings").click()
    rule = lea.get_by_test_id("matching-rule")
    await expect(rule).to_contain_text("A tender reaches you when all of these hold")
    await expect(rule).to_contain_text("French")
    await expect(rule).to_contain_text("Vaud (canton)")
    await screenshots.take(lea, "partner-tender-settings")
    await answer(lea, "4800", "Four weeks from the go-ahead", "We build bakery sites in Vaud.")
    await screenshots.take(lea, "partner-quote-sent")

    otto = await open_page("second-partner")
    await log_in(otto, SECOND)
    await answer(otto, "5200", "Six weeks", "A German-speaking team with French support.")

    await mail_to(smtp, VISITOR, "New quote for your tender")
    await visitor.goto(manage_path)
    quotes = visitor.get_by_test_id("quote")
    await expect(quotes).to_have_count(2)
    await expect(quotes.nth(0)).to_contain_text("Léman Web SA")  # cheapest first
    await expect(quotes.nth(1)).to_contain_text("Alpen Digital AG")
    await screenshots.take(visitor, "visitor-compares-quotes")
    await quotes.nth(0).get_by_text("Accept", exact=True).click()
    await quotes.nth(0).get_by_role("button", name="Yes, accept this quote").click()
    await expect(visitor.get_by_test_id("tender-status")).to_have_text("Decided")
    await expect(visitor.get_by_text("You accepted the quote")).to_be_visible()
    await screenshots.take(visitor, "visitor-accepted")

    told = await mail_to(smtp, SECOND, "Another quote was chosen")
    assert "chose another partner's quote" in told
    won = await mail_to(smtp, WINNER, "Your quote was accepted")
    assert VISITOR in won and "+41 21 555 12 34" in won

    await lea.reload()
    await expect(lea.get_by_test_id("contact")).to_contain_text(VISITOR)
    await expect(lea.get_by_test_id("own-quote")).to_contain_text("Accepted")
    await screenshots.take(lea, "partner-won-sees-contact")
    await otto.reload()
    await expect(otto.get_by_test_id("own-quote")).to_contain_text("Not chosen")
    await expect(otto.get_by_test_id("contact")).not_to_contain_text(VISITOR)
    await screenshots.take(otto, "second-partner-not-chosen")
    assert page_errors == []
