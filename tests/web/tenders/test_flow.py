"""The whole tender flow through HTTP: a visitor posts and confirms by the emailed link, the
matching partners (and only they) are told and read it, answer with quotes, the visitor
compares and accepts one; the winner gets the contact details, the other is told."""

from decimal import Decimal

from portal.formatting import money
from portal.tenders.tables import Tender, TenderRecipient
from tests.factories.accounts import logged_in_browser
from tests.factories.jobs import work_off_queue
from tests.factories.tenders import (
    last_link,
    mails_to,
    partner,
    queued_notifications,
    seen_version,
    tender_form,
)
from tests.factories.web import post_form

QUOTE = {
    "price": "3800",
    "currency": "CHF",
    "timeline": "Four weeks from the go-ahead",
    "message": "We build bakery sites in Lausanne; see our references.",
    "commitment": "on",
}


async def test_visitor_posts_confirms_partners_quote_and_visitor_accepts(client, settings):
    await partner("Léman Web SA", "lea@leman-web.ch", languages=("fr",))
    await partner("Alpen Digital AG", "otto@alpen.ch", regions=("CH",))
    await partner("Shop Only GmbH", "sam@shop-only.ch", categories=("e_shop",))
    await partner("German Only AG", "gerd@german-only.ch", languages=("de",))
    await partner("Applicant AG", "anne@applicant.ch", status="applicant")

    posted = await post_form(client, "/tenders/new", tender_form())
    assert posted.status_code == 303, posted.text
    assert posted.headers["location"] == "/tenders/sent"
    assert await TenderRecipient.count() == 0  # unconfirmed: no partner sees it
    assert await mails_to("lea@leman-web.ch") == []

    confirm_path = await last_link("vera@bakery.example", "/tenders/confirm/")
    confirm_page = await client.get(confirm_path)
    assert confirm_page.status_code == 200
    assert "Confirm and publish" in confirm_page.text
    confirmed = await post_form(client, confirm_path)
    assert confirmed.status_code == 303, confirmed.text
    manage_path = confirmed.headers["location"]
    assert manage_path.startswith("/tenders/manage/")
    assert manage_path == await last_link("vera@bakery.example", "/tenders/manage/")
    # the emailed link again: already published, nothing happens twice
    again = await post_form(client, confirm_path)
    assert again.status_code == 303 and again.headers["location"] == confirm_path
    assert "already published" in (await client.get(confirm_path)).text

    # partners are told by a queued job, off the visitor's request
    assert await mails_to("lea@leman-web.ch") == []
    assert await queued_notifications() == 1
    await work_off_queue(settings)
    assert await queued_notifications() == 0
    told = [m["subject"] for m in await mails_to("lea@leman-web.ch")]
    assert told == ["New tender: A new website for our bakery"]
    assert len(await mails_to("otto@alpen.ch")) == 1
    for outsider in ("sam@shop-only.ch", "gerd@german-only.ch", "anne@applicant.ch"):
        assert await mails_to(outsider) == [], outsider
    notification = (await mails_to("lea@leman-web.ch"))[0]["body"]
    assert "vera@bakery.example" not in notification and "Vera Visitor" not in notification
    assert "online order form" in notification  # the excerpt

    tender_id = (await Tender.select(Tender.id).first())["id"]
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    otto = await logged_in_browser(client, "otto@alpen.ch")
    sam = await logged_in_browser(client, "sam@shop-only.ch")
    try:
        assert (await sam.get(f"/partner/tenders/{tender_id}")).status_code == 404
        page = await lea.get(f"/partner/tenders/{tender_id}")
        assert page.status_code == 200
        assert "online order form" in page.text
        assert "because it matches your tender settings: Website creation, in French" in page.text
        assert "vera@bakery.example" not in page.text and "+41 21 555 12 34" not in page.text

        sent = await post_form(lea, f"/partner/tenders/{tender_id}/quote", QUOTE)
        assert sent.status_code == 303, sent.text
        sent = await post_form(
            otto, f"/partner/tenders/{tender_id}/quote", {**QUOTE, "price": "4200"}
        )
        assert sent.status_code == 303, sent.text

        compare = await client.get(manage_path)
        assert compare.status_code == 200
        assert "Léman Web SA" in compare.text and "Alpen Digital AG" in compare.text
        quote_ids = [int(part.split('"')[0]) for part in compare.text.split('id="quote-')[1:]]
        assert len(quote_ids) == 2
        lea_quote = quote_ids[0]  # cheapest first
        accepted = await post_form(
            client,
            f"{manage_path}/quotes/{lea_quote}/accept",
            seen_version(compare.text, lea_quote),
        )
        assert accepted.status_code == 303, accepted.text
        told = await client.get(accepted.headers["location"])
        assert f"You accepted the quote of {money(Decimal('3800'), 'CHF')}" in told.text

        page = await lea.get(f"/partner/tenders/{tender_id}")
        assert "vera@bakery.example" in page.text and "+41 21 555 12 34" in page.text
        page = await otto.get(f"/partner/tenders/{tender_id}")
        assert "vera@bakery.example" not in page.text
        assert "Not chosen" in page.text
        subjects = [m["subject"] for m in await mails_to("otto@alpen.ch")]
        assert subjects[-1] == "Another quote was chosen: A new website for our bakery"
        won_mail = (await mails_to("lea@leman-web.ch"))[-1]
        assert "vera@bakery.example" in won_mail["body"]

        inbox = await lea.get("/partner/tenders")
        assert 'data-testid="won">1<' in inbox.text
        assert 'data-testid="answered">1<' in inbox.text
    finally:
        for browser in (lea, otto, sam):
            await browser.aclose()
