"""People who log in, their sessions and their second factor."""

from piccolo.columns import (
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
