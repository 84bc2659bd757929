"""Two-factor authentication over HTTP: set-up, the second login step, codes, turning off."""

from __future__ import annotations

import re

from portal.accounts import rules
from portal.accounts.tables import BackupCode
from tests.factories.accounts import (
    PASSWORD,
    enter_second_factor,
    is_logged_in,
    log_in,
    log_out,
    sign_up,
    totp_code,
    turn_on_two_factor,
)
from tests.factories.web import (
    DEVICE_COOKIE,
    SESSION_COOKIE,
    post_form,
    session_cookie,
    set_cookie_headers,
    text_by_testid,
)


async def signed_up_with_two_factor(client):
    await sign_up(client)
    two_factor = await turn_on_two_factor(client)
    await log_out(client)
    return two_factor


async def test_set_up_shows_the_key_in_groups_of_four_and_a_qr_code(client):
    await sign_up(client)
    setup = await post_form(client, "/account/two-factor/setup")
    assert setup.status_code == 200
    shown = text_by_testid(setup.text, "totp-secret")
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{1,4}", shown)
    assert len(shown.replace(" ", "")) == 32
    assert "<svg" in setup.text
    assert setup.headers["cache-control"] == "no-store"


async def test_a_wrong_code_keeps_set_up_open_with_the_same_key(client):
    await sign_up(client)
    setup = await post_form(client, "/account/two-factor/setup")
    secret = text_by_testid(setup.text, "totp-secret")
    wrong = "000000" if totp_code(secret.replace(" ", "")) != "000000" else "111111"
    retry = await post_form(
        client, "/account/two-factor/confirm", {"code": wrong, "password": PASSWORD}
    )
    assert retry.status_code == 422
    assert "does not match" in retry.text
    assert text_by_testid(retry.text, "totp-secret") == secret
    assert "badge warn" in (await client.get("/account/security")).text  # still off


async def test_confirming_shows_ten_backup_codes_once(client):
    await sign_up(client)
    two_factor = await turn_on_two_factor(client)
    assert len(two_factor.backup_codes) == len(set(two_factor.backup_codes)) == 10
    security = await client.get("/account/security")
    assert "10 unused backup codes left." in security.text
    assert not any(code in security.text for code in two_factor.backup_codes)


async def test_backup_codes_are_stored_hashed(client):
    await sign_up(client)
    two_factor = await turn_on_two_factor(client)
    stored = " ".join(await BackupCode.select(BackupCode.code_hash).output(as_list=True))
    for code in two_factor.backup_codes:
        assert code not in stored and code.replace("-", "") not in stored
        assert rules.backup_code_hash(code) in stored


async def test_with_two_factor_a_password_alone_does_not_log_in(client):
    await signed_up_with_two_factor(client)
    response = await log_in(client, "anna@example.ch")
    assert response.status_code == 303
    assert response.headers["location"] == "/login/second-factor?next=/"
    assert DEVICE_COOKIE not in set_cookie_headers(response)
    assert not await is_logged_in(client)
    assert (await client.get("/login/second-factor")).status_code == 200


async def test_the_code_completes_login_with_a_new_session_id(client):
    two_factor = await signed_up_with_two_factor(client)
    await log_in(client, "anna@example.ch")
    half_logged_in = session_cookie(client)
    response = await enter_second_factor(client, totp_code(two_factor.secret, steps_ahead=1))
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert session_cookie(client) != half_logged_in
    assert DEVICE_COOKIE in set_cookie_headers(response)
    assert await is_logged_in(client)
    client.cookies.set(SESSION_COOKIE, half_logged_in, domain="portal.test")
    assert not await is_logged_in(client)


async def test_next_with_a_query_survives_the_second_step(client):
    two_factor = await signed_up_with_two_factor(client)
    target = "/account/sessions?a=1&b=2"
    response = await post_form(
        client, "/login", {"email": "anna@example.ch", "password": PASSWORD, "next": target}
    )
    second_step = await client.get(response.headers["location"])
    assert f'name="next" value="{target.replace("&", "&amp;")}"' in second_step.text
    done = await enter_second_factor(
        client, totp_code(two_factor.secret, steps_ahead=1), next_path=target
    )
    assert done.headers["location"] == target


async def test_a_totp_code_cannot_be_used_twice(client):
    two_factor = await signed_up_with_two_factor(client)
    code = totp_code(two_factor.secret, steps_ahead=1)
    await log_in(client, "anna@example.ch")
    assert (await enter_second_factor(client, code)).status_code == 303
    await log_out(client)
    await log_in(client, "anna@example.ch")
    again = await enter_second_factor(client, code)
    assert again.status_code == 422
    assert "not valid, or was used already" in again.text
    assert not await is_logged_in(client)


async def test_a_backup_code_works_once(client):
    two_factor = await signed_up_with_two_factor(client)
    code = two_factor.backup_codes[3]
    await log_in(client, "anna@example.ch")
    assert (await enter_second_factor(client, code)).status_code == 303
    assert "9 unused backup codes left." in (await client.get("/account/security")).text
    await log_out(client)
    await log_in(client, "anna@example.ch")
    assert (await enter_second_factor(client, code)).status_code == 422


async def test_wrong_codes_are_throttled_with_retry_after(client):
    two_factor = await signed_up_with_two_factor(client)
    await log_in(client, "anna@example.ch")
    right = {totp_code(two_factor.secret, steps_ahead=n) for n in (-1, 0, 1, 2)}
    wrong = [str(d) * 6 for d in range(10) if str(d) * 6 not in right]
    for code in wrong[: rules.PER_SECOND_FACTOR.free]:
        assert (await enter_second_factor(client, code)).status_code == 422
    refused = await enter_second_factor(client, totp_code(two_factor.secret, steps_ahead=1))
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 1


async def test_the_second_step_without_a_password_step_goes_to_login(client):
    assert (await client.get("/login/second-factor")).headers["location"] == "/login"
    response = await enter_second_factor(client, "123456")
    assert response.status_code == 303 and response.headers["location"] == "/login"


async def test_turning_off_needs_the_password(client):
    two_factor = await signed_up_with_two_factor(client)
    await log_in(client, "anna@example.ch")
    await enter_second_factor(client, totp_code(two_factor.secret, steps_ahead=1))
    wrong = await post_form(client, "/account/two-factor/disable", {"password": "not-mine-1"})
    assert wrong.status_code == 422
    assert "This is not your password." in wrong.text
    assert "badge ok" in (await client.get("/account/security")).text  # still on
    right = await post_form(client, "/account/two-factor/disable", {"password": PASSWORD})
    assert right.status_code == 303
    assert "badge warn" in (await client.get("/account/security")).text
    await log_out(client)
    response = await log_in(client, "anna@example.ch")
    assert response.headers["location"] == "/"  # no second step any more


async def test_guessing_the_password_to_turn_off_two_factor_is_throttled(client):
    await sign_up(client)
    await turn_on_two_factor(client)
    for number in range(rules.PER_ACCOUNT.free):
        data = {"password": f"guess-{number}-wrong"}
        assert (await post_form(client, "/account/two-factor/disable", data)).status_code == 422
    refused = await post_form(client, "/account/two-factor/disable", {"password": PASSWORD})
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert "badge ok" in (await client.get("/account/security")).text  # still on


async def test_new_backup_codes_need_the_password_and_replace_the_old(client):
    await sign_up(client)
    old = (await turn_on_two_factor(client)).backup_codes
    wrong = await post_form(client, "/account/two-factor/backup-codes", {"password": "nope-123"})
    assert wrong.status_code == 422
    page = await post_form(client, "/account/two-factor/backup-codes", {"password": PASSWORD})
    new = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page.text)
    assert len(new) == 10 and not set(new) & set(old)
    await log_out(client)
    await log_in(client, "anna@example.ch")
    assert (await enter_second_factor(client, old[0])).status_code == 422
    assert (await enter_second_factor(client, new[0])).status_code == 303


async def test_turning_two_factor_on_asks_for_the_password(client):
    """As turning it off does: a session left open (or stolen) cannot put its own app on the
    account and lock its owner out."""
    await sign_up(client)
    setup = await post_form(client, "/account/two-factor/setup")
    secret = text_by_testid(setup.text, "totp-secret").replace(" ", "")
    assert 'name="password"' in setup.text
    for password in ("", "Not-The-Password-1"):
        refused = await post_form(
            client,
            "/account/two-factor/confirm",
            {"code": totp_code(secret), "password": password},
        )
        assert refused.status_code == 422
        assert text_by_testid(refused.text, "totp-secret").replace(" ", "") == secret
        assert "badge warn" in (await client.get("/account/security")).text  # still off
    turned_on = await post_form(
        client, "/account/two-factor/confirm", {"code": totp_code(secret), "password": PASSWORD}
    )
    assert (
        turned_on.status_code == 200 and "badge ok" in (await client.get("/account/security")).text
    )
