"""Who sees what: visitors see no quotes and no other tenders; a partner the tender was not
routed to gets 404; the author's contact stays hidden until their quote is accepted; another
client's tender is 404; a plain user of a partner reads but does not answer."""

from portal.tenders.tables import Tender
from tests.factories.accounts import logged_in_browser
from tests.factories.organisations import insert_person
from tests.factories.tenders import last_link, partner, seen_version, tender_form
from tests.factories.web import post_form

QUOTE = {
    "price": "3800",
    "currency": "CHF",
    "timeline": "Four weeks",
    "message": "Our offer.",
    "commitment": "on",
}


async def published(client, **changes) -> tuple[int, str]:
    """A visitor's tender, confirmed: its id and the private link's path."""
    email = changes.get("author_email", "vera@bakery.example")
    posted = await post_form(client, "/tenders/new", tender_form(**changes))
    assert posted.status_code == 303, posted.text
    confirmed = await post_form(client, await last_link(email, "/tenders/confirm/"))
    manage = confirmed.headers["location"]
    tender = await Tender.select(Tender.id).order_by(Tender.id, ascending=False).first()
    return tender["id"], manage


async def test_visitors_see_no_quotes_and_no_other_tenders(client):
    await partner("Léman Web SA", "lea@leman-web.ch")
    first, first_link = await published(client)
    second, second_link = await published(client, author_email="paul@other.example")
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        assert (await post_form(lea, f"/partner/tenders/{first}/quote", QUOTE)).status_code == 303
    finally:
        await lea.aclose()

    async with client.__class__(transport=client._transport, base_url=client.base_url) as anon:
        for path in (f"/partner/tenders/{first}", f"/tenders/mine/{first}", "/partner/tenders"):
            response = await anon.get(path)
            assert response.status_code == 303 and "/login" in response.headers["location"]
        assert (await anon.get(f"/tenders/manage/{first}-{'0' * 40}")).status_code == 404
        # one author's private link opens that tender only
        own = await anon.get(second_link)
        assert own.status_code == 200 and "Léman Web SA" not in own.text
        assert "No quote yet" in own.text
        quote_id = (await anon.get(first_link)).text.split('id="quote-')[1].split('"')[0]
        stolen = await post_form(anon, f"{second_link}/quotes/{quote_id}/accept")
        assert stolen.status_code == 404


async def test_a_partner_not_routed_the_tender_gets_404(client):
    await partner("Léman Web SA", "lea@leman-web.ch")
    await partner("Shop Only GmbH", "sam@shop-only.ch", categories=("e_shop",))
    await partner("Zurich Only AG", "zoe@zurich.ch", regions=("CH-ZH",))
    tender_id, _ = await published(client)
    for email in ("sam@shop-only.ch", "zoe@zurich.ch"):
        outsider = await logged_in_browser(client, email)
        try:
            assert (await outsider.get(f"/partner/tenders/{tender_id}")).status_code == 404
            quoted = await post_form(outsider, f"/partner/tenders/{tender_id}/quote", QUOTE)
            assert quoted.status_code == 404
            inbox = await outsider.get("/partner/tenders")
            assert inbox.status_code == 200 and "No tender has reached you yet" in inbox.text
        finally:
            await outsider.aclose()


async def test_contact_details_are_hidden_until_the_author_accepts(client):
    lea_org = await partner("Léman Web SA", "lea@leman-web.ch")
    tender_id, manage = await published(client)
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        before = await lea.get(f"/partner/tenders/{tender_id}")
        for secret in ("vera@bakery.example", "Vera Visitor", "+41 21 555 12 34", "Boulangerie"):
            assert secret not in before.text
        await post_form(lea, f"/partner/tenders/{tender_id}/quote", QUOTE)
        quoted = await lea.get(f"/partner/tenders/{tender_id}")
        assert "vera@bakery.example" not in quoted.text
        inbox = await lea.get("/partner/tenders")
        assert "vera@bakery.example" not in inbox.text
        author_page = (await client.get(manage)).text
        quote_id = author_page.split('id="quote-')[1].split('"')[0]
        accepted = await post_form(
            client, f"{manage}/quotes/{quote_id}/accept", seen_version(author_page, quote_id)
        )
        assert accepted.status_code == 303
        after = await lea.get(f"/partner/tenders/{tender_id}")
        assert "vera@bakery.example" in after.text and "Boulangerie Vera" in after.text
    finally:
        await lea.aclose()
    assert lea_org


async def test_a_client_posts_directly_and_only_its_people_see_the_tender(client):
    from tests.factories.organisations import insert_organisation

    await partner("Léman Web SA", "lea@leman-web.ch")
    own = await insert_organisation("Bakery SA")
    await insert_person("boss@bakery.ch", own, "legal_representative")
    await insert_person("clerk@bakery.ch", own, "user")
    other = await insert_organisation("Other SA")
    await insert_person("rival@other.ch", other, "legal_representative")

    boss = await logged_in_browser(client, "boss@bakery.ch")
    clerk = await logged_in_browser(client, "clerk@bakery.ch")
    rival = await logged_in_browser(client, "rival@other.ch")
    try:
        form = tender_form()
        for name in ("author_name", "author_email", "author_company"):
            form.pop(name)
        posted = await post_form(boss, "/tenders/new", form)
        assert posted.status_code == 303, posted.text
        path = posted.headers["location"]
        assert path.startswith("/tenders/mine/")
        tender = await Tender.select().first()
        assert tender["status"] == "open" and tender["author_email"] == "boss@bakery.ch"
        assert (await boss.get(path)).status_code == 200
        assert "A new website for our bakery" in (await boss.get("/tenders/mine")).text
        assert (await rival.get(path)).status_code == 404
        assert "A new website" not in (await rival.get("/tenders/mine")).text
        assert (await post_form(rival, path + "/withdraw")).status_code == 404
        assert (await clerk.get(path)).status_code == 404  # a colleague's, not the clerk's
    finally:
        for browser in (boss, clerk, rival):
            await browser.aclose()


async def test_a_plain_user_of_a_partner_reads_but_does_not_answer(client):
    organisation_id = await partner("Léman Web SA", "lea@leman-web.ch")
    await insert_person("ulla@leman-web.ch", organisation_id, "user")
    tender_id, _ = await published(client)
    ulla = await logged_in_browser(client, "ulla@leman-web.ch")
    try:
        page = await ulla.get(f"/partner/tenders/{tender_id}")
        assert page.status_code == 200 and "Only your organisation's legal" in page.text
        quoted = await post_form(ulla, f"/partner/tenders/{tender_id}/quote", QUOTE)
        assert quoted.status_code == 403
        settings = await post_form(ulla, "/partner/tenders/settings", {"categories": "hosting"})
        assert settings.status_code == 403
    finally:
        await ulla.aclose()


async def test_the_settings_page_states_the_matching_rule(client):
    await partner("Léman Web SA", "lea@leman-web.ch", languages=("fr",), regions=("CH-VD",))
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        page = await lea.get("/partner/tenders/settings")
        assert page.status_code == 200
        assert "A tender reaches you when all of these hold" in page.text
        assert "Website creation" in page.text and "French" in page.text
        assert "Vaud (canton)" in page.text
        saved = await post_form(
            lea,
            "/partner/tenders/settings",
            {"categories": ["hosting", "email"], "languages": [], "regions": ["CH", "FR"]},
        )
        assert saved.status_code == 303
        page = await lea.get("/partner/tenders/settings")
        assert "Hosting, Email" in page.text and "France, Switzerland" in page.text
        assert "any language" in page.text
    finally:
        await lea.aclose()


async def test_a_closed_tender_accepts_no_quote(client):
    await partner("Léman Web SA", "lea@leman-web.ch")
    tender_id, manage = await published(client)
    withdrawn = await post_form(client, f"{manage}/withdraw")
    assert withdrawn.status_code == 303
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        page = await lea.get(f"/partner/tenders/{tender_id}")
        assert "withdrew this tender" in page.text and "Send the quote" not in page.text
        refused = await post_form(lea, f"/partner/tenders/{tender_id}/quote", QUOTE)
        assert refused.status_code == 303  # back to the tender, with the reason
        assert (await lea.get(refused.headers["location"])).status_code == 200
        from portal.tenders.tables import Quote

        assert await Quote.count() == 0
    finally:
        await lea.aclose()


async def test_a_past_deadline_closes_the_tender_without_any_job(client):
    from datetime import UTC, datetime, timedelta

    await partner("Léman Web SA", "lea@leman-web.ch")
    tender_id, manage = await published(client)
    await Tender.update({Tender.deadline: datetime.now(UTC) - timedelta(minutes=1)}).where(
        Tender.id == tender_id
    )
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        page = await lea.get(f"/partner/tenders/{tender_id}")
        assert "closed at its deadline" in page.text
        await post_form(lea, f"/partner/tenders/{tender_id}/quote", QUOTE)
        from portal.tenders.tables import Quote

        assert await Quote.count() == 0
    finally:
        await lea.aclose()
    author_page = await client.get(manage)
    assert (
        "Closed at its deadline" in author_page.text
        and "Withdraw the tender" not in author_page.text
    )


async def test_a_partner_that_left_the_programme_loses_its_tenders(client):
    from portal.organisations.tables import Organisation
    from portal.tenders.tables import Quote

    lea_org = await partner("Léman Web SA", "lea@leman-web.ch")
    tender_id, manage = await published(client)
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        assert (
            await post_form(lea, f"/partner/tenders/{tender_id}/quote", QUOTE)
        ).status_code == 303
        await Organisation.update({Organisation.partner_status: "flagged"}).where(
            Organisation.id == lea_org
        )
        path = f"/partner/tenders/{tender_id}"
        assert (await lea.get(path)).status_code == 404
        assert (
            await post_form(lea, f"{path}/quote/amend", {**QUOTE, "price": "1"})
        ).status_code == 404
        assert (await post_form(lea, f"{path}/quote", QUOTE)).status_code == 404
    finally:
        await lea.aclose()

    author_page = await client.get(manage)
    assert (
        "cannot be accepted" in author_page.text
        and "Yes, accept this quote" not in author_page.text
    )
    quote_id = author_page.text.split('id="quote-')[1].split('"')[0]
    refused = await post_form(client, f"{manage}/quotes/{quote_id}/accept")
    assert refused.status_code == 303
    told = await client.get(refused.headers["location"])
    assert "no longer an active partner of the programme" in told.text
    quote = await Quote.select(Quote.status, Quote.price).first()
    assert quote["status"] == "submitted" and str(quote["price"]) == "3800.00"
    assert await Tender.select(Tender.status).first() == {"status": "open"}
