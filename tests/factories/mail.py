"""Mails: the outbox, the worker that delivers them, and a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from tests.factories.jobs import work_off_queue


async def queued_mails_to(recipient: str) -> list[dict]:
    """The outbox's mails to RECIPIENT, oldest first, each with the priority of the
    `mail.deliver` job queued for it (None: no such job waits, e.g. it was worked off)."""
    from piccolo.querystring import QueryString

    from portal.mail.services import DELIVER_MAIL
    from portal.piccolo_conf import DB

    return await DB.run_querystring(
        QueryString(
            "SELECT o.id, o.subject, o.body, o.sent_at, q.priority FROM outbox_mail o "
            "LEFT JOIN pgqueuer q ON q.entrypoint = {} "
            "AND (convert_from(q.payload, 'UTF8')::jsonb ->> 'outbox_id')::int = o.id "
            "WHERE o.recipient = {} ORDER BY o.id",
            DELIVER_MAIL,
            recipient,
        )
    )


async def delivered_by_the_worker(settings, smtp, recipient: str, priority: int) -> str:
    """The last mail to RECIPIENT: written to the outbox and queued by the change, not handed
    to SMTP there (a `mail.deliver` job of PRIORITY waits for it); then the worker delivers
    it to SMTP (the catcher SMTP). Its body, as received."""
    queued = (await queued_mails_to(recipient))[-1]
    assert queued["sent_at"] is None and queued["priority"] == priority, queued
    await work_off_queue(settings)
    received = smtp.to(recipient)[-1]
    assert received["Message-ID"].startswith(f"<outbox-{queued['id']}."), received["Message-ID"]
    return received.get_content()


class MailCatcher:
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [m for m in self.messages if m["To"] == address]

    def last_body(self, address: str) -> str:
        found = self.to(address)
        assert found, f"no mail to {address}; got {[m['To'] for m in self.messages]}"
        return found[-1].get_content()
