"""Settings read from the environment into a frozen dataclass; nothing is built at import."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from portal.proxies import Network, trusted_networks


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "partner-portal"


@dataclass(frozen=True)
class HostAccount:
    """The host's bank account and address: the creditor of deposits' QR-bills (a QR-IBAN
    takes QR references, any other IBAN creditor references) and the debtor of payouts."""

    name: str = "Cloud Host SA"
    street: str = "Rue du Lac"
    house_number: str = "12"
    postcode: str = "1201"
    city: str = "Genève"
    country: str = "CH"
    qr_iban: str = "CH4431999123000889012"  # deposits are paid to it
    iban: str = "CH9300762011623852957"  # payouts are paid from it
    bic: str = "UBSWCHZH80A"

    @classmethod
    def from_env(cls, env) -> HostAccount:
        fields = {
            "name": "PORTAL_HOST_NAME",
            "street": "PORTAL_HOST_STREET",
            "house_number": "PORTAL_HOST_HOUSE_NUMBER",
            "postcode": "PORTAL_HOST_POSTCODE",
            "city": "PORTAL_HOST_CITY",
            "country": "PORTAL_HOST_COUNTRY",
            "qr_iban": "PORTAL_HOST_DEPOSIT_IBAN",
            "iban": "PORTAL_HOST_PAYOUT_IBAN",
            "bic": "PORTAL_HOST_PAYOUT_BIC",
        }
        return cls(**{key: env[name] for key, name in fields.items() if env.get(name)})


@dataclass(frozen=True)
class Settings:
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    database_url: str | None = None
    data_dir: Path = Path("var")
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Partner Portal <no-reply@partner-portal.local>"
    session_idle: timedelta = timedelta(minutes=30)
    session_absolute: timedelta = timedelta(hours=12)
    database_pool_size: int = 10
    # A job whose worker sent no heartbeat for this long is taken again by another worker.
    job_heartbeat: timedelta = timedelta(seconds=30)
    directory_cache: bool = True  # keep rendered public directory pages in the process
    directory_version_ttl: float = 0.0  # seconds a worker trusts the directory version it read
    trusted_proxies: tuple[Network, ...] = ()  # whose X-Forwarded-For names the client
    # Development mode (`portal serve --demo`, the tests): the staff's mail outbox page exists.
    # Production never has it: the outbox holds reset links and invitation tokens.
    development: bool = False
    host_account: HostAccount = HostAccount()
    api_requests_per_minute: int = 60  # per API token (docs/rules.md, The API)

    @classmethod
    def from_env(cls, env: os._Environ[str] | dict[str, str] = os.environ) -> Settings:
        secret = env.get("PORTAL_SECRET_KEY")
        if not secret:
            raise RuntimeError("PORTAL_SECRET_KEY is not set; `portal serve` sets it for you.")
        return cls(
            secret_key=secret,
            base_url=env.get("PORTAL_BASE_URL", cls.base_url).rstrip("/"),
            database_url=env.get("DATABASE_URL") or None,
            data_dir=Path(env.get("PORTAL_DATA_DIR") or default_data_dir()),
            smtp_host=env.get("SMTP_HOST") or None,
            smtp_port=int(env.get("SMTP_PORT", "25")),
            smtp_username=env.get("SMTP_USERNAME") or None,
            smtp_password=env.get("SMTP_PASSWORD") or None,
            smtp_starttls=env.get("SMTP_STARTTLS", "") in {"1", "true", "yes"},
            mail_from=env.get("MAIL_FROM", cls.mail_from),
            session_idle=timedelta(minutes=int(env.get("PORTAL_SESSION_IDLE_MINUTES", "30"))),
            session_absolute=timedelta(hours=int(env.get("PORTAL_SESSION_ABSOLUTE_HOURS", "12"))),
            database_pool_size=int(env.get("PORTAL_DB_POOL_SIZE", "10")),
            job_heartbeat=timedelta(seconds=float(env.get("PORTAL_JOB_HEARTBEAT_SECONDS", "30"))),
            directory_cache=env.get("PORTAL_DIRECTORY_CACHE", "1") not in {"0", "false", "no"},
            directory_version_ttl=float(env.get("PORTAL_DIRECTORY_VERSION_TTL", "1")),
            trusted_proxies=trusted_networks(env.get("PORTAL_TRUSTED_PROXIES", "")),
            development=env.get("PORTAL_DEVELOPMENT", "") in {"1", "true", "yes"},
            host_account=HostAccount.from_env(env),
            api_requests_per_minute=int(env.get("PORTAL_API_REQUESTS_PER_MINUTE", "60")),
        )
