"""People who log in, their sessions and their second factor."""

from piccolo.columns import (
    Array,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Account(Table, tablename="account"):
    email = Varchar(length=320, unique=True)  # stored lower-cased
    full_name = Varchar(length=200)
    password_hash = Text()
    totp_secret = Varchar(length=64, null=True, default=None)
    totp_pending_secret = Varchar(length=64, null=True, default=None)
    totp_last_step = Integer(default=0)  # a TOTP code is accepted once: its step must be newer
    is_staff = Boolean(default=False)  # a person of the host: reviews applications
    created_at = Timestamptz(default=TimestamptzNow())


class BackupCode(Table, tablename="backup_code"):
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    code_hash = Varchar(length=64)
    used_at = Timestamptz(null=True, default=None)


class WebSession(Table, tablename="web_session"):
    """A server-side session; the cookie holds a token, the table only its SHA-256."""

    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    organisation_id = Integer(null=True, default=None)  # the organisation being acted in
    second_factor_pending = Boolean(default=False)
    user_agent = Varchar(length=300, default="")
    ip_address = Varchar(length=64, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    last_seen_at = Timestamptz(default=TimestamptzNow())
    ended_at = Timestamptz(null=True, default=None)


class PasswordReset(Table, tablename="password_reset"):
    token_hash = Varchar(length=64, unique=True)
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class LoginFailure(Table, tablename="login_failure"):
    """One failed attempt under a throttle key (`ip:…`, `account:…`, `second-factor:…`)."""

    throttle_key = Varchar(length=400, index=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class ApiToken(Table, tablename="api_token"):
    """A person's token for the API, for one organisation (docs/rules.md, The API). The table
    keeps only its SHA-256; the token is shown once, when it is made. Its owner's rights are
    read afresh on every request, narrowed by its scopes; the minute that counts its requests
    (60 at most) is kept here, so that every server process counts the same requests."""

    token_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)  # the token's first characters, to recognise it in the list
    account = ForeignKey(Account, on_delete=OnDelete.cascade, index=True)
    organisation_id = Integer()  # the organisation it acts in (its owner must still belong)
    name = Varchar(length=100)
    scopes = Array(Varchar(length=40))  # area:read | area:write
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(null=True, default=None)  # None: never
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)
    last_used_ip = Varchar(length=64, default="")
    minute_started_at = Timestamptz(null=True, default=None)  # the rate limit's current minute
    minute_requests = Integer(default=0)  # requests answered in it
