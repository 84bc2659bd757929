"""Delegation in a real browser, two users side by side (docs/rules.md, Delegation): a partner
invites a client by email with restricted access; the client opens the emailed link and grants other
rights than requested; the partner sees what was granted and nothing more; the client ends the
collaboration with its password, and the partner's access is gone."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from portal.accounts.tables import Account
from portal.mail.tables import OutboxMail
from tests.factories.accounts import PASSWORD
from tests.factories.browser import give_products, make_programme_partner, sign_up

pytestmark = pytest.mark.browser

PARTNER_EMAIL = "paula@partner-ag.ch"
PARTNER_ORGANISATION = "Partner AG"
CLIENT_EMAIL = "carl@client-gmbh.ch"
CLIENT_ORGANISATION = "Client GmbH"
STAFF_EMAIL = "sofia@host.example"


async def mails_to(recipient: str) -> list[dict]:
    return (
        await OutboxMail.select(OutboxMail.subject, OutboxMail.body)
        .where(OutboxMail.recipient == recipient)
        .order_by(OutboxMail.id)
    )


async def product_names_shown(page: Page) -> list[str]:
    """The names in the partner's table of managed products (each is a rename field)."""
    return [
        await field.input_value()
        for field in await page.locator("#products input[name=name]").all()
    ]


async def test_client_grants_other_rights_then_ends_the_collaboration(
    db, open_page, page_errors, screenshots
):
    partner = await open_page("partner")
    client = await open_page("client")

    # The partner signs up; its organisation joins the programme.
    await sign_up(partner, PARTNER_EMAIL, name="Paula Partner", organisation=PARTNER_ORGANISATION)
    await make_programme_partner(PARTNER_ORGANISATION)
    await partner.reload()  # the menu offers a partner's pages once it is one

    # The client signs up; its organisation owns web hosting, a domain and mail.
    await sign_up(client, CLIENT_EMAIL, name="Carl Client", organisation=CLIENT_ORGANISATION)
    products = await give_products(CLIENT_ORGANISATION, "web-pro", "domain-ch", "mail-5")
    hosting, domain, mail = products["web-pro"], products["domain-ch"], products["mail-5"]

    # The partner invites the client, asking for web hosting and domains only.
    await partner.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    await partner.wait_for_url("**/clients")
    await expect(partner.locator("#client-list .empty")).to_contain_text("No client yet.")
    invite = partner.locator("form[action='/clients/invite']")
    await invite.get_by_label("Client's email address").fill(CLIENT_EMAIL)
    await invite.get_by_label("Restricted access").check()
    await invite.get_by_label("Web hosting", exact=True).check()
    await invite.get_by_label("Domains", exact=True).check()
    await invite.get_by_label("Message (optional)").fill("We look after your website.")
    await screenshots.take(partner, "partner-invite-filled")
    await invite.get_by_role("button", name="Send the request").click()
    await partner.wait_for_url("**/clients")
    await expect(partner.locator("#flashes")).to_contain_text(
        f"Your request was sent to {CLIENT_EMAIL}."
    )
    waiting = partner.get_by_role("heading", name="Requests waiting").locator("..")
    await expect(waiting).to_contain_text(f"Sent to {CLIENT_EMAIL}")
    await expect(waiting).to_contain_text("Restricted: Domains, Web hosting")
    await screenshots.take(partner, "partner-request-sent")

    # The mail waits in the outbox (no SMTP server is set): the host's staff read it on the
    # development outbox page …
    [invitation_mail] = await mails_to(CLIENT_EMAIL)
    invitation_url = re.search(r"http\S+/links/invitations/\S+", invitation_mail["body"])[0]
    staff = await open_page("staff")
    await sign_up(staff, STAFF_EMAIL, name="Sofia Staff", organisation="Host AG")
    await Account.update({Account.is_staff: True}).where(Account.email == STAFF_EMAIL)
    await staff.goto("/dev/outbox")
    mail_card = staff.locator("article.mail").filter(has_text=f"to {CLIENT_EMAIL}")
    await expect(mail_card).to_have_count(1)
    await expect(mail_card).to_contain_text("Restricted: Domains, Web hosting")
    await expect(mail_card).to_contain_text("We look after your website.")
    await expect(mail_card.locator("a[href*='/links/invitations/']")).to_have_attribute(
        "href", invitation_url
    )
    await screenshots.take(staff, "client-mail-in-outbox")

    # … the client opens the link of the mail, and grants only the mail product instead.
    await client.goto(invitation_url)
    await expect(
        client.get_by_role("heading", name=f"{PARTNER_ORGANISATION} asks to be your partner")
    ).to_be_visible()
    await expect(client.locator("main")).to_contain_text(
        "Paula Partner of Partner AG asks for: Restricted: Domains, Web hosting."
    )
    answer = client.locator("form[action$='/grant']")
    await expect(answer.get_by_label("Restricted access")).to_be_checked()
    await expect(answer.get_by_label("Web hosting", exact=True)).to_be_checked()
    await expect(answer.get_by_label("Domains", exact=True)).to_be_checked()
    await screenshots.take(client, "client-invitation-as-requested")
    await answer.get_by_label("Web hosting", exact=True).uncheck()
    await answer.get_by_label("Domains", exact=True).uncheck()
    await answer.get_by_label(mail).check()
    await expect(answer.get_by_label(hosting)).not_to_be_checked()
    await expect(answer.get_by_label(domain)).not_to_be_checked()
    await screenshots.take(client, "client-grants-only-mail")
    await answer.get_by_role("button", name="Grant this access").click()
    await client.wait_for_url(re.compile(r"/organisation/partners/\d+$"))
    link_id = int(client.url.rsplit("/", 1)[1])
    await expect(client.locator("#flashes")).to_contain_text(
        "The partner now manages what you granted."
    )
    delegated = client.get_by_role("heading", name=f"What {PARTNER_ORGANISATION} manages")
    delegated = delegated.locator("..")
    await expect(delegated).to_contain_text("Restricted: 1 selected product")
    await expect(delegated.locator("ul.list li")).to_have_count(1)
    await expect(delegated.locator("ul.list li")).to_contain_text(mail)
    await screenshots.take(client, "client-partner-active")

    # The partner was told what was granted, and sees that and nothing more.
    answered = (await mails_to(PARTNER_EMAIL))[-1]
    assert "answered your request" in answered["subject"]
    assert "They granted:  Restricted: 1 selected product" in answered["body"]
    await partner.goto("/clients")
    row = partner.locator("#client-list tbody tr")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(CLIENT_ORGANISATION)
    await expect(row.locator(".badge")).to_have_text("Restricted")
    await expect(row.locator("td").nth(4)).to_have_text("1")  # products managed
    await screenshots.take(partner, "partner-client-listed")
    await row.get_by_role("link", name=CLIENT_ORGANISATION).click()
    await partner.wait_for_url(f"**/clients/{link_id}")
    await expect(partner.get_by_role("heading", name=CLIENT_ORGANISATION, level=1)).to_be_visible()
    requested = partner.locator("dl.facts dt", has_text="Requested")
    await expect(requested.locator("xpath=following-sibling::dd[1]")).to_have_text(
        "Restricted: Domains, Web hosting"
    )
    await expect(partner.get_by_test_id("granted")).to_have_text("Restricted: 1 selected product")
    await expect(partner.locator("#products tbody tr")).to_have_count(1)
    await expect(partner.locator("#products tbody tr")).to_contain_text("Mail service")
    assert await product_names_shown(partner) == [mail]
    for absent in (hosting, domain):
        await expect(partner.locator(f"#products input[value='{absent}']")).to_have_count(0)
    await expect(partner.locator("#products")).not_to_contain_text("Web hosting")
    await expect(partner.locator("#products")).not_to_contain_text("Domains")
    await screenshots.take(partner, "partner-sees-requested-vs-granted")

    # The client ends the collaboration: a confirmation, then its password.
    await client.goto(f"/organisation/partners/{link_id}")
    await client.get_by_text("End the collaboration", exact=True).click()
    stop = client.locator(f"form[action='/organisation/partners/{link_id}/stop']")
    await expect(stop).to_be_visible()
    await expect(stop).to_contain_text(f"End the collaboration with {PARTNER_ORGANISATION}?")
    await stop.get_by_label("Your password").fill(PASSWORD)
    await screenshots.take(client, "client-confirms-the-end")
    await stop.get_by_role("button", name="Yes, end it").click()
    await client.wait_for_url("**/organisation/partners")
    await expect(client.locator("#flashes")).to_contain_text(
        f"The collaboration with {PARTNER_ORGANISATION} has ended."
    )
    await expect(client.locator("main .empty")).to_have_text("No partner yet.")
    await screenshots.take(client, "client-collaboration-ended")

    # The partner was told, no longer lists the client, and sees none of its products.
    ended = (await mails_to(PARTNER_EMAIL))[-1]
    assert "ended your collaboration" in ended["subject"]
    await partner.goto("/clients")
    await expect(partner.locator("#client-list tbody tr")).to_have_count(0)
    await expect(partner.locator("#client-list .empty")).to_contain_text("No client yet.")
    await screenshots.take(partner, "partner-no-client-left")
    await partner.goto(f"/clients/{link_id}")
    await expect(partner.locator("dl.facts")).to_contain_text("Stopped")
    await expect(partner.locator("#products input")).to_have_count(0)
    await expect(partner.locator("#products .empty")).to_have_text(
        "Products appear once the collaboration is active."
    )
    await screenshots.take(partner, "partner-link-stopped")

    assert page_errors == []
