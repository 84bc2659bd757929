"""Pure rules of mail delivery: which failures trying again could mend, which point at the
portal's own SMTP settings, and the Message-ID that lets receivers drop a duplicate."""

from __future__ import annotations

import re
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

import aiosmtplib

# SMTP reply codes from 500 up refuse for good; 530 asks for STARTTLS or a login first.
PERMANENT_REPLY = 500
AUTHENTICATION_REQUIRED = 530
# A recipient refused because the server does not relay for an unauthenticated client.
_RELAY_REFUSAL = re.compile(r"relay|authenticat", re.IGNORECASE)


def is_permanent(error: Exception) -> bool:
    """Whether ERROR, raised while handing a mail to SMTP, would happen again on a retry
    whatever anyone does: only a 5xx refusal of all the mail's recipients or of its content
    (DATA), or a malformed mail (a bad header: ValueError). A failure of the portal's own
    SMTP settings (configuration_problem) is not: once they are fixed every waiting mail
    must go, so it is tried again, like a connection refused, a timeout or a 4xx."""
    if configuration_problem(error) is not None:
        return False
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(is_permanent(r) for r in error.recipients)
    if isinstance(error, (aiosmtplib.SMTPRecipientRefused, aiosmtplib.SMTPDataError)):
        return error.code >= PERMANENT_REPLY
    return isinstance(error, ValueError)


def configuration_problem(error: Exception) -> str | None:
    """What in the portal's SMTP settings ERROR points at (to log loudly and keep on the
    mail), or None when it is about this mail or a passing failure."""
    if isinstance(error, ssl.SSLError):  # before ValueError: a certificate error is both
        return "TLS with the mail server failed (its certificate, or SMTP_STARTTLS)"
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return "the mail server refused the portal's login (SMTP_USERNAME, SMTP_PASSWORD)"
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        found = (configuration_problem(refusal) for refusal in error.recipients)
        return next((problem for problem in found if problem), None)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return _refusal_problem(error)
    if type(error) is aiosmtplib.SMTPException:  # STARTTLS or AUTH not offered by the server
        return f"the mail server does not offer what the portal's settings ask for ({error})"
    return None


def _refusal_problem(error: aiosmtplib.SMTPResponseException) -> str | None:
    if error.code == AUTHENTICATION_REQUIRED:
        return (
            "the mail server asks for STARTTLS or a login first "
            "(SMTP_STARTTLS, SMTP_USERNAME, SMTP_PASSWORD)"
        )
    if error.code < PERMANENT_REPLY:
        return None
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        if _RELAY_REFUSAL.search(error.message):
            return (
                "the mail server does not relay the portal's mail (a login, or its relay settings)"
            )
        return None
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return "the mail server refused the portal's sender address (MAIL_FROM)"
    if isinstance(error, aiosmtplib.SMTPDataError):
        return None
    return "the mail server refused the portal's session (SMTP_HOST, SMTP_PORT, SMTP_STARTTLS)"


# A worker handing a queued mail to SMTP holds it this long; the hand-over itself is cut off
# well before (SEND_TIMEOUT), so a claim never runs out while its mail is still being sent.
SENDING_CLAIM = timedelta(minutes=2)
SEND_TIMEOUT = timedelta(seconds=60)


FALLBACK_DOMAIN = "partner-portal.local"
_DOMAIN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def message_id(outbox_id: int, created_at: datetime, mail_from: str, base_url: str) -> str:
    """The Message-ID of an outbox row, the same on every try: SMTP delivers at least once
    (a reply lost after the server took the mail means sending it again), and receivers
    drop a second copy with the same Message-ID. The row's creation time keeps it unique
    where ids alone repeat: a staging and a production portal sending from one domain, a
    database restored or recreated. The domain is the sender's, else the portal's host."""
    local, at, domain = parseaddr(mail_from)[1].rpartition("@")
    if not (local and at and _DOMAIN.fullmatch(domain)):
        domain = urlsplit(base_url).hostname or ""
    if not _DOMAIN.fullmatch(domain):
        domain = FALLBACK_DOMAIN
    created = created_at.astimezone(UTC).strftime("%Y%m%d%H%M%S%f")
    return f"<outbox-{outbox_id}.{created}@{domain}>"


def held_mail_notice(smtp_host: str | None, development: bool) -> str | None:
    """What a portal starting without a mail server says on stderr (None: it has one). In
    production, loudly: nobody receives a reset link, an invitation or a notice."""
    if smtp_host:
        return None
    if development:
        return (
            "Development mode: no SMTP server (SMTP_HOST) is set; the mails stay in the "
            "outbox, which staff read at /dev/outbox."
        )
    rule = "!" * 78
    return (
        f"{rule}\n"
        "!! NO MAIL SERVER: SMTP_HOST is not set. The portal's mails (password resets,\n"
        "!! invitations, notices) stay queued in the outbox and NOBODY RECEIVES THEM.\n"
        "!! Set SMTP_HOST (and SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD) and restart.\n"
        f"{rule}"
    )
