"""Pure rules of mail delivery: which failures trying again could mend."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

import aiosmtplib

# SMTP reply codes from 500 up are permanent: the same mail would be refused again.
PERMANENT_REPLY = 500


def is_permanent(error: Exception) -> bool:
    """Whether ERROR, raised while handing a mail to SMTP, would happen again on a retry:
    a malformed mail (a bad header), or a 5xx refusal of the mail or of all its recipients.
    A connection refused, a timeout or a 4xx (try later) is worth trying again."""
    if isinstance(error, ValueError):
        return True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(is_permanent(r) for r in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return error.code >= PERMANENT_REPLY
    return False


# A worker handing a queued mail to SMTP holds it this long; the hand-over itself is cut off
# well before (SEND_TIMEOUT), so a claim never runs out while its mail is still being sent.
SENDING_CLAIM = timedelta(minutes=2)
SEND_TIMEOUT = timedelta(seconds=60)


FALLBACK_DOMAIN = "partner-portal.local"
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def message_id(outbox_id: int, mail_from: str, base_url: str) -> str:
    """The Message-ID of the outbox row OUTBOX_ID, the same on every try: SMTP delivers at
    least once (a reply lost after the server took the mail means sending it again), and
    receivers drop a second copy with the same Message-ID. The domain is the sender's, else
    the portal's host."""
    local, at, domain = parseaddr(mail_from)[1].rpartition("@")
    if not (local and at and _DOMAIN.fullmatch(domain)):
        domain = urlsplit(base_url).hostname or ""
    if not _DOMAIN.fullmatch(domain):
        domain = FALLBACK_DOMAIN
    return f"<outbox-{outbox_id}@{domain}>"
