"""Logging in against the real database: new sessions, no enumeration, throttling."""

from __future__ import annotations

import asyncio

import pytest

from portal.accounts import rules, services
from portal.accounts.tables import LoginFailure, WebSession
from portal.core.current import session_row
from portal.core.origin import Origin
from portal.core.tokens import token_hash
from portal.errors import FormErrors, TooManyAttempts
from tests.factories.accounts import HERE, PASSWORD, new_account

ELSEWHERE = Origin(ip_address="198.51.100.7", user_agent="attacker")


async def log_in(settings, email="anna@example.ch", password=PASSWORD, client=HERE, device=None):
    return await services.log_in(settings, email, password, client, device)


async def fail(settings, times: int, email="anna@example.ch", client=ELSEWHERE, device=None):
    for _ in range(times):
        with pytest.raises(FormErrors):
            await log_in(settings, email, "wrong-password", client, device)


async def add_failures(key: str, count: int) -> None:
    await LoginFailure.insert(*[LoginFailure(throttle_key=key) for _ in range(count)])


async def age_failures(key: str, seconds: int) -> None:
    await LoginFailure.raw(
        "UPDATE login_failure SET created_at = created_at - {} * interval '1 second' "
        "WHERE throttle_key = {}",
        seconds,
        key,
    )


async def test_a_login_starts_a_new_session_kept_only_as_a_hash(account_settings):
    await new_account()
    first = await log_in(account_settings)
    second = await log_in(account_settings)
    assert first.token != second.token
    kept = await WebSession.select(WebSession.token_hash).output(as_list=True)
    assert token_hash(first.token) in kept and token_hash(second.token) in kept
    assert first.token not in kept and second.token not in kept


async def test_the_email_address_is_matched_in_any_case(account_settings):
    await new_account()
    outcome = await log_in(account_settings, email="  ANNA@Example.CH ")
    assert not outcome.second_factor_pending


async def test_a_wrong_password_and_an_unknown_address_fail_alike(account_settings):
    await new_account()
    with pytest.raises(FormErrors) as wrong:
        await log_in(account_settings, password="Wrong-Password-1")
    with pytest.raises(FormErrors) as unknown:
        await log_in(account_settings, email="nobody@example.ch")
    assert wrong.value.errors == unknown.value.errors == {"password": services.WRONG_CREDENTIALS}


async def test_after_the_free_failures_the_account_must_wait(account_settings):
    await new_account()
    await fail(account_settings, rules.PER_ACCOUNT.free)
    with pytest.raises(TooManyAttempts) as refused:
        await log_in(account_settings)  # even the right password waits
    assert refused.value.retry_after == 1


async def test_the_wait_doubles_with_each_further_failure(account_settings):
    await new_account()
    key = "account:anna@example.ch"
    await fail(account_settings, rules.PER_ACCOUNT.free)
    for expected_wait in (1, 2, 4):
        await age_failures(key, expected_wait)  # the wait has passed
        await fail(account_settings, 1)
        with pytest.raises(TooManyAttempts) as refused:
            await log_in(account_settings)
        assert refused.value.retry_after == expected_wait * 2


async def test_failures_older_than_the_window_are_forgiven(account_settings):
    await new_account()
    await add_failures("account:anna@example.ch", rules.PER_ACCOUNT.free + 8)
    with pytest.raises(TooManyAttempts):
        await log_in(account_settings)
    await age_failures("account:anna@example.ch", 15 * 60 + 1)
    assert await log_in(account_settings)


async def test_refused_attempts_do_not_count_as_failures(account_settings):
    await new_account()
    await fail(account_settings, rules.PER_ACCOUNT.free)
    for _ in range(5):
        with pytest.raises(TooManyAttempts):
            await log_in(account_settings, password="wrong-password", client=ELSEWHERE)
    counted = await LoginFailure.count().where(
        LoginFailure.throttle_key == "account:anna@example.ch"
    )
    assert counted == rules.PER_ACCOUNT.free


async def test_a_successful_login_forgets_the_account_failures(account_settings):
    await new_account()
    await fail(account_settings, rules.PER_ACCOUNT.free - 1)
    await log_in(account_settings)
    await fail(account_settings, rules.PER_ACCOUNT.free - 1)
    assert await log_in(account_settings)


async def test_the_owner_device_is_not_locked_out_by_an_attacker(account_settings):
    account_id = await new_account()
    device = rules.device_token(account_settings.secret_key, account_id)
    await add_failures("account:anna@example.ch", rules.PER_ACCOUNT.free + 8)
    with pytest.raises(TooManyAttempts):
        await log_in(account_settings)
    assert await log_in(account_settings, device=device)


async def test_another_account_device_cookie_does_not_lift_the_throttle(account_settings):
    await new_account()
    other_id = await new_account("bea@example.ch", "Bea Beispiel")
    device = rules.device_token(account_settings.secret_key, other_id)
    await fail(account_settings, rules.PER_ACCOUNT.free)
    with pytest.raises(TooManyAttempts):
        await log_in(account_settings, device=device)


async def test_one_address_guessing_many_accounts_is_throttled(account_settings):
    await new_account()
    for number in range(rules.PER_IP.free):
        await fail(account_settings, 1, email=f"guess{number}@example.ch")
    with pytest.raises(TooManyAttempts):
        await log_in(account_settings, client=ELSEWHERE)
    assert await log_in(account_settings, client=HERE)  # other addresses are not affected


async def test_the_ip_throttle_applies_on_the_owner_device_too(account_settings):
    account_id = await new_account()
    device = rules.device_token(account_settings.secret_key, account_id)
    await fail(account_settings, rules.PER_IP.free, client=HERE, device=device)
    with pytest.raises(TooManyAttempts):
        await log_in(account_settings, device=device)


async def test_racing_guesses_cannot_slip_past_the_throttle(account_settings):
    await new_account()
    guesses = [
        log_in(account_settings, password=f"guess-{n}-wrong", client=ELSEWHERE) for n in range(30)
    ]
    outcomes = await asyncio.gather(*guesses, return_exceptions=True)
    checked = [o for o in outcomes if isinstance(o, FormErrors)]
    refused = [o for o in outcomes if isinstance(o, TooManyAttempts)]
    assert len(checked) + len(refused) == 30
    assert len(checked) <= rules.PER_ACCOUNT.free


async def test_the_unknown_address_throttle_protects_no_one_but_looks_the_same(account_settings):
    await fail(account_settings, rules.PER_ACCOUNT.free, email="nobody@example.ch")
    with pytest.raises(TooManyAttempts):
        await log_in(account_settings, email="nobody@example.ch")


async def test_logging_out_ends_the_session_on_the_server(account_settings):
    await new_account()
    outcome = await log_in(account_settings)
    hours = account_settings.session_idle, account_settings.session_absolute
    current = await session_row(token_hash(outcome.token), *hours)
    await services.log_out(current["session_id"])
    assert await session_row(token_hash(outcome.token), *hours) is None


async def test_failures_past_every_window_are_purged(account_settings):
    await new_account()
    await add_failures("ip:192.0.2.99", 3)
    await age_failures("ip:192.0.2.99", int(rules.FAILURES_KEPT.total_seconds()) + 1)
    await add_failures("account:bea@example.ch", 2)
    await log_in(account_settings)
    kept = await LoginFailure.select(LoginFailure.throttle_key).output(as_list=True)
    assert kept == ["account:bea@example.ch"] * 2
