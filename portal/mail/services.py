"""Sending mail: every message is written to the outbox, then handed to SMTP if one is set.

Two ways: `send_mail` hands it over at once, in the request, and keeps a refusal's error
without trying again; `queue_mail` writes it inside the transaction of the change it tells
of and leaves the handing over to the worker, which tries again while SMTP fails (the
tenders' mails: an acceptance tells every quoting partner, and no request waits for SMTP).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib

from portal.jobs.queue import enqueue
from portal.mail import rules
from portal.mail.tables import OutboxMail
from portal.piccolo_conf import DB
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


# The worker's job that hands a queued mail to SMTP (declared in portal/mail/jobs.py).
DELIVER_MAIL = "mail.deliver"


class MailNotDelivered(Exception):
    """SMTP did not take a queued mail; PERMANENT when trying again would not help."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


async def queue_mail(mail: Mail) -> int:
    """Write MAIL to the outbox and queue its delivery, in the caller's transaction: it leaves
    only once the change that caused it is committed, never if that is rolled back, and the
    request does not wait for SMTP. Returns the outbox row's id."""
    async with DB.transaction():  # the caller's, when there is one
        rows = await OutboxMail.insert(
            OutboxMail(recipient=mail.recipient, subject=mail.subject, body=mail.body)
        ).returning(OutboxMail.id)
        outbox_id = rows[0]["id"]
        await enqueue(DELIVER_MAIL, {"outbox_id": outbox_id})
    return outbox_id


async def deliver_queued_mail(settings: Settings, outbox_id: int) -> bool:
    """The worker hands a queued mail to SMTP, once: a mail already sent (a retry, a job
    taken again after its worker died) or purged since is left alone, and so is every mail
    when no SMTP server is set (the development outbox shows it). Raises MailNotDelivered
    when SMTP refuses it, with the error kept on the row. Whether it was sent now."""
    row = (
        await OutboxMail.select(
            OutboxMail.recipient, OutboxMail.subject, OutboxMail.body, OutboxMail.sent_at
        )
        .where(OutboxMail.id == outbox_id)
        .first()
    )
    if row is None or row["sent_at"] is not None or settings.smtp_host is None:
        return False
    try:
        await _deliver(settings, Mail(row["recipient"], row["subject"], row["body"]))
    except (aiosmtplib.SMTPException, OSError, ValueError) as error:
        await record_delivery_error(outbox_id, str(error))
        raise MailNotDelivered(str(error), permanent=rules.is_permanent(error)) from error
    await OutboxMail.update({OutboxMail.sent_at: datetime.now(UTC), OutboxMail.error: ""}).where(
        OutboxMail.id == outbox_id
    )
    return True


async def record_delivery_error(outbox_id: int, error: str) -> None:
    await OutboxMail.update({OutboxMail.error: error[:1000]}).where(OutboxMail.id == outbox_id)


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
