"""Password reset by a link mailed through a real SMTP server (queued in the request, handed
over by the worker), and changing the password."""

from __future__ import annotations

from portal.jobs.rules import AWAITED_MAIL_PRIORITY, MAIL_PRIORITY
from tests.factories.accounts import PASSWORD, is_logged_in, log_in, log_out, sign_up
from tests.factories.jobs import work_off_queue
from tests.factories.mail import queued_mails_to
from tests.factories.web import browser_at, link_in, post_form

NEW_PASSWORD = "Neues-Passwort-2026"


async def reset_link(client, smtp, email: str = "anna@example.ch") -> str:
    """Ask for the link; the request only queues it (before other mail), the worker sends it."""
    sent_before = len(smtp.to(email))
    response = await post_form(client, "/password/forgot", {"email": email})
    assert response.status_code == 200
    assert len(smtp.to(email)) == sent_before  # the request did not wait for SMTP
    queued = (await queued_mails_to(email))[-1]
    assert queued["subject"] == "Reset your Partner Portal password"
    assert queued["priority"] == AWAITED_MAIL_PRIORITY and queued["sent_at"] is None
    await work_off_queue(client._transport.app.state.settings)
    return link_in(smtp.last_body(email), "/password/reset/")


async def choose(client, path: str, password: str, again: str | None = None):
    data = {"password": password, "password_again": password if again is None else again}
    return await post_form(client, path, data)


async def test_forgot_answers_the_same_page_for_known_and_unknown_addresses(mail_client, smtp):
    await sign_up(mail_client)
    await log_out(mail_client)
    await mail_client.get("/login")  # shows the flash of the logout, once
    known = await post_form(mail_client, "/password/forgot", {"email": "anna@example.ch"})
    unknown = await post_form(mail_client, "/password/forgot", {"email": "nobody@example.ch"})
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert "If an account exists for this address" in known.text
    assert await queued_mails_to("nobody@example.ch") == []
    await work_off_queue(mail_client._transport.app.state.settings)
    assert smtp.to("anna@example.ch") and not smtp.to("nobody@example.ch")


async def test_forgot_refuses_a_malformed_address(client):
    response = await post_form(client, "/password/forgot", {"email": "not-an-address"})
    assert response.status_code == 422
    assert "Enter a valid email address" in response.text


async def test_the_link_sets_a_new_password_once(mail_client, smtp):
    await sign_up(mail_client)
    await log_out(mail_client)
    path = await reset_link(mail_client, smtp)
    assert (await mail_client.get(path)).status_code == 200
    done = await choose(mail_client, path, NEW_PASSWORD)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert (await log_in(mail_client, "anna@example.ch")).status_code == 422
    assert (await log_in(mail_client, "anna@example.ch", NEW_PASSWORD)).status_code == 303
    assert (await mail_client.get(path)).status_code == 410
    assert (await choose(mail_client, path, "Yet-Another-2026")).status_code == 410
    told = (await queued_mails_to("anna@example.ch"))[-1]
    assert "password was changed" in told["subject"] and told["priority"] == MAIL_PRIORITY
    await work_off_queue(mail_client._transport.app.state.settings)
    assert "password was changed" in smtp.to("anna@example.ch")[-1]["Subject"]


async def test_a_reset_ends_every_session(mail_client, smtp):
    await sign_up(mail_client)
    app = mail_client._transport.app
    async with browser_at(app) as other:
        await log_in(other, "anna@example.ch")
        path = await reset_link(other, smtp)
        await choose(other, path, NEW_PASSWORD)
        assert not await is_logged_in(other)
    assert not await is_logged_in(mail_client)


async def test_the_new_password_must_be_good_and_typed_twice(mail_client, smtp):
    await sign_up(mail_client)
    path = await reset_link(mail_client, smtp)
    mismatch = await choose(mail_client, path, NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert mismatch.status_code == 422 and "not the same" in mismatch.text
    common = await choose(mail_client, path, "qwertyuiop")
    assert common.status_code == 422 and "too common" in common.text
    assert (await mail_client.get(path)).status_code == 200  # the link still works


async def test_an_unknown_link_is_gone(client):
    assert (await client.get("/password/reset/not-a-real-token")).status_code == 410
    response = await choose(client, "/password/reset/not-a-real-token", NEW_PASSWORD)
    assert response.status_code == 410


async def test_a_used_link_says_so_whatever_was_typed(mail_client, smtp):
    await sign_up(mail_client)
    path = await reset_link(mail_client, smtp)
    await choose(mail_client, path, NEW_PASSWORD)
    response = await choose(mail_client, path, "", again="something else")
    assert response.status_code == 410
    assert "expired or was used already" in response.text


async def test_changing_the_password_ends_the_other_sessions(client, app):
    await sign_up(client)
    async with browser_at(app) as phone:
        await log_in(phone, "anna@example.ch")
        response = await post_form(
            client,
            "/account/password",
            {
                "current_password": PASSWORD,
                "new_password": NEW_PASSWORD,
                "new_password_again": NEW_PASSWORD,
            },
        )
        assert response.status_code == 303
        assert not await is_logged_in(phone)
    assert await is_logged_in(client)


async def test_changing_the_password_needs_the_current_one(client):
    await sign_up(client)
    response = await post_form(
        client,
        "/account/password",
        {
            "current_password": "not-my-password",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert "This is not your current password." in response.text


# --- a reset link dies with the password it was sent for -----------------------------------


async def mailed_reset_link(client, email: str = "anna@example.ch") -> str:
    """Ask for a link (from a browser that is not logged in) and read it from the outbox."""
    from tests.factories.organisations import outbox_link
    from tests.factories.web import another_browser

    async with another_browser(client) as stranger:
        asked = await post_form(stranger, "/password/forgot", {"email": email})
        assert asked.status_code == 200
    return await outbox_link(email, "/password/reset/")


async def test_a_reset_link_dies_when_the_password_is_changed_on_the_security_page(client):
    await sign_up(client)
    path = await mailed_reset_link(client)
    changed = await post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 303
    assert (await client.get(path)).status_code == 410
    assert (await choose(client, path, "Taken-Over-2026")).status_code == 410
    await log_out(client)
    assert (await log_in(client, "anna@example.ch", NEW_PASSWORD)).status_code == 303


async def test_a_newer_reset_link_ends_the_older_one(client):
    await sign_up(client)
    older = await mailed_reset_link(client)
    newer = await mailed_reset_link(client)
    assert older != newer
    assert (await client.get(older)).status_code == 410
    assert (await choose(client, older, "From-The-Old-Link-2026")).status_code == 410
    assert (await client.get(newer)).status_code == 200
    assert (await choose(client, newer, NEW_PASSWORD)).status_code == 303
