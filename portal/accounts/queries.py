"""Reads and writes of accounts, sessions, resets and throttling counters."""

from __future__ import annotations

from datetime import datetime, timedelta

from asyncpg.exceptions import UniqueViolationError

from portal.accounts.tables import (
    Account,
    ApiToken,
    BackupCode,
    LoginFailure,
    PasswordReset,
    WebSession,
)
from portal.database import CHANGE_LOCK, storable_id
from portal.paging import FIRST, Kind, Order, Page, Position, Window, read_page


async def account_by_email(email: str) -> dict | None:
    return await Account.select().where(Account.email == email.lower()).first()


async def account_by_id(account_id: int) -> dict | None:
    return await Account.select().where(Account.id == account_id).first()


async def insert_account(email: str, full_name: str, password_hash: str) -> int | None:
    """The new account's id, or None when the address is taken: the unique index decides,
    so of two sign-ups racing with one address exactly one wins."""
    try:
        rows = await Account.insert(
            Account(email=email.lower(), full_name=full_name, password_hash=password_hash)
        ).returning(Account.id)
    except UniqueViolationError:
        return None
    return rows[0]["id"]


async def set_password_hash(account_id: int, password_hash: str, now: datetime) -> None:
    """A new password, however it was chosen, spends every open reset link of the account:
    a link mailed before the change no longer changes it."""
    await Account.update({Account.password_hash: password_hash}).where(Account.id == account_id)
    await use_password_resets(account_id, now)


async def insert_session(
    token_hash: str,
    account_id: int,
    organisation_id: int | None,
    *,
    pending: bool,
    user_agent: str,
    ip_address: str,
) -> None:
    await WebSession.insert(
        WebSession(
            token_hash=token_hash,
            account=account_id,
            organisation_id=organisation_id,
            second_factor_pending=pending,
            user_agent=user_agent[:300],
            ip_address=ip_address[:64],
        )
    )


async def end_session(session_id: int, now: datetime) -> None:
    await WebSession.update({WebSession.ended_at: now}).where(
        WebSession.id == session_id, WebSession.ended_at.is_null()
    )


async def end_sessions_of(account_id: int, now: datetime, *, keep: int | None = None) -> int:
    query = WebSession.update({WebSession.ended_at: now}).where(
        WebSession.account == account_id, WebSession.ended_at.is_null()
    )
    if keep is not None:
        query = query.where(WebSession.id != keep)
    rows = await query.returning(WebSession.id)
    return len(rows)


async def live_session(session_id: int, idle: timedelta, absolute: timedelta) -> dict | None:
    """The live session SESSION_ID (id and account), whoever's it is: access.py decides."""
    if not storable_id(session_id):
        return None
    rows = await WebSession.raw(
        """SELECT id, account FROM web_session
           WHERE id = {} AND ended_at IS NULL AND NOT second_factor_pending
             AND last_seen_at > now() - {}::interval AND created_at > now() - {}::interval""",
        session_id,
        idle,
        absolute,
    )
    return rows[0] if rows else None


# Most recently active first; web_session_live (account, last_seen_at DESC, id DESC, for the
# sessions not ended) reads any page directly.
LIVE_ORDER = Order(("last_seen_at", "id"), ("last_seen_at", "id"), (Kind.TIME, Kind.ID), True)
LIVE_SQL = """
SELECT id, user_agent, ip_address, created_at, last_seen_at FROM web_session
WHERE account = {{}} AND ended_at IS NULL AND NOT second_factor_pending
  AND last_seen_at > now() - {{}}::interval AND created_at > now() - {{}}::interval {keyset}
ORDER BY {order} LIMIT {limit}
"""
SESSIONS_SHOWN = 50


async def live_sessions_of(
    account_id: int,
    idle: timedelta,
    absolute: timedelta,
    position: Position = FIRST,
    size: int = SESSIONS_SHOWN,
) -> Page:
    """The page of the person's live sessions (not ended, idle or too old) at POSITION."""

    async def fetch(window: Window) -> list[dict]:
        sql = LIVE_SQL.format(
            keyset=window.and_condition(), order=window.order_by, limit=window.limit
        )
        return await WebSession.raw(sql, account_id, idle, absolute, *window.arguments)

    return await read_page(LIVE_ORDER.window(position, size), fetch)


async def switch_session_organisation(session_id: int, organisation_id: int) -> None:
    await WebSession.update({WebSession.organisation_id: organisation_id}).where(
        WebSession.id == session_id
    )


# --- throttling ----------------------------------------------------------------------------


async def record_attempt(keys: list[str]) -> dict[str, int]:
    """One row per key for an attempt, counted as a failure until it is forgotten;
    key → the row's id."""
    rows = await LoginFailure.insert(*[LoginFailure(throttle_key=key) for key in keys]).returning(
        LoginFailure.id, LoginFailure.throttle_key
    )
    return {row["throttle_key"]: row["id"] for row in rows}


async def failures_before(
    key: str, attempt_id: int, since: datetime
) -> tuple[int, datetime | None]:
    """Failures under KEY since SINCE that were recorded before the attempt ATTEMPT_ID."""
    rows = await LoginFailure.raw(
        "SELECT count(*) AS failures, max(created_at) AS last FROM login_failure "
        "WHERE throttle_key = {} AND created_at > {} AND id < {}",
        key,
        since,
        attempt_id,
    )
    return rows[0]["failures"], rows[0]["last"]


async def forget_attempt(attempt_ids: list[int]) -> None:
    await LoginFailure.delete().where(LoginFailure.id.is_in(attempt_ids))


async def forget_failures(key: str) -> None:
    await LoginFailure.delete().where(LoginFailure.throttle_key == key)


async def purge_failures_before(moment: datetime) -> None:
    await LoginFailure.delete().where(LoginFailure.created_at < moment)


# --- password reset ------------------------------------------------------------------------


async def lock_account(account_id: int) -> None:
    """Serialise the account's reset links: of two requests at once, one link stays open."""
    await Account.select(Account.id).where(Account.id == account_id).lock_rows(CHANGE_LOCK)


async def insert_password_reset(account_id: int, token_hash: str, expires_at: datetime) -> None:
    await PasswordReset.insert(
        PasswordReset(account=account_id, token_hash=token_hash, expires_at=expires_at)
    )


async def password_resets_since(account_id: int, since: datetime) -> int:
    return await PasswordReset.count().where(
        PasswordReset.account == account_id, PasswordReset.created_at > since
    )


async def usable_password_reset(token_hash: str, now: datetime) -> dict | None:
    return (
        await PasswordReset.select(PasswordReset.id, PasswordReset.account)
        .where(
            PasswordReset.token_hash == token_hash,
            PasswordReset.used_at.is_null(),
            PasswordReset.expires_at > now,
        )
        .lock_rows(CHANGE_LOCK)
        .first()
    )


async def use_password_resets(account_id: int, now: datetime) -> None:
    """Spend every open reset link of the account: the password changed, or a newer link is
    on its way (only the last link mailed works)."""
    await PasswordReset.update({PasswordReset.used_at: now}).where(
        PasswordReset.account == account_id, PasswordReset.used_at.is_null()
    )


# --- second factor -------------------------------------------------------------------------


async def set_pending_totp_secret(account_id: int, secret: str | None) -> None:
    await Account.update({Account.totp_pending_secret: secret}).where(Account.id == account_id)


async def enable_totp(account_id: int, secret: str, step: int, code_hashes: list[str]) -> None:
    await Account.update(
        {
            Account.totp_secret: secret,
            Account.totp_pending_secret: None,
            Account.totp_last_step: step,
        }
    ).where(Account.id == account_id)
    await BackupCode.delete().where(BackupCode.account == account_id)
    await BackupCode.insert(
        *[BackupCode(account=account_id, code_hash=code_hash) for code_hash in code_hashes]
    )


async def disable_totp(account_id: int) -> None:
    await Account.update(
        {Account.totp_secret: None, Account.totp_pending_secret: None, Account.totp_last_step: 0}
    ).where(Account.id == account_id)
    await BackupCode.delete().where(BackupCode.account == account_id)


async def claim_totp_step(account_id: int, step: int) -> bool:
    """Move the last used step forward; False if another request used this step first."""
    rows = (
        await Account.update({Account.totp_last_step: step})
        .where(Account.id == account_id, Account.totp_last_step < step)
        .returning(Account.id)
    )
    return bool(rows)


async def use_backup_code(account_id: int, code_hash: str, now: datetime) -> bool:
    rows = (
        await BackupCode.update({BackupCode.used_at: now})
        .where(
            BackupCode.account == account_id,
            BackupCode.code_hash == code_hash,
            BackupCode.used_at.is_null(),
        )
        .returning(BackupCode.id)
    )
    return bool(rows)


async def unused_backup_codes(account_id: int) -> int:
    return await BackupCode.count().where(
        BackupCode.account == account_id, BackupCode.used_at.is_null()
    )


async def first_organisation_of(account_id: int) -> int | None:
    rows = await WebSession.raw(
        """SELECT organisation FROM membership WHERE account = {}
           ORDER BY created_at, id LIMIT 1""",
        account_id,
    )
    return rows[0]["organisation"] if rows else None


# --- API tokens ----------------------------------------------------------------------------


async def insert_api_token(values: dict) -> int:
    rows = await ApiToken.insert(ApiToken(**values)).returning(ApiToken.id)
    return rows[0]["id"]


async def api_tokens_of(account_id: int) -> list[dict]:
    """The account's tokens, newest first, with the name of the organisation each acts in."""
    return await ApiToken.raw(
        """SELECT t.id, t.name, t.prefix, t.scopes, t.created_at, t.expires_at, t.revoked_at,
                  t.last_used_at, t.last_used_ip, t.organisation_id,
                  o.name AS organisation_name
           FROM api_token t LEFT JOIN organisation o ON o.id = t.organisation_id
           WHERE t.account = {} ORDER BY t.created_at DESC, t.id DESC LIMIT 200""",
        account_id,
    )


async def revoke_api_token(account_id: int, token_id: int, now: datetime) -> bool:
    """Whether TOKEN_ID is the account's; it is revoked from NOW, or stays revoked since."""
    rows = await ApiToken.raw(
        "UPDATE api_token SET revoked_at = coalesce(revoked_at, {}) "
        "WHERE id = {} AND account = {} RETURNING id",
        now,
        token_id,
        account_id,
    )
    return bool(rows)


async def revoke_api_tokens_in(account_id: int, organisation_id: int, now: datetime) -> int:
    """Revoke the account's live tokens for an organisation it no longer belongs to."""
    rows = (
        await ApiToken.update({ApiToken.revoked_at: now})
        .where(
            ApiToken.account == account_id,
            ApiToken.organisation_id == organisation_id,
            ApiToken.revoked_at.is_null(),
        )
        .returning(ApiToken.id)
    )
    return len(rows)


async def organisations_of(account_id: int) -> set[int]:
    """The organisations the account belongs to: as a member, or as the guest of a team."""
    rows = await Account.raw(
        """SELECT organisation AS id FROM membership WHERE account = {}
           UNION
           SELECT t.organisation FROM team_member tm JOIN team t ON t.id = tm.team
           WHERE tm.account = {}""",
        account_id,
        account_id,
    )
    return {row["id"] for row in rows}
