"""Account use cases: sign up, log in (with throttling and a second factor), sessions,
password reset and change, two-factor set-up. Load → decide (rules) → persist."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from portal.access import Action, SessionResource, require
from portal.accounts import queries, rules
from portal.accounts.passwords import hash_password, spend_verification_time, verify_password
from portal.core.current import Current
from portal.core.origin import Origin
from portal.core.tokens import new_token, token_hash
from portal.core.urls import page_url
from portal.database import storable_id
from portal.errors import FormErrors, NotFound, TooManyAttempts
from portal.mail.services import Mail, queue_mail
from portal.piccolo_conf import DB
from portal.settings import Settings

PASSWORD_RESET_LIFETIME = timedelta(hours=1)
WRONG_CREDENTIALS = "The email address or the password is not right."


@dataclass(frozen=True)
class LoginOutcome:
    token: str
    account_id: int
    second_factor_pending: bool


def _now() -> datetime:
    return datetime.now(UTC)


async def start_session(
    account_id: int, client: Origin, *, pending: bool = False, organisation_id: int | None = None
) -> str:
    """A new session with a new id: never reuse an id from before login (fixation)."""
    token = new_token()
    if organisation_id is None:
        organisation_id = await queries.first_organisation_of(account_id)
    await queries.insert_session(
        token_hash(token),
        account_id,
        organisation_id,
        pending=pending,
        user_agent=client.user_agent,
        ip_address=client.ip_address,
    )
    return token


# --- logging in ----------------------------------------------------------------------------


async def _begin_attempt(
    throttles: dict[str, rules.ThrottleRule | None], now: datetime
) -> list[int]:
    """Record an attempt as a failure under each key BEFORE checking the throttles, so that
    attempts racing each other count each other; refuse it (and forget it) when the failures
    before it call for a wait. A key whose rule is None is recorded, not checked."""
    await queries.purge_failures_before(now - rules.FAILURES_KEPT)  # the table stays small
    attempt = await queries.record_attempt(list(throttles))
    for key, rule in throttles.items():
        if rule is None:
            continue
        failures, last = await queries.failures_before(key, attempt[key], now - rule.window)
        wait = rules.wait_before_next_attempt(rule, failures, last, now)
        if wait > timedelta(0):
            await queries.forget_attempt(list(attempt.values()))
            seconds = math.ceil(wait.total_seconds())
            raise TooManyAttempts(
                f"Too many failed attempts. Wait {seconds} seconds, then try again.", seconds
            )
    return list(attempt.values())


async def log_in(
    settings: Settings, email: str, password: str, client: Origin, device_cookie: str | None
) -> LoginOutcome:
    now = _now()
    email = email.strip().lower()
    ip_key, account_key = f"ip:{client.ip_address}", f"account:{email}"
    account = await queries.account_by_email(email)
    trusted_device = account is not None and (
        rules.device_account(settings.secret_key, device_cookie) == account["id"]
    )
    # The owner's known device is exempt from the account's throttle, not from the IP's.
    account_rule = None if trusted_device else rules.PER_ACCOUNT
    attempt = await _begin_attempt({ip_key: rules.PER_IP, account_key: account_rule}, now)

    if account is None:
        spend_verification_time(password)
        raise FormErrors({"password": WRONG_CREDENTIALS})
    if not verify_password(account["password_hash"], password):
        raise FormErrors({"password": WRONG_CREDENTIALS})

    await queries.forget_attempt(attempt)
    await queries.forget_failures(account_key)
    pending = account["totp_secret"] is not None
    token = await start_session(account["id"], client, pending=pending)
    return LoginOutcome(token, account["id"], pending)


async def complete_second_factor(
    session_id: int, account_id: int, code: str, client: Origin
) -> str:
    """Check a TOTP or backup code for a half-logged-in session; then a new session id."""
    now = _now()
    key = f"second-factor:{account_id}"
    await _begin_attempt({key: rules.PER_SECOND_FACTOR}, now)
    account = await queries.account_by_id(account_id)
    if account is None or account["totp_secret"] is None:
        raise FormErrors({"code": "Two-factor authentication is not set up for this account."})
    if not await _second_factor_accepted(account, code, now):
        raise FormErrors({"code": "This code is not valid, or was used already."})
    await queries.forget_failures(key)
    async with DB.transaction():
        await queries.end_session(session_id, now)
        return await start_session(account_id, client)


async def _second_factor_accepted(account: dict, code: str, now: datetime) -> bool:
    step = rules.accepted_totp_step(account["totp_secret"], code, now, account["totp_last_step"])
    if step is not None:
        return await queries.claim_totp_step(account["id"], step)
    if rules.looks_like_backup_code(code):
        return await queries.use_backup_code(account["id"], rules.backup_code_hash(code), now)
    return False


async def log_out(session_id: int) -> None:
    await queries.end_session(session_id, _now())


async def end_other_session(settings: Settings, current: Current, session_id: int) -> None:
    """End another of the person's live sessions (404 for anyone else's, or none)."""
    found = await queries.live_session(session_id, settings.session_idle, settings.session_absolute)
    session = SessionResource(
        owner_id=found["account"] if found else None,
        in_use=session_id == current.session_id,
    )
    require(current.actor, Action.END_SESSION, session)
    await log_out(session_id)


# --- password reset and change -------------------------------------------------------------


async def request_password_reset(settings: Settings, email: str) -> None:
    """Mail a reset link if the address has an account; the caller says the same either way."""
    account = await queries.account_by_email(email.strip())
    if account is None:
        return
    recent = await queries.password_resets_since(account["id"], _now() - timedelta(hours=1))
    if not rules.may_send_reset_link(recent):
        return  # no flood of mail to the owner; the page says the same
    token = new_token()
    link = page_url(settings, "accounts.password.reset", token=token)
    async with DB.transaction():  # the link is mailed exactly when it exists
        await queries.lock_account(account["id"])
        await queries.use_password_resets(account["id"], _now())  # the newest link only
        await queries.insert_password_reset(
            account["id"], token_hash(token), _now() + PASSWORD_RESET_LIFETIME
        )
        await queue_mail(
            Mail(
                account["email"],
                "Reset your Partner Portal password",
                f"Hello {account['full_name']},\n\n"
                f"Someone (hopefully you) asked to reset the password of your Partner Portal "
                f"account. Choose a new password here within the next hour:\n\n{link}\n\n"
                f"If you did not ask for this, ignore this message: your password stays as "
                f"it is.\n",
            ),
            awaited=True,
        )


async def password_reset_is_usable(token: str) -> bool:
    return await queries.usable_password_reset(token_hash(token), _now()) is not None


async def reset_password(settings: Settings, token: str, new_password: str) -> None:
    now = _now()
    async with DB.transaction():
        reset = await queries.usable_password_reset(token_hash(token), now)
        if reset is None:
            raise FormErrors({"token": "This link has expired or was used already."})
        account = await queries.account_by_id(reset["account"])
        _require_good_password(new_password, account)
        await queries.set_password_hash(account["id"], hash_password(new_password), now)
        await queries.end_sessions_of(account["id"], now)
        # Whoever holds the mailbox is the owner: an attacker's failures no longer lock them out.
        await queries.forget_failures(f"account:{account['email']}")
        await _mail_password_changed(settings, account)


async def change_password(
    settings: Settings,
    account_id: int,
    session_id: int,
    current_password: str,
    new_password: str,
) -> None:
    account = await _account_with_password(
        account_id, current_password, "current_password", "This is not your current password."
    )
    _require_good_password(new_password, account, field="new_password")
    now = _now()
    async with DB.transaction():
        await queries.set_password_hash(account_id, hash_password(new_password), now)
        await queries.end_sessions_of(account_id, now, keep=session_id)
        await _mail_password_changed(settings, account)


def _require_good_password(password: str, account: dict, field: str = "password") -> None:
    problem = rules.password_problem(password, email=account["email"], name=account["full_name"])
    if problem:
        raise FormErrors({field: problem})


async def _mail_password_changed(settings: Settings, account: dict) -> None:
    """Queued in the change's transaction: no notice of a change that was rolled back."""
    await queue_mail(
        Mail(
            account["email"],
            "Your Partner Portal password was changed",
            f"Hello {account['full_name']},\n\nThe password of your Partner Portal account was "
            f"just changed, and your other sessions were ended. If this was not you, reset "
            f"your password now: {page_url(settings, 'accounts.password.forgot')}\n",
        )
    )


async def confirm_password(account_id: int, password: str) -> None:
    """Re-authentication before a sensitive action."""
    await _account_with_password(account_id, password, "password", "This is not your password.")


SECOND_FACTOR_NEEDED = "Enter the code of your authenticator app, or a backup code."


async def confirm_identity(account_id: int, password: str, code: str) -> None:
    """Re-authentication before a sensitive action that also asks the second factor when it
    is on (a payout): the password, then a fresh TOTP or backup code."""
    account = await _account_with_password(
        account_id, password, "password", "This is not your password."
    )
    if account["totp_secret"] is None:
        return
    if not code.strip():
        raise FormErrors({"code": SECOND_FACTOR_NEEDED})
    key = f"second-factor:{account_id}"
    await _begin_attempt({key: rules.PER_SECOND_FACTOR}, _now())
    if not await _second_factor_accepted(account, code.strip(), _now()):
        raise FormErrors({"code": "This code is not valid, or was used already."})
    await queries.forget_failures(key)


async def _account_with_password(account_id: int, password: str, field: str, problem: str) -> dict:
    """The account, once PASSWORD is proved to be its password. Throttled like a login, so a
    session left open (or stolen) is no oracle to guess the password with."""
    key = f"password-check:{account_id}"
    await _begin_attempt({key: rules.PER_ACCOUNT}, _now())
    account = await queries.account_by_id(account_id)
    if account is None or not verify_password(account["password_hash"], password):
        raise FormErrors({field: problem})
    await queries.forget_failures(key)
    return account


# --- two-factor set-up ---------------------------------------------------------------------


async def begin_totp_setup(account_id: int) -> str:
    secret = rules.new_totp_secret()
    await queries.set_pending_totp_secret(account_id, secret)
    return secret


async def confirm_totp_setup(account_id: int, password: str, code: str) -> list[str]:
    """Turn 2FA on once the user proves who they are (their password, as turning it off asks)
    and that their app has the secret; returns the backup codes, shown once (only their
    hashes are kept)."""
    account = await _account_with_password(
        account_id, password, "password", "This is not your password."
    )
    secret = account["totp_pending_secret"]
    if secret is None:
        raise FormErrors({"code": "Start the set-up again: no key is waiting for confirmation."})
    step = rules.accepted_totp_step(secret, code, _now(), 0)
    if step is None:
        raise FormErrors({"code": "This code does not match. Check your app's clock and retry."})
    codes = rules.new_backup_codes()
    async with DB.transaction():
        await queries.enable_totp(
            account_id, secret, step, [rules.backup_code_hash(c) for c in codes]
        )
        await queue_mail(
            Mail(
                account["email"],
                "Two-factor authentication is on",
                "Two-factor authentication was turned on for your Partner Portal account. "
                "Keep your backup codes somewhere safe.\n",
            )
        )
    return codes


async def disable_totp(settings: Settings, account_id: int, password: str) -> None:
    await confirm_password(account_id, password)
    account = await queries.account_by_id(account_id)
    async with DB.transaction():
        await queries.disable_totp(account_id)
        await queue_mail(
            Mail(
                account["email"],
                "Two-factor authentication is off",
                "Two-factor authentication was turned off for your Partner Portal account. "
                "If this was not you, reset your password now: "
                f"{page_url(settings, 'accounts.password.forgot')}\n",
            )
        )


async def regenerate_backup_codes(account_id: int, password: str) -> list[str]:
    await confirm_password(account_id, password)
    account = await queries.account_by_id(account_id)
    if account["totp_secret"] is None:
        raise FormErrors({"password": "Two-factor authentication is not on."})
    codes = rules.new_backup_codes()
    async with DB.transaction():
        await queries.enable_totp(
            account_id,
            account["totp_secret"],
            account["totp_last_step"],
            [rules.backup_code_hash(c) for c in codes],
        )
    return codes


# --- signing up ----------------------------------------------------------------------------


async def sign_up_invited(full_name: str, email: str, password: str, client: Origin) -> int:
    """An account for someone who arrives by invitation (they join, rather than create, an
    organisation); returns the account id."""
    problem = rules.password_problem(password, email=email, name=full_name)
    if problem:
        raise FormErrors({"password": problem})
    account_id = await queries.insert_account(email, full_name, hash_password(password))
    if account_id is None:
        raise FormErrors({"email": "An account with this address exists already: log in."})
    return account_id


# --- API tokens (docs/rules.md, The API) ---------------------------------------------------


@dataclass(frozen=True)
class TokenRequest:
    name: str
    organisation_id: int
    expires_in_days: int | None
    scopes: frozenset[str]


def token_request_problems(request: TokenRequest, organisations: set[int]) -> dict[str, str]:
    problems = {}
    if request.organisation_id not in organisations:
        problems["organisation"] = "Choose one of your organisations."
    if not request.scopes:
        problems["scopes"] = "Give the token access to at least one area."
    return problems


async def create_api_token(
    account_id: int,
    request: TokenRequest,
    organisations: set[int],
    *,
    confirmed_by: tuple[str, str] | None,
) -> str:
    """A new token for one of the person's ORGANISATIONS, once they confirmed who they are
    (CONFIRMED_BY: their password and second-factor code; None only for an operator at the
    command line). The token is returned once: only its hash is kept."""
    problems = token_request_problems(request, organisations)
    if problems:
        raise FormErrors(problems)
    if confirmed_by is not None:
        await confirm_identity(account_id, *confirmed_by)
    account = await queries.account_by_id(account_id)
    token = rules.new_api_token()
    async with DB.transaction():
        await queries.insert_api_token(
            {
                "token_hash": token_hash(token),
                "prefix": token[: rules.API_TOKEN_PREFIX_SHOWN],
                "account": account_id,
                "organisation_id": request.organisation_id,
                "name": request.name,
                "scopes": sorted(request.scopes),
                "expires_at": rules.api_token_expiry(_now(), request.expires_in_days),
            }
        )
        await queue_mail(
            Mail(
                account["email"],
                "A new API token was created for your Partner Portal account",
                f'Hello {account["full_name"]},\n\nThe API token "{request.name}" was just '
                "created for your Partner Portal account. Programs holding it act with your "
                "rights, within its scopes. If this was not you, revoke it on your security "
                "page and change your password.\n",
            )
        )
    return token


async def revoke_api_token(account_id: int, token_id: int) -> None:
    """The person's own token stops working at once; another's, or none, is NotFound."""
    if not storable_id(token_id) or not await queries.revoke_api_token(
        account_id, token_id, _now()
    ):
        raise NotFound()
