"""A partner amends then withdraws its quote (the author sees each change, and a withdrawn
quote is final); the inbox pages by 20; the lists and the quotes render alone as htmx
fragments."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from portal.formatting import money
from portal.tenders.tables import Quote, Tender, TenderRecipient
from tests.factories.accounts import logged_in_browser
from tests.factories.tenders import QUOTE, mails_to, partner, published
from tests.factories.web import pager_link, post_form

FRAGMENT = {"HX-Request": "true"}


async def test_a_partner_amends_then_withdraws_its_quote(client):
    await partner("Léman Web SA", "lea@leman-web.ch")
    tender_id, manage = await published(client)
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    path = f"/partner/tenders/{tender_id}"
    try:
        assert (await post_form(lea, f"{path}/quote", QUOTE)).status_code == 303
        again = await post_form(lea, f"{path}/quote", {**QUOTE, "price": "100"})
        assert again.status_code == 409  # answered once; the form offers an amendment instead
        page = await lea.get(path)
        assert "Save the changes" in page.text and 'value="3800.00"' in page.text

        amended = await post_form(lea, f"{path}/quote/amend", {**QUOTE, "price": "3500.50"})
        assert amended.status_code == 303, amended.text
        assert money(Decimal("3500.50"), "CHF") in (await client.get(manage)).text
        subjects = [m["subject"] for m in await mails_to("vera@bakery.example")]
        assert "A quote was amended: A new website for our bakery" in subjects
        # the commitment is ticked again with every amendment
        refused = await post_form(lea, f"{path}/quote/amend", {**QUOTE, "commitment": ""})
        assert refused.status_code == 422

        withdrawn = await post_form(lea, f"{path}/quote/withdraw")
        assert withdrawn.status_code == 303
        author_page = await client.get(manage)
        assert "Léman Web SA" not in author_page.text and "No quote yet" in author_page.text
        page = await lea.get(path)
        assert "You withdrew your quote" in page.text and "Send the quote" not in page.text
        assert (await post_form(lea, f"{path}/quote/amend", QUOTE)).status_code == 303
        quote = await Quote.select(Quote.status, Quote.price).first()
        assert quote["status"] == "withdrawn" and str(quote["price"]) == "3500.50"
    finally:
        await lea.aclose()


async def test_the_inbox_pages_by_twenty_newest_first(client):
    organisation_id = await partner("Léman Web SA", "lea@leman-web.ch")
    now = datetime.now(UTC)
    for number in range(21):
        rows = await Tender.insert(
            Tender(
                title=f"Tender number {number:02d}",
                description="A tender written straight into the database.",
                category="website_creation",
                budget_min=100,
                budget_max=200,
                currency="CHF",
                language="fr",
                country="CH",
                deadline=now + timedelta(days=5),
                status="open",
                author_name="A",
                author_email="a@example.ch",
                opened_at=now,
            )
        ).returning(Tender.id)
        await TenderRecipient.insert(TenderRecipient(tender=rows[0]["id"], partner=organisation_id))
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        first = await lea.get("/partner/tenders")
        assert "Tender number 20" in first.text and "Tender number 01" in first.text
        assert "Tender number 00" not in first.text
        second = await lea.get(pager_link(first.text, "next"), headers=FRAGMENT)
        assert second.status_code == 200
        assert "Tender number 00" in second.text and "<html" not in second.text
        assert "Tender number 01" not in second.text and pager_link(second.text, "next") is None
        assert 'data-testid="received">21<' in first.text
        back = await lea.get(pager_link(second.text, "prev"))
        assert "Tender number 20" in back.text and "Tender number 00" not in back.text
        odd = await lea.get("/partner/tenders?after=²")
        assert odd.status_code == 200 and "Tender number 20" in odd.text
    finally:
        await lea.aclose()


async def test_fragments_render_alone(client):
    from tests.factories.organisations import insert_organisation, insert_person

    await partner("Léman Web SA", "lea@leman-web.ch")
    _tender_id, manage = await published(client)
    quotes = await client.get(manage, headers=FRAGMENT)
    assert quotes.status_code == 200 and quotes.text.lstrip().startswith(
        '<section class="card" id="quotes">'
    )

    bakery = await insert_organisation("Bakery SA")
    await insert_person("boss@bakery.ch", bakery, "legal_representative")
    boss = await logged_in_browser(client, "boss@bakery.ch")
    try:
        mine = await boss.get("/tenders/mine", headers=FRAGMENT)
        assert mine.status_code == 200 and 'id="tender-list"' in mine.text
        assert "<html" not in mine.text and "not posted a tender yet" in mine.text
        not_partner = await boss.get("/partner/tenders")
        assert not_partner.status_code == 200
        assert "Tenders are open to active partners" in not_partner.text
        assert "Not in the programme" in not_partner.text
    finally:
        await boss.aclose()


async def test_a_quote_amended_after_the_author_opened_the_page_is_not_accepted(client):
    import re

    await partner("Léman Web SA", "lea@leman-web.ch")
    tender_id, manage = await published(client)
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        path = f"/partner/tenders/{tender_id}"
        assert (
            await post_form(lea, f"{path}/quote", {**QUOTE, "price": "3000"})
        ).status_code == 303
        opened = (await client.get(manage)).text  # the author reads 3,000
        quote_id = opened.split('id="quote-')[1].split('"')[0]
        seen = re.search(r'name="version" value="([^"]+)"', opened).group(1)
        amended = await post_form(lea, f"{path}/quote/amend", {**QUOTE, "price": "9000"})
        assert amended.status_code == 303
    finally:
        await lea.aclose()

    refused = await post_form(client, f"{manage}/quotes/{quote_id}/accept", {"version": seen})
    assert refused.status_code == 409
    assert "This quote changed since you opened the page" in refused.text
    assert money(Decimal("9000"), "CHF") in refused.text  # the quote as it stands now
    assert (await Quote.select(Quote.status).first())["status"] == "submitted"
    assert (await post_form(client, f"{manage}/quotes/{quote_id}/accept")).status_code == 409

    fresh = re.search(r'name="version" value="([^"]+)"', refused.text).group(1)
    accepted = await post_form(client, f"{manage}/quotes/{quote_id}/accept", {"version": fresh})
    assert accepted.status_code == 303
    assert (await Quote.select(Quote.status).first())["status"] == "accepted"


async def test_a_tender_is_new_in_the_inbox_until_opened_or_quoted(client):
    await partner("Léman Web SA", "lea@leman-web.ch")
    await partner("Rhône Code Sàrl", "remi@rhone-code.ch")
    tender_id, _ = await published(client)
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    remi = await logged_in_browser(client, "remi@rhone-code.ch")
    path = f"/partner/tenders/{tender_id}"
    new = '<span class="badge">New</span>'
    try:
        assert new in (await lea.get("/partner/tenders")).text
        assert (await post_form(lea, f"{path}/quote", QUOTE)).status_code == 303  # unopened
        assert new not in (await lea.get("/partner/tenders")).text
        assert new in (await remi.get("/partner/tenders")).text
        assert (await remi.get(path)).status_code == 200
        assert new not in (await remi.get("/partner/tenders")).text
    finally:
        await lea.aclose()
        await remi.aclose()


async def test_the_authors_quotes_page_by_page(client, monkeypatch):
    from portal.tenders import queries as tender_queries

    monkeypatch.setattr(tender_queries, "QUOTE_PAGE_SIZE", 1)
    await partner("Léman Web SA", "lea@leman-web.ch")
    await partner("Rhône Code Sàrl", "remi@rhone-code.ch")
    tender_id, manage = await published(client)
    for email, price in (("lea@leman-web.ch", "3000"), ("remi@rhone-code.ch", "4000")):
        browser = await logged_in_browser(client, email)
        try:
            quoted = await post_form(browser, f"/partner/tenders/{tender_id}/quote",
                                     {**QUOTE, "price": price})  # fmt: skip
            assert quoted.status_code == 303
        finally:
            await browser.aclose()

    first = await client.get(manage)
    assert first.status_code == 200, first.text
    assert "Léman Web SA" in first.text and "Rhône Code Sàrl" not in first.text
    following = pager_link(first.text, "next")
    assert following is not None and following.startswith(f"{manage}?after=")
    second = await client.get(following, headers=FRAGMENT)
    assert second.status_code == 200 and "Rhône Code Sàrl" in second.text
    assert "Léman Web SA" not in second.text and pager_link(second.text, "next") is None
