"""Sending mail: every message is written to the outbox and handed to SMTP by the worker.

`queue_mail` writes it inside the transaction of the change it tells of and queues its
delivery (the `mail.deliver` job): it leaves only once that change is committed, never for
one rolled back, no request waits for SMTP, and the worker tries again while SMTP fails.
Without an SMTP server the mails stay in the outbox (the development outbox shows them).

A queued mail is delivered at least once, deduplicated by Message-ID: the worker claims its
row before handing it over and never sends it again once SMTP has taken it, but SMTP itself
may deliver twice (a reply lost after the server took the mail), so every message carries a
Message-ID stable for its outbox row (`rules.message_id`) by which receivers drop the copy.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage

import aiosmtplib
from piccolo.querystring import QueryString

from portal.jobs.queue import enqueue, enqueue_many
from portal.jobs.rules import AWAITED_MAIL_PRIORITY, MAIL_PRIORITY
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


# The worker's job that hands a queued mail to SMTP (declared in portal/mail/jobs.py).
DELIVER_MAIL = "mail.deliver"


class MailNotDelivered(Exception):
    """SMTP did not take a queued mail; PERMANENT when trying again would not help."""

    def __init__(self, reason: str, *, permanent: bool):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


SUBJECT_MAX = 300  # outbox_mail.subject


def fitted_subject(subject: str) -> str:
    """A subject made of two long names (a 200-character person inviting into a 200-character
    organisation) would not fit its column: it is shortened with an ellipsis; the body still
    names everything in full."""
    return subject if len(subject) <= SUBJECT_MAX else subject[: SUBJECT_MAX - 1] + "…"


async def queue_mail(mail: Mail, *, awaited: bool = False) -> int:
    """Write MAIL to the outbox and queue its delivery, in the caller's transaction: it leaves
    only once the change that caused it is committed, never if that is rolled back, and the
    request does not wait for SMTP. Mail is taken before reports; AWAITED mail (a link
    someone waits for) before other mail too. Returns the outbox row's id."""
    async with DB.transaction():  # the caller's, when there is one
        rows = await OutboxMail.insert(
            OutboxMail(
                recipient=mail.recipient, subject=fitted_subject(mail.subject), body=mail.body
            )
        ).returning(OutboxMail.id)
        outbox_id = rows[0]["id"]
        priority = AWAITED_MAIL_PRIORITY if awaited else MAIL_PRIORITY
        await enqueue(DELIVER_MAIL, {"outbox_id": outbox_id}, priority=priority)
    return outbox_id


async def queue_mails(mails: list[Mail]) -> list[int]:
    """Many mails at once, as `queue_mail` queues one (in the caller's transaction, never
    sent for a change rolled back): one statement writes them, one queues their deliveries.
    For digests a periodic job sends, where nobody waits: not AWAITED."""
    if not mails:
        return []
    async with DB.transaction():  # the caller's, when there is one
        rows = await OutboxMail.raw(
            """INSERT INTO outbox_mail (recipient, subject, body)
               SELECT * FROM unnest({}::text[], {}::text[], {}::text[]) RETURNING id""",
            [mail.recipient for mail in mails],
            [fitted_subject(mail.subject) for mail in mails],
            [mail.body for mail in mails],
        )
        ids = [row["id"] for row in rows]
        await enqueue_many(DELIVER_MAIL, [{"outbox_id": i} for i in ids], priority=MAIL_PRIORITY)
    return ids


async def deliver_queued_mail(settings: Settings, outbox_id: int) -> bool:
    """The worker hands a queued mail to SMTP, at least once, deduplicated by Message-ID
    (see the module's docstring). Whether it was sent now.

    The row is claimed first, in one statement: of two workers holding the same job (one
    taken again after a missed heartbeat) only one sends; the other is told the mail is in
    hand elsewhere (MailNotDelivered, worth trying again, in case that sending fails). A
    mail already sent or purged since is left alone. A worker without an SMTP server sends
    nothing and says so on the row (the development outbox shows it). Raises
    MailNotDelivered when SMTP refuses the mail, with the error kept on the row."""
    if settings.smtp_host is None:
        await _note_not_sent(outbox_id, NO_SMTP_FOR_THE_WORKER)
        return False
    claimed = await _claim(outbox_id)
    if claimed is None:
        if await _in_hand_elsewhere(outbox_id):
            raise MailNotDelivered(IN_HAND_ELSEWHERE, permanent=False)
        return False
    mail = Mail(claimed["recipient"], claimed["subject"], claimed["body"])
    try:
        await _deliver(settings, mail, _message_id(settings, outbox_id, claimed["created_at"]))
    except (aiosmtplib.SMTPException, OSError, ValueError) as error:
        reason = _failure(outbox_id, mail, error)
        await _release(outbox_id, reason)
        raise MailNotDelivered(reason, permanent=rules.is_permanent(error)) from error
    await _mark_sent(outbox_id)
    return True


# After SMTP took a mail, marking its row is tried again this often (seconds between tries).
MARK_SENT_DELAYS = (0.2, 1.0, 3.0)


async def _mark_sent(outbox_id: int) -> None:
    """SMTP has the mail: from here on, a failure may only cost the row's record, never a
    second sending. Whatever goes wrong is retried, then logged; the claim stays, so that
    a job taken again soon after leaves the mail alone."""
    sent = {
        OutboxMail.sent_at: datetime.now(UTC),
        OutboxMail.error: "",
        OutboxMail.sending_until: None,
    }
    for delay in (*MARK_SENT_DELAYS, None):
        try:
            await OutboxMail.update(sent).where(OutboxMail.id == outbox_id)
            return
        except Exception as error:  # any failure: raising would send the mail again
            if delay is None:
                log.error(
                    "Mail #%s was handed to the mail server but could not be marked sent (%r); "
                    "it is not sent again.",
                    outbox_id,
                    error,
                )
                return
            log.warning("Marking mail #%s sent failed (%r); trying again.", outbox_id, error)
            await asyncio.sleep(delay)


# Said on the row, so that whoever looks for the mail sees why it never left.
NO_SMTP_FOR_THE_WORKER = "Not sent: no SMTP server is configured for the worker (SMTP_HOST)."


async def _note_not_sent(outbox_id: int, note: str) -> None:
    noted = (
        await OutboxMail.update({OutboxMail.error: note})
        .where((OutboxMail.id == outbox_id) & OutboxMail.sent_at.is_null())
        .returning(OutboxMail.id)
    )
    if noted:
        log.warning("Mail #%s left unsent: %s", outbox_id, note)


# Mails held back by a worker without SMTP are queued again at most this many at a time.
RELEASE_BATCH = 500


async def release_held_mail(settings: Settings) -> int:
    """Once a worker has an SMTP server, the mails a worker without one held back (noted
    NO_SMTP_FOR_THE_WORKER) are queued for delivery again, oldest first, each once: the
    note is cleared in the transaction that queues the job. How many were queued."""
    if settings.smtp_host is None:
        return 0
    async with DB.transaction():
        rows = await DB.run_querystring(
            QueryString(
                """UPDATE outbox_mail SET error = '' WHERE id IN (
                       SELECT id FROM outbox_mail
                       WHERE sent_at IS NULL AND error = {}
                       ORDER BY id LIMIT {} FOR NO KEY UPDATE SKIP LOCKED)
                   RETURNING id""",
                NO_SMTP_FOR_THE_WORKER,
                RELEASE_BATCH,
            )
        )
        for row in sorted(rows, key=lambda row: row["id"]):
            await enqueue(DELIVER_MAIL, {"outbox_id": row["id"]}, priority=MAIL_PRIORITY)
    if rows:
        log.info("Queued %d mail(s) held while no SMTP server was configured.", len(rows))
    return len(rows)


IN_HAND_ELSEWHERE = "another worker is handing it to the mail server"


async def _claim(outbox_id: int) -> dict | None:
    """The unsent mail's row, claimed for rules.SENDING_CLAIM; None when it is sent, purged or
    claimed by another worker whose claim has not run out."""
    rows = await DB.run_querystring(
        QueryString(
            "UPDATE outbox_mail SET sending_until = now() + {} "
            "WHERE id = {} AND sent_at IS NULL "
            "AND (sending_until IS NULL OR sending_until < now()) "
            "RETURNING recipient, subject, body, created_at",
            rules.SENDING_CLAIM,
            outbox_id,
        )
    )
    return rows[0] if rows else None


async def _in_hand_elsewhere(outbox_id: int) -> bool:
    """After a failed claim: the row is there and unsent, so another worker holds it."""
    return await OutboxMail.exists().where(
        (OutboxMail.id == outbox_id) & OutboxMail.sent_at.is_null()
    )


async def _release(outbox_id: int, error: str) -> None:
    """Not sent: the claim ends, so that the job's next try may send it."""
    await OutboxMail.update({OutboxMail.error: error[:1000], OutboxMail.sending_until: None}).where(
        OutboxMail.id == outbox_id
    )


def _failure(outbox_id: int, mail: Mail, error: Exception) -> str:
    """What is kept on the row and logged: loudly when the portal's SMTP settings are at
    fault, since then no mail leaves until someone fixes them."""
    problem = rules.configuration_problem(error)
    if problem is None:
        log.warning("Mail #%s to %s not delivered: %s", outbox_id, mail.recipient, error)
        return str(error)
    reason = f"{problem}: {error}"
    log.error(
        "Mail #%s not delivered; the portal's SMTP settings need a look: %s", outbox_id, reason
    )
    return reason


async def record_delivery_error(outbox_id: int, error: str) -> None:
    """A sent mail keeps its clean record: a job given up while another worker sent it."""
    await OutboxMail.update({OutboxMail.error: error[:1000]}).where(
        (OutboxMail.id == outbox_id) & OutboxMail.sent_at.is_null()
    )


def _message_id(settings: Settings, outbox_id: int, created_at: datetime) -> str:
    return rules.message_id(outbox_id, created_at, settings.mail_from, settings.base_url)


async def _deliver(settings: Settings, mail: Mail, message_id: str) -> None:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = mail.recipient
    message["Subject"] = " ".join(mail.subject.split())  # a subject is one line
    # Stable per outbox row: a receiver drops the copy a retry after a lost reply delivers.
    message["Message-ID"] = message_id
    message.set_content(mail.body)
    sending = aiosmtplib.send(
        message,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username,
        password=settings.smtp_password,
        start_tls=settings.smtp_starttls,
        timeout=10,  # each SMTP command; the whole hand-over is bounded below
    )
    # TimeoutError is an OSError: a hand-over cut off is tried again like a lost connection.
    await asyncio.wait_for(sending, timeout=rules.SEND_TIMEOUT.total_seconds())


async def recent_outbox(limit: int = 100) -> list[dict]:
    return await OutboxMail.select().order_by(OutboxMail.id, ascending=False).limit(limit)
