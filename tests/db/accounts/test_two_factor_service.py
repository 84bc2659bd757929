"""Two-factor authentication in the database: set-up, single-use codes, hashed backup codes."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from portal.accounts import queries, rules, services
from portal.accounts.tables import Account, BackupCode, WebSession
from portal.core.current import session_row
from portal.core.tokens import token_hash
from portal.errors import FormErrors, TooManyAttempts
from tests.factories.accounts import HERE, PASSWORD, new_account


def code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_ahead)


async def with_two_factor(settings) -> tuple[int, str, list[str]]:
    account_id = await new_account()
    secret = await services.begin_totp_setup(account_id)
    codes = await services.confirm_totp_setup(account_id, PASSWORD, code(secret))
    return account_id, secret, codes


async def pending_session(account_id: int) -> int:
    token = await services.start_session(account_id, HERE, pending=True)
    rows = await WebSession.select(WebSession.id).where(WebSession.token_hash == token_hash(token))
    return rows[0]["id"]


async def second_factor(account_id: int, typed: str) -> str:
    return await services.complete_second_factor(
        await pending_session(account_id), account_id, typed, HERE
    )


async def test_set_up_keeps_the_secret_and_only_hashes_of_ten_backup_codes(account_settings):
    account_id, secret, codes = await with_two_factor(account_settings)
    account = await queries.account_by_id(account_id)
    assert account["totp_secret"] == secret and account["totp_pending_secret"] is None
    assert len(codes) == 10
    kept = await BackupCode.select(BackupCode.code_hash).output(as_list=True)
    assert sorted(kept) == sorted(rules.backup_code_hash(c) for c in codes)
    for plain in codes:
        assert all(plain not in h and plain.replace("-", "") not in h for h in kept)


async def test_set_up_needs_the_code_of_the_pending_secret(account_settings):
    account_id = await new_account()
    with pytest.raises(FormErrors, match="Start the set-up again"):
        await services.confirm_totp_setup(account_id, PASSWORD, "123456")
    secret = await services.begin_totp_setup(account_id)
    wrong = pyotp.TOTP(rules.new_totp_secret()).now()
    if wrong not in {code(secret, drift) for drift in (-1, 0, 1)}:
        with pytest.raises(FormErrors, match="does not match"):
            await services.confirm_totp_setup(account_id, PASSWORD, wrong)
    assert (await queries.account_by_id(account_id))["totp_secret"] is None


async def test_the_code_that_confirmed_set_up_cannot_log_in(account_settings):
    account_id, secret, _ = await with_two_factor(account_settings)
    with pytest.raises(FormErrors, match="used already"):
        await second_factor(account_id, code(secret))


async def test_a_totp_code_logs_in_once_only(account_settings):
    account_id, secret, _ = await with_two_factor(account_settings)
    next_code = code(secret, 1)
    assert await second_factor(account_id, next_code)
    with pytest.raises(FormErrors):
        await second_factor(account_id, next_code)


async def test_two_requests_racing_with_one_code_let_one_in(account_settings):
    account_id, secret, _ = await with_two_factor(account_settings)
    next_code = code(secret, 1)
    sessions = [await pending_session(account_id) for _ in range(4)]
    attempts = [services.complete_second_factor(s, account_id, next_code, HERE) for s in sessions]
    outcomes = await asyncio.gather(*attempts, return_exceptions=True)
    assert sum(isinstance(o, str) for o in outcomes) == 1
    assert sum(isinstance(o, FormErrors) for o in outcomes) == 3


async def test_a_backup_code_works_once_however_typed(account_settings):
    account_id, _, codes = await with_two_factor(account_settings)
    assert await second_factor(account_id, codes[0].upper().replace("-", " "))
    with pytest.raises(FormErrors):
        await second_factor(account_id, codes[0])
    assert await queries.unused_backup_codes(account_id) == 9
    assert await second_factor(account_id, codes[1])


async def test_completing_the_second_factor_replaces_the_pending_session(account_settings):
    account_id, secret, _ = await with_two_factor(account_settings)
    pending_id = await pending_session(account_id)
    token = await services.complete_second_factor(pending_id, account_id, code(secret, 1), HERE)
    ended = await WebSession.select(WebSession.ended_at).where(WebSession.id == pending_id)
    assert ended[0]["ended_at"] is not None
    row = await session_row(token_hash(token), timedelta(minutes=30), timedelta(hours=12))
    assert row["session_id"] != pending_id and not row["second_factor_pending"]


async def test_wrong_codes_are_throttled(account_settings):
    account_id, secret, _ = await with_two_factor(account_settings)
    good = {code(secret, drift) for drift in (-1, 0, 1, 2)}
    wrong = [str(digit) * 6 for digit in range(10) if str(digit) * 6 not in good]
    wrong = wrong[: rules.PER_SECOND_FACTOR.free]
    for guess in wrong:
        with pytest.raises(FormErrors):
            await second_factor(account_id, guess)
    with pytest.raises(TooManyAttempts):
        await second_factor(account_id, code(secret, 1))


async def test_turning_off_needs_the_password_and_removes_the_codes(account_settings):
    account_id, _, _ = await with_two_factor(account_settings)
    with pytest.raises(FormErrors):
        await services.disable_totp(account_settings, account_id, "not-my-password")
    assert (await queries.account_by_id(account_id))["totp_secret"] is not None
    await services.disable_totp(account_settings, account_id, PASSWORD)
    account = await queries.account_by_id(account_id)
    assert account["totp_secret"] is None and account["totp_last_step"] == 0
    assert await BackupCode.count() == 0


async def test_new_backup_codes_replace_the_old_ones(account_settings):
    account_id, _, old = await with_two_factor(account_settings)
    with pytest.raises(FormErrors):
        await services.regenerate_backup_codes(account_id, "not-my-password")
    new = await services.regenerate_backup_codes(account_id, PASSWORD)
    assert not set(new) & set(old)
    with pytest.raises(FormErrors):
        await second_factor(account_id, old[0])
    assert await second_factor(account_id, new[0])


async def test_the_last_used_step_only_moves_forward(db):
    account_id = await new_account()
    now_step = rules.totp_step(datetime.now(UTC))
    assert await queries.claim_totp_step(account_id, now_step)
    assert not await queries.claim_totp_step(account_id, now_step)
    assert not await queries.claim_totp_step(account_id, now_step - 1)
    assert await queries.claim_totp_step(account_id, now_step + 1)
    account = await Account.select(Account.totp_last_step).where(Account.id == account_id)
    assert account[0]["totp_last_step"] == now_step + 1
