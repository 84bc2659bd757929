"""Pure rules of webhooks: the events, the endpoint's address, the signature, the retries."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from urllib.parse import urlsplit

from portal.outbound import is_local_name, refused_address


class EventType(StrEnum):
    LINK_REQUESTED = "link.requested"
    LINK_GRANTED = "link.granted"
    LINK_CHANGED = "link.changed"
    LINK_STOPPED = "link.stopped"
    PRODUCT_DELEGATED = "product.delegated"
    PRODUCT_WITHDRAWN = "product.withdrawn"
    INVOICE_ISSUED = "invoice.issued"
    INVOICE_CREDITED = "invoice.credited"
    CASHBACK_CREDITED = "cashback.credited"
    PAYOUT_APPROVED = "payout.approved"
    TENDER_ROUTED = "tender.routed"
    TENDER_DECIDED = "tender.decided"
    REPORT_READY = "report.ready"

    @property
    def label(self) -> str:
        return EVENT_LABELS[self]


EVENT_LABELS = {
    EventType.LINK_REQUESTED: "A link is requested (an invitation, or a client adding you)",
    EventType.LINK_GRANTED: "A link is granted or accepted",
    EventType.LINK_CHANGED: "A link's access changes",
    EventType.LINK_STOPPED: "A link is stopped",
    EventType.PRODUCT_DELEGATED: "Products are delegated",
    EventType.PRODUCT_WITHDRAWN: "Products are withdrawn",
    EventType.INVOICE_ISSUED: "An invoice is issued",
    EventType.INVOICE_CREDITED: "An invoice is credited",
    EventType.CASHBACK_CREDITED: "Cashback is credited",
    EventType.PAYOUT_APPROVED: "A payout is approved",
    EventType.TENDER_ROUTED: "A tender is sent to you",
    EventType.TENDER_DECIDED: "A tender is decided",
    EventType.REPORT_READY: "A report or billing feed is ready",
}

ENDPOINTS_PER_ORGANISATION = 10
URL_MAX = 500
DESCRIPTION_MAX = 200
NOT_HTTPS = "An endpoint is an https:// address, such as https://crm.example.ch/hooks/portal."
PRIVATE = "Private and local addresses are not reached; give a public https address."


def endpoint_url_problem(url: str, *, allow_private: bool = False) -> str | None:
    """Why URL cannot be an endpoint: https only, a host name (or, in a closed installation,
    a private address), no user name or password in it; the local names and private
    addresses the website check refuses (portal/outbound.py) are refused here too."""
    if len(url) > URL_MAX:
        return f"Use at most {URL_MAX} characters."
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname or "", parts.port
    except ValueError:
        return NOT_HTTPS
    if parts.scheme != "https" or not host or parts.username or parts.password:
        return NOT_HTTPS
    if parts.fragment:
        return "An endpoint's address has no #fragment."
    if allow_private:
        return None
    if is_local_name(host):
        return PRIVATE
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None if "." in host else PRIVATE
    return PRIVATE if refused_address(host) else None


# --- secrets and signatures ----------------------------------------------------------------

SECRET_PREFIX = "whsec_"
SECRET_OVERLAP = timedelta(hours=24)  # a rotated secret still signs for this long
SIGNATURE_HEADER = "Portal-Signature"
TOLERANCE = timedelta(minutes=5)  # what the README advises receivers to accept


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """HMAC-SHA256 over `TIMESTAMP.BODY`, hexadecimal."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secrets_in_force: list[str], timestamp: int, body: bytes) -> str:
    """`t=<unix seconds>,v1=<hex>[,v1=<hex>]`: one v1 per secret in force (the new one and,
    during a rotation's overlap, the previous one): a receiver accepts any."""
    parts = [f"t={timestamp}"] + [f"v1={signature(s, timestamp, body)}" for s in secrets_in_force]
    return ",".join(parts)


def verify(secret: str, header: str, body: bytes, now: datetime) -> bool:
    """What a receiver does (the tests do it): the timestamp is recent and one v1 matches."""
    fields = [part.split("=", 1) for part in header.split(",") if "=" in part]
    stamps = [value for key, value in fields if key == "t"]
    if len(stamps) != 1 or not stamps[0].isdigit():
        return False
    timestamp = int(stamps[0])
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, value) for key, value in fields if key == "v1")


def secrets_in_force(current: str, previous: str | None, previous_until, now) -> list[str]:
    if previous and previous_until is not None and now < previous_until:
        return [current, previous]
    return [current]


# --- retries ---------------------------------------------------------------------------------

RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
    timedelta(hours=4),
    timedelta(hours=8),
)
RETRIED_FOR = timedelta(days=1)
TIMEOUT_SECONDS = 10.0
RESPONSE_KEPT = 2000  # characters of an endpoint's answer kept with the attempt


class DeliveryStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    DELIVERED = "delivered"
    RETRYING = "retrying"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return DELIVERY_STATUS_LABELS[self]


DELIVERY_STATUS_LABELS = {
    DeliveryStatus.QUEUED: "Waiting to be sent",
    DeliveryStatus.SENDING: "Being sent",
    DeliveryStatus.DELIVERED: "Delivered",
    DeliveryStatus.RETRYING: "Will be tried again",
    DeliveryStatus.FAILED: "Not delivered",
}


def delivered(status_code: int | None) -> bool:
    """A 2xx answer; anything else (3xx is not followed) is tried again."""
    return status_code is not None and 200 <= status_code < 300


def next_attempt(attempts: int, first_attempt: datetime, now: datetime) -> datetime | None:
    """When to try again after ATTEMPTS failed attempts, or None: the day is over."""
    delay = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    moment = now + delay
    return moment if moment <= first_attempt + RETRIED_FOR else None


def jsonable(value):
    """A payload's values as JSON can carry them: exact amounts as text, days and times in
    ISO 8601."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
