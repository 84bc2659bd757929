"""Queued mail leaves at least once and, as far as the portal can tell, only once: a row is
claimed before it is handed to SMTP, a sent row is marked without ever sending it again, and
every message carries a stable Message-ID so receivers drop what SMTP still duplicates."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from piccolo.querystring import QueryString

from portal.mail.services import (
    Mail,
    MailNotDelivered,
    deliver_queued_mail,
    queue_mail,
    record_delivery_error,
)
from portal.mail.tables import OutboxMail
from portal.piccolo_conf import DB
from tests.conftest import free_port

HELLO = Mail("ana@example.ch", "Your quote was accepted", "Good news.")


async def test_two_deliveries_of_one_row_at_once_send_it_once(mail_settings, smtp):
    """A job taken again (its heartbeat went stale) while its first worker still sends."""
    async with DB.transaction():
        outbox_id = await queue_mail(HELLO)
    first, second = await asyncio.gather(
        deliver_queued_mail(mail_settings, outbox_id),
        deliver_queued_mail(mail_settings, outbox_id),
        return_exceptions=True,
    )
    assert len(smtp.to("ana@example.ch")) == 1
    outcomes = sorted([first, second], key=lambda outcome: outcome is True)
    # the one that found it in hand elsewhere asks to be tried again: if the other's
    # sending failed, the mail must not be lost with the job
    assert isinstance(outcomes[0], MailNotDelivered) and not outcomes[0].permanent
    assert outcomes[1] is True
    assert await deliver_queued_mail(mail_settings, outbox_id) is False  # sent: left alone
    row = await OutboxMail.select().where(OutboxMail.id == outbox_id).first()
    assert row["sent_at"] is not None and row["error"] == ""


async def _claim_runs_out(outbox_id: int, seconds: int) -> None:
    await DB.run_querystring(
        QueryString(
            "UPDATE outbox_mail SET sending_until = now() + make_interval(secs => {}) "
            "WHERE id = {}",
            seconds,
            outbox_id,
        )
    )


async def test_a_claim_left_by_a_dead_worker_holds_the_mail_until_it_runs_out(mail_settings, smtp):
    outbox_id = await queue_mail(HELLO)
    await _claim_runs_out(outbox_id, 60)  # a worker claimed it, then was killed
    with pytest.raises(MailNotDelivered) as held:
        await deliver_queued_mail(mail_settings, outbox_id)
    assert not held.value.permanent and "another worker" in held.value.reason
    assert smtp.messages == []

    await _claim_runs_out(outbox_id, -1)
    assert await deliver_queued_mail(mail_settings, outbox_id) is True
    assert len(smtp.to("ana@example.ch")) == 1


async def test_a_failed_hand_over_ends_the_claim_so_the_next_try_sends(mail_settings, smtp):
    outbox_id = await queue_mail(HELLO)
    nobody_listens = replace(mail_settings, smtp_port=free_port())
    with pytest.raises(MailNotDelivered):
        await deliver_queued_mail(nobody_listens, outbox_id)
    assert await deliver_queued_mail(mail_settings, outbox_id) is True  # not held for 2 min


async def test_giving_up_a_job_does_not_mark_a_mail_another_worker_sent(mail_settings, smtp):
    outbox_id = await queue_mail(HELLO)
    assert await deliver_queued_mail(mail_settings, outbox_id) is True
    await record_delivery_error(outbox_id, "Not delivered: tried 10 times")
    row = await OutboxMail.select().where(OutboxMail.id == outbox_id).first()
    assert row["sent_at"] is not None and row["error"] == ""
