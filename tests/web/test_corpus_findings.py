"""What the bad-input corpus (test_bad_input_corpus.py) found, each pinned by a test of its
own: a refused request that wrote, and server errors."""

from __future__ import annotations

from urllib.parse import quote

from portal.accounts.tables import Account
from portal.organisations.tables import Organisation
from portal.tenders.tables import TenderRecipient
from tests.factories.accounts import log_in, sign_up
from tests.factories.tenders import partner
from tests.factories.web import another_browser, post_form


async def test_a_refused_two_factor_confirmation_begins_no_setup(client):
    await sign_up(client)
    response = await post_form(client, "/account/two-factor/confirm", {"code": "x"})
    assert response.status_code == 303 and response.headers["location"] == "/account/security"
    account = await Account.select(Account.totp_pending_secret).first()
    assert account["totp_pending_secret"] is None


async def test_money_pages_of_someone_without_an_organisation_are_not_found(client):
    await sign_up(client)
    await Account.update({Account.is_staff: True}).where(Account.email == "anna@example.ch")
    from portal.organisations.tables import Membership

    await Membership.delete(force=True)
    await client.get("/")  # the session forgets the organisation it acted in
    for url, data in [
        ("/billing/prepaid/deposit", {"amount": "100"}),
        ("/billing/prepaid/payout", {"payout_amount": "10", "method": "iban"}),
    ]:
        assert (await post_form(client, url, data)).status_code == 404


async def test_a_refused_quote_does_not_mark_the_tender_read(client):
    from tests.factories.tenders import QUOTE, published

    await partner("Léman Web SA", "lea@leman-web.ch")
    tender_id, _manage = await published(client)
    async with another_browser(client) as lea:
        await log_in(lea, "lea@leman-web.ch")
        path = f"/partner/tenders/{tender_id}"
        refused = await post_form(lea, f"{path}/quote", {**QUOTE, "price": "-1"})
        assert refused.status_code == 422
        assert (await TenderRecipient.select(TenderRecipient.read_at).first())["read_at"] is None
        assert (await lea.get(path)).status_code == 200  # opening the page marks it read
        assert (await TenderRecipient.select(TenderRecipient.read_at).first())["read_at"]


async def test_a_login_redirect_keeps_no_destination_longer_than_a_browser_takes(client):
    response = await client.get("/clients?search=" + quote("x" * 5_000))
    assert response.status_code == 303  # the page, without its query string
    assert response.headers["location"] == "/login?next=%2Fclients"
    short = await client.get("/clients?search=web")
    assert short.headers["location"] == "/login?next=%2Fclients%3Fsearch%3Dweb"


async def test_a_file_sent_where_the_report_form_takes_text_is_a_form_error(client):
    """The billing report's form shown again with its errors read every field as text."""
    await sign_up(client, organisation="Partner AG")
    await Organisation.update({Organisation.partner_status: "active"}).where(
        Organisation.name == "Partner AG"
    )
    for url in ("/exports", "/exports/search"):
        response = await post_form(client, url, {}, files={"q": ("q.txt", b"x")})
        assert response.status_code in (200, 422), (url, response.status_code)
