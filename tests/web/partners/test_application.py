"""The application page through HTTP: the checklist fragment that turns green criterion by
criterion as the form is filled, the volume crossing its threshold, the website check against a
local server, submitting, bad input, and who may do what."""

from __future__ import annotations

import re

import pytest

from portal.accounts.tables import Account
from portal.jobs.rules import MAIL_PRIORITY
from portal.organisations.tables import Organisation
from portal.partners import website
from portal.partners.rules import COMMITMENTS
from tests.factories.accounts import sign_up
from tests.factories.mail import delivered_by_the_worker
from tests.factories.organisations import colleague
from tests.factories.partners import VALID_SIREN, VALID_UID, give_product, linked_client
from tests.factories.web import csrf, post_form

HTMX = {"HX-Request": "true"}
ALL = list(COMMITMENTS)


async def organisation_id(name: str) -> int:
    row = await Organisation.select(Organisation.id).where(Organisation.name == name).first()
    return row["id"]


async def checklist(client, htmx: bool = True, **fields) -> str:
    """POST the form's values to the checklist endpoint, as htmx does while one types."""
    data = {"registration_number": "", "vat_number": "", "website": "", **fields}
    response = await client.post(
        "/programme/checklist",
        data=data,
        headers={**(HTMX if htmx else {}), "x-csrftoken": csrf(client)},
    )
    assert response.status_code == 200, response.text
    return response.text


def verdicts(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-criterion="(\w+)" data-verdict="(\w+)"', html))


def polls(html: str) -> bool:
    return 'hx-trigger="every 2s"' in html


@pytest.fixture
async def applicant(client):
    await sign_up(client, "anna@muster.ch", organisation="Muster Web AG")
    await client.get("/programme")  # the CSRF cookie
    return await organisation_id("Muster Web AG")


async def test_the_page_shows_the_form_prefilled_and_the_five_criteria(client):
    await sign_up(client, "anna@muster.ch", organisation="Muster Web AG")
    await Organisation.update(
        {Organisation.registration_number: VALID_UID, Organisation.website: "https://x.example"}
    ).where(Organisation.name == "Muster Web AG")
    page = await client.get("/programme")
    assert page.status_code == 200
    assert f'value="{VALID_UID}"' in page.text and 'value="https://x.example"' in page.text
    assert list(verdicts(page.text)) == [
        "registration",
        "website",
        "volume",
        "commitments",
        "affiliate",
    ]
    assert verdicts(page.text)["registration"] == "met"
    assert page.text.count('name="commitments"') == 4
    for text in COMMITMENTS.values():
        assert text.replace("'", "&#39;") in page.text
    assert 'hx-post="/programme/checklist"' in page.text
    assert 'hx-trigger="input changed delay:400ms, change"' in page.text
    assert "<progress" in page.text and "style=" not in page.text  # CSP: no inline styles


async def test_htmx_gets_only_the_fragment_and_a_browser_without_javascript_the_page(
    client, applicant
):
    fragment = await checklist(client)
    assert fragment.lstrip().startswith('<section class="card" id="checklist"')
    assert "<html" not in fragment and "<nav" not in fragment and "<form" not in fragment
    whole = await checklist(client, htmx=False)
    assert "<html" in whole and '<section class="card" id="checklist"' in whole


async def test_the_checklist_turns_green_criterion_by_criterion_as_the_uid_is_typed(
    client, applicant, catalogue
):
    fields = {}
    assert verdicts(await checklist(client, **fields)) == {
        "registration": "not_met",
        "website": "not_met",
        "volume": "not_met",
        "commitments": "not_met",
        "affiliate": "met",
    }
    for typed in ("CHE", "CHE-116.281", "CHE-116.281.711"):  # the last has a wrong check digit
        fields["registration_number"] = typed
        assert verdicts(await checklist(client, **fields))["registration"] == "not_met"
    fields["registration_number"] = VALID_UID
    html = await checklist(client, **fields)
    assert verdicts(html)["registration"] == "met"
    assert f"{VALID_UID} is a valid Swiss UID" in html

    ticked = []
    for key in ALL:
        ticked.append(key)
        html = await checklist(client, **fields, commitments=ticked)
        assert verdicts(html)["commitments"] == ("met" if len(ticked) == 4 else "not_met")
    assert "1 of 5 criteria met" not in html and "3 of 5 criteria met" in html


@pytest.mark.parametrize(
    ("currency", "country", "below", "at", "registration"),
    [
        ("CHF", "CH", "1999.99", "2000.00", VALID_UID),
        ("EUR", "FR", "1799.99", "1800.00", VALID_SIREN),
    ],
)
async def test_the_volume_crosses_its_threshold_to_the_cent(
    client, catalogue, currency, country, below, at, registration
):
    await sign_up(
        client, "anna@muster.ch", organisation="Muster Web", country=country, currency=currency
    )
    await client.get("/programme")
    partner = await organisation_id("Muster Web")
    near = await catalogue.offer(**{currency: below})
    client_id = await linked_client(partner, "First client", near, currency=currency)
    html = await checklist(client, registration_number=registration)
    assert verdicts(html)["volume"] == "not_met"
    assert "First client" in html and '<progress max="100" value="99"' in html
    assert f"{currency}" in html and "0.01 more" in html

    # one more product of a cent a year: the threshold is reached exactly
    cent = await catalogue.offer(**{currency: "0.01"})
    await give_product(client_id, cent)
    html = await checklist(client, registration_number=registration)
    assert verdicts(html)["volume"] == "met"
    assert '<progress max="100" value="100"' in html

    # and the product at the threshold on its own counts as much
    await catalogue.remove()
    catalogue.item_ids.clear()
    await linked_client(
        partner, "Second client", await catalogue.offer(**{currency: at}), currency=currency
    )
    html = await checklist(client, registration_number=registration)
    assert verdicts(html)["volume"] == "met" and "Second client" in html
    assert "First client" not in html  # its products are gone; it no longer counts


async def test_a_website_is_checked_in_the_background_and_the_checklist_polls_meanwhile(
    client, applicant, local_site, private_checks
):
    html = await checklist(client, website=local_site.url)
    assert verdicts(html)["website"] == "pending" and "Checking" in html
    assert polls(html)  # the fragment asks again every 2 s while the check runs
    await website.settle()
    html = await checklist(client, website=local_site.url)
    assert verdicts(html)["website"] == "met" and "HTTP 200" in html
    assert not polls(html)


async def test_a_website_that_does_not_answer(client, applicant, closed_port, private_checks):
    url = f"http://127.0.0.1:{closed_port}"
    assert verdicts(await checklist(client, website=url))["website"] == "pending"
    await website.settle()
    html = await checklist(client, website=url)
    assert verdicts(html)["website"] == "not_met" and "did not answer" in html
    assert not polls(html)


async def test_without_the_test_setting_a_local_address_is_not_checked(
    client, applicant, local_site, monkeypatch
):
    monkeypatch.delenv("PORTAL_ALLOW_PRIVATE_WEBSITE_CHECKS", raising=False)
    html = await checklist(client, website=local_site.url)
    assert verdicts(html)["website"] == "not_met"
    assert "Private and local addresses are not checked" in html
    assert not polls(html)
    await website.settle()
    assert not website.running(applicant, local_site.url)


async def test_applying_with_everything_makes_an_active_partner_and_mails_the_legal_reps(
    mail_client, mail_settings, smtp, catalogue, local_site, private_checks
):
    client = mail_client
    await sign_up(client, "anna@muster.ch", organisation="Muster Web AG")
    await client.get("/programme")
    partner = await organisation_id("Muster Web AG")
    await linked_client(partner, "Client", await catalogue.offer(CHF="2000.00"))
    await checklist(client, website=local_site.url)  # typing it starts the check
    await website.settle()
    response = await post_form(
        client,
        "/programme/apply",
        {
            "registration_number": VALID_UID,
            "vat_number": "",
            "website": local_site.url,
            "commitments": ALL,
        },
    )
    assert response.status_code == 303, response.text
    page = await client.get(response.headers["location"])
    assert "now an active partner" in page.text
    assert 'data-testid="programme-status">Active partner<' in page.text
    mailed = await delivered_by_the_worker(mail_settings, smtp, "anna@muster.ch", MAIL_PRIORITY)
    assert "active partner" in mailed
    assert page.text.count("checked disabled") == 4  # accepted, with when and by whom
    assert "Accepted " in page.text and "by Anna Muster" in page.text


async def test_applying_with_something_missing_shows_what_is_missing(client, applicant):
    response = await post_form(
        client,
        "/programme/apply",
        {
            "registration_number": VALID_UID,
            "website": "",
            "commitments": ALL[:2],
        },
    )
    assert response.status_code == 303
    page = await client.get("/programme")
    assert 'data-testid="programme-status">Applicant<' in page.text
    assert verdicts(page.text) == {
        "registration": "met",
        "website": "not_met",
        "volume": "not_met",
        "commitments": "not_met",
        "affiliate": "met",
    }
    assert "2 of 4 still to accept" in page.text
    organisation = await Organisation.select().where(Organisation.id == applicant).first()
    assert organisation["partner_status"] == "applicant"
    assert (await client.get("/clients")).status_code == 200  # an applicant may link clients


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"registration_number": "CHE-116.281.711"}, "registration_number", "valid Swiss UID"),
        ({"registration_number": "CHE\x00116"}, "registration_number", "control characters"),
        ({"vat_number": "x" * 41}, "vat_number", "at most 40"),
        ({"website": "not a site"}, "website", "Enter a web address"),
        ({"website": "javascript:alert(1)"}, "website", "Enter a web address"),
        ({"commitments": ["everything"]}, "commitments", "from the list"),
    ],
)
async def test_bad_input_answers_422_with_the_reason_beside_the_field(
    client, applicant, data, field, message
):
    response = await post_form(client, "/programme/apply", data)
    assert response.status_code == 422, response.text
    assert message in response.text
    if field != "commitments":
        assert f'id="e-{field}"' in response.text
    organisation = await Organisation.select().where(Organisation.id == applicant).first()
    assert organisation["partner_status"] == "none"


@pytest.mark.parametrize("raw", ["%ED%A0%80", "%FF%FE", "%00"])
async def test_bytes_that_are_not_text_are_never_a_500(client, applicant, raw):
    response = await client.post(
        "/programme/apply",
        content=f"_csrf_token={csrf(client)}&registration_number={raw}&website={raw}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code in {400, 422}, response.text


async def test_bad_input_while_typing_answers_the_fragment_with_422(client, applicant):
    response = await client.post(
        "/programme/checklist",
        data={"registration_number": "CHE\x00", "commitments": "nonsense"},
        headers={**HTMX, "x-csrftoken": csrf(client)},
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section class="card" id="checklist"')
    assert "control characters" in response.text


async def test_an_affiliate_cannot_apply(client, applicant):
    await Organisation.update({Organisation.is_affiliate: True}).where(Organisation.id == applicant)
    assert verdicts(await checklist(client))["affiliate"] == "not_met"
    response = await post_form(
        client,
        "/programme/apply",
        {
            "registration_number": VALID_UID,
            "commitments": ALL,
        },
    )
    assert response.status_code == 422
    assert "cannot be partner and affiliate" in response.text


async def test_only_legal_representatives_apply_administrators_look_users_do_not(client):
    await sign_up(client, "anna@muster.ch", organisation="Muster Web AG")
    async with colleague(client, "adam@muster.ch", "administrator") as administrator:
        page = await administrator.get("/programme")
        assert page.status_code == 200
        assert 'action="/programme/apply"' not in page.text
        assert "Only a legal representative" in page.text
        refused = await post_form(
            administrator,
            "/programme/apply",
            {
                "registration_number": VALID_UID,
                "commitments": ALL,
            },
        )
        assert refused.status_code == 403
        # the checklist is the stored one: an administrator's typing is not an application
        html = await checklist(administrator, registration_number=VALID_UID)
        assert verdicts(html)["registration"] == "not_met"
    async with colleague(client, "ursula@muster.ch", "user") as user:
        assert (await user.get("/programme")).status_code == 403
        assert (await post_form(user, "/programme/checklist")).status_code == 403
        assert (await post_form(user, "/programme/apply", {"commitments": ALL})).status_code == 403
        assert 'href="/programme"' not in (await user.get("/")).text
    organisation = await Organisation.select().where(Organisation.name == "Muster Web AG").first()
    assert organisation["partner_status"] == "none"


async def test_logged_out_visitors_are_sent_to_log_in(client):
    response = await client.get("/programme")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_programme_and_staff_links_in_the_navigation(client, applicant):
    home = (await client.get("/")).text
    assert 'href="/programme"' in home and 'href="/staff"' not in home
    await Account.update({Account.is_staff: True}).where(Account.email == "anna@muster.ch")
    assert 'href="/staff"' in (await client.get("/")).text


@pytest.mark.parametrize(
    "typed", ["http://10.0.0.1", "http://[64:ff9b::a00:1]/", "intranet.local", "localhost:8000"]
)
async def test_a_private_website_is_said_to_be_not_checked(client, applicant, typed, monkeypatch):
    monkeypatch.delenv("PORTAL_ALLOW_PRIVATE_WEBSITE_CHECKS", raising=False)
    html = await checklist(client, website=typed)
    assert "Private and local addresses are not checked" in html
    assert "Enter a web address" not in html
    applied = await post_form(client, "/programme/apply", {"website": typed, "commitments": ALL})
    assert applied.status_code == 422
    assert "Private and local addresses are not checked" in applied.text
    assert (await Organisation.select(Organisation.website).first())["website"] == ""
