"""Bad input to the tender forms is a 4xx with the problem beside its field, never a 500,
and nothing is stored: a past deadline, a budget upside down, odd numbers, metacharacters,
made-up ids and links; too many postings are a 429 that says why."""

import pytest

from portal.tenders.tables import Quote, Tender
from tests.factories.accounts import logged_in_browser
from tests.factories.tenders import in_days, last_link, partner, tender_form
from tests.factories.web import post_form

SQL_AND_HTML = "<script>alert('x')</script>'; DROP TABLE tender; -- \" & %"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"deadline": in_days(-1)}, "deadline", "in the future"),
        ({"deadline": in_days(0)}, "deadline", "in the future"),
        ({"deadline": in_days(400)}, "deadline", "within 180 days"),
        ({"deadline": "31.12.2027"}, "deadline", "YYYY-MM-DD"),
        ({"deadline": ""}, "deadline", "Choose a deadline"),
        ({"budget_min": "6000", "budget_max": "5000"}, "budget_max", "at least the minimum"),
        ({"budget_min": "NaN"}, "budget_min", "such as 1500"),
        ({"budget_max": "1e9"}, "budget_max", "such as 1500"),
        ({"budget_max": "Infinity"}, "budget_max", "such as 1500"),
        ({"budget_min": "-100"}, "budget_min", "such as 1500"),
        ({"budget_max": "²"}, "budget_max", "such as 1500"),
        ({"budget_max": SQL_AND_HTML}, "budget_max", "such as 1500"),
        ({"budget_max": "1;DROP"}, "budget_max", "such as 1500"),
        ({"budget_max": "٥٠٠٠"}, "budget_max", "such as 1500"),  # Arabic-Indic digits
        ({"budget_max": "99999999"}, "budget_max", "up to 10,000,000"),  # a quote's cap
        ({"category": SQL_AND_HTML}, "category", "from the list"),
        ({"currency": "USD"}, "currency", "from the list"),
        ({"language": "xx"}, "language", "from the list"),
        ({"country": "ZZ"}, "country", "from the list"),
        ({"region": "CH-VD", "country": "FR"}, "region", "Swiss cantons"),
        ({"title": ""}, "title", "required"),
        ({"title": "x" * 151}, "title", "at most 150"),
        ({"title": "nul\x00byte"}, "title", "control characters"),
        ({"description": "too short"}, "description", "at least 20"),
        ({"author_email": "not-an-email"}, "author_email", "valid email"),
        ({"author_name": ""}, "author_name", "required"),
        ({"author_phone": "call me maybe"}, "author_phone", "phone number"),
    ],
)
async def test_a_bad_tender_is_refused_beside_its_field(client, changes, field, message):
    response = await post_form(client, "/tenders/new", tender_form(**changes))
    assert response.status_code == 422, response.text
    assert f'id="e-{field}"' in response.text
    assert message in response.text
    assert await Tender.count() == 0


async def test_metacharacters_in_text_are_stored_as_typed_and_shown_escaped(client):
    await partner("Léman Web SA", "lea@leman-web.ch")
    posted = await post_form(
        client,
        "/tenders/new",
        tender_form(title=SQL_AND_HTML[:150], description=SQL_AND_HTML * 2),
    )
    assert posted.status_code == 303, posted.text
    confirmed = await post_form(client, await last_link("vera@bakery.example", "/tenders/confirm/"))
    page = await client.get(confirmed.headers["location"])
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(" in page.text
    stored = await Tender.select(Tender.title).first()
    assert stored["title"] == SQL_AND_HTML[:150]


async def test_the_form_keeps_what_was_typed_after_an_error(client):
    response = await post_form(
        client, "/tenders/new", tender_form(budget_min="9000", title="Keep <this> title")
    )
    assert response.status_code == 422
    assert 'value="Keep &lt;this&gt; title"' in response.text
    assert 'value="9000"' in response.text


async def test_posting_too_often_is_a_429_that_says_why(client):
    for number in range(3):
        response = await post_form(client, "/tenders/new", tender_form(title=f"Tender {number}"))
        assert response.status_code == 303, response.text
    refused = await post_form(client, "/tenders/new", tender_form(title="One too many"))
    assert refused.status_code == 429
    assert "at most 3 per email address" in refused.text
    assert refused.headers["retry-after"] == "3600"
    assert 'value="One too many"' in refused.text  # nothing typed is lost
    assert await Tender.count() == 3
    other_person = await post_form(
        client, "/tenders/new", tender_form(author_email="other@example.ch")
    )
    assert other_person.status_code == 303  # the per-IP limit is higher


@pytest.mark.parametrize(
    "path",
    [
        "/tenders/confirm/made-up",
        "/tenders/manage/made-up",
        "/tenders/manage/1-" + "0" * 40,
        "/tenders/manage/99999999999-" + "0" * 40,
        "/tenders/manage/%C2%B2-" + "0" * 40,
    ],
)
async def test_made_up_links_are_404(client, path):
    assert (await client.get(path)).status_code == 404
    assert (await post_form(client, path + "/withdraw")).status_code in (404, 405)


QUOTE = {
    "price": "3800",
    "currency": "CHF",
    "timeline": "Four weeks",
    "message": "Our offer.",
    "commitment": "on",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"price": "abc"}, "price", "such as 1500"),
        ({"price": "0"}, "price", "above zero"),
        ({"price": "1e3"}, "price", "such as 1500"),
        ({"price": "99999999"}, "price", "up to 10,000,000"),
        ({"price": "٣٨٠٠"}, "price", "such as 1500"),  # Arabic-Indic digits
        ({"currency": "GBP"}, "currency", "from the list"),
        ({"timeline": ""}, "timeline", "required"),
        ({"message": ""}, "message", "required"),
        ({"commitment": ""}, "commitment", "only the host's products"),
    ],
)
async def test_a_bad_quote_is_refused_beside_its_field(client, changes, field, message):
    await partner("Léman Web SA", "lea@leman-web.ch")
    await post_form(client, "/tenders/new", tender_form())
    await post_form(client, await last_link("vera@bakery.example", "/tenders/confirm/"))
    tender_id = (await Tender.select(Tender.id).first())["id"]
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        response = await post_form(lea, f"/partner/tenders/{tender_id}/quote", {**QUOTE, **changes})
        assert response.status_code == 422, response.text
        assert f'id="e-{field}"' in response.text and message in response.text
        assert await Quote.count() == 0
    finally:
        await lea.aclose()


@pytest.mark.parametrize("tender_id", ["99999999999999", "0", "-1"])
async def test_odd_tender_ids_are_404_for_a_partner(client, tender_id):
    await partner("Léman Web SA", "lea@leman-web.ch")
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        assert (await lea.get(f"/partner/tenders/{tender_id}")).status_code in (404,)
        quoted = await post_form(lea, f"/partner/tenders/{tender_id}/quote", QUOTE)
        assert quoted.status_code == 404
        assert (await lea.get(f"/tenders/mine/{tender_id}")).status_code == 404
    finally:
        await lea.aclose()


async def test_bad_settings_are_refused(client):
    await partner("Léman Web SA", "lea@leman-web.ch")
    lea = await logged_in_browser(client, "lea@leman-web.ch")
    try:
        response = await post_form(
            lea,
            "/partner/tenders/settings",
            {"categories": ["hosting", "'; DROP TABLE x; --"], "regions": ["CH-VD"]},
        )
        assert response.status_code == 422
        assert "Choose from the list." in response.text
    finally:
        await lea.aclose()


async def test_a_confirmation_link_older_than_seven_days_publishes_nothing(client):
    from datetime import UTC, datetime, timedelta

    await partner("Léman Web SA", "lea@leman-web.ch")
    await post_form(client, "/tenders/new", tender_form())
    confirm = await last_link("vera@bakery.example", "/tenders/confirm/")
    await Tender.update(
        {Tender.created_at: datetime.now(UTC) - timedelta(days=7, minutes=1)}, force=True
    )
    page = await client.get(confirm)
    assert page.status_code == 200 and "confirmation link expired" in page.text
    assert "Confirm and publish" not in page.text
    refused = await post_form(client, confirm)
    assert refused.status_code == 303 and refused.headers["location"] == confirm
    tender = await Tender.select(Tender.status).first()
    assert tender["status"] == "unconfirmed"
