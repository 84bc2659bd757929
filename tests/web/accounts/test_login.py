"""Logging in and out over HTTP: new session ids, fixation, enumeration, next, throttling."""

from __future__ import annotations

import pytest

from portal.accounts import rules
from tests.factories.accounts import PASSWORD, is_logged_in, log_in, log_out, sign_up
from tests.factories.web import (
    DEVICE_COOKIE,
    SESSION_COOKIE,
    browser_at,
    post_form,
    session_cookie,
    set_cookie_headers,
)

ATTACKER_IP = "203.0.113.9"


async def test_the_login_page_has_a_form_with_a_csrf_token(client):
    response = await client.get("/login")
    assert response.status_code == 200
    assert 'name="_csrf_token"' in response.text and 'name="password"' in response.text


async def test_logging_in_gives_a_new_session_id_each_time(client):
    await sign_up(client)
    at_sign_up = session_cookie(client)
    await log_out(client)
    response = await log_in(client, "anna@example.ch")
    assert response.status_code == 303 and response.headers["location"] == "/"
    first_login = session_cookie(client)
    await log_in(client, "anna@example.ch")
    assert len({at_sign_up, first_login, session_cookie(client)}) == 3
    assert await is_logged_in(client)


async def test_a_session_cookie_planted_before_login_never_becomes_logged_in(client):
    await sign_up(client)
    await log_out(client)
    planted = "planted-by-an-attacker-0123456789abcdefghijklmnop"
    client.cookies.set(SESSION_COOKIE, planted, domain="portal.test")
    await log_in(client, "anna@example.ch")
    assert session_cookie(client) != planted
    client.cookies.set(SESSION_COOKIE, planted, domain="portal.test")
    assert not await is_logged_in(client)


async def test_logging_in_again_ends_the_session_the_browser_had(client):
    await sign_up(client)
    before = session_cookie(client)
    await log_in(client, "anna@example.ch")
    client.cookies.set(SESSION_COOKIE, before, domain="portal.test")
    assert not await is_logged_in(client)


async def test_logout_ends_the_session_on_the_server(client):
    await sign_up(client)
    stolen = session_cookie(client)
    response = await log_out(client)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    client.cookies.set(SESSION_COOKIE, stolen, domain="portal.test")
    assert not await is_logged_in(client)


async def test_logout_clears_the_cookie_in_a_way_browsers_accept(client):
    await sign_up(client)
    header = set_cookie_headers(await log_out(client))[SESSION_COOKIE]
    assert "Max-Age=0" in header
    # Browsers ignore a __Host- cookie, even one that deletes, without Secure and Path=/.
    assert "Secure" in header and "Path=/" in header and "HttpOnly" in header


async def test_a_wrong_password_and_an_unknown_address_answer_alike(client):
    await sign_up(client)
    await log_out(client)
    await client.get("/login")  # shows the flash of the logout, once
    wrong = await post_form(client, "/login", {"email": "anna@example.ch", "password": "nope1234"})
    unknown = await post_form(
        client, "/login", {"email": "nobody@example.ch", "password": "nope1234"}
    )
    assert wrong.status_code == unknown.status_code == 422
    message = "The email address or the password is not right."
    assert message in wrong.text and message in unknown.text
    assert wrong.text.replace("anna@example.ch", "nobody@example.ch") == unknown.text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("/account/sessions", "/account/sessions"),
        ("/account/sessions?tab=2", "/account/sessions?tab=2"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("/\t/evil.example", "/"),  # browsers drop the tab: //evil.example
        ("/\n/evil.example", "/"),
    ],
)
async def test_after_login_only_a_path_on_this_site_is_followed(client, given, expected):
    await sign_up(client)
    await log_out(client)
    data = {"email": "anna@example.ch", "password": PASSWORD, "next": given}
    response = await post_form(client, "/login", data)
    assert response.status_code == 303
    assert response.headers["location"] == expected


async def test_the_login_page_carries_next_into_its_form(client):
    page = await client.get("/login", params={"next": "/account/sessions"})
    assert 'name="next" value="/account/sessions"' in page.text
    page = await client.get("/login", params={"next": "https://evil.example"})
    assert 'name="next" value="/"' in page.text


async def test_a_page_behind_login_sends_to_login_and_back(client):
    response = await client.get("/account/sessions")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount%2Fsessions"


async def test_the_device_cookie_is_set_at_login_for_a_year(client):
    await sign_up(client)
    await log_out(client)
    header = set_cookie_headers(await log_in(client, "anna@example.ch"))[DEVICE_COOKIE]
    assert f"Max-Age={365 * 24 * 3600}" in header
    assert "Secure" in header and "HttpOnly" in header


# --- brute force ---------------------------------------------------------------------------


async def guess(client, times: int, email: str = "anna@example.ch"):
    response = None
    for number in range(times):
        response = await post_form(
            client, "/login", {"email": email, "password": f"guess-{number}-wrong"}
        )
    return response


async def test_after_the_free_failures_an_account_answers_429_with_retry_after(client, app):
    await sign_up(client)
    async with browser_at(app, ATTACKER_IP) as attacker:
        assert (await guess(attacker, rules.PER_ACCOUNT.free)).status_code == 422
        refused = await guess(attacker, 1)
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert "Too many failed attempts" in refused.text
        right = await log_in(attacker, "anna@example.ch")
        assert right.status_code == 429  # the right password waits too


async def test_the_owner_on_a_known_device_is_not_locked_out(client, app):
    await sign_up(client)
    await log_out(client)
    await log_in(client, "anna@example.ch")  # this browser now has the device cookie
    await log_out(client)
    async with browser_at(app, ATTACKER_IP) as attacker:
        await guess(attacker, rules.PER_ACCOUNT.free + 1)
    async with browser_at(app) as new_device:
        assert (await log_in(new_device, "anna@example.ch")).status_code == 429
    response = await log_in(client, "anna@example.ch")
    assert response.status_code == 303 and await is_logged_in(client)


async def test_a_forged_device_cookie_does_not_lift_the_lock(client, app):
    await sign_up(client)
    async with browser_at(app, ATTACKER_IP) as attacker:
        await guess(attacker, rules.PER_ACCOUNT.free)
        attacker.cookies.set(DEVICE_COOKIE, "1.forged", domain="portal.test")
        assert (await log_in(attacker, "anna@example.ch")).status_code == 429


async def test_one_address_trying_many_accounts_is_throttled(client, app):
    await sign_up(client)
    await log_out(client)
    async with browser_at(app, ATTACKER_IP) as attacker:
        for number in range(rules.PER_IP.free):
            assert (await guess(attacker, 1, f"user{number}@example.ch")).status_code == 422
        refused = await guess(attacker, 1, "someone-else@example.ch")
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert (await log_in(client, "anna@example.ch")).status_code == 303  # other addresses


async def test_an_unknown_address_is_throttled_like_a_real_one(client):
    await client.get("/login")
    real = await guess(client, rules.PER_ACCOUNT.free + 1, "anna@example.ch")
    unknown = await guess(client, rules.PER_ACCOUNT.free + 1, "nobody@example.ch")
    assert real.status_code == unknown.status_code == 429
