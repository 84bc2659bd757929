"""Sending mail: every message is written to the outbox, then handed to SMTP if one is set."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib

from portal.mail.tables import OutboxMail
from portal.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    recipient: str
    subject: str
    body: str


async def send_mail(settings: Settings, mail: Mail) -> None:
    """Record MAIL and deliver it. Call after the transaction that caused it has committed,
    so no mail speaks of a change that was rolled back. A failed delivery is kept with its
    error rather than failing the user's request."""
    row = OutboxMail(recipient=mail.recipient, subject=mail.subject, body=mail.body)
    await row.save()
    if settings.smtp_host is None:
        return
    try:
        await _deliver(settings, mail)
    except (aiosmtplib.SMTPException, OSError, ValueError) as error:  # ValueError: a bad header
        log.warning("Mail to %s not delivered: %s", mail.recipient, error)
        await OutboxMail.update({OutboxMail.error: str(error)[:1000]}).where(
            OutboxMail.id == row.id
        )
        return
    await OutboxMail.update({OutboxMail.sent_at: datetime.now(UTC)}).where(OutboxMail.id == row.id)


async def _deliver(settings: Settings, mail: Mail) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.recipient
    message["Subject"] = " ".join(mail.subject.split())  # a subject is one line
    message.set_content(mail.body)
    await aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
        timeout=10,
    )


async def recent_outbox(limit: int = 100) -> list[dict]:
    return await OutboxMail.select().order_by(OutboxMail.id, ascending=False).limit(limit)
