"""The tenders' mails, built without a database: a routed partner's mail carries the excerpt
and never the author's contact; the winner's carries it; amounts are formatted as money."""

from datetime import UTC, datetime
from decimal import Decimal

from portal.formatting import money
from portal.settings import Settings
from portal.tenders import notifications

SETTINGS = Settings(secret_key="test", base_url="https://portal.test")
TENDER = {
    "id": 7,
    "title": "A new website for our bakery",
    "description": "We need a bilingual website with an online order form. " * 20,
    "category": "website_creation",
    "budget_min": Decimal("2000"),
    "budget_max": Decimal("5000"),
    "currency": "CHF",
    "language": "fr",
    "country": "CH",
    "region": "CH-VD",
    "deadline": datetime(2027, 3, 1, 22, 59, tzinfo=UTC),
    "author_name": "Vera Visitor",
    "author_email": "vera@bakery.example",
    "author_phone": "+41 21 555 12 34",
    "author_company": "Boulangerie Vera",
    "author_organisation": None,
}
CONTACT = ("vera@bakery.example", "Vera Visitor", "+41 21 555 12 34", "Boulangerie Vera")


def test_a_routed_partner_gets_the_excerpt_never_the_contact():
    mail = notifications.new_tender(SETTINGS, TENDER, "lea@leman-web.ch")
    assert mail.subject == "New tender: A new website for our bakery"
    assert "Vaud, Switzerland" in mail.body and money(Decimal("5000"), "CHF") in mail.body
    assert f"{SETTINGS.base_url}/partner/tenders/7" in mail.body
    assert len(mail.body) < len(TENDER["description"])  # an excerpt, not the whole request
    assert not any(secret in mail.body for secret in CONTACT)


def test_the_winner_gets_the_contact_and_the_others_do_not():
    chosen = {"price": Decimal("3800"), "currency": "CHF"}
    won = notifications.quote_accepted(SETTINGS, TENDER, chosen, "lea@leman-web.ch")
    assert all(secret in won.body for secret in CONTACT)
    assert money(Decimal("3800"), "CHF") in won.body
    lost = notifications.another_quote_chosen(SETTINGS, TENDER, "otto@alpen.ch")
    assert not any(secret in lost.body for secret in CONTACT)


def test_a_visitor_is_pointed_to_the_private_link_a_client_to_its_page():
    visitor = notifications.quote_withdrawn(SETTINGS, TENDER, "Léman Web SA")
    assert "the private link we sent you" in visitor.body
    client = notifications.quote_withdrawn(SETTINGS, {**TENDER, "author_organisation": 3}, "X")
    assert f"{SETTINGS.base_url}/tenders/mine/7" in client.body
