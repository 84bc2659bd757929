"""What the renewal run tells: a complete sentence for every kind of notice, its dates and
amounts written as pages write them, and one digest per organisation and side."""

from portal.renewals.notices import SENTENCES, Kind, digest, sentence
from portal.settings import Settings

DETAILS = {
    "product": "shop.example (Web Hosting Pro)",
    "payer": "Bäckerei Huber AG",
    "renews_on": "2027-03-31",
    "suspended_on": "2027-04-16",
    "expires_on": "2027-05-16",
    "new_renews_on": "2028-03-31",
    "invoice": "INV-2027-0000042",
    "amount": "128.68",
    "missing": "78.68",
    "currency": "CHF",
    "due_on": "2027-04-30",
    "suspends_on": "2027-05-08",
}
SETTINGS = Settings(secret_key="x", base_url="https://portal.example")


def test_every_kind_has_a_complete_sentence():
    assert set(SENTENCES) == set(Kind)
    for kind in Kind:
        text = sentence(kind, DETAILS, "https://portal.example/billing/prepaid")
        assert text.endswith("."), text
        assert "{" not in text


def test_short_of_money_says_how_much_and_where_to_deposit():
    text = sentence(Kind.NO_MONEY, DETAILS, "https://portal.example/billing/prepaid")
    assert "lacks CHF\u00a078.68 of the CHF\u00a0128.68" in text
    assert "Deposit at least CHF\u00a078.68 on https://portal.example/billing/prepaid" in text
    assert "until 16 Apr 2027" in text


def test_a_digest_names_each_product_and_links_the_right_page():
    rows = [{"client_name": "Bäckerei Huber AG", "kind": "grace", "details": DETAILS}] * 3
    subject, body = digest(SETTINGS, "Alpine Web Studio GmbH", False, rows[:2], 1)
    assert subject == "Renewals of the products Alpine Web Studio GmbH manages"
    assert body.count("- Bäckerei Huber AG: shop.example (Web Hosting Pro) is in its grace") == 2
    assert "- and 1 more on the renewals page." in body
    assert "https://portal.example/partner/renewals" in body
    subject, body = digest(SETTINGS, "Bäckerei Huber AG", True, rows[:1], 0)
    assert subject == "Renewals of the products of Bäckerei Huber AG"
    assert "https://portal.example/renewals\n" in body and "more on" not in body
