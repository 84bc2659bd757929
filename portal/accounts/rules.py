"""Pure rules of accounts: passwords, tokens, sessions, login throttling, second factor."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import pyotp
import ua_parser

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
BACKUP_CODE_COUNT = 10
TOTP_PERIOD_SECONDS = 30


# --- passwords -----------------------------------------------------------------------------


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why PASSWORD is refused, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"Use at least {PASSWORD_MIN_LENGTH} characters."
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"Use at most {PASSWORD_MAX_LENGTH} characters."
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 3:
        return "This password is too common; choose one that is harder to guess."
    personal = {email.lower(), email.split("@")[0].lower(), name.lower().replace(" ", "")}
    if lowered in personal - {""}:
        return "Don't use your name or email address as your password."
    return None


ACTOR_LABEL_LENGTH = 320  # audit_event.actor_name


def actor_label(full_name: str, email: str) -> str:
    """`Name <email>` for the audit log, the name shortened so that the whole fits its column
    (a 200-character name and a 254-character address do not)."""
    address = f" <{email.lower()}>"
    room = max(0, ACTOR_LABEL_LENGTH - len(address))
    name = full_name if len(full_name) <= room else full_name[: max(0, room - 1)] + "…"
    return (name + address)[:ACTOR_LABEL_LENGTH]


# --- tokens --------------------------------------------------------------------------------


# --- password reset ------------------------------------------------------------------------

RESET_LINKS_PER_HOUR = 3


def may_send_reset_link(sent_in_the_last_hour: int) -> bool:
    """A few links an hour is plenty for a person; more would let anyone flood their mailbox."""
    return sent_in_the_last_hour < RESET_LINKS_PER_HOUR


# --- sessions ------------------------------------------------------------------------------


def session_is_alive(
    *,
    created_at: datetime,
    last_seen_at: datetime,
    now: datetime,
    idle: timedelta,
    absolute: timedelta,
) -> bool:
    return now - last_seen_at < idle and now - created_at < absolute


def device_label(user_agent: str) -> str:
    """What a person recognises of a session's browser ("Chrome on Linux", "curl") rather
    than the user agent, a long technical string."""
    parsed = ua_parser.parse(user_agent) if user_agent else None
    browser = parsed.user_agent.family if parsed and parsed.user_agent else ""
    system = parsed.os.family if parsed and parsed.os else ""
    if browser and system and browser != system:
        return f"{browser} on {system}"
    if system:  # a browser named after its system is that system's own
        return f"A browser on {system}"
    if browser:
        return browser
    return "Unknown device"


# --- login throttling ----------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottleRule:
    """FREE failures within WINDOW cost nothing; each one beyond doubles the wait."""

    free: int
    window: timedelta = timedelta(minutes=15)
    longest_wait: timedelta = timedelta(minutes=15)


PER_IP = ThrottleRule(free=20)
PER_ACCOUNT = ThrottleRule(free=5)  # not applied on a device this account logged in from
PER_SECOND_FACTOR = ThrottleRule(free=5)
# Failures older than every rule's window count for nothing and can go.
FAILURES_KEPT = max(rule.window for rule in (PER_IP, PER_ACCOUNT, PER_SECOND_FACTOR))


def wait_before_next_attempt(
    rule: ThrottleRule, failures: int, last_failure: datetime | None, now: datetime
) -> timedelta:
    """How long an attempt must still wait; zero when it may go ahead."""
    excess = failures - rule.free
    if excess < 0 or last_failure is None:
        return timedelta(0)
    # The exponent is capped: 2**40 s already exceeds any cap, and timedelta overflows later.
    wait = min(timedelta(seconds=2 ** min(excess, 40)), rule.longest_wait)
    return max(timedelta(0), last_failure + wait - now)


def device_token(secret: str, account_id: int) -> str:
    """A cookie marking a device this account has logged in from (exempt from PER_ACCOUNT),
    so an attacker hammering the account cannot lock its owner out."""
    signature = hmac.new(secret.encode(), f"device:{account_id}".encode(), "sha256").hexdigest()
    return f"{account_id}.{signature}"


def device_account(secret: str, cookie: str | None) -> int | None:
    """The account a genuine device cookie names; None for anything else, however odd."""
    if not cookie or "." not in cookie:
        return None
    account_part = cookie.split(".", 1)[0]
    # ASCII digits only ("²".isdigit() is true), and short enough for int() and the database.
    if not (account_part.isascii() and account_part.isdigit() and len(account_part) <= 12):
        return None
    account_id = int(account_part)
    expected = device_token(secret, account_id).encode()
    return account_id if hmac.compare_digest(cookie.encode(), expected) else None


# --- second factor -------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="Partner Portal")


def totp_step(moment: datetime) -> int:
    return int(moment.timestamp()) // TOTP_PERIOD_SECONDS


def accepted_totp_step(secret: str, code: str, now: datetime, last_step: int) -> int | None:
    """The step CODE belongs to (this one or a neighbour, for clock drift), or None.
    A step at or before LAST_STEP was used already: a code works once."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp_step(now)
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


BACKUP_CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
BACKUP_CODE_LENGTH = 10


def new_backup_codes() -> list[str]:
    """Ten single-use codes of 10 characters (about 50 bits each): `xxxxx-xxxxx`."""
    codes = []
    for _ in range(BACKUP_CODE_COUNT):
        raw = "".join(secrets.choice(BACKUP_CODE_ALPHABET) for _ in range(BACKUP_CODE_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def normalise_backup_code(code: str) -> str:
    """A code as typed, in any case, with or without its dash or spaces, as it was made."""
    return "".join(code.split()).replace("-", "").lower()


def backup_code_hash(code: str) -> str:
    """Codes carry 50 random bits, so a fast hash suffices (no dictionary to try)."""
    return hashlib.sha256(normalise_backup_code(code).encode()).hexdigest()


def looks_like_backup_code(code: str) -> bool:
    normalised = normalise_backup_code(code)
    return len(normalised) == BACKUP_CODE_LENGTH and set(normalised) <= set(BACKUP_CODE_ALPHABET)


# --- API tokens (docs/rules.md, The API) ---------------------------------------------------

API_TOKEN_PREFIX = "ppt_"  # recognisable by secret scanners and by the person in a list
API_TOKEN_PREFIX_SHOWN = 10  # characters kept in the clear to tell tokens apart
API_TOKEN_EXPIRIES = {"30": 30, "90": 90, "365": 365, "never": None}  # days
API_TOKEN_EXPIRY_LABELS = {
    "30": "In 30 days",
    "90": "In 90 days",
    "365": "In a year",
    "never": "Never",
}
API_TOKEN_NAME_MAX = 100
API_REQUESTS_PER_MINUTE = 60
API_MINUTE = timedelta(minutes=1)


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def looks_like_api_token(text: str) -> bool:
    """A bearer value worth a look-up: our prefix and URL-safe characters, of our length."""
    body = text[len(API_TOKEN_PREFIX) :]
    return (
        text.startswith(API_TOKEN_PREFIX)
        and 20 <= len(body) <= 64
        and all(c.isascii() and (c.isalnum() or c in "-_") for c in body)
    )


def api_token_expiry(now: datetime, days: int | None) -> datetime | None:
    return None if days is None else now + timedelta(days=days)


@dataclass(frozen=True)
class RateLimit:
    """Where a token stands in its minute after a request: whether that request is answered,
    and what the RateLimit-* headers say (docs/rules.md, The API)."""

    admitted: bool
    limit: int
    remaining: int
    reset_seconds: int  # until its minute ends and the count starts again


def rate_limit(minute_started_at: datetime, requests: int, now: datetime, limit: int) -> RateLimit:
    """REQUESTS is the count of the token's current minute including this request, as the
    database counted it (it stops at LIMIT + 1: a refused request is not counted further)."""
    ends = minute_started_at + API_MINUTE
    reset = max(1, math.ceil((ends - now).total_seconds()))
    return RateLimit(requests <= limit, limit, max(0, limit - requests), reset)
