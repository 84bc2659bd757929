"""Bad input answers 422 with the field's message, or at worst 4xx: never a 500."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.forms import CONTROL_CHARACTERS
from tests.factories.accounts import PASSWORD, log_in, log_out, sign_up
from tests.factories.web import csrf, post_form

SIGN_UP = {
    "full_name": "Anna Muster",
    "email": "anna@example.ch",
    "password": PASSWORD,
    "organisation_name": "Muster Web AG",
    "kind": "company",
    "country": "CH",
    "currency": "CHF",
    "terms": "on",
}
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Anything a browser can send: every code point but lone surrogates (not encodable as UTF-8).
ANY_TEXT = st.text(st.characters(codec="utf-8"), max_size=60) | st.sampled_from(
    ["", " ", "\x00", "a\x00b", "x" * 5000, "é" * 400, "<script>", "' OR 1=1 --", "%00", "\u202e"]
)


async def sign_up_with(client, **changes):
    return await post_form(client, "/signup", {**SIGN_UP, **changes})


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("full_name", "", "Your name is required."),
        ("email", "anna", "Enter a valid email address"),
        ("email", "", "The email address is required."),
        ("password", "short", "Use at least 8 characters."),
        ("password", "password1", "too common"),
        ("password", "qwertyuiop", "too common"),
        ("password", "x" * 129, "Use at most 128 characters."),
        ("organisation_name", "", "The organisation&#39;s name is required."),
        ("full_name", "x" * 201, "Use at most 200 characters."),
        ("currency", "USD", "Choose CHF or EUR from the list."),
        ("country", "XX", "Choose a country from the list."),
        ("terms", "", "Accept the terms of use."),
    ],
)
async def test_sign_up_explains_each_bad_field(client, field, value, message):
    response = await sign_up_with(client, **{field: value})
    assert response.status_code == 422
    assert message in response.text
    assert "has-error" in response.text


async def test_the_longest_name_with_a_long_address_signs_up(client):
    email = "a" * 64 + "@" + ("b" * 60 + ".") * 2 + "ch"
    response = await sign_up_with(client, full_name="N" * 200, email=email)
    assert response.status_code == 303


@pytest.mark.parametrize("length", [8, 64, 128])
async def test_long_passwords_are_welcome(client, length):
    password = ("Kiesel-73-Wander-" * 10)[:length]
    assert (await sign_up_with(client, password=password)).status_code == 303
    await log_out(client)
    assert (await log_in(client, "anna@example.ch", password)).status_code == 303


@pytest.mark.parametrize("field", sorted(set(SIGN_UP) - {"terms"}))
async def test_a_nul_byte_in_any_sign_up_field_is_a_field_error(client, field):
    response = await sign_up_with(client, **{field: SIGN_UP[field][:3] + "\x00x"})
    assert response.status_code == 422
    assert "control characters" in response.text or "from the list" in response.text


@pytest.mark.parametrize("field", ["email", "password"])
async def test_a_nul_byte_in_the_login_form_is_a_field_error(client, field):
    data = {"email": "anna@example.ch", "password": PASSWORD, field: "anna\x00@example.ch"}
    response = await post_form(client, "/login", data)
    assert response.status_code == 422
    assert CONTROL_CHARACTERS in response.text


async def test_a_file_where_text_is_expected_is_not_an_error(client):
    await sign_up(client)
    await log_out(client)
    response = await client.post(
        "/login",
        data={"_csrf_token": csrf(client), "email": "anna@example.ch", "password": PASSWORD},
        files={"next": ("next.txt", b"/account/sessions")},
    )
    assert response.status_code == 303 and response.headers["location"] == "/"


async def test_a_body_that_is_not_utf8_is_refused_politely(client):
    await client.get("/login")
    body = b"_csrf_token=" + csrf(client).encode() + b"&email=%ff%fe%00&password=%c3%28"
    response = await client.post(
        "/login", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "cookie", [b"\xb2.abc", b"4\xd9\xa2.abc", b"1" * 5000 + b".x", b"42.\xc3\xa9\xc3\xa9", b"."]
)
async def test_an_odd_device_cookie_is_ignored(client, cookie):
    await sign_up(client)
    await log_out(client)
    raw_cookies = b"__Host-csrf=" + csrf(client).encode() + b"; __Host-device=" + cookie
    response = await client.post(
        "/login",
        data={"_csrf_token": csrf(client), "email": "anna@example.ch", "password": PASSWORD},
        headers=[(b"cookie", raw_cookies)],
    )
    assert response.status_code == 303


async def test_an_odd_session_cookie_is_no_session(client):
    await client.get("/login")
    raw_cookies = b"__Host-session=\xff\x00" + b"x" * 3000
    response = await client.get("/account/security", headers=[(b"cookie", raw_cookies)])
    assert response.status_code == 303


@FUZZ
@given(fields=st.fixed_dictionaries({name: ANY_TEXT for name in SIGN_UP}))
async def test_sign_up_never_fails_with_a_server_error(client, fields):
    response = await post_form(client, "/signup", fields)
    assert response.status_code in (303, 422), response.text[:300]


@FUZZ
@given(email=ANY_TEXT, password=ANY_TEXT, next_path=ANY_TEXT)
async def test_login_never_fails_with_a_server_error(client, email, password, next_path):
    data = {"email": email, "password": password, "next": next_path}
    response = await post_form(client, "/login", data)
    assert response.status_code in (422, 429), response.text[:300]


@FUZZ
@given(code=ANY_TEXT, email=ANY_TEXT, token=ANY_TEXT.filter(bool))
async def test_reset_and_second_factor_forms_never_fail_with_a_server_error(
    client, code, email, token
):
    answers = [
        await post_form(client, "/login/second-factor", {"code": code}),
        await post_form(client, "/password/forgot", {"email": email}),
        await client.get("/password/reset/" + quote(token, safe="")),
    ]
    for response in answers:
        assert response.status_code < 500, response.text[:300]
