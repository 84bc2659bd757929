"""Only active partners take part in tenders (docs/rules.md, Tenders and Directory): an organisation
of the programme in any other status (applicant, under review, flagged, rejected, left) sees no
tender and no record, is told why on its inbox, and every tender and quote route answers it 404,
exactly as for a partner the tender was never routed to."""

import pytest

from portal.core.enums import STATUS_LABELS, PartnerStatus
from portal.organisations.tables import Organisation
from portal.tenders.tables import Quote, Tender
from tests.factories.accounts import logged_in_browser
from tests.factories.tenders import last_link, partner, tender_form
from tests.factories.web import post_form

QUOTE = {
    "price": "3800",
    "currency": "CHF",
    "timeline": "Four weeks",
    "message": "Our offer.",
    "commitment": "on",
}
NOT_ACTIVE = [status for status in PartnerStatus if status is not PartnerStatus.ACTIVE]


async def published_with_a_quote(client) -> tuple[int, int]:
    """A visitor's tender routed to Léman Web SA (active), which quoted: the tender's id and
    the partner organisation's."""
    lea_org = await partner("Léman Web SA", "lea@leman-web.ch")
    posted = await post_form(client, "/tenders/new", tender_form())
    assert posted.status_code == 303, posted.text
    confirmed = await post_form(client, await last_link("vera@bakery.example", "/tenders/confirm/"))
    assert confirmed.status_code == 303, confirmed.text
    tender_id = (await Tender.select(Tender.id).first())["id"]
    return tender_id, lea_org


async def set_status(organisation_id: int, status: str) -> None:
    await Organisation.update({Organisation.partner_status: status}).where(
        Organisation.id == organisation_id
    )


async def test_an_active_partner_reads_its_inbox_and_record_and_answers(client):
    tender_id, _lea_org = await published_with_a_quote(client)
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        inbox = await lea.get("/partner/tenders")
        assert inbox.status_code == 200
        assert "A new website for our bakery" in inbox.text
        assert 'data-testid="received">1<' in inbox.text
        assert "Tenders are open to active partners" not in inbox.text
        assert (await lea.get(f"/partner/tenders/{tender_id}")).status_code == 200
        path = f"/partner/tenders/{tender_id}/quote"
        assert (await post_form(lea, path, QUOTE)).status_code == 303
        amended = await post_form(lea, f"{path}/amend", {**QUOTE, "price": "3700"})
        assert amended.status_code == 303
        assert (await post_form(lea, f"{path}/withdraw")).status_code == 303
        assert (await Quote.select(Quote.status).first()) == {"status": "withdrawn"}
    finally:
        await lea.aclose()


@pytest.mark.parametrize("status", NOT_ACTIVE, ids=str)
async def test_a_partner_not_active_sees_why_and_gets_404_on_every_tender_route(client, status):
    tender_id, lea_org = await published_with_a_quote(client)
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        path = f"/partner/tenders/{tender_id}"
        assert (await post_form(lea, f"{path}/quote", QUOTE)).status_code == 303
        await set_status(lea_org, status)

        inbox = await lea.get("/partner/tenders")
        assert inbox.status_code == 200
        assert "Tenders are open to active partners" in inbox.text
        assert "Your programme status is <strong" in inbox.text
        assert STATUS_LABELS[status] in inbox.text
        assert 'href="/programme"' in inbox.text
        assert "A new website for our bakery" not in inbox.text  # no tender listed
        assert 'data-testid="received"' not in inbox.text  # nor the record
        assert 'data-testid="won"' not in inbox.text
        assert (await lea.get("/partner/tenders?last=1")).status_code == 200
        fragment = await lea.get("/partner/tenders", headers={"HX-Request": "true"})
        assert "A new website for our bakery" not in fragment.text

        assert (await lea.get(path)).status_code == 404
        assert (await post_form(lea, f"{path}/quote", QUOTE)).status_code == 404
        amended = await post_form(lea, f"{path}/quote/amend", {**QUOTE, "price": "1"})
        assert amended.status_code == 404
        bad_input = await post_form(lea, f"{path}/quote/amend", {**QUOTE, "price": "-5"})
        assert bad_input.status_code == 404  # no form (nor the tender) shown again
        assert (await post_form(lea, f"{path}/quote/withdraw")).status_code == 404
        quote = await Quote.select(Quote.status, Quote.price).first()
        assert quote["status"] == "submitted" and str(quote["price"]) == "3800.00"

        await set_status(lea_org, "active")
        assert (await lea.get(path)).status_code == 200  # read fresh on each request
    finally:
        await lea.aclose()


@pytest.mark.parametrize(
    ("status", "settings_page"),
    [("applicant", 200), ("review", 200), ("flagged", 200), ("rejected", 403), ("none", 403)],
)
async def test_a_programme_member_not_yet_active_may_still_prepare_its_settings(
    client, status, settings_page
):
    await partner("Léman Web SA", "lea@leman-web.ch", status=status)
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        page = await lea.get("/partner/tenders/settings")
        assert page.status_code == settings_page
        inbox = await lea.get("/partner/tenders")
        assert "Tenders are open to active partners" in inbox.text
        assert ('href="/partner/tenders/settings"' in inbox.text) is (settings_page == 200)
        if settings_page == 200:
            assert "(it is not yet)" in page.text
    finally:
        await lea.aclose()
