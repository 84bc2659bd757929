"""Organisations: a second one, switching between them, and their details."""

from __future__ import annotations

import re

from portal.organisations.tables import Organisation
from tests.factories.accounts import sign_up
from tests.factories.web import another_browser, post_form, text_by_testid

SECOND = {
    "name": "Muster Cloud SARL",
    "kind": "company",
    "country": "FR",
    "currency": "EUR",
    "registration_number": "552 008 443",
    "vat_number": "FR40303265045",
    "website": "muster-cloud.fr",
}


def selected_organisation(page: str) -> str:
    match = re.search(r'value="\d+" class="link" aria-current="true">([^<]*)</button>', page)
    assert match, "no organisation selected in the switcher"
    assert text_by_testid(page, "organisation-name") == match.group(1)
    return match.group(1)


def organisation_ids(page: str) -> dict[str, int]:
    switcher = page.split('id="organisation-switch"', 1)[1].split("</form>", 1)[0]
    return {name: int(id_) for id_, name in re.findall(r'value="(\d+)"[^>]*>([^<]*)<', switcher)}


async def test_a_second_organisation_is_created_and_acted_in(client):
    await sign_up(client)
    created = await post_form(client, "/organisations/new", SECOND)
    assert created.status_code == 303
    home = (await client.get("/")).text
    assert selected_organisation(home) == "Muster Cloud SARL"
    assert "FR · EUR · you are Legal representative" in home
    settings = (await client.get("/organisation/settings")).text
    assert "https://muster-cloud.fr" in settings
    # its number, for the command line (portal export billing --partner)
    number = await Organisation.select(Organisation.id).where(
        Organisation.name == "Muster Cloud SARL"
    )
    assert text_by_testid(settings, "organisation-number") == str(number[0]["id"])


async def test_switching_moves_between_ones_own_organisations(client):
    await sign_up(client)
    await post_form(client, "/organisations/new", SECOND)
    ids = organisation_ids((await client.get("/")).text)
    assert set(ids) == {"Muster Web AG", "Muster Cloud SARL"}
    switched = await post_form(
        client, "/organisations/switch", {"organisation_id": str(ids["Muster Web AG"])}
    )
    assert switched.status_code == 303
    assert selected_organisation((await client.get("/")).text) == "Muster Web AG"


async def test_switching_to_an_organisation_one_is_not_in_is_not_found(client):
    async with another_browser(client) as otto:
        await sign_up(otto, "otto@example.net", organisation="Otto Hosting GmbH")
        otto_ids = organisation_ids((await otto.get("/")).text)
    await sign_up(client)
    for value in [str(otto_ids["Otto Hosting GmbH"]), "987654", "abc", ""]:
        response = await post_form(client, "/organisations/switch", {"organisation_id": value})
        assert response.status_code == 404, value
    assert selected_organisation((await client.get("/")).text) == "Muster Web AG"


async def test_a_new_organisation_with_bad_details_is_refused_with_reasons(client):
    await sign_up(client)
    bad = SECOND | {"registration_number": "552 008 442", "website": "not a site"}
    bad["currency"] = "USD"
    response = await post_form(client, "/organisations/new", bad)
    assert response.status_code == 422
    assert "Enter a valid SIREN" in response.text
    assert "Enter a web address" in response.text
    assert "Choose CHF or EUR from the list." in response.text


async def test_settings_refuse_an_invalid_uid_vat_number_and_website(client):
    await sign_up(client)
    response = await post_form(
        client,
        "/organisation/settings",
        {
            "name": "Muster Web AG",
            "registration_number": "CHE-100.155.213",
            "vat_number": "CHE-107.787.578 MWST",
            "website": "https://[",
        },
    )
    assert response.status_code == 422
    assert "Enter a valid Swiss UID" in response.text
    assert "Enter a valid Swiss VAT number" in response.text
    assert "Enter a web address such as https://example.ch." in response.text
    assert 'value="CHE-100.155.213"' in response.text  # what was typed stays


async def test_settings_save_valid_details(client):
    await sign_up(client)
    response = await post_form(
        client,
        "/organisation/settings",
        {
            "name": "Muster Web & Co AG",
            "registration_number": "CHE-100.155.212",
            "vat_number": "CHE-100.155.212 MWST",
            "website": "www.muster.ch",
        },
    )
    assert response.status_code == 303
    page = (await client.get("/organisation/settings")).text
    assert 'value="Muster Web &amp; Co AG"' in page
    assert 'value="https://www.muster.ch"' in page
    audit = (await client.get("/organisation/audit", params={"action": "organisation.up"})).text
    assert "the website set to “https://www.muster.ch”" in audit
    assert "the name from “Muster Web AG” to “Muster Web &amp; Co AG”" in audit


async def test_the_currency_is_not_editable(client):
    await sign_up(client)
    page = (await client.get("/organisation/settings")).text
    assert 'name="currency"' not in page and "(fixed at creation)" in page
    response = await post_form(
        client, "/organisation/settings", {"name": "Muster Web AG", "currency": "EUR"}
    )
    assert response.status_code == 303
    assert "CH · CHF" in (await client.get("/")).text
