"""Input a browser never sends from a page: a NUL byte, text that is not UTF-8, a field sent
twice, an odd post-login destination. Each gets a 4xx, never a 500, and writes nothing."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from portal.accounts.tables import Account
from portal.organisations.tables import Organisation, Team
from tests.factories.accounts import PASSWORD, log_out, sign_up
from tests.factories.web import csrf, post_form

FORM = {"content-type": "application/x-www-form-urlencoded"}
GIVEN_TWICE = "This field was sent more than once."


@pytest.mark.parametrize(
    "address",
    [
        "/clients?search=a%00b",
        "/clients?access=%00",
        "/organisation/partners/search?q=ab%00",
        "/exports/clients?q=a%00",
        "/directory/a%00b",
        "/clients?search=%ff%fe",  # not UTF-8
    ],
)
async def test_a_nul_byte_or_bad_bytes_in_the_address_is_a_bad_request(client, address):
    await sign_up(client)
    response = await client.get(address)
    assert response.status_code == 400
    assert "could not be read" in response.text


async def test_a_nul_byte_in_a_tier_name_is_a_field_error(client):
    await sign_up(client, "sam@host.ch", name="Sam Staff", organisation="Host SA")
    await Account.update({Account.is_staff: True}).where(Account.email == "sam@host.ch")
    rows = {
        "CHF_name": ["Bron\x00ze"],
        "CHF_rate": ["15"],
        "CHF_threshold": ["2000"],
        "EUR_name": ["Bronze"],
        "EUR_rate": ["15"],
        "EUR_threshold": ["1800"],
    }
    response = await post_form(client, "/staff/programme/tiers", rows)
    assert response.status_code == 422
    assert "control characters" in response.text


async def organisation_name() -> str:
    return (await Organisation.select(Organisation.name).first())["name"]


async def test_a_form_that_is_not_utf8_is_refused_not_stored_as_replacement_characters(client):
    await sign_up(client)
    body = f"_csrf_token={csrf(client)}&name=Caf%E9+Muster".encode()  # Latin-1 é
    response = await client.post("/organisation/settings", content=body, headers=FORM)
    assert response.status_code == 400
    raw = b"_csrf_token=" + csrf(client).encode() + b"&name=Caf\xe9 Muster"
    response = await client.post("/organisation/settings", content=raw, headers=FORM)
    assert response.status_code == 400
    assert await organisation_name() == "Muster Web AG"


async def test_a_multipart_form_that_is_not_utf8_is_refused(client):
    await sign_up(client)
    response = await client.post(
        "/organisation/settings",
        files={"_csrf_token": (None, csrf(client).encode()), "name": (None, b"Caf\xe9 AG")},
    )
    assert response.status_code == 400
    assert await organisation_name() == "Muster Web AG"


async def test_utf8_text_arrives_as_typed(client):
    await sign_up(client)
    response = await post_form(client, "/organisation/settings", {"name": "Café Zürich 東京"})
    assert response.status_code == 303
    assert await organisation_name() == "Café Zürich 東京"


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/organisation/teams", [("name", "Web"), ("name", "Mail")]),
        ("/organisation/settings", [("name", "Muster AG"), ("name", "Evil AG")]),
    ],
)
async def test_a_field_sent_twice_is_a_field_error(client, url, fields):
    await sign_up(client)
    body = urlencode([("_csrf_token", csrf(client)), *fields])
    response = await client.post(url, content=body, headers=FORM)
    assert response.status_code == 422
    assert GIVEN_TWICE in response.text
    assert await Team.count() == 0
    assert await organisation_name() == "Muster Web AG"


async def test_a_password_sent_twice_logs_nobody_in(client):
    await sign_up(client)
    await log_out(client)
    fields = [("email", "anna@example.ch"), ("password", "wrong"), ("password", PASSWORD)]
    body = urlencode([("_csrf_token", csrf(client)), *fields])
    response = await client.post("/login", content=body, headers=FORM)
    assert response.status_code == 422 and GIVEN_TWICE in response.text
    assert (await client.get("/organisation/settings")).status_code == 303


@pytest.mark.parametrize(
    "target",
    [
        "/\u3000/x",
        "/\u00a0/evil.example",
        "/caf\u00e9",
        "/\u2028/x",
        "/ /x",
        "/\\evil.example",
        "//evil.example",
        "https://evil.example",
        "/\t/evil.example",
    ],
)
async def test_an_odd_destination_after_login_is_ignored(client, target):
    await sign_up(client)
    await log_out(client)
    page = await client.get("/login?next=" + quote(target, safe=""))
    assert page.status_code == 200
    data = {"email": "anna@example.ch", "password": PASSWORD, "next": target}
    response = await post_form(client, "/login", data)
    assert response.status_code == 303
    assert response.headers["location"] == "/"


async def test_a_safe_destination_is_kept_percent_encoded(client):
    await sign_up(client)
    await log_out(client)
    away = await client.get("/clients?search=Z%C3%BCrich")
    assert away.status_code == 303
    login_page = await client.get(away.headers["location"])
    assert 'value="/clients?search=Z%C3%BCrich"' in login_page.text
    data = {"email": "anna@example.ch", "password": PASSWORD, "next": "/clients?search=Z%C3%BCrich"}
    response = await post_form(client, "/login", data)
    assert response.headers["location"] == "/clients?search=Z%C3%BCrich"


async def test_a_path_with_odd_characters_is_redirected_safely(client):
    """A token in the path goes into a redirect: sent percent-encoded, not as a 500."""
    response = await post_form(client, "/invitations/%E3%80%80x/accept")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/invitations/%E3%80%80x"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),  # a path of this site, as typed
        ("/%5Cevil.example", "/%5Cevil.example"),
        ("%2F%2Fevil.example", "/"),
        ("/x" * 1_000, "/"),  # longer than any link the portal makes
    ],
)
async def test_encoded_tricks_stay_on_the_site(client, target, location):
    await sign_up(client)
    await log_out(client)
    data = {"email": "anna@example.ch", "password": PASSWORD, "next": target}
    response = await post_form(client, "/login", data)
    assert response.status_code == 303
    assert response.headers["location"] == location
