"""Password reset links and password changes against the real database, and the mails they
queue (with the change, delivered by the worker)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pyotp
import pytest

from portal.accounts import queries, rules, services
from portal.accounts.passwords import verify_password
from portal.accounts.tables import LoginFailure, PasswordReset, WebSession
from portal.core.current import session_row
from portal.core.tokens import token_hash
from portal.errors import FormErrors, TooManyAttempts
from portal.jobs.rules import AWAITED_MAIL_PRIORITY, MAIL_PRIORITY
from portal.mail import services as mail_services
from portal.mail.tables import OutboxMail
from portal.piccolo_conf import DB
from tests.factories.accounts import HERE, PASSWORD, new_account
from tests.factories.jobs import work_off_queue
from tests.factories.mail import delivered_by_the_worker, queued_mails_to
from tests.factories.web import link_in

NEW_PASSWORD = "Neues-Passwort-2026"


async def reset_token(settings, email: str = "anna@example.ch") -> str:
    await services.request_password_reset(settings, email)
    mail = await OutboxMail.select(OutboxMail.body).order_by(OutboxMail.id, ascending=False)
    return link_in(mail[0]["body"], "/password/reset/").rsplit("/", 1)[1]


async def live_sessions(account_id: int) -> int:
    return await WebSession.count().where(
        WebSession.account == account_id, WebSession.ended_at.is_null()
    )


async def test_a_reset_link_is_mailed_and_only_its_hash_kept(account_settings):
    await new_account()
    token = await reset_token(account_settings)
    kept = await PasswordReset.select(PasswordReset.token_hash, PasswordReset.expires_at)
    assert [row["token_hash"] for row in kept] == [token_hash(token)]
    assert token not in kept[0]["token_hash"]


async def test_an_unknown_address_gets_no_mail_and_no_link(account_settings):
    await new_account()
    await services.request_password_reset(account_settings, "nobody@example.ch")
    assert await OutboxMail.count() == 0
    assert await PasswordReset.count() == 0


async def test_a_reset_sets_the_password_ends_every_session_and_spends_the_links(
    account_settings,
):
    account_id = await new_account()
    await services.start_session(account_id, HERE)
    older = await reset_token(account_settings)
    token = await reset_token(account_settings)
    await services.reset_password(account_settings, token, NEW_PASSWORD)
    account = await queries.account_by_id(account_id)
    assert verify_password(account["password_hash"], NEW_PASSWORD)
    assert not verify_password(account["password_hash"], PASSWORD)
    assert await live_sessions(account_id) == 0
    for spent in (token, older):
        assert not await services.password_reset_is_usable(spent)
        with pytest.raises(FormErrors) as refused:
            await services.reset_password(account_settings, spent, "Another-Pass-77")
        assert "token" in refused.value.errors


async def test_a_reset_refuses_a_weak_password_and_keeps_the_link(account_settings):
    await new_account()
    token = await reset_token(account_settings)
    with pytest.raises(FormErrors, match="too common"):
        await services.reset_password(account_settings, token, "password1")
    assert await services.password_reset_is_usable(token)


async def test_a_link_expires_after_an_hour(account_settings):
    await new_account()
    token = await reset_token(account_settings)
    row = await PasswordReset.select(PasswordReset.created_at, PasswordReset.expires_at)
    lifetime = row[0]["expires_at"] - row[0]["created_at"]
    assert abs(lifetime - timedelta(hours=1)) < timedelta(seconds=5)
    await PasswordReset.raw("UPDATE password_reset SET expires_at = now() - interval '1 second'")
    assert not await services.password_reset_is_usable(token)


async def test_one_link_used_twice_at_once_changes_the_password_once(account_settings):
    await new_account()
    token = await reset_token(account_settings)
    outcomes = await asyncio.gather(
        services.reset_password(account_settings, token, "First-Choice-2026"),
        services.reset_password(account_settings, token, "Second-Choice-2026"),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["FormErrors", "NoneType"]


async def test_changing_the_password_needs_the_current_one(account_settings):
    account_id = await new_account()
    with pytest.raises(FormErrors) as refused:
        await services.change_password(account_settings, account_id, 0, "wrong-one", NEW_PASSWORD)
    assert "current_password" in refused.value.errors
    with pytest.raises(FormErrors) as weak:
        await services.change_password(account_settings, account_id, 0, PASSWORD, "qwertyuiop")
    assert "new_password" in weak.value.errors


async def test_changing_the_password_ends_the_other_sessions_only(account_settings):
    account_id = await new_account()
    mine = await services.start_session(account_id, HERE)
    rows = await WebSession.select(WebSession.id).where(WebSession.token_hash == token_hash(mine))
    await services.change_password(
        account_settings, account_id, rows[0]["id"], PASSWORD, NEW_PASSWORD
    )
    assert await live_sessions(account_id) == 1
    row = await session_row(token_hash(mine), timedelta(minutes=30), timedelta(hours=12))
    assert row is not None
    assert await OutboxMail.count().where(OutboxMail.subject.ilike("%password was changed%")) == 1


async def test_a_reset_lifts_the_lock_an_attacker_caused(account_settings):
    await new_account()
    await LoginFailure.insert(
        *[LoginFailure(throttle_key="account:anna@example.ch") for _ in range(12)]
    )
    with pytest.raises(TooManyAttempts):
        await services.log_in(account_settings, "anna@example.ch", PASSWORD, HERE, None)
    await services.reset_password(
        account_settings, await reset_token(account_settings), NEW_PASSWORD
    )
    assert await services.log_in(account_settings, "anna@example.ch", NEW_PASSWORD, HERE, None)


async def test_no_more_than_three_links_an_hour_are_mailed(account_settings):
    await new_account()
    for _ in range(5):
        await services.request_password_reset(account_settings, "anna@example.ch")
    assert await OutboxMail.count() == rules.RESET_LINKS_PER_HOUR
    await PasswordReset.raw("UPDATE password_reset SET created_at = now() - interval '61 minutes'")
    await services.request_password_reset(account_settings, "anna@example.ch")
    assert await OutboxMail.count() == rules.RESET_LINKS_PER_HOUR + 1


async def test_guessing_the_password_from_an_open_session_is_throttled(account_settings):
    account_id = await new_account()
    for number in range(rules.PER_ACCOUNT.free):
        with pytest.raises(FormErrors):
            await services.confirm_password(account_id, f"guess-{number}")
    with pytest.raises(TooManyAttempts):
        await services.confirm_password(account_id, PASSWORD)
    with pytest.raises(TooManyAttempts):
        await services.change_password(account_settings, account_id, 0, PASSWORD, NEW_PASSWORD)


async def test_the_right_password_clears_the_earlier_wrong_ones(account_settings):
    account_id = await new_account()
    for _ in range(2):
        for number in range(rules.PER_ACCOUNT.free - 1):
            with pytest.raises(FormErrors):
                await services.confirm_password(account_id, f"guess-{number}")
        await services.confirm_password(account_id, PASSWORD)


# --- the mails of these changes leave with the change, never without it -----------------------


async def test_a_password_change_rolled_back_mails_nothing(mail_settings, smtp):
    """The notice is queued in the change's transaction: when that fails to commit (here
    the caller's transaction, which the service joins), the mail goes with it."""
    account_id = await new_account()
    with pytest.raises(RuntimeError):
        async with DB.transaction():
            await services.change_password(mail_settings, account_id, 0, PASSWORD, NEW_PASSWORD)
            raise RuntimeError("the commit failed")
    account = await queries.account_by_id(account_id)
    assert verify_password(account["password_hash"], PASSWORD)  # unchanged
    assert await queued_mails_to("anna@example.ch") == []
    await work_off_queue(mail_settings)
    assert smtp.messages == []


async def test_a_reset_link_that_cannot_be_queued_is_not_kept(account_settings, monkeypatch):
    """The link and its mail are one: no usable link whose mail never left."""
    await new_account()

    async def queue_down(*args, **kwargs):
        raise ConnectionError("the queue is out of reach")

    monkeypatch.setattr(mail_services, "enqueue", queue_down)
    with pytest.raises(ConnectionError):
        await services.request_password_reset(account_settings, "anna@example.ch")
    assert await PasswordReset.count() == 0
    assert await OutboxMail.count() == 0


async def test_the_mails_of_password_and_two_factor_changes_are_delivered_by_the_worker(
    mail_settings, smtp
):
    account_id = await new_account()
    await services.request_password_reset(mail_settings, "anna@example.ch")
    link = await delivered_by_the_worker(
        mail_settings, smtp, "anna@example.ch", AWAITED_MAIL_PRIORITY
    )
    token = link_in(link, "/password/reset/").rsplit("/", 1)[1]
    await services.reset_password(mail_settings, token, NEW_PASSWORD)
    changed = await delivered_by_the_worker(mail_settings, smtp, "anna@example.ch", MAIL_PRIORITY)
    assert "password of your Partner Portal account was just changed" in changed

    secret = await services.begin_totp_setup(account_id)
    await services.confirm_totp_setup(account_id, NEW_PASSWORD, pyotp.TOTP(secret).now())
    on = await delivered_by_the_worker(mail_settings, smtp, "anna@example.ch", MAIL_PRIORITY)
    assert "Two-factor authentication was turned on" in on
    await services.disable_totp(mail_settings, account_id, NEW_PASSWORD)
    off = await delivered_by_the_worker(mail_settings, smtp, "anna@example.ch", MAIL_PRIORITY)
    assert "Two-factor authentication was turned off" in off
    assert len(smtp.to("anna@example.ch")) == 4  # each once
